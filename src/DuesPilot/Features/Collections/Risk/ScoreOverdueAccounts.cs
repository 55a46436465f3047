using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections.Risk;

/// <summary>
/// Scores every open overdue invoice: with the trained model when there is one; else with payment rates calibrated on
/// the association's own history (<see cref="HistoryRateScorer"/>) when there is enough of it; else with plain age and
/// amount bands (<see cref="BandRiskScorer"/>), whose version says so.
/// </summary>
public static class ScoreOverdueAccounts
{
    public sealed record Scored(RiskFeatures Features, RiskScore Score);

    /// <summary>The model saved at <paramref name="modelPath"/>, or the bands fallback (which <see cref="Calibrate"/> upgrades when there is history).</summary>
    public static IRiskScorer ScorerFrom(string? modelPath) =>
        (modelPath is null ? null : RiskModel.Load(modelPath)) as IRiskScorer ?? new BandRiskScorer();

    /// <summary>A trained model as it is; the bands fallback replaced by history rates when the history as of <paramref name="asOf"/> is big enough.</summary>
    public static IRiskScorer Calibrate(IRiskScorer scorer, RiskFacts facts, DateOnly asOf) =>
        scorer is BandRiskScorer ? (HistoryRateScorer.TryBuild(facts.Observations(asOf), asOf) as IRiskScorer ?? scorer) : scorer;

    public static async Task<IReadOnlyList<Scored>> HandleAsync(Store store, IRiskScorer scorer, DateOnly asOf, int limit = 10_000, CancellationToken ct = default)
    {
        var facts = await RiskFacts.LoadAsync(store, ct);
        var used = Calibrate(scorer, facts, asOf);
        return facts.OverdueOn(asOf).Take(limit).Select(i =>
        {
            var f = facts.FeaturesAt(i, asOf);
            return new Scored(f, used.Score(f));
        }).OrderBy(s => s.Score.Probability).ToList();
    }
}
