using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Matching;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Features.Rollout;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Matching;

/// <summary>The service's matching step: what each rollout phase lets happen to the same confident decision.</summary>
public class MatchReceivedPaymentsTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
    private readonly ChartOfAccounts _accounts = new();
    private readonly MatchOptions _matching = new(UseEmbeddings: false);

    private async Task<Store> SeedAsync(StoreEngine engine, decimal amount = 395m)
    {
        var store = await TestStores.CreateAsync(engine);
        await store.InTransactionAsync(async (c, tx) =>
        {
            var now = _clock.GetUtcNow();
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("10231"), PartyKind.Person, "Jane Doe", "Jane", "Doe", "jane.doe@example.org", "REG", MemberStatus.Active, new DateOnly(2019, 3, 15), new DateOnly(2026, 12, 31)), now);
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("10388"), PartyKind.Person, "Robert J. Smith", "Robert", "Smith", "rsmith@example.com", "RET", MemberStatus.Active, new DateOnly(2004, 6, 1), new DateOnly(2026, 12, 31)), now);
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("281873"), new MemberId("10231"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), Money.Usd(amount), Money.Usd(amount), "DUES-REG", "2027 Regular dues"), now);
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("281874"), new MemberId("10388"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), Money.Usd(195m), Money.Usd(195m), "DUES-RET", "2027 Retired dues"), now);
            await ReceivePayment.HandleAsync(c, tx, _clock, _accounts, new Payment(new PaymentId("ch_jane"), PaymentChannel.Card, Money.Usd(amount), now, "Jane Doe", "jane.doe@example.org", "ch_jane", "2027 dues INV 281873"), "stripe");
        });
        return store;
    }

    private Task<MatchReceivedPayments.Outcome> RunAsync(Store store, RolloutOptions rollout, PostingOptions? posting = null) =>
        MatchReceivedPayments.HandleAsync(store, _clock, _accounts, posting ?? new PostingOptions(), new RolloutPhases(store, _clock, rollout), _matching, embedder: null);

    private static Task<(string State, string Taken, string Phase)> StateAsync(Store store) => store.InTransactionAsync(async (c, tx) =>
        (await c.ExecuteScalarAsync<string>("SELECT state FROM payments WHERE payment_id = 'ch_jane'", transaction: tx) ?? "",
         await c.ExecuteScalarAsync<string>("SELECT taken_action FROM match_decisions WHERE payment_id = 'ch_jane'", transaction: tx) ?? "",
         await c.ExecuteScalarAsync<string>("SELECT phase FROM match_decisions WHERE payment_id = 'ch_jane'", transaction: tx) ?? ""));

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task Guarded_ConfidentPayment_IsHeld(StoreEngine engine)
    {
        await using var store = await SeedAsync(engine);
        var outcome = await RunAsync(store, RolloutOptions.Pilot());
        Assert.Equal(1, outcome.Held);
        Assert.Equal(("held", "apply", "guarded"), await StateAsync(store));
        Assert.Equal(Money.Usd(-395m), await new DuesPilot.Features.Ledger.Journal(store).BalanceAsync(AccountCode.Hold, Currency.USD));
        Assert.Equal(0, (await RunAsync(store, RolloutOptions.Pilot())).Decided);
    }

    [Fact]
    public async Task Shadow_SameConfidentPayment_GoesToStaffAndTheDecisionIsKept()
    {
        await using var store = await SeedAsync(StoreEngine.Sqlite);
        var outcome = await RunAsync(store, new RolloutOptions { DefaultPhase = RolloutPhase.Shadow });
        Assert.Equal(1, outcome.Shadowed);
        Assert.Equal(("in_review", "shadow", "shadow"), await StateAsync(store));
        var item = Assert.Single(await ReviewQueue.ListAsync(store, new ReviewQueueFilter()));
        Assert.Contains("Shadow phase", item.Reason);
        Assert.Equal("10231", item.Analysis!.Candidates[0].MemberId);
        Assert.Equal(Money.Usd(0m), await new DuesPilot.Features.Ledger.Journal(store).BalanceAsync(AccountCode.Hold, Currency.USD));
    }

    [Fact]
    public async Task Assist_ConfidentPayment_WaitsForApprovalAndApprovesThroughTheQueue()
    {
        await using var store = await SeedAsync(StoreEngine.Sqlite);
        await RunAsync(store, new RolloutOptions { DefaultPhase = RolloutPhase.Assist });
        Assert.Equal(("in_review", "review", "assist"), await StateAsync(store));
        var item = Assert.Single(await ReviewQueue.ListAsync(store, new ReviewQueueFilter()));
        var done = await ResolveReviewItem.HandleAsync(store, _clock, _accounts, new PostingOptions(),
            new ResolveReviewItem.Request(item.ItemId, ReviewAction.Approve, new StaffActor("kim", new HashSet<string> { StaffRoles.Reviewer })));
        Assert.Equal(ResolveReviewItem.Result.Done, done.Result);
        Assert.Equal(Money.Usd(0m), await store.InTransactionAsync((c, tx) => MemberCache.InvoiceBalanceAsync(c, tx, new InvoiceId("281873"))));
    }

    [Fact]
    public async Task Guarded_AboveTheApprovalThreshold_GoesToAnApprover()
    {
        await using var store = await SeedAsync(StoreEngine.Sqlite, amount: 6000m);
        var outcome = await RunAsync(store, new RolloutOptions { DefaultPhase = RolloutPhase.Guarded });
        Assert.Equal(1, outcome.ToReview);
        var item = Assert.Single(await ReviewQueue.ListAsync(store, new ReviewQueueFilter()));
        Assert.Contains("approver", item.Reason);
        var reviewer = await ResolveReviewItem.HandleAsync(store, _clock, _accounts, new PostingOptions(),
            new ResolveReviewItem.Request(item.ItemId, ReviewAction.Approve, new StaffActor("kim", new HashSet<string> { StaffRoles.Reviewer })));
        Assert.Equal(ResolveReviewItem.Result.NeedsApprover, reviewer.Result);
    }
}
