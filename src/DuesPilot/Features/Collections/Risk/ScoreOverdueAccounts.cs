using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections.Risk;

/// <summary>Scores every open overdue invoice with the trained model when there is one, else with the rules fallback.</summary>
public static class ScoreOverdueAccounts
{
    public sealed record Scored(RiskFeatures Features, RiskScore Score);

    /// <summary>The model saved at <paramref name="modelPath"/>, or the rules fallback when there is none.</summary>
    public static IRiskScorer ScorerFrom(string? modelPath) =>
        (modelPath is null ? null : RiskModel.Load(modelPath)) as IRiskScorer ?? new RulesRiskScorer();

    public static async Task<IReadOnlyList<Scored>> HandleAsync(Store store, IRiskScorer scorer, DateOnly asOf, int limit = 10_000, CancellationToken ct = default)
    {
        var facts = await RiskFacts.LoadAsync(store, ct);
        return facts.OverdueOn(asOf).Take(limit).Select(i =>
        {
            var f = facts.FeaturesAt(i, asOf);
            return new Scored(f, scorer.Score(f));
        }).OrderBy(s => s.Score.Probability).ToList();
    }
}
