using System.Globalization;

namespace DuesPilot.Domain.Revenue;

/// <summary>A calendar month ("2027-03"): the unit in which deferred dues are recognised and the books are closed.</summary>
public readonly record struct BillingMonth : IComparable<BillingMonth>
{
    public BillingMonth(int year, int month)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(year, 1900);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(year, 9998);
        ArgumentOutOfRangeException.ThrowIfLessThan(month, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(month, 12);
        Year = year;
        Month = month;
    }

    public int Year { get; }
    public int Month { get; }

    /// <summary>The first day of the month.</summary>
    public DateOnly First => new(Year, Month, 1);

    /// <summary>The last day of the month (inclusive).</summary>
    public DateOnly Last => First.AddMonths(1).AddDays(-1);

    public int Days => DateTime.DaysInMonth(Year, Month);

    public BillingMonth Next() => Of(First.AddMonths(1));

    public BillingMonth Previous() => Of(First.AddMonths(-1));

    public static BillingMonth Of(DateOnly date) => new(date.Year, date.Month);

    /// <summary>Months from this one to <paramref name="other"/>: 0 for the same month, negative when <paramref name="other"/> is earlier.</summary>
    public int MonthsUntil(BillingMonth other) => (other.Year - Year) * 12 + other.Month - Month;

    public static bool TryParse(string? text, out BillingMonth month)
    {
        month = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (!DateOnly.TryParseExact(text.Trim() + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return false;
        if (d.Year is < 1900 or > 9998) return false;
        month = Of(d);
        return true;
    }

    public static BillingMonth Parse(string text) =>
        TryParse(text, out var m) ? m : throw new FormatException($"'{text}' is not a month (expected yyyy-MM, e.g. 2027-03).");

    public int CompareTo(BillingMonth other) => (Year * 12 + Month).CompareTo(other.Year * 12 + other.Month);

    public static bool operator <(BillingMonth a, BillingMonth b) => a.CompareTo(b) < 0;
    public static bool operator >(BillingMonth a, BillingMonth b) => a.CompareTo(b) > 0;
    public static bool operator <=(BillingMonth a, BillingMonth b) => a.CompareTo(b) <= 0;
    public static bool operator >=(BillingMonth a, BillingMonth b) => a.CompareTo(b) >= 0;

    public override string ToString() => First.ToString("yyyy-MM", CultureInfo.InvariantCulture);
}
