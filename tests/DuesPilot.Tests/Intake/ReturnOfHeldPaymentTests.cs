using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Intake;

/// <summary>An ACH return of a payment still in the hold window: the hold is voided, the cash goes out, nothing posts later.</summary>
public class ReturnOfHeldPaymentTests
{
    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task AchReturn_OfAHeldPayment_VoidsTheHoldAndReversesTheCash(StoreEngine engine)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
        var accounts = new ChartOfAccounts();
        await using var store = await TestStores.CreateAsync(engine);
        var amount = Money.Usd(395m);
        await store.InTransactionAsync(async (c, tx) =>
        {
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("10231"), PartyKind.Person, "Jane Doe", "Jane", "Doe", null, "REG", MemberStatus.Active, null, null), clock.GetUtcNow());
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("281873"), new MemberId("10231"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), amount, amount, "DUES-REG", "dues"), clock.GetUtcNow());
            await c.ExecuteAsync("INSERT INTO inbox (item_id, source, idempotency_key, payload_hash, body, state, received_at) VALUES ('i1', 'nacha', 'k1', 'h', @b, 'processed', '2027-03-15T09:00:00.0000000Z')",
                new { b = new byte[] { 1 } }, tx);
            await RecordPayment.RunAsync(c, tx, clock, new IncomingPayment("nacha:f:L3", PaymentChannel.Ach, amount, clock.GetUtcNow(), null, "JANE DOE", null, "091000019000123", "INV 281873",
                "nacha", "f:L3", "i1", ["091000019000123"]));
            await ApplyPayment.HandleAsync(c, tx, clock, accounts, new PostingOptions(), new ApplyPayment.Request(new PaymentId("nacha:f:L3"),
                [new Allocation(new PaymentId("nacha:f:L3"), new MemberId("10231"), new InvoiceId("281873"), amount)], ApplyPayment.Mode.Hold, TimeSpan.FromHours(24), "duespilot", "invoice number"));
        });

        var (outcome, paymentId) = await store.InTransactionAsync((c, tx) => RecordPaymentEvent.RunAsync(c, tx, clock,
            new PaymentEventRequest(PaymentEventKind.AchReturn, ["091000019000123"], amount, "R01 insufficient funds", "ret-1", "i1", PaymentEvent.Return)));
        Assert.Equal("nacha:f:L3", paymentId);
        Assert.NotEqual(PaymentEventOutcome.OriginalNotFound, outcome);

        var journal = new Journal(store);
        Assert.Equal(Money.Usd(0m), await journal.BalanceAsync(AccountCode.Hold, Currency.USD));
        Assert.Equal(Money.Usd(0m), await journal.BalanceAsync(accounts.Cash, Currency.USD));
        Assert.Equal(Money.Usd(0m), await journal.BalanceAsync(accounts.UnappliedCash, Currency.USD));
        Assert.Equal(amount, await store.InTransactionAsync((c, tx) => MemberCache.InvoiceBalanceAsync(c, tx, new InvoiceId("281873"))));
        Assert.Equal("returned", await store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<string>("SELECT state FROM payments WHERE payment_id = 'nacha:f:L3'", transaction: tx)));
        clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, (await ReleaseExpiredHolds.HandleAsync(store, clock, accounts)).Posted);
        Assert.True((await journal.AuditAsync()).IsClean);
        Assert.Contains(await ReviewQueue.ListAsync(store, new ReviewQueueFilter()), i => i.SubjectId == "nacha:f:L3");
    }
}
