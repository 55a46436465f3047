using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Members;
using DuesPilot.Features.Payments;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Payments;

/// <summary>
/// Staff reverse an application from the payment's item (docs/decisions/0153): the ledger gets the exact negation, the invoice
/// its balance back, the payment goes back to review (its item reopened), a never-sent iMIS write is cancelled, and the payment
/// can then be applied again — once. Run on each engine by the subclasses.
/// </summary>
public abstract class ReverseApplicationTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
    private readonly ChartOfAccounts _accounts = new();
    private readonly PostingOptions _options = new();
    private readonly StaffActor _staff = new("pat", new HashSet<string> { StaffRoles.Approver });
    private Store _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.CreateAsync(engine);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private Task<ResolveReviewItem.Outcome> ActAsync(string itemId, ReviewAction action, string? note = null, IReadOnlyList<ProposedAllocation>? allocations = null) =>
        ResolveReviewItem.HandleAsync(_store, _clock, _accounts, _options, new ResolveReviewItem.Request(itemId, action, _staff, note, Allocations: allocations));

    private async Task<string> SeedAsync()
    {
        var amount = Money.Usd(195m);
        var item = await _store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO inbox (item_id, source, idempotency_key, payload_hash, body, state, received_at) VALUES ('i1', 'test', 'k1', 'h', @b, 'processed', '2027-03-15T09:00:00.0000000Z')",
                new { b = new byte[] { 1 } }, tx);
            foreach (var m in new[] { "M1", "M2" })
            {
                await MemberCache.UpsertAsync(c, tx, new Member(new MemberId(m), PartyKind.Person, $"Member {m}", null, null, null, "RET", MemberStatus.Active, null, null), _clock.GetUtcNow());
                await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId($"INV-{m}"), new MemberId(m), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), amount, amount, "DUES-RET", "dues"), _clock.GetUtcNow());
            }

            await RecordPayment.RunAsync(c, tx, _clock, new IncomingPayment("chk-1", PaymentChannel.Check, amount, _clock.GetUtcNow(), null, "Member M1", null, "chk-1", null, "test", "chk-1", "i1", ["chk-1"]), _accounts);
            await PaymentStates.TransitionAsync(c, tx, new PaymentId("chk-1"), PaymentState.Received, PaymentEvent.SendToReview);
            return (await OpenReviewItem.HandleAsync(c, tx, _clock, new OpenReviewItem.Request(ReviewKinds.Payment, "chk-1", "M1", 50, null, "review", "check", null, amount))).ItemId;
        });
        return item;
    }

    [Fact]
    public async Task Reverse_AppliedToTheWrongMember_LedgerInvoiceStateAndOutboxPutBack_ThenReappliedOnce()
    {
        var itemId = await SeedAsync();
        Assert.Equal(ResolveReviewItem.Result.Done, (await ActAsync(itemId, ReviewAction.Split, allocations: [new ProposedAllocation("M1", "INV-M1", 195m)])).Result);
        var unappliedBefore = await _store.InTransactionAsync((c, tx) => PaymentStates.UnappliedOfAsync(c, tx, _accounts.UnappliedCash, new PaymentId("chk-1"), Currency.USD));

        var noReason = await ActAsync(itemId, ReviewAction.ReverseApplication);
        var reversed = await ActAsync(itemId, ReviewAction.ReverseApplication, "It was M2's check");
        var twice = await ActAsync(itemId, ReviewAction.ReverseApplication, "again");

        Assert.Equal(ResolveReviewItem.Result.Invalid, noReason.Result);
        Assert.Equal(ResolveReviewItem.Result.Done, reversed.Result);
        Assert.Equal(ResolveReviewItem.Result.Invalid, twice.Result);
        Assert.Contains("nothing of it is applied", twice.Message, StringComparison.Ordinal);
        await _store.InTransactionAsync(async (c, tx) =>
        {
            Assert.True(unappliedBefore.IsZero);
            Assert.Equal(Money.Usd(195m), await PaymentStates.UnappliedOfAsync(c, tx, _accounts.UnappliedCash, new PaymentId("chk-1"), Currency.USD));
            Assert.Equal("in_review", await c.ExecuteScalarAsync<string>("SELECT state FROM payments WHERE payment_id = 'chk-1'", transaction: tx));
            Assert.Equal(19500L, await c.ExecuteScalarAsync<long>("SELECT balance_minor FROM invoices WHERE invoice_id = 'INV-M1'", transaction: tx));
            Assert.Equal(0L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM allocations WHERE payment_id = 'chk-1' AND voided_by IS NULL", transaction: tx));
            Assert.Equal("cancelled", await c.ExecuteScalarAsync<string>("SELECT state FROM imis_outbox WHERE kind = @k", new { k = ImisWriteKinds.ApplyPayment }, tx));
            Assert.Equal("open", await c.ExecuteScalarAsync<string>("SELECT state FROM review_items WHERE item_id = @itemId", new { itemId }, tx));
            Assert.Equal(1L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'payment.application-reversed'", transaction: tx));
        });
        var balances = await new Journal(_store).TrialBalanceAsync();
        Assert.True(Money.Sum(balances.Select(b => b.Balance), Currency.USD).IsZero);

        var reapplied = await ActAsync(itemId, ReviewAction.Split, allocations: [new ProposedAllocation("M2", "INV-M2", 195m)]);
        var again = await _store.InTransactionAsync((c, tx) => ApplyPayment.HandleAsync(c, tx, _clock, _accounts, _options, new ApplyPayment.Request(
            new PaymentId("chk-1"), [new Allocation(new PaymentId("chk-1"), new MemberId("M1"), new InvoiceId("INV-M1"), Money.Usd(195m))], ApplyPayment.Mode.Direct, TimeSpan.Zero, "pat", "twice")));

        Assert.Equal(ResolveReviewItem.Result.Done, reapplied.Result);
        Assert.Equal(ApplyPayment.Result.AlreadyApplied, again.Result);
        await _store.InTransactionAsync(async (c, tx) =>
        {
            Assert.Equal(0L, await c.ExecuteScalarAsync<long>("SELECT balance_minor FROM invoices WHERE invoice_id = 'INV-M2'", transaction: tx));
            Assert.Equal(19500L, await c.ExecuteScalarAsync<long>("SELECT balance_minor FROM invoices WHERE invoice_id = 'INV-M1'", transaction: tx));
        });
        Assert.Empty(await _store.InTransactionAsync((c, tx) => InvoiceBalances.AuditAsync(c, tx)));
    }

    [Fact]
    public async Task Reverse_PaymentInReview_IsRefusedSayingNothingIsApplied()
    {
        var itemId = await SeedAsync();

        var outcome = await ActAsync(itemId, ReviewAction.ReverseApplication, "why not");

        Assert.Equal(ResolveReviewItem.Result.Invalid, outcome.Result);
        Assert.Contains("nothing to reverse", outcome.Message, StringComparison.Ordinal);
    }
}

public sealed class ReverseApplicationSqliteTests() : ReverseApplicationTests(StoreEngine.Sqlite);

public sealed class ReverseApplicationPostgresTests() : ReverseApplicationTests(StoreEngine.Postgres);
