using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Features.Matching;

/// <summary>
/// The hard remainder of review lists reordered by semantic name similarity (the MiniLM encoder): a weak leader
/// with a close second. It only reorders suggestions; it never makes a payment auto-apply.
/// </summary>
internal sealed class SemanticReranker(INameEmbedder embedder, MatchingRules rules)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, float[]> embeddingCache = new(StringComparer.Ordinal);
    private readonly Lock embedderLock = new();

    /// <summary>Whether the ranking is close enough at the top for the encoder to be worth its cost.</summary>
    public static bool Worthwhile(PaymentEvidence ev, List<Hypothesis> ranked) =>
        ranked.Count >= 2 && ranked[0].Logit < 1.0 && ranked[1].Logit >= ranked[0].Logit - 1.0 && ev.PayerTokens.Count > 0;

    public void Rerank(PaymentEvidence ev, List<Hypothesis> ranked)
    {
        // Semantic similarity only reorders the hard remainder of a review list; it never makes a payment auto-apply.
        var pool = ranked.Take(8).ToList();
        if (pool.Count < 2) return;
        var payerText = string.Join(' ', ev.PayerTokens);
        var texts = new List<string> { payerText };
        texts.AddRange(pool.Select(h => NameText.Fold(h.Primary.Member.FullName)));
        var vectors = EmbedCached(texts);
        for (var i = 0; i < pool.Count; i++)
        {
            var cos = Cosine(vectors[0], vectors[i + 1]);
            pool[i].Logit += rules.EmbeddingWeight * (cos - 0.5);
            pool[i].For.Add($"semantic name similarity {cos.ToString("0.00", CultureInfo.InvariantCulture)}");
        }

        ranked.Sort((a, b) => b.Logit.CompareTo(a.Logit));
    }

    private List<float[]> EmbedCached(List<string> texts)
    {
        var missing = texts.Where(t => !embeddingCache.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            IReadOnlyList<float[]> vectors;
            lock (embedderLock) vectors = embedder!.Embed(missing);
            for (var i = 0; i < missing.Count; i++) embeddingCache[missing[i]] = vectors[i];
        }

        return texts.Select(t => embeddingCache[t]).ToList();
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length && i < b.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
