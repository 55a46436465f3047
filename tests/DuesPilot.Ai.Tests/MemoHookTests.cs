using System.Text.Json;
using Dapper;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Features.Rollout;

namespace DuesPilot.Ai.Tests;

/// <summary>The memo hook in matching: a payment sent to review with no confident candidate gets the model's reading as evidence, and nothing else.</summary>
public sealed class MemoHookTests
{
    private static async Task<(string Analysis, string Money)> MatchAsync(GoldenStore golden, IMemoInterpreter? memo)
    {
        var accounts = new ChartOfAccounts();
        await golden.Store.InTransactionAsync(async (c, tx) =>
        {
            var payment = new Payment(new PaymentId("wire-g007"), PaymentChannel.Wire, Money.Usd(95m), golden.Clock.GetUtcNow(), "ACME PAYROLL", null, "FW-7001", "dues for our engineer Helen, student rate");
            await ReceivePayment.HandleAsync(c, tx, golden.Clock, accounts, payment, "wire");
        });
        var outcome = await MatchReceivedPayments.HandleAsync(golden.Store, golden.Clock, accounts, new PostingOptions(),
            new RolloutPhases(golden.Store, golden.Clock, new RolloutOptions { DefaultPhase = RolloutPhase.Guarded }), new MatchOptions(UseEmbeddings: false), embedder: null, memo);
        Assert.Equal(1, outcome.ToReview);
        var analysis = await golden.Store.InTransactionAsync((c, tx) => c.QuerySingleAsync<string>(
            "SELECT analysis FROM review_items WHERE kind = 'payment' AND subject_id = 'wire-g007'", transaction: tx));
        return (analysis, await golden.MoneySnapshotAsync());
    }

    [Fact]
    public async Task MatchReceivedPayments_MemoInterpreterWithoutModel_ReviewItemAsWithoutHook()
    {
        await using var plain = await GoldenStore.CreateAsync();
        await using var hooked = await GoldenStore.CreateAsync();

        var without = await MatchAsync(plain, null);
        var with = await MatchAsync(hooked, new InterpretMemo(hooked.Store, hooked.Model()));

        Assert.Equal(without, with);
        Assert.Null(ReviewAnalysis.FromJson(with.Analysis)!.Facts);
    }

    [Fact]
    public async Task MatchReceivedPayments_ModelNamesAMember_ProposalIsEvidenceAndNoMoneyMoves()
    {
        await using var server = await FakeModelServer.StartAsync(_ => new FakeReply(JsonSerializer.Serialize(new
        {
            member_ids = new[] { "10620" }, invoice_ids = Array.Empty<string>(), names = Array.Empty<string>(), confidence = "medium",
        })));
        var options = server.Options();
        await using var plain = await GoldenStore.CreateAsync();
        await using var hooked = await GoldenStore.CreateAsync();

        var without = await MatchAsync(plain, null);
        var with = await MatchAsync(hooked, new InterpretMemo(hooked.Store, hooked.Model(options, server.Client(options))));

        Assert.NotEmpty(server.Requests);
        var analysis = ReviewAnalysis.FromJson(with.Analysis)!;
        Assert.Equal("10620", analysis.Facts!["Memo names members"]);
        Assert.Contains("not applied", analysis.Facts["Memo interpretation"], StringComparison.Ordinal);
        Assert.Equal(ReviewAnalysis.FromJson(without.Analysis)!.SuggestedAction, analysis.SuggestedAction);
        Assert.Equal(without.Money, with.Money); // same allocations, balances, payment states and journal as without the model
        Assert.Contains("wire-g007|in_review", with.Money, StringComparison.Ordinal);
    }
}
