using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;

namespace DuesPilot.Tooling.Golden;

/// <summary>Runs a matcher over a dataset's payments in received order.</summary>
public static class RunMatching
{
    /// <summary>Builds the engine and decides every payment in received order (see <see cref="MatchingEngine.DecideAll"/>); <paramref name="progress"/> gets the count done.</summary>
    public static IReadOnlyList<(Payment Payment, MatchDecision Decision)> Run(GoldenDataset data, MatchOptions options, INameEmbedder? embedder, Action<int>? progress = null)
    {
        var engine = MatchingEngine.Build(data.Members, data.Invoices.Where(i => i.IsOpen), options, embedder);
        var payments = data.PaymentsInOrder();
        // Evaluated in parallel, committed in received order: the same decisions as one by one.
        var decisions = engine.DecideAll(payments, progress: progress);
        return payments.Select((p, i) => (p, decisions[i])).ToList();
    }
}
