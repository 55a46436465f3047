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
    [InlineData(1, 100f, 0.45, RiskSegment.Low)]
    [InlineData(35, 600f, 0.162, RiskSegment.Medium)]
    [InlineData(75, 1500f, 0.06, RiskSegment.High)]
    public void BandsFallback_SaysItIsBands_AndOldAccountsAreHighRisk(int daysOverdue, float amount, double expected, RiskSegment segment)
    {
        var score = new BandRiskScorer().Score(new RiskFeatures("1", "I", daysOverdue, amount, 3f, "REG", 0, "card", 0, 0));
        Assert.Equal((expected, segment), (Math.Round(score.Probability, 3), score.Segment));
        Assert.Contains("no trained model and too little history, so age and amount bands", score.Source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HistoryFallback_WithoutAModel_IsCalibratedOnTheAssociationsOwnHistory()
    {
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var history = await GenerateCollectionsHistory.HandleAsync(store, _clock, new GenerateCollectionsHistory.Request(2000, new DateOnly(2026, 1, 1), Seed: 20260101));
        var facts = await RiskFacts.LoadAsync(store);
        var (training, heldOut) = TrainRiskModel.SplitByMember(facts.Observations(history.AsOf), 0.25, 7);

        var scorer = ScoreOverdueAccounts.Calibrate(new BandRiskScorer(), facts, history.AsOf);
        Assert.IsType<HistoryRateScorer>(scorer);
        Assert.StartsWith("history-rates/", scorer.Version, StringComparison.Ordinal);

        // Calibrated on training members, graded on held-out ones: predicted and observed payment rates agree overall and per band.
        var calibrated = HistoryRateScorer.TryBuild(training, history.AsOf)!;
        var evaluation = RiskModel.Evaluate(calibrated, heldOut);
        var observed = heldOut.Average(o => o.PaidWithin30Days ? 1.0 : 0.0);
        var predicted = heldOut.Average(o => calibrated.Score(o.Features).Probability);
        output.WriteLine($"held out {heldOut.Count}: predicted {predicted:F3}, observed {observed:F3}, AUC {evaluation.Auc:F3}, Brier {evaluation.Brier:F3}");
        foreach (var band in evaluation.Calibration) output.WriteLine($"band {band.From:F1}-{band.To:F1}: n={band.Count} predicted {band.MeanPredicted:F3} observed {band.Observed:F3}");
        Assert.InRange(predicted - observed, -0.05, 0.05);
        Assert.All(evaluation.Calibration.Where(b => b.Count >= 100), b => Assert.InRange(b.MeanPredicted - b.Observed, -0.08, 0.08));
        Assert.True(evaluation.Auc > 0.55, $"AUC {evaluation.Auc:F3}");
        Assert.Contains(heldOut, o => calibrated.Score(o.Features).Segment != RiskSegment.Low);

        // Too little history: the bands fallback, which says so.
        Assert.Null(HistoryRateScorer.TryBuild(training.Take(HistoryRateScorer.MinimumObservations - 1).ToList(), history.AsOf));
    }
}
