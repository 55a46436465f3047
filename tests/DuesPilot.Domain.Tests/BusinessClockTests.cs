using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;

namespace DuesPilot.Domain.Tests;

public class BusinessClockTests
{
    // 21:30 on 31 March 2027 in New York (EDT, UTC-4) is 01:30 on 1 April in UTC.
    private static readonly DateTimeOffset LateEveningNewYork = new(2027, 4, 1, 1, 30, 0, TimeSpan.Zero);

    private static BusinessClock NewYork(DateTimeOffset at) => BusinessClock.Create(new FixedTime(at), "America/New_York");

    [Fact]
    public void LateEvening_IsThatLocalDate_NotTheUtcDate()
    {
        var clock = NewYork(LateEveningNewYork);
        Assert.Equal(new DateOnly(2027, 3, 31), clock.Today);
        Assert.Equal(new BillingMonth(2027, 3), clock.ThisMonth);
        Assert.Equal(new DateOnly(2027, 3, 31), clock.DateOf(LateEveningNewYork));
        Assert.Equal(new DateOnly(2027, 4, 1), BusinessClock.Of(new FixedTime(LateEveningNewYork)).Today);
    }

    [Fact]
    public void StartAndEndOfDay_AreLocalMidnights_AcrossDaylightSaving()
    {
        var clock = NewYork(LateEveningNewYork);
        Assert.Equal(new DateTimeOffset(2027, 3, 31, 4, 0, 0, TimeSpan.Zero), clock.StartOf(new DateOnly(2027, 3, 31)));
        Assert.Equal(new DateTimeOffset(2027, 4, 1, 4, 0, 0, TimeSpan.Zero), clock.EndOf(new DateOnly(2027, 3, 31)));
        // 14 March 2027: clocks go forward at 02:00, so the day is 23 hours long (EST before, EDT after).
        Assert.Equal(TimeSpan.FromHours(23), clock.EndOf(new DateOnly(2027, 3, 14)) - clock.StartOf(new DateOnly(2027, 3, 14)));
        Assert.Equal(new DateTimeOffset(2027, 3, 14, 5, 0, 0, TimeSpan.Zero), clock.StartOf(new DateOnly(2027, 3, 14)));
        var (from, to) = clock.RangeOf(new BillingMonth(2027, 3));
        Assert.Equal(new DateTimeOffset(2027, 3, 1, 5, 0, 0, TimeSpan.Zero), from);
        Assert.Equal(new DateTimeOffset(2027, 4, 1, 4, 0, 0, TimeSpan.Zero), to);
        Assert.Equal(new DateOnly(2027, 3, 31), clock.DateOf(to.AddTicks(-1)));
        Assert.Equal(new DateOnly(2027, 4, 1), clock.DateOf(to));
    }

    [Fact]
    public void ClockIsATimeProvider_ThatDelegatesTimeAndReportsTheZone()
    {
        var fake = new FixedTime(LateEveningNewYork);
        var clock = BusinessClock.Create(fake, "America/New_York");
        fake.Advance(TimeSpan.FromHours(3));
        Assert.Equal(LateEveningNewYork.AddHours(3), clock.GetUtcNow());
        Assert.Equal(new DateOnly(2027, 4, 1), clock.Today);
        Assert.Equal("America/New_York", clock.LocalTimeZone.Id);
        Assert.Same(clock, BusinessClock.Of(clock));
        Assert.Equal(TimeZoneInfo.Utc, BusinessClock.Create(fake, null).Zone);
    }

    [Fact]
    public void UnknownZone_IsRefusedNamingIt()
    {
        var ex = Assert.Throws<TimeZoneNotFoundException>(() => BusinessClock.FindZone("America/New_Yrok"));
        Assert.Contains("America/New_Yrok", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JournalEntry_OnBusinessDay_IsDatedTheLocalDay()
    {
        var clock = NewYork(LateEveningNewYork);
        var entry = DuesPilot.Domain.Ledger.JournalEntry.Standard(EntryId.New(clock), "k", clock.GetUtcNow(), "m",
            [DuesPilot.Domain.Ledger.LedgerLine.Debit(new AccountCode("1000"), Money.Usd(1m)), DuesPilot.Domain.Ledger.LedgerLine.Credit(new AccountCode("2000"), Money.Usd(1m))]);
        Assert.Null(entry.EffectiveDate);
        Assert.Equal(new DateOnly(2027, 3, 31), entry.OnBusinessDay(clock).EffectiveDate);
        var dated = entry with { EffectiveDate = new DateOnly(2027, 2, 28) };
        Assert.Equal(new DateOnly(2027, 2, 28), dated.OnBusinessDay(clock).EffectiveDate);
    }
}

/// <summary>A clock that stands still until moved.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
