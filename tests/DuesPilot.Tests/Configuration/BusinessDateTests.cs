using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Reports;
using DuesPilot.Features.Revenue;
using DuesPilot.Hosting;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Configuration;

/// <summary>
/// The association's time zone (<c>Association:TimeZone</c>) decides business dates through the one clock the
/// service registers: a payment at 21:30 in New York on 31 March is a 31 March payment (01:30 on 1 April in UTC),
/// in the ledger's entry dates, the daily summary and its chart; March cannot be closed until it has ended in New
/// York; the hold it was put on posts on the New York day its window ends.
/// </summary>
public class BusinessDateTests
{
    private static readonly DateTimeOffset LateEveningNewYork = new(2027, 4, 1, 1, 30, 0, TimeSpan.Zero);

    private static Dictionary<string, string?> Settings(string? zone) => new()
    {
        ["Association:TimeZone"] = zone,
        ["Intake:Worker:Enabled"] = "false",
        ["Staff:InitialAdminPassword"] = "correct-horse-battery",
    };

    [Fact]
    public async Task LateEveningPayment_LandsOnTheAssociationsDate_InEntriesSummaryHoldAndMonthClose()
    {
        var fake = new FakeTimeProvider(LateEveningNewYork);
        await using var app = await ServerHost.BuildAsync(new ServerHostOptions(await TestStores.CreateOptionsAsync(StoreEngine.Sqlite), "http://127.0.0.1:0", Settings("America/New_York"), fake));
        var services = app.Services;
        var clock = services.GetRequiredService<BusinessClock>();
        Assert.Same(clock, services.GetRequiredService<TimeProvider>());
        Assert.Equal(new DateOnly(2027, 3, 31), clock.Today);
        var store = services.GetRequiredService<Store>();
        var books = services.GetRequiredService<PostingBooks>();

        await store.InTransactionAsync(async (c, tx) =>
        {
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("10231"), PartyKind.Person, "Jane Doe", "Jane", "Doe", "jane@example.org", "REG", MemberStatus.Active, null, null), clock.GetUtcNow());
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("281873"), new MemberId("10231"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), Money.Usd(395m), Money.Usd(395m), "DUES-REG", "2027 dues"), clock.GetUtcNow());
        });
        var payment = new Payment(new PaymentId("ch_late"), PaymentChannel.Card, Money.Usd(395m), clock.GetUtcNow(), "Jane Doe", "jane@example.org", "ch_late", "dues");
        var held = await store.InTransactionAsync(async (c, tx) =>
        {
            await ReceivePayment.HandleAsync(c, tx, clock, books.Accounts, payment, "test");
            return await ApplyPayment.HandleAsync(c, tx, clock, books.Accounts, books.Options, new ApplyPayment.Request(payment.Id,
                [new Allocation(payment.Id, new MemberId("10231"), new InvoiceId("281873"), payment.Amount)], ApplyPayment.Mode.Hold, TimeSpan.FromHours(24), "duespilot", "exact"));
        });
        Assert.Equal(ApplyPayment.Result.Held, held.Result);

        // The receipt and the hold are dated 31 March, the New York day, not 1 April (UTC).
        Assert.Equal(new[] { "2027-03-31" }, await EntryDatesAsync(store, "payment:ch_late:%"));

        // The daily summary of 31 March has the payment; 1 April has nothing; the 30-day chart puts it on the 31st.
        var march31 = await DailySummary.BuildAsync(store, clock, new DateOnly(2027, 3, 31), Currency.USD);
        Assert.Equal(Money.Usd(395m), march31.Totals.Received);
        Assert.Equal(Money.Usd(395m), march31.Last30Days.Single(p => p.Day == new DateOnly(2027, 3, 31)).Received);
        Assert.Single(march31.Held);
        var april1 = await DailySummary.BuildAsync(store, clock, new DateOnly(2027, 4, 1), Currency.USD);
        Assert.Equal(Money.Usd(0m), april1.Totals.Received);
        Assert.Equal(Money.Usd(0m), april1.Last30Days.Single(p => p.Day == new DateOnly(2027, 4, 1)).Received);

        // March has not ended in New York, although it has in UTC.
        await RecordDuesEvent.HandleAsync(store, clock, books.Accounts, new RecordDuesEvent.Request("join-1", "10231:2027", new MemberId("10231"), new(2027, 3, 1), new(2027, 12, 31),
            RecognitionMethod.StraightLineMonths, new DuesEvent(DuesEventKind.Join, new(2027, 3, 1), "REG", Money.Usd(395m))));
        var early = await CloseRevenueMonth.HandleAsync(store, clock, books.Accounts, new CloseRevenueMonth.Request(new BillingMonth(2027, 3)));
        Assert.Equal(CloseRevenueMonth.Result.MonthNotEnded, early.Result);
        fake.Advance(TimeSpan.FromHours(3)); // 00:30 on 1 April in New York
        var closed = await CloseRevenueMonth.HandleAsync(store, clock, books.Accounts, new CloseRevenueMonth.Request(new BillingMonth(2027, 3)));
        Assert.Equal(CloseRevenueMonth.Result.Closed, closed.Result);

        // The hold window ends at 21:30 on 1 April in New York (01:30 on 2 April in UTC): the post is a 1 April entry.
        fake.Advance(TimeSpan.FromHours(21) + TimeSpan.FromMinutes(1));
        var released = await ReleaseExpiredHolds.HandleAsync(store, clock, books.Accounts, books.Options);
        Assert.Equal(1, released.Posted);
        Assert.Equal(new[] { "2027-03-31", "2027-04-01" }, await EntryDatesAsync(store, "payment:ch_late:%"));
        Assert.Equal(new DateOnly(2027, 4, 2), BusinessClock.Of(fake).Today);
    }

    [Fact]
    public async Task WithoutAZone_BusinessDatesAreUtc()
    {
        var fake = new FakeTimeProvider(LateEveningNewYork);
        await using var app = await ServerHost.BuildAsync(new ServerHostOptions(await TestStores.CreateOptionsAsync(StoreEngine.Sqlite), "http://127.0.0.1:0", Settings(null), fake));
        var clock = app.Services.GetRequiredService<BusinessClock>();
        Assert.Equal("UTC", clock.ZoneId);
        Assert.Equal(new DateOnly(2027, 4, 1), clock.Today);
    }

    [Theory]
    [InlineData("Association:TimeZone", "America/New_Yrok", "Association:TimeZone: 'America/New_Yrok' is not a known IANA time zone")]
    [InlineData("Association:TimeZon", "America/New_York", "Association:TimeZon is not a setting (did you mean Association:TimeZone?")]
    [InlineData("Jobs:TimeZone", "America/Chicago", "Jobs:TimeZone is not a setting any more")]
    public async Task BadZoneSetting_StopsTheStart_WithOneLineNamingTheKey(string key, string value, string expected)
    {
        var settings = Settings(null);
        settings[key] = value;
        var ex = await Assert.ThrowsAsync<SettingsException>(async () =>
            await ServerHost.BuildAsync(new ServerHostOptions(await TestStores.CreateOptionsAsync(StoreEngine.Sqlite), "http://127.0.0.1:0", settings, new FakeTimeProvider(LateEveningNewYork))));
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    private static Task<List<string>> EntryDatesAsync(Store store, string keyPattern) =>
        store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<string>(
            "SELECT DISTINCT effective_date FROM journal_entries WHERE idempotency_key LIKE @keyPattern ORDER BY effective_date", new { keyPattern }, tx)).ToList());
}
