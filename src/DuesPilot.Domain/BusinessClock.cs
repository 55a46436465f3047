using DuesPilot.Domain.Revenue;

namespace DuesPilot.Domain;

/// <summary>
/// The association's clock: the instant comes from the wrapped <see cref="TimeProvider"/>, and every business
/// date (today, the day a payment was received, a hold's day, the month being closed, the daily summary's day,
/// an entry's accounting date) is read in the association's time zone (<c>Association:TimeZone</c>, an IANA id).
/// A payment received at 21:30 in New York on 31 March is a 31 March payment, although it is 1 April in UTC.
/// <para>
/// It is itself a <see cref="TimeProvider"/> (its <see cref="LocalTimeZone"/> is the association's zone), so the
/// composition root registers it once as the clock and every handler that takes a <see cref="TimeProvider"/>
/// gets it. <see cref="Of"/> reads any other provider (a test's fake clock) as UTC.
/// </para>
/// </summary>
public sealed class BusinessClock : TimeProvider
{
    /// <summary>The zone used when <c>Association:TimeZone</c> is not set.</summary>
    public const string DefaultZoneId = "UTC";

    private readonly TimeProvider _time;

    public BusinessClock(TimeProvider time, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(zone);
        _time = time is BusinessClock b ? b._time : time;
        Zone = zone;
    }

    /// <summary>The association's time zone.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>The IANA id of <see cref="Zone"/> as configured (e.g. <c>America/New_York</c>).</summary>
    public string ZoneId => Zone.Id;

    /// <summary>The provider the instants come from (the system clock, or a test's fake clock).</summary>
    public TimeProvider Time => _time;

    /// <summary>A clock on <paramref name="time"/> in the zone named by <paramref name="zoneId"/> (IANA id; empty = UTC).</summary>
    public static BusinessClock Create(TimeProvider time, string? zoneId) => new(time, FindZone(zoneId));

    /// <summary>
    /// The business clock behind <paramref name="clock"/>: itself when it is one (the composition root registers
    /// one), otherwise the provider read in UTC (a bare fake clock in a unit test).
    /// </summary>
    public static BusinessClock Of(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return clock as BusinessClock ?? new BusinessClock(clock, TimeZoneInfo.Utc);
    }

    /// <summary>The zone named by an IANA id (empty = UTC); an unknown id is a <see cref="TimeZoneNotFoundException"/> naming it.</summary>
    public static TimeZoneInfo FindZone(string? zoneId)
    {
        if (string.IsNullOrWhiteSpace(zoneId) || zoneId == DefaultZoneId) return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(zoneId.Trim());
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new TimeZoneNotFoundException($"'{zoneId}' is not a known IANA time zone (e.g. America/New_York, Europe/London, UTC)", ex);
        }
    }

    public override DateTimeOffset GetUtcNow() => _time.GetUtcNow();

    public override TimeZoneInfo LocalTimeZone => Zone;

    public override long TimestampFrequency => _time.TimestampFrequency;

    public override long GetTimestamp() => _time.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _time.CreateTimer(callback, state, dueTime, period);

    /// <summary>The association's date now.</summary>
    public DateOnly Today => DateOf(GetUtcNow());

    /// <summary>The association's month now.</summary>
    public BillingMonth ThisMonth => BillingMonth.Of(Today);

    /// <summary>The association's date at <paramref name="instant"/>.</summary>
    public DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    /// <summary>The first instant of <paramref name="date"/> in the association's zone (midnight, or the first valid time on a DST gap).</summary>
    public DateTimeOffset StartOf(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // A spring-forward gap at midnight (some zones): the day starts at the first time that exists.
        while (Zone.IsInvalidTime(local)) local = local.AddMinutes(15);
        // An ambiguous midnight (fall-back): the earlier instant, i.e. the larger offset.
        var offset = Zone.IsAmbiguousTime(local) ? Zone.GetAmbiguousTimeOffsets(local).Max() : Zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    /// <summary>The end of <paramref name="date"/>: the first instant of the next day (exclusive bound).</summary>
    public DateTimeOffset EndOf(DateOnly date) => StartOf(date.AddDays(1));

    /// <summary>The instants of <paramref name="month"/>: from its first day's start to the next month's start (exclusive).</summary>
    public (DateTimeOffset From, DateTimeOffset To) RangeOf(BillingMonth month) => (StartOf(month.First), StartOf(month.Next().First));

    public override string ToString() => $"business dates in {ZoneId}";
}
