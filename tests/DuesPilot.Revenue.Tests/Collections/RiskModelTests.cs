using DuesPilot.Features.Collections.Risk;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using DuesPilot.Tooling.Collections;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace DuesPilot.Revenue.Tests.Collections;

public sealed class RiskModelTests(ITestOutputHelper output)
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 1, 5, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Train_OnAGeneratedYear_BeatsTheRulesFallbackOnHeldOutMembers()
    {
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var history = await GenerateCollectionsHistory.HandleAsync(store, _clock, new GenerateCollectionsHistory.Request(2000, new DateOnly(2026, 1, 1), Seed: 20260101));
        var modelPath = Path.Combine(Directory.CreateTempSubdirectory("duespilot-risk-").FullName, "risk-model.zip");

        var outcome = await TrainRiskModel.HandleAsync(store, _clock, new TrainRiskModel.Request(history.AsOf, modelPath));

        Assert.Equal(TrainRiskModel.Result.Trained, outcome.Result);
        var card = outcome.Card!;
        output.WriteLine($"history: {history}; {card.Summary()}");
        foreach (var band in card.Model.Calibration) output.WriteLine($"model band {band.From:F1}-{band.To:F1}: n={band.Count} predicted {band.MeanPredicted:F3} observed {band.Observed:F3}");
        Assert.True(card.Model.Auc > card.Rules.Auc + 0.03, $"model AUC {card.Model.Auc:F3} vs rules {card.Rules.Auc:F3}");
        Assert.True(card.Model.Brier < card.Rules.Brier, $"model Brier {card.Model.Brier:F3} vs rules {card.Rules.Brier:F3}");

        // The saved model scores the same as the trained one.
        var loaded = RiskModel.Load(modelPath)!;
        var facts = await RiskFacts.LoadAsync(store);
        var sample = facts.Observations(history.AsOf).Take(20).Select(o => o.Features).ToList();
        Assert.Equal(sample.Select(f => Math.Round(outcome.Model!.Score(f).Probability, 6)), sample.Select(f => Math.Round(loaded.Score(f).Probability, 6)));
    }

    [Fact]
    public async Task Train_WithLittleHistory_RefusesAndLeavesTheRulesInCharge()
    {
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var history = await GenerateCollectionsHistory.HandleAsync(store, _clock, new GenerateCollectionsHistory.Request(40, new DateOnly(2026, 1, 1), Seed: 3));

        var outcome = await TrainRiskModel.HandleAsync(store, _clock, new TrainRiskModel.Request(history.AsOf, null));

        Assert.Equal(TrainRiskModel.Result.TooLittleHistory, outcome.Result);
        Assert.Contains("rules fallback", outcome.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.4, 0.35, 0.8 }, new[] { false, false, true, true }, 0.75)]
    [InlineData(new[] { 0.5, 0.5 }, new[] { false, true }, 0.5)]
    [InlineData(new[] { 0.9, 0.1 }, new[] { false, true }, 0.0)]
    public void Auc_SmallCases_MatchHandCount(double[] scores, bool[] labels, double expected) =>
        Assert.Equal(expected, RiskModel.Auc(scores.Zip(labels).ToList()), 9);

    [Theory]
    [InlineData(0, 0, 0, 0.80)]
    [InlineData(120, 0, 0, 0.45)]
    [InlineData(60, 2, 10, 0.565)]
    public void RulesScorer_KnownAccounts_ScoreAsTheRulesSay(int daysOverdue, int pastLate, float tenure, double expected)
    {
        var score = new RulesRiskScorer().Score(new RiskFeatures("1", "I", daysOverdue, 100f, tenure, "REG", pastLate, "card", 0, 0));
        Assert.Equal(expected, score.Probability, 9);
    }
}
