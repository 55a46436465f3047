using CsvHelper;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Features.Matching;

/// <summary>The word lists shipped inside the assembly (see Data/SOURCES.md), read once per process.</summary>
public static class MatchingReferenceData
{
    private static readonly Lazy<NameLexicon> LazyLexicon = new(BuildLexicon);

    /// <summary>Nicknames, titles, suffixes and legal forms for name normalisation.</summary>
    public static NameLexicon Lexicon => LazyLexicon.Value;

    private static readonly Lazy<IReadOnlyDictionary<string, string>> LazyStates = new(() =>
        Lines("state-abbreviations.txt").Select(l => l.Split('|')).Where(a => a.Length == 2)
            .GroupBy(a => a[0].Replace(" ", "", StringComparison.Ordinal), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1].ToUpperInvariant(), StringComparer.Ordinal));

    /// <summary>State and province names, words joined ("newyork"), to their codes ("NY"): chapters are often named by state.</summary>
    public static IReadOnlyDictionary<string, string> StateCodes => LazyStates.Value;

    /// <summary>
    /// Hash of the reference data a matching run decides with: the lexicon's content and the state codes. The engine
    /// puts it in <see cref="MatchOptions.ReferenceData"/>, so the rule version changes when a list does.
    /// </summary>
    public static string Version(NameLexicon lexicon)
    {
        var states = string.Join('\n', StateCodes.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Key + "=" + s.Value));
        var bytes = System.Text.Encoding.UTF8.GetBytes(lexicon.ContentHash + "\n" + states);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16];
    }

    /// <summary>Lines of an embedded list file (<c>nicknames.csv</c>, <c>surnames.csv</c>…).</summary>
    public static IReadOnlyList<string> Lines(string fileName)
    {
        using var stream = typeof(MatchingReferenceData).Assembly.GetManifestResourceStream("DuesPilot.Matching.Data." + fileName)
            ?? throw new InvalidOperationException($"Embedded reference list {fileName} is missing from the build.");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            if (line.Trim().Length > 0) lines.Add(line.TrimEnd('\r'));
        return lines;
    }

    /// <summary>Rows of an embedded CSV file with a header, as column → value dictionaries.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> CsvRows(string fileName)
    {
        using var stream = typeof(MatchingReferenceData).Assembly.GetManifestResourceStream("DuesPilot.Matching.Data." + fileName)
            ?? throw new InvalidOperationException($"Embedded reference list {fileName} is missing from the build.");
        using var reader = new StreamReader(stream);
        using var csv = CsvReader.Create(reader, new CsvReaderOptions { HasHeader = true }, leaveOpen: false);
        var rows = new List<IReadOnlyDictionary<string, string>>();
        while (csv.Read())
        {
            var header = csv.Headers;
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < header.Count && i < csv.FieldCount; i++) row[header[i]] = csv.GetString(i) ?? "";
            rows.Add(row);
        }

        return rows;
    }

    private static NameLexicon BuildLexicon()
    {
        var nicknames = CsvRows("nicknames.csv").Select(r => (r["name1"], r["name2"]));
        var legal = CsvRows("business-suffixes.csv").Select(r => r["term"]).Concat(Lines("company-types.txt"));
        var counts = CsvRows("first-names.csv")
            .GroupBy(r => NameText.Fold(r["name"]), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(r => long.Parse(r["count"], System.Globalization.CultureInfo.InvariantCulture)), StringComparer.Ordinal);
        return new NameLexicon(nicknames, Lines("personal-titles.txt"), Lines("personal-suffixes.txt"), legal, counts);
    }
}
