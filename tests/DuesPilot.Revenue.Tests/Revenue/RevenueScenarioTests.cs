using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Revenue;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Revenue.Tests.Revenue;

/// <summary>
/// The worksheet of the issue: a member joins on 15 March 2027 on a calendar-year, monthly policy (REG, $395 a year),
/// upgrades to FEL ($515 a year) on 10 July and cancels on 20 October. Every figure below is worked by hand.
/// </summary>
/// <remarks>
/// Billing (from the proration policy, monthly, the joining month counts):
///   join     $395 × 10/12 (Mar–Dec)          = $329.1666… → $329.17
///   upgrade  ($515 − $395) × 6/12 (Jul–Dec)   = $60.00
///   refund   $515 × 2/12 (Nov–Dec unused)     = $85.8333… → $85.83
/// Recognition, straight line by months, extra cents to the earliest months:
///   Mar: 32917 ¢ over 10 months = 3291 r 7 → Mar–Sep plan 32.92, Oct–Dec 32.91
///   Mar 32.92, Apr 32.92, May 32.92, Jun 32.92                       (recognised 131.68; deferred 329.17 − 131.68 = 197.49)
///   Jul: re-plan 197.49 + 60.00 = 257.49 over 6 months = 4291 r 3 → Jul–Sep 42.92, Oct–Dec 42.91
///   Jul 42.92, Aug 42.92, Sep 42.92                                  (recognised 128.76; deferred 257.49 − 128.76 = 128.73)
///   Oct: refund 85.83 leaves 42.90; service ends, so Oct recognises 42.90; Nov 0, Dec 0
/// Totals: billed 389.17 = recognised 303.34 (131.68 + 128.76 + 42.90) + refunded 85.83; closing deferred 0.00.
/// </remarks>
public abstract class RevenueScenarioTests(StoreEngine engine) : IAsyncLifetime
{
    private static readonly ChartOfAccounts Accounts = new();
    private static readonly MemberId Member = new("23179");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 14, 0, 0, TimeSpan.Zero));
    private Store _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.CreateAsync(engine);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private void ClockTo(int year, int month, int day) => _clock.SetUtcNow(new DateTimeOffset(year, month, day, 6, 0, 0, TimeSpan.Zero));

    private Task<RecordDuesEvent.Outcome> Record(string key, DuesEventKind kind, DateOnly date, string tier, string amount) =>
        RecordDuesEvent.HandleAsync(_store, _clock, Accounts, new RecordDuesEvent.Request(key, "23179:2027", Member,
            new DateOnly(2027, 3, 15), new DateOnly(2027, 12, 31), RecognitionMethod.StraightLineMonths,
            new DuesEvent(kind, date, tier, Money.Parse(amount, Currency.USD))));

    private Task<CloseRevenueMonth.Outcome> Close(string month) =>
        CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(BillingMonth.Parse(month)));

    private async Task<string> Balance(AccountCode account) => (await new Journal(_store).BalanceAsync(account, Currency.USD)).ToPlainString();

    /// <summary>Closes the month on the 1st of the next month and returns what it recognised.</summary>
    private async Task<string> CloseOnFirstOfNext(string month)
    {
        var m = BillingMonth.Parse(month).Next();
        ClockTo(m.Year, m.Month, 1);
        var outcome = await Close(month);
        Assert.Equal(CloseRevenueMonth.Result.Closed, outcome.Result);
        return outcome.Recognised.ToPlainString();
    }

    [Fact]
    public async Task JoinUpgradeCancel_EveryMonth_RecognisesTheHandWorkedAmounts()
    {
        // 15 March: join, billed $329.17 → Dr receivable, Cr deferred dues.
        Assert.Equal(RecordDuesEvent.Result.Recorded, (await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", "329.17")).Result);
        Assert.Equal("-329.17", await Balance(Accounts.DeferredDues));

        Assert.Equal("32.92", await CloseOnFirstOfNext("2027-03"));
        Assert.Equal("32.92", await CloseOnFirstOfNext("2027-04"));
        Assert.Equal("32.92", await CloseOnFirstOfNext("2027-05"));
        Assert.Equal("32.92", await CloseOnFirstOfNext("2027-06"));
        Assert.Equal("-197.49", await Balance(Accounts.DeferredDues));

        // 10 July: upgrade to FEL, extra $60.00 deferred; re-plan 257.49 over Jul–Dec.
        ClockTo(2027, 7, 10);
        Assert.Equal(RecordDuesEvent.Result.Recorded, (await Record("ord-2", DuesEventKind.Upgrade, new(2027, 7, 10), "FEL", "60.00")).Result);
        Assert.Equal("42.92", await CloseOnFirstOfNext("2027-07"));
        Assert.Equal("42.92", await CloseOnFirstOfNext("2027-08"));
        Assert.Equal("42.92", await CloseOnFirstOfNext("2027-09"));
        Assert.Equal("-128.73", await Balance(Accounts.DeferredDues));

        // 20 October: cancel with $85.83 refund → Dr deferred dues, Cr refunds payable; the rest (42.90) is earned in October.
        ClockTo(2027, 10, 20);
        Assert.Equal(RecordDuesEvent.Result.Recorded, (await Record("ord-3", DuesEventKind.Cancel, new(2027, 10, 20), "FEL", "85.83")).Result);
        Assert.Equal("-42.90", await Balance(Accounts.DeferredDues));
        Assert.Equal("42.90", await CloseOnFirstOfNext("2027-10"));
        Assert.Equal("0.00", await CloseOnFirstOfNext("2027-11"));
        Assert.Equal("0.00", await CloseOnFirstOfNext("2027-12"));

        Assert.Equal("0.00", await Balance(Accounts.DeferredDues));
        Assert.Equal("-303.34", await Balance(Accounts.DuesRevenue));
        Assert.Equal("-85.83", await Balance(Accounts.RefundsPayable));
        Assert.Equal("389.17", await Balance(Accounts.DuesReceivable));
        Assert.True((await new Journal(_store).AuditAsync()).IsClean);
    }

    [Fact]
    public async Task Report_AfterTheYear_RollForwardTiesEveryMonthAndSplitsByTier()
    {
        await JoinUpgradeCancel_EveryMonth_RecognisesTheHandWorkedAmounts();
        var report = await BuildRevenueReport.HandleAsync(_store, new BuildRevenueReport.Request(BillingMonth.Parse("2027-02"), BillingMonth.Parse("2027-12"), Currency.USD));

        // month: opening + billed − recognised − refunded = closing
        string[] expected =
        [
            "2027-02 0.00 0.00 0.00 0.00 0.00",
            "2027-03 0.00 329.17 32.92 0.00 296.25",
            "2027-04 296.25 0.00 32.92 0.00 263.33",
            "2027-05 263.33 0.00 32.92 0.00 230.41",
            "2027-06 230.41 0.00 32.92 0.00 197.49",
            "2027-07 197.49 60.00 42.92 0.00 214.57",
            "2027-08 214.57 0.00 42.92 0.00 171.65",
            "2027-09 171.65 0.00 42.92 0.00 128.73",
            "2027-10 128.73 0.00 42.90 85.83 0.00",
            "2027-11 0.00 0.00 0.00 0.00 0.00",
            "2027-12 0.00 0.00 0.00 0.00 0.00",
        ];
        Assert.Equal(expected, report.RollForward.Select(r =>
            $"{r.Month} {r.Opening.ToPlainString()} {r.Billed.ToPlainString()} {r.Recognised.ToPlainString()} {r.Refunded.ToPlainString()} {r.Closing.ToPlainString()}"));
        Assert.All(report.RollForward, r => Assert.True(r.Ties));

        // REG: Mar–Jun 4 × 32.92 = 131.68; FEL: Jul–Sep 3 × 42.92 + Oct 42.90 = 171.66.
        Assert.Equal("131.68", Money.Sum(report.ByTier.Where(t => t.Tier == "REG").Select(t => t.Recognised), Currency.USD).ToPlainString());
        Assert.Equal("171.66", Money.Sum(report.ByTier.Where(t => t.Tier == "FEL").Select(t => t.Recognised), Currency.USD).ToPlainString());

        var dir = Directory.CreateTempSubdirectory("duespilot-revenue-report-").FullName;
        var files = await RevenueReportFiles.WriteAsync(report, dir);
        var csv = await File.ReadAllLinesAsync(files[0]);
        Assert.Equal("2027-10,USD,128.73,0.00,42.90,85.83,0.00,yes", csv[9]);
        var html = await File.ReadAllTextAsync(files[2]);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("2027-07 FEL: $42.92", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_SameMonthTwice_SecondIsRefusedAndBooksNothing()
    {
        await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", "329.17");
        ClockTo(2027, 4, 1);
        var first = await Close("2027-03");
        var second = await Close("2027-03");

        Assert.Equal(CloseRevenueMonth.Result.Closed, first.Result);
        Assert.Equal(CloseRevenueMonth.Result.AlreadyClosed, second.Result);
        Assert.Equal(first.EntryId, second.EntryId);
        Assert.Equal("-32.92", await Balance(Accounts.DuesRevenue));
        Assert.Equal(1L, await _store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM revenue_closes", transaction: tx)));
    }

    [Fact]
    public async Task Close_TwoRunsAtOnce_OneClosesAndTheOtherFindsItClosed()
    {
        await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", "329.17");
        ClockTo(2027, 4, 1);

        var results = await Task.WhenAll(Close("2027-03"), Close("2027-03"));

        Assert.Equal([CloseRevenueMonth.Result.Closed, CloseRevenueMonth.Result.AlreadyClosed], results.Select(r => r.Result).Order());
        Assert.Equal("-32.92", await Balance(Accounts.DuesRevenue));
    }

    [Fact]
    public async Task Close_SkippingAMonth_IsRefusedWithTheMonthExpected()
    {
        await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", "329.17");
        ClockTo(2027, 6, 1);

        var outcome = await Close("2027-04");

        Assert.Equal(CloseRevenueMonth.Result.OutOfOrder, outcome.Result);
        Assert.Equal(BillingMonth.Parse("2027-03"), outcome.ExpectedMonth);
        Assert.Equal("0.00", await Balance(Accounts.DuesRevenue));
    }

    [Fact]
    public async Task Close_BeforeTheMonthEnds_IsRefused()
    {
        await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", "329.17");
        ClockTo(2027, 3, 31);

        Assert.Equal(CloseRevenueMonth.Result.MonthNotEnded, (await Close("2027-03")).Result);
    }

    [Fact]
    public async Task Record_EventDatedInAClosedMonth_IsRefused()
    {
        await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", "329.17");
        ClockTo(2027, 4, 2);
        await Close("2027-03");

        var late = await Record("ord-2", DuesEventKind.Refund, new(2027, 3, 31), "REG", "10.00");

        Assert.Equal(RecordDuesEvent.Result.MonthClosed, late.Result);
        Assert.Equal("-296.25", await Balance(Accounts.DeferredDues));
    }

    [Theory]
    [InlineData("329.17", RecordDuesEvent.Result.Exists)]
    [InlineData("329.18", RecordDuesEvent.Result.ExistsWithDifferentData)]
    public async Task Record_SameKeyAgain_BooksOnce(string amount, RecordDuesEvent.Result expected)
    {
        await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", "329.17");

        var again = await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", amount);

        Assert.Equal(expected, again.Result);
        Assert.Equal("-329.17", await Balance(Accounts.DeferredDues));
    }

    [Fact]
    public async Task Record_RefundAboveWhatIsDeferred_IsRefusedWithReason()
    {
        await Record("ord-1", DuesEventKind.Join, new(2027, 3, 15), "REG", "329.17");

        var refund = await Record("ord-2", DuesEventKind.Refund, new(2027, 3, 20), "REG", "400.00");

        Assert.Equal(RecordDuesEvent.Result.Unplannable, refund.Result);
        Assert.Contains("exceeds", refund.Detail, StringComparison.Ordinal);
        Assert.Equal("-329.17", await Balance(Accounts.DeferredDues));
    }
}

public sealed class RevenueScenarioSqliteTests() : RevenueScenarioTests(StoreEngine.Sqlite);

public sealed class RevenueScenarioPostgresTests() : RevenueScenarioTests(StoreEngine.Postgres);
