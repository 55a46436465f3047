using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;
using DuesPilot.Tooling.Golden;

namespace DuesPilot.Matching.Tests;

/// <summary>The engine measured on golden data: the hand-written set exactly, generated sets against the issue's floors.</summary>
public sealed class EvaluationTests
{
    private static readonly MatchOptions NoEmbeddings = MatchOptions.Default with { UseEmbeddings = false };

    [Fact]
    public void HandwrittenSet_EveryPaymentDecidedAsWritten()
    {
        var data = GoldenDatasetFiles.Read(Path.Combine(AppContext.BaseDirectory, "golden", "handwritten"), withTruth: true);
        var score = EvaluateMatching.Evaluate(data, NoEmbeddings, null, baseline: false)[0];
        Assert.Empty(score.WrongPostings);
        Assert.Equal(score.TruthApply, score.Correct);
        Assert.Equal(score.ReviewWithMember, score.ReviewTop1);
    }

    [Fact]
    public void GeneratedSet_EveryCaseAppearsAndBaselineIsScored()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-eval-").FullName;
        try
        {
            GoldenSetGenerator.Generate(folder, 3000, 1000, 101);
            var data = GoldenDatasetFiles.Read(folder, withTruth: true);
            var cases = data.Truth!.Select(t => t.Case).ToHashSet();
            foreach (var (name, _) in GoldenSetGenerator.Cases) Assert.Contains(name, cases);
            var baseline = EvaluateMatching.Score("baseline", data, BaselineMatcher.Run(data), 0);
            Assert.Equal(GoldenSetGenerator.Cases.Count, baseline.ByCase.Count);
            Assert.True(baseline.Correct > 0);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Theory]
    [InlineData(101)]
    [InlineData(202)]
    [InlineData(303)]
    public void IndependentSet_MeetsFloors(int seed)
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-eval-").FullName;
        try
        {
            GoldenSetGenerator.Generate(folder, 3000, 1000, seed);
            var data = GoldenDatasetFiles.Read(folder, withTruth: true);
            var scores = EvaluateMatching.Evaluate(data, NoEmbeddings, null, baseline: true);
            var engine = scores[0];
            Assert.True(engine.Precision >= 0.999, $"seed {seed}: precision {engine.Precision:P2}; wrong: {string.Join(" || ", engine.WrongPostings)}");
            Assert.True(engine.Coverage >= 0.95, $"seed {seed}: coverage {engine.Coverage:P2}");
            Assert.True(engine.Coverage > scores[1].Coverage, "the engine must cover more than the rules-only baseline");
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Theory]
    // Small association, many payments: later payments often meet balances earlier ones changed.
    [InlineData(600, 3000, 77)]
    // Chapters of more than 50 members: their lists are read through the surname index, not member by member.
    [InlineData(6000, 2500, 78)]
    public void DecideAll_InParallel_SameDecisionsAsOneByOne(int memberCount, int paymentCount, int seed)
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-par-").FullName;
        try
        {
            GoldenSetGenerator.Generate(folder, memberCount, paymentCount, seed);
            var data = GoldenDatasetFiles.Read(folder, withTruth: false);
            var payments = data.PaymentsInOrder();
            var sequential = MatchingEngine.Build(data.Members, data.Invoices.Where(i => i.IsOpen), NoEmbeddings);
            var expected = payments.Select(sequential.Decide).ToList();
            var parallel = MatchingEngine.Build(data.Members, data.Invoices.Where(i => i.IsOpen), NoEmbeddings).DecideAll(payments, maxDegreeOfParallelism: 4);
            static string Show(MatchDecision d) => $"{d.PaymentId} {d.Action} {d.Confidence} {d.Reason} " + string.Join(",", d.Allocations.Select(a => $"{a.MemberId}/{a.InvoiceId}/{a.Amount.MinorUnits}"));
            Assert.Equal(expected.Select(Show), parallel.Select(Show));
            Assert.Contains(expected, d => d.Action == MatchAction.Apply);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Generate_SameSeed_SameFiles()
    {
        var a = Directory.CreateTempSubdirectory("duespilot-gen-").FullName;
        var b = Directory.CreateTempSubdirectory("duespilot-gen-").FullName;
        try
        {
            GoldenSetGenerator.Generate(a, 200, 100, 5);
            GoldenSetGenerator.Generate(b, 200, 100, 5);
            foreach (var file in new[] { "members.csv", "invoices.csv", "payments.csv", "truth.csv" })
                Assert.Equal(File.ReadAllText(Path.Combine(a, file)), File.ReadAllText(Path.Combine(b, file)));
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }

    [Fact]
    public void GeneratedTruth_ApplyRowsSumToPaymentAmount()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-gen-").FullName;
        try
        {
            GoldenSetGenerator.Generate(folder, 500, 300, 9);
            var data = GoldenDatasetFiles.Read(folder, withTruth: true);
            var amounts = data.Payments.ToDictionary(p => p.Id.Value, p => p.Amount);
            foreach (var g in data.Truth!.Where(t => t.Expected == MatchAction.Apply).GroupBy(t => t.PaymentId))
                Assert.Equal(amounts[g.Key].MinorUnits, g.Sum(t => t.Amount!.Value.MinorUnits));
            Assert.Equal(data.Payments.Count, data.Truth!.Select(t => t.PaymentId).Distinct().Count());
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
