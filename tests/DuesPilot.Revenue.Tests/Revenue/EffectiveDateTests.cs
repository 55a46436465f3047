using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Reconciliation;
using DuesPilot.Features.Revenue;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Revenue.Tests.Revenue;

/// <summary>
/// Month-end by the accounting (effective) date: a month can only be closed from the 1st of the next, yet its
/// recognition belongs to the month it recognises — in that month's reconciliation, GL batch and balances.
/// And a fresh book has no month to close.
/// </summary>
public abstract class EffectiveDateTests(StoreEngine engine) : IAsyncLifetime
{
    private static readonly ChartOfAccounts Accounts = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 1, 20, 9, 0, 0, TimeSpan.Zero));
    private Store _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.CreateAsync(engine);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private Task<RecordDuesEvent.Outcome> JoinAsync(string member, DateOnly start, string amount) =>
        RecordDuesEvent.HandleAsync(_store, _clock, Accounts, new RecordDuesEvent.Request($"join-{member}", $"{member}:2027", new MemberId(member), start, new(2027, 12, 31),
            RecognitionMethod.StraightLineMonths, new DuesEvent(DuesEventKind.Join, start, "REG", Money.Parse(amount, Currency.USD))));

    private Task<DraftMonthEndReconciliation.Draft> DraftAsync(string month) =>
        DraftMonthEndReconciliation.HandleAsync(_store, _clock, Accounts, new DraftMonthEndReconciliation.Request(BillingMonth.Parse(month), []));

    [Fact]
    public async Task JanuaryJoin_ClosedOnFirstFebruary_IsInJanuarysReconciliationGlBatchAndBalances()
    {
        await JoinAsync("10185", new DateOnly(2027, 1, 1), "395.00");
        _clock.SetUtcNow(new DateTimeOffset(2027, 2, 1, 8, 0, 0, TimeSpan.Zero));
        var closed = await CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(BillingMonth.Parse("2027-01")));
        Assert.Equal(CloseRevenueMonth.Result.Closed, closed.Result);
        Assert.Equal(Money.Usd(32.92m), closed.Recognised);

        var january = await DraftAsync("2027-01");
        Assert.Equal(closed.Recognised, january.Totals.RevenueRecognised);
        Assert.True(january.Balances);
        var gl = ReconciliationFiles.ImisGlJournal(january);
        Assert.Contains(gl.Split('\n'), l => l.Contains("2027-01-31", StringComparison.Ordinal) && l.Contains(Accounts.DuesRevenue.Value, StringComparison.Ordinal) && l.Contains("32.92", StringComparison.Ordinal));
        var february = await DraftAsync("2027-02");
        Assert.Equal(Money.Usd(0m), february.Totals.RevenueRecognised);

        var journal = new Journal(_store);
        Assert.Equal(Money.Usd(-32.92m), (await journal.TrialBalanceAsync(asOf: new DateOnly(2027, 1, 31))).Single(b => b.Account == Accounts.DuesRevenue).Balance);
        Assert.DoesNotContain(await journal.TrialBalanceAsync(asOf: new DateOnly(2026, 12, 31)), b => b.Account == Accounts.DuesRevenue);
    }

    [Fact]
    public async Task FreshBook_ClosingAMonth_IsRefusedWithAClearLine_AndTheFirstTermsMonthStillCloses()
    {
        var refused = await CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(BillingMonth.Parse("2026-11")));
        Assert.Equal(CloseRevenueMonth.Result.NothingToClose, refused.Result);
        Assert.Contains("no dues term is recorded", refused.Detail, StringComparison.Ordinal);

        await JoinAsync("10185", new DateOnly(2027, 1, 1), "395.00");
        _clock.SetUtcNow(new DateTimeOffset(2027, 2, 1, 8, 0, 0, TimeSpan.Zero));
        Assert.Equal(CloseRevenueMonth.Result.Closed, (await CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(BillingMonth.Parse("2027-01")))).Result);
    }

    [Fact]
    public async Task CadAndUsdTerms_CloseIndependently()
    {
        await JoinAsync("10185", new DateOnly(2027, 1, 1), "395.00");
        _clock.SetUtcNow(new DateTimeOffset(2027, 3, 2, 9, 0, 0, TimeSpan.Zero));
        await RecordDuesEvent.HandleAsync(_store, _clock, Accounts, new RecordDuesEvent.Request("join-20001", "20001:2027", new MemberId("20001"), new(2027, 3, 1), new(2027, 12, 31),
            RecognitionMethod.StraightLineMonths, new DuesEvent(DuesEventKind.Join, new(2027, 3, 1), "REG", Money.Parse("500.00", Currency.CAD))));
        _clock.SetUtcNow(new DateTimeOffset(2027, 4, 1, 9, 0, 0, TimeSpan.Zero));

        var january = await CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(BillingMonth.Parse("2027-01")));
        Assert.Equal(CloseRevenueMonth.Result.Closed, january.Result);
        Assert.Equal(Currency.USD, january.Recognised.Currency);
        Assert.Contains(january.PerCurrency, o => o.Recognised.Currency == Currency.CAD && o.Result == CloseRevenueMonth.Result.OutOfOrder && o.ExpectedMonth == BillingMonth.Parse("2027-03"));
        Assert.Equal(CloseRevenueMonth.Result.Closed, (await CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(BillingMonth.Parse("2027-02")))).Result);

        var march = await CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(BillingMonth.Parse("2027-03")));
        Assert.Equal(2, march.PerCurrency.Count);
        Assert.All(march.PerCurrency, o => Assert.Equal(CloseRevenueMonth.Result.Closed, o.Result));
        Assert.Equal(Money.Parse("50.00", Currency.CAD), march.PerCurrency.Single(o => o.Recognised.Currency == Currency.CAD).Recognised);
        var balances = await new Journal(_store).TrialBalanceAsync();
        Assert.Equal(Money.Parse("-50.00", Currency.CAD), balances.Single(b => b.Account == Accounts.DuesRevenue && b.Balance.Currency == Currency.CAD).Balance);
        Assert.Equal(CloseRevenueMonth.Result.AlreadyClosed,
            (await CloseRevenueMonth.HandleAsync(_store, _clock, Accounts, new CloseRevenueMonth.Request(BillingMonth.Parse("2027-03"), Currency: Currency.CAD))).Result);
    }
}

public sealed class EffectiveDateSqliteTests() : EffectiveDateTests(StoreEngine.Sqlite);

public sealed class EffectiveDatePostgresTests() : EffectiveDateTests(StoreEngine.Postgres);
