using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Features.Matching;

/// <summary>Runs a matcher over a dataset's payments in received order.</summary>
public static class RunMatching
{
    /// <summary>Builds the engine and decides every payment in order; <paramref name="progress"/> gets the count done.</summary>
    public static IReadOnlyList<(Payment Payment, MatchDecision Decision)> Run(GoldenDataset data, MatchOptions options, INameEmbedder? embedder, Action<int>? progress = null)
    {
        var engine = MatchingEngine.Build(data.Members, data.Invoices.Where(i => i.IsOpen), options, embedder);
        var result = new List<(Payment, MatchDecision)>(data.Payments.Count);
        foreach (var p in data.PaymentsInOrder())
        {
            result.Add((p, engine.Decide(p)));
            if (result.Count % 100 == 0) progress?.Invoke(result.Count);
        }

        progress?.Invoke(result.Count);
        return result;
    }
}
