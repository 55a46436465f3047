namespace DuesPilot.Domain.Proration;

/// <summary>One period of a term as the proration method slices it (a month, a quarter, a half, a month of days).</summary>
/// <param name="Start">First day, inclusive.</param>
/// <param name="End">Last day, inclusive (always a month end, as iMIS keeps paid-through dates).</param>
/// <param name="Units">How many proration units the period holds (1 for a month or quarter; its day count for the daily method).</param>
public sealed record TermPeriod(DateOnly Start, DateOnly End, int Units);

/// <summary>The part of a term that a charge or refund covers, in proration units.</summary>
/// <param name="Counted">The periods counted, each with the units of it that count (a partial month under the daily method).</param>
/// <param name="Units">Units counted.</param>
/// <param name="TotalUnits">Units in the whole term (12 months, 365 or 366 days, 4 quarters, 2 halves).</param>
/// <param name="From">The first day counted (the join day, or the 1st of a later month).</param>
public sealed record CountedUnits(IReadOnlyList<TermPeriod> Counted, int Units, int TotalUnits, DateOnly? From, string UnitName);

/// <summary>Slices a term into proration units and counts the ones a join, change or cancellation touches.</summary>
/// <remarks>Pure date arithmetic; the term is [start, end] with both ends inclusive.</remarks>
public static class TermUnits
{
    /// <summary>The term's periods under <paramref name="method"/> (<see cref="ProrationMethod.None"/> gives one period).</summary>
    public static IReadOnlyList<TermPeriod> Periods(ProrationMethod method, DateOnly termStart, DateOnly termEnd)
    {
        var months = MonthsBetween(termStart, termEnd);
        var periodMonths = method switch
        {
            ProrationMethod.Monthly or ProrationMethod.Daily => 1,
            ProrationMethod.Quarterly => 3,
            ProrationMethod.SemiAnnual => months / 2,
            ProrationMethod.None => months,
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
        if (periodMonths <= 0 || months % periodMonths != 0)
            throw new ProrationException($"A {months}-month term cannot be split by the {method} method.");
        var list = new List<TermPeriod>(months / periodMonths);
        for (var s = termStart; s <= termEnd; s = s.AddMonths(periodMonths))
        {
            var e = s.AddMonths(periodMonths).AddDays(-1);
            var units = method == ProrationMethod.Daily ? e.DayNumber - s.DayNumber + 1 : 1;
            list.Add(new TermPeriod(s, e, units));
        }

        return list;
    }

    public static string UnitName(ProrationMethod method, int count) => (method, count) switch
    {
        (ProrationMethod.Daily, 1) => "day",
        (ProrationMethod.Daily, _) => "days",
        (ProrationMethod.Quarterly, 1) => "quarter",
        (ProrationMethod.Quarterly, _) => "quarters",
        (ProrationMethod.SemiAnnual, 1) => "half-year",
        (ProrationMethod.SemiAnnual, _) => "half-years",
        (ProrationMethod.None, 1) => "term",
        (ProrationMethod.None, _) => "terms",
        (_, 1) => "month",
        _ => "months",
    };

    /// <summary>
    /// Units from a start of coverage (a join or a tier change) to the end of the term.
    /// <paramref name="from"/> is the day coverage starts after the first-month rule has been applied;
    /// A period that coverage starts on the first day of always counts; one it starts inside counts only when
    /// <paramref name="countStartPeriod"/> (the "count the join month" setting).
    /// </summary>
    public static CountedUnits FromStart(ProrationMethod method, bool countStartPeriod, DateOnly termStart, DateOnly termEnd, DateOnly from)
    {
        var periods = Periods(method, termStart, termEnd);
        var total = periods.Sum(p => p.Units);
        if (from > termEnd) return new CountedUnits([], 0, total, null, UnitName(method, 0));
        if (from < termStart) from = termStart;
        var counted = new List<TermPeriod>();
        foreach (var p in periods)
        {
            if (p.End < from) continue;
            if (p.Start > from) { counted.Add(p); continue; }

            // p contains the start of coverage.
            if (method == ProrationMethod.Daily)
                counted.Add(p with { Start = from, Units = p.End.DayNumber - from.DayNumber + 1 });
            else if (method == ProrationMethod.None || countStartPeriod || from == p.Start)
                counted.Add(p);
        }

        var units = counted.Sum(p => p.Units);
        return new CountedUnits(counted, units, total, counted.Count > 0 ? counted[0].Start : null, UnitName(method, units));
    }

    /// <summary>Units left after <paramref name="lastUsedDay"/> (used through the end of its period; the daily method through that day).</summary>
    public static CountedUnits After(ProrationMethod method, DateOnly termStart, DateOnly termEnd, DateOnly lastUsedDay)
    {
        var periods = Periods(method, termStart, termEnd);
        var total = periods.Sum(p => p.Units);
        var counted = new List<TermPeriod>();
        foreach (var p in periods)
        {
            if (p.End <= lastUsedDay) continue;
            if (p.Start > lastUsedDay) { counted.Add(p); continue; }
            if (method == ProrationMethod.Daily)
                counted.Add(p with { Start = lastUsedDay.AddDays(1), Units = p.End.DayNumber - lastUsedDay.DayNumber });
        }

        var units = counted.Sum(p => p.Units);
        return new CountedUnits(counted, units, total, counted.Count > 0 ? counted[0].Start : null, UnitName(method, units));
    }

    /// <summary>Whole months in [start, end] where start is a 1st and end a month end.</summary>
    public static int MonthsBetween(DateOnly start, DateOnly end) =>
        (end.Year - start.Year) * 12 + end.Month - start.Month + 1;

    public static DateOnly MonthEnd(DateOnly d) => new DateOnly(d.Year, d.Month, 1).AddMonths(1).AddDays(-1);
}
