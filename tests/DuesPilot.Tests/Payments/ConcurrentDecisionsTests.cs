using Dapper;
using DuesPilot.Domain;
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
/// Issue 18's race on a real PostgreSQL: two staff decisions applying different payments to the same open
/// invoice at the same moment, on two hosts (two stores with their own connection pools over one database)
/// and on one. Each invoice can take one of its two payments; the other decision must be refused.
/// </summary>
public class ConcurrentDecisionsTests
{
    private const int Invoices = 20;

    [Fact]
    public async Task FortyConcurrentDecisions_TwoHosts_NoInvoiceNegativeOrOverApplied()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
        var accounts = new ChartOfAccounts();
        var options = new PostingOptions();
        var storeOptions = await TestStores.CreateOptionsAsync(StoreEngine.Postgres);
        await using var hostA = await Store.OpenAsync(storeOptions);
        await using var hostB = await Store.OpenAsync(storeOptions);
        var staff = new StaffActor("pat", new HashSet<string> { StaffRoles.Approver });

        var items = new List<(string Item, string Invoice, string Member)>();
        await hostA.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO inbox (item_id, source, idempotency_key, payload_hash, body, state, received_at) VALUES ('i1', 'test', 'k1', 'h', @b, 'processed', '2027-03-15T09:00:00.0000000Z')",
                new { b = new byte[] { 1 } }, tx);
            for (var n = 0; n < Invoices; n++)
            {
                var member = $"M{n}";
                var amount = Money.Usd(195m + n);
                await MemberCache.UpsertAsync(c, tx, new Member(new MemberId(member), PartyKind.Person, $"Member {n}", null, null, null, "RET", MemberStatus.Active, null, null), clock.GetUtcNow());
                await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId($"INV{n}"), new MemberId(member), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), amount, amount, "DUES-RET", "dues"), clock.GetUtcNow());
                foreach (var side in new[] { "a", "b" })
                {
                    var id = $"chk-{n}-{side}";
                    await RecordPayment.RunAsync(c, tx, clock, new IncomingPayment(id, PaymentChannel.Check, amount, clock.GetUtcNow(), null, $"Member {n}", null, id, null, "test", id, "i1", [id]), accounts);
                    await PaymentStates.TransitionAsync(c, tx, new PaymentId(id), PaymentState.Received, PaymentEvent.SendToReview);
                    var item = await OpenReviewItem.HandleAsync(c, tx, clock, new OpenReviewItem.Request(ReviewKinds.Payment, id, member, 50, null, "review", "two checks for one invoice", null, amount));
                    items.Add((item.ItemId, $"INV{n}", member));
                }
            }
        });

        // Both payments of an invoice decided at once; for even invoices on different hosts, for odd ones on the same host.
        using var start = new ManualResetEventSlim(false);
        var decisions = items.Select((d, k) =>
        {
            var n = k / 2;
            var host = n % 2 == 0 ? (k % 2 == 0 ? hostA : hostB) : (n % 4 == 1 ? hostA : hostB);
            return Task.Run(async () =>
            {
                start.Wait();
                return await host.InTransactionAsync((c, tx) => ResolveReviewItem.HandleAsync(c, tx, clock, accounts, options, new ResolveReviewItem.Request(d.Item, ReviewAction.Split, staff,
                    Allocations: [new ProposedAllocation(d.Member, d.Invoice, 195m + n)])));
            });
        }).ToList();
        start.Set();
        var outcomes = await Task.WhenAll(decisions);

        Assert.Equal(Invoices, outcomes.Count(o => o.Result == ResolveReviewItem.Result.Done));
        Assert.Equal(Invoices, outcomes.Count(o => o.Result == ResolveReviewItem.Result.Invalid));
        await using var c = await hostA.OpenConnectionAsync();
        Assert.Equal(0L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM invoices WHERE balance_minor < 0"));
        Assert.Equal(0L, await c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM invoices i WHERE i.amount_minor < (SELECT COALESCE(SUM(a.amount_minor), 0) FROM allocations a WHERE a.invoice_id = i.invoice_id AND a.voided_by IS NULL)"));
        Assert.Equal(Invoices, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payments WHERE state = 'applied'"));
        Assert.Equal(Invoices, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payments WHERE state = 'in_review'"));
        Assert.True((await new Journal(hostB).AuditAsync()).IsClean);
    }
}
