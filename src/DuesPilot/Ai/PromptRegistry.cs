using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DuesPilot.Ai;

/// <summary>
/// One version of a prompt as it lives in <c>prompts/ID.vN.md</c>: a header (id, version, purpose, owner,
/// date, input and output JSON schemas) and a template with <c>[system]</c> and <c>[user]</c> parts.
/// </summary>
/// <param name="ContentHash">SHA-256 of the file (line endings normalised), recorded with every call so the audit log names the exact text used.</param>
public sealed record PromptDefinition(
    string Id,
    int Version,
    string Purpose,
    string Owner,
    DateOnly Date,
    string InputSchema,
    string OutputSchema,
    string SystemTemplate,
    string UserTemplate,
    string ContentHash,
    string Source,
    string Text)
{
    /// <summary>How the audit log names this prompt: <c>memo-interpretation@1 sha256:ab12…</c>.</summary>
    public string Reference => string.Create(CultureInfo.InvariantCulture, $"{Id}@{Version} sha256:{ContentHash[..12]}");

    public JsonElement OutputSchemaElement => JsonDocument.Parse(OutputSchema).RootElement.Clone();

    /// <summary>Fills the template; every placeholder must have a value and every value must fit the input schema.</summary>
    public (string System, string User) Render(IReadOnlyDictionary<string, string> inputs)
    {
        var json = JsonSerializer.SerializeToElement(inputs);
        var problems = JsonSchemaCheck.Validate(JsonDocument.Parse(InputSchema).RootElement, json);
        if (problems.Count > 0) throw new ArgumentException($"Inputs for prompt {Id}@{Version} do not fit its input schema: {string.Join("; ", problems)}", nameof(inputs));
        return (Fill(SystemTemplate, inputs), Fill(UserTemplate, inputs));
    }

    private string Fill(string template, IReadOnlyDictionary<string, string> inputs) =>
        PromptRegistry.Placeholder().Replace(template, m => inputs.TryGetValue(m.Groups[1].Value, out var v)
            ? v
            : throw new ArgumentException($"Prompt {Id}@{Version} needs input '{m.Groups[1].Value}'.", nameof(inputs)));
}

/// <summary>
/// The versioned prompts. Shipped inside the application (embedded from <c>prompts/</c>) so a running
/// service uses exactly the reviewed files; <see cref="FromDirectory"/> reads a working copy for the CLI.
/// A prompt is changed by adding a new version file, never by editing an old one.
/// </summary>
public sealed partial class PromptRegistry
{
    private readonly Dictionary<string, SortedDictionary<int, PromptDefinition>> _byId = new(StringComparer.Ordinal);

    private PromptRegistry(IEnumerable<PromptDefinition> prompts)
    {
        foreach (var p in prompts)
        {
            if (!_byId.TryGetValue(p.Id, out var versions)) _byId[p.Id] = versions = [];
            if (!versions.TryAdd(p.Version, p)) throw new InvalidOperationException($"Prompt {p.Id} has two files for version {p.Version}.");
        }
    }

    public IEnumerable<PromptDefinition> All => _byId.Values.SelectMany(v => v.Values).OrderBy(p => p.Id, StringComparer.Ordinal).ThenBy(p => p.Version);

    /// <summary>The newest version of <paramref name="id"/>, or a given version.</summary>
    public PromptDefinition Get(string id, int? version = null)
    {
        if (!_byId.TryGetValue(id, out var versions)) throw new KeyNotFoundException($"No prompt '{id}'. Known: {string.Join(", ", _byId.Keys.Order(StringComparer.Ordinal))}.");
        if (version is null) return versions.Values.Last();
        return versions.TryGetValue(version.Value, out var p) ? p : throw new KeyNotFoundException($"Prompt '{id}' has no version {version}. Known: {string.Join(", ", versions.Keys)}.");
    }

    public bool Contains(string id) => _byId.ContainsKey(id);

    /// <summary>The prompts compiled into this build.</summary>
    public static PromptRegistry Embedded()
    {
        var assembly = typeof(PromptRegistry).Assembly;
        var prompts = new List<PromptDefinition>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("prompts/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            prompts.Add(Parse(reader.ReadToEnd(), name));
        }

        return new PromptRegistry(prompts);
    }

    public static PromptRegistry FromDirectory(string directory) =>
        new(Directory.EnumerateFiles(directory, "*.md").Order(StringComparer.Ordinal).Select(f => Parse(File.ReadAllText(f), Path.GetRelativePath(Path.GetDirectoryName(directory.TrimEnd('/')) ?? directory, f))));

    /// <summary>Parses one prompt file; throws with the file name and the problem.</summary>
    public static PromptDefinition Parse(string text, string source)
    {
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (!normalized.StartsWith("---\n", StringComparison.Ordinal)) throw new FormatException($"{source}: a prompt file starts with a '---' header.");
        var end = normalized.IndexOf("\n---\n", 4, StringComparison.Ordinal);
        if (end < 0) throw new FormatException($"{source}: the header is not closed with '---'.");
        var header = ParseHeader(normalized[4..end], source);
        var body = normalized[(end + 5)..];
        var sys = body.IndexOf("[system]\n", StringComparison.Ordinal);
        var user = body.IndexOf("[user]\n", StringComparison.Ordinal);
        if (sys < 0 || user < 0 || user < sys) throw new FormatException($"{source}: the template needs a [system] part followed by a [user] part.");

        string Need(string key) => header.TryGetValue(key, out var v) && v.Length > 0 ? v : throw new FormatException($"{source}: header field '{key}' is missing.");
        var input = Need("input_schema");
        var output = Need("output_schema");
        foreach (var (name, schema) in new[] { ("input_schema", input), ("output_schema", output) })
        {
            try
            {
                using var doc = JsonDocument.Parse(schema);
                JsonSchemaCheck.Validate(doc.RootElement, doc.RootElement);
            }
            catch (JsonException ex)
            {
                throw new FormatException($"{source}: {name} is not valid JSON ({ex.Message}).", ex);
            }
        }

        return new PromptDefinition(
            Need("id"),
            int.Parse(Need("version"), CultureInfo.InvariantCulture),
            Need("purpose"),
            Need("owner"),
            DateOnly.ParseExact(Need("date"), "yyyy-MM-dd", CultureInfo.InvariantCulture),
            input,
            output,
            body[(sys + 9)..user].Trim(),
            body[(user + 7)..].Trim(),
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized))),
            source,
            normalized);
    }

    /// <summary>A tiny YAML subset: <c>key: value</c> lines and <c>key: |</c> followed by indented lines.</summary>
    private static Dictionary<string, string> ParseHeader(string header, string source)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = header.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Trim().Length == 0) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || char.IsWhiteSpace(line[0])) throw new FormatException($"{source}: header line '{line}' is not 'key: value'.");
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (value == "|")
            {
                var block = new StringBuilder();
                while (i + 1 < lines.Length && (lines[i + 1].StartsWith("  ", StringComparison.Ordinal) || lines[i + 1].Length == 0))
                    block.Append(lines[++i].TrimStart()).Append('\n');
                value = block.ToString().Trim();
            }

            result[key] = value;
        }

        return result;
    }

    [GeneratedRegex(@"\{\{\s*([a-z_]+)\s*\}\}", RegexOptions.CultureInvariant, 1000)]
    internal static partial Regex Placeholder();
}
