using DuesPilot.Domain;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Reports;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Reports;

public class DailySummaryTests
{
    /// <summary>
    /// A generated day of 2,000 payments with every fate a payment can have — held, held then posted,
    /// overridden, applied by staff, kept on account, refunded, never matched — must reconcile to the
    /// cent, and each bucket must equal the total computed independently here.
    /// </summary>
    [Fact]
    public async Task GeneratedDayOf2000Payments_TotalsReconcile()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var day = new DateOnly(2027, 3, 15);
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 3, 15, 6, 0, 0, TimeSpan.Zero));
        var accounts = new ChartOfAccounts();
        var options = new PostingOptions { HoldWindowHours = 4 };
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var reviewer = new StaffActor("kim", new HashSet<string> { StaffRoles.Approver });

        long expApplied = 0, expOnAccount = 0, expReview = 0, expRefunded = 0;
        var channels = new[] { PaymentChannel.Card, PaymentChannel.Ach, PaymentChannel.Check };
        var overrideLater = new List<PaymentId>();
        for (var i = 0; i < 2000; i++)
        {
            var member = new MemberId($"M{i}");
            var amount = Money.FromMinor(random.Next(5_000, 300_000), Currency.USD);
            var payment = new Payment(new PaymentId($"P{i}"), channels[i % 3], amount, clock.GetUtcNow().AddSeconds(i * 30), null, null, $"R{i}", null);
            var fate = random.Next(6);
            await store.InTransactionAsync(async (c, tx) =>
            {
                await MemberCache.UpsertAsync(c, tx, new Member(member, PartyKind.Person, $"Member {i}", null, null, null, i % 2 == 0 ? "REG" : "STU", MemberStatus.Active, null, null), clock.GetUtcNow());
                await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId($"I{i}"), member, day.AddDays(-30), day, amount, amount, "DUES-REG", "dues"), clock.GetUtcNow());
                await ReceivePayment.HandleAsync(c, tx, clock, accounts, payment, "test");
                var toInvoice = new[] { new Allocation(payment.Id, member, new InvoiceId($"I{i}"), amount) };
                switch (fate)
                {
                    case 0 or 1:
                        await ApplyPayment.HandleAsync(c, tx, clock, accounts, options, new ApplyPayment.Request(payment.Id, toInvoice, ApplyPayment.Mode.Hold, options.HoldWindowFor("card", null), "duespilot", "auto"));
                        if (fate == 1) overrideLater.Add(payment.Id);
                        break;
                    case 2:
                        await ApplyPayment.HandleAsync(c, tx, clock, accounts, options, new ApplyPayment.Request(payment.Id, toInvoice, ApplyPayment.Mode.Direct, TimeSpan.Zero, "kim", "staff"));
                        break;
                    case 3:
                        await ApplyPayment.HandleAsync(c, tx, clock, accounts, options, new ApplyPayment.Request(payment.Id, [new Allocation(payment.Id, member, null, amount)], ApplyPayment.Mode.Direct, TimeSpan.Zero, "kim", "on account"));
                        break;
                    case 4:
                        var item = await OpenReviewItem.HandleAsync(c, tx, clock, new OpenReviewItem.Request(ReviewKinds.Payment, payment.Id.Value, member.Value, 10, 0.4m, "refund", "not ours", null, amount));
                        await ResolveReviewItem.HandleAsync(c, tx, clock, accounts, options, new ResolveReviewItem.Request(item.ItemId, ReviewAction.Refund, reviewer));
                        break;
                }
            });
            expApplied += fate is 0 or 2 ? amount.MinorUnits : 0;
            expOnAccount += fate == 3 ? amount.MinorUnits : 0;
            expRefunded += fate == 4 ? amount.MinorUnits : 0;
            expReview += fate is 1 or 5 ? amount.MinorUnits : 0;
        }

        foreach (var id in overrideLater)
            await store.InTransactionAsync((c, tx) => OverrideHold.HandleAsync(c, tx, clock, options, id, "kim", "member disputes"));
        clock.Advance(TimeSpan.FromHours(30));
        while ((await ReleaseExpiredHolds.HandleAsync(store, clock, accounts, options)).Posted > 0)
        {
        }

        var report = await DailySummary.BuildAsync(store, clock, day, Currency.USD);
        var t = report.Totals;
        Assert.True(t.Reconciles, $"seed {seed}: {t}");
        Assert.Equal(Money.FromMinor(expApplied, Currency.USD), t.Applied);
        Assert.Equal(Money.FromMinor(expOnAccount, Currency.USD), t.OnAccount);
        Assert.Equal(Money.FromMinor(expRefunded, Currency.USD), t.Refunded);
        Assert.Equal(Money.FromMinor(expReview, Currency.USD), t.InReview);
        Assert.Equal(2000, report.Channels.Sum(ch => ch.Received));
        Assert.Empty(report.Held);
        Assert.Equal(overrideLater.Count, report.Overrides);
        Assert.Contains("reconciles", DailySummary.ToHtml(report));
        Assert.Contains($"totals,received,,{t.Received.ToPlainString()}", DailySummary.ToCsv(report));
    }
}
