namespace DuesPilot.Domain;

/// <summary>A rate that takes effect on a date and holds until the next one.</summary>
public sealed record PriceScheduleEntry(DateOnly EffectiveFrom, Money AnnualRate);

/// <summary>The price history of one tier's dues product; the rate in force on a date is the latest entry not after it.</summary>
public sealed record PriceSchedule(string ProductCode, IReadOnlyList<PriceScheduleEntry> Entries)
{
    public Money? RateOn(DateOnly date)
    {
        PriceScheduleEntry? best = null;
        foreach (var e in Entries)
            if (e.EffectiveFrom <= date && (best is null || e.EffectiveFrom > best.EffectiveFrom)) best = e;
        return best?.AnnualRate;
    }
}

/// <summary>A membership tier (iMIS member type) and its dues price schedule.</summary>
/// <param name="IsOrganizational">Corporate/organization tiers bill the organization, at their own rate.</param>
public sealed record MembershipTier(string Code, string Name, bool IsOrganizational, PriceSchedule Prices);

public enum CycleKind
{
    /// <summary>Everyone's term runs January–December.</summary>
    CalendarYear,
    /// <summary>Everyone's term runs from a fixed start month (e.g. July–June).</summary>
    FiscalYear,
    /// <summary>Each member's term starts on their join month.</summary>
    Anniversary,
}

/// <summary>When dues terms begin and end.</summary>
/// <remarks>Term ends are inclusive and always a month end, as iMIS keeps paid-through dates (begin + n months − 1 day).</remarks>
public sealed record BillingCalendar(CycleKind Kind, int StartMonth = 1, int TermMonths = 12)
{
    public static BillingCalendar CalendarYear { get; } = new(CycleKind.CalendarYear);

    /// <summary>The term (first day, last day inclusive) that contains <paramref name="date"/>; for anniversary cycles the term starts on the first of <paramref name="anchor"/>'s month.</summary>
    public (DateOnly Start, DateOnly End) TermContaining(DateOnly date, DateOnly? anchor = null)
    {
        if (StartMonth is < 1 or > 12) throw new InvalidOperationException("StartMonth must be 1-12.");
        if (TermMonths <= 0) throw new InvalidOperationException("TermMonths must be positive.");
        var startMonth = Kind switch
        {
            CycleKind.CalendarYear => 1,
            CycleKind.FiscalYear => StartMonth,
            CycleKind.Anniversary => (anchor ?? date).Month,
            _ => throw new InvalidOperationException("unknown cycle"),
        };
        var start = new DateOnly(date.Year, startMonth, 1);
        if (start > date) start = start.AddYears(-1);
        while (start.AddMonths(TermMonths) <= date) start = start.AddMonths(TermMonths);
        return (start, start.AddMonths(TermMonths).AddDays(-1));
    }
}
