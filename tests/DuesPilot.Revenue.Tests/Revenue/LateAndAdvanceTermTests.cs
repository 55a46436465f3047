using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Revenue;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Revenue.Tests.Revenue;

/// <summary>
/// Terms that do not arrive in their own month: a renewal billed ahead of its term stays deferred until the term starts,
/// and a join recorded after its first months were closed is caught up in the first open month with one explained entry.
/// </summary>
public abstract class LateAndAdvanceTermTests(StoreEngine engine) : IAsyncLifetime
{
    private static readonly ChartOfAccounts Accounts = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private Store _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.CreateAsync(engine);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private Task<RecordDuesEvent.Outcome> RecordAsync(string key, string member, DateOnly start, DuesEventKind kind, DateOnly date, string amount) =>
        RecordDuesEvent.HandleAsync(_store, _clock, Accounts, new RecordDuesEvent.Request(key, $"{member}:2027", new MemberId(member), start, new(2027, 12, 31),
            RecognitionMethod.StraightLineMonths, new DuesEvent(kind, date, "REG", Money.Parse(amount, Currency.USD))));

    private Task<CloseRevenueMonth.Outcome> CloseAsync(string month) =>
        CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(BillingMonth.Parse(month)));

    private async Task<Money> RevenueAsOf(DateOnly day) =>
        (await new Journal(_store).TrialBalanceAsync(asOf: day)).SingleOrDefault(b => b.Account == Accounts.DuesRevenue)?.Balance ?? Money.Usd(0m);

    [Fact]
    public async Task RenewalBilledInDecember_ForA2027Term_IsRecorded_AndRecognisedFromJanuaryOnly()
    {
        var renewal = await RecordAsync("renew-1", "1", new(2027, 1, 1), DuesEventKind.Renew, new(2026, 12, 1), "395.00");
        Assert.Equal(RecordDuesEvent.Result.Recorded, renewal.Result);
        Assert.Equal(RecordDuesEvent.Result.Unplannable, (await RecordAsync("renew-2", "2", new(2027, 4, 1), DuesEventKind.Renew, new(2026, 12, 1), "395.00")).Result);

        // Deferred in December (billed), nothing recognised until the term starts.
        Assert.Equal(Money.Usd(-395m), (await new Journal(_store).TrialBalanceAsync(asOf: new DateOnly(2026, 12, 31))).Single(b => b.Account == Accounts.DeferredDues).Balance);
        _clock.SetUtcNow(new DateTimeOffset(2027, 2, 1, 9, 0, 0, TimeSpan.Zero));
        Assert.Equal(BillingMonth.Parse("2027-01"), await CloseRevenueMonth.NextMonthToCloseAsync(_store));
        var january = await CloseAsync("2027-01");
        Assert.Equal((CloseRevenueMonth.Result.Closed, Money.Usd(32.92m)), (january.Result, january.Recognised));
    }

    [Fact]
    public async Task JoinRecordedAfterItsMonthsClosed_IsCaughtUpInTheFirstOpenMonth_WithOneExplainedEntry()
    {
        _clock.SetUtcNow(new DateTimeOffset(2027, 1, 2, 9, 0, 0, TimeSpan.Zero));
        await RecordAsync("join-1", "1", new(2027, 1, 1), DuesEventKind.Join, new(2027, 1, 1), "395.00");
        _clock.SetUtcNow(new DateTimeOffset(2027, 3, 5, 9, 0, 0, TimeSpan.Zero));
        Assert.Equal(CloseRevenueMonth.Result.Closed, (await CloseAsync("2027-01")).Result);
        Assert.Equal(CloseRevenueMonth.Result.Closed, (await CloseAsync("2027-02")).Result);

        // Member 2 joined on 15 January; the join reaches the books on 5 March.
        var late = await RecordAsync("join-2", "2", new(2027, 1, 15), DuesEventKind.Join, new(2027, 1, 15), "395.00");
        Assert.Equal(RecordDuesEvent.Result.Recorded, late.Result);
        // Any other event dated in a closed month is still refused.
        Assert.Equal(RecordDuesEvent.Result.MonthClosed, (await RecordAsync("refund-1", "1", new(2027, 1, 1), DuesEventKind.Refund, new(2027, 2, 10), "10.00")).Result);
        var schedule = await ShowTermSchedule.HandleAsync(_store, "2:2027");
        Assert.Equal([0L, 0L, 9876L], schedule.Rows.Take(3).Select(r => r.Planned.Recognised.MinorUnits));

        _clock.SetUtcNow(new DateTimeOffset(2027, 4, 1, 9, 0, 0, TimeSpan.Zero));
        var march = await CloseAsync("2027-03");
        Assert.Equal(Money.Usd(32.92m + 98.76m), march.Recognised);
        var catchUp = await new Journal(_store).FindByKeyAsync("revenue-catch-up:2027-03:USD:2:2027");
        Assert.NotNull(catchUp);
        Assert.Equal(Money.Usd(65.84m), catchUp.Total);
        Assert.Equal(1L, await _store.InTransactionAsync((c, tx) => Dapper.SqlMapper.ExecuteScalarAsync<long>(c,
            "SELECT COUNT(*) FROM journal_entries WHERE idempotency_key LIKE 'revenue-catch-up:%' AND effective_date = '2027-03-31'", transaction: tx)));
        Assert.Contains("recorded after 2027-01..2027-02 were closed", catchUp.Memo, StringComparison.Ordinal);
        Assert.Single(await new AuditTrail(_store, _clock).ListAsync(), r => r.Event.Action == "revenue.catch-up");
        // January and February stay as they were closed; March carries the catch-up.
        Assert.Equal(Money.Usd(-65.84m), await RevenueAsOf(new DateOnly(2027, 2, 28)));
        Assert.Equal(Money.Usd(-65.84m - 131.68m), await RevenueAsOf(new DateOnly(2027, 3, 31)));
        var report = await BuildRevenueReport.HandleAsync(_store, new BuildRevenueReport.Request(BillingMonth.Parse("2027-01"), BillingMonth.Parse("2027-03"), Currency.USD));
        Assert.All(report.RollForward, r => Assert.True(r.Ties));
        Assert.Equal(Money.Usd(395m), report.RollForward[2].Billed);
        Assert.Equal(Money.Usd(395m), report.RollForward[0].Billed); // member 1's own join only
    }

    [Fact]
    public async Task TermThatEndedBeforeTheFirstOpenMonth_IsRefusedWithTheReason()
    {
        _clock.SetUtcNow(new DateTimeOffset(2027, 1, 2, 9, 0, 0, TimeSpan.Zero));
        await RecordAsync("join-1", "1", new(2027, 1, 1), DuesEventKind.Join, new(2027, 1, 1), "395.00");
        _clock.SetUtcNow(new DateTimeOffset(2027, 3, 5, 9, 0, 0, TimeSpan.Zero));
        await CloseAsync("2027-01");
        await CloseAsync("2027-02");
        var refused = await RecordDuesEvent.HandleAsync(_store, _clock, Accounts, new RecordDuesEvent.Request("short", "3:2027", new MemberId("3"), new(2027, 1, 1), new(2027, 1, 31),
            RecognitionMethod.StraightLineMonths, new DuesEvent(DuesEventKind.Join, new(2027, 1, 1), "REG", Money.Usd(30m))));
        Assert.Equal(RecordDuesEvent.Result.MonthClosed, refused.Result);
        Assert.Contains("no open month of the term", refused.Detail, StringComparison.Ordinal);
    }
}

public sealed class LateAndAdvanceTermSqliteTests() : LateAndAdvanceTermTests(StoreEngine.Sqlite);

public sealed class LateAndAdvanceTermPostgresTests() : LateAndAdvanceTermTests(StoreEngine.Postgres);
