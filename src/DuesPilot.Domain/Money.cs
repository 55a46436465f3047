using System.Globalization;

namespace DuesPilot.Domain;

/// <summary>How an inexact amount is brought to whole minor units.</summary>
public enum Rounding
{
    /// <summary>Refuse: the amount must already be whole minor units.</summary>
    Exact,
    /// <summary>Half away from zero (0.005 → 0.01, −0.005 → −0.01): the rule for prorations and refunds.</summary>
    HalfAwayFromZero,
    /// <summary>Banker's rounding, kept only for reading systems that use it; never for our own prorations.</summary>
    HalfToEven,
    /// <summary>Toward zero (truncate).</summary>
    Down,
}

/// <summary>An exact amount of one currency, held as integer minor units (cents).</summary>
/// <remarks>
/// Money is never a <see cref="double"/>. Arithmetic is checked (overflow throws), refuses to mix
/// currencies, and the only way to get a fraction of a cent back into Money is an explicit
/// <see cref="Rounding"/>. Splits use <see cref="Allocate(IReadOnlyList{long})"/>, which hands
/// leftover cents out deterministically so parts always sum to the whole.
/// </remarks>
public readonly record struct Money : IComparable<Money>
{
    public Money(long minorUnits, Currency currency)
    {
        if (currency.Code is null) throw new ArgumentException("Money needs a currency.", nameof(currency));
        MinorUnits = minorUnits;
        Currency = currency;
    }

    /// <summary>The amount in minor units (cents for USD). This is what the store keeps.</summary>
    public long MinorUnits { get; }

    public Currency Currency { get; }

    /// <summary>The amount as a decimal in major units (329.17).</summary>
    public decimal Amount => (decimal)MinorUnits / Currency.MinorPerMajor;

    public bool IsZero => MinorUnits == 0;
    public bool IsPositive => MinorUnits > 0;
    public bool IsNegative => MinorUnits < 0;

    public static Money Zero(Currency currency) => new(0, currency);

    public static Money Usd(decimal amount) => FromDecimal(amount, Currency.USD);

    public static Money FromMinor(long minorUnits, Currency currency) => new(minorUnits, currency);

    /// <summary>Converts a decimal amount; with <see cref="Rounding.Exact"/> a fraction of a minor unit throws.</summary>
    public static Money FromDecimal(decimal amount, Currency currency, Rounding rounding = Rounding.Exact)
    {
        var scaled = amount * currency.MinorPerMajor;
        var whole = RoundToWhole(scaled, rounding);
        return new Money(checked((long)whole), currency);
    }

    /// <summary>Parses "329.17", "-5", "1,234.50" (invariant culture). A third decimal is an error, not a rounding.</summary>
    public static bool TryParse(string? text, Currency currency, out Money money)
    {
        money = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (!decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)) return false;
        // Near decimal.MaxValue the scaling itself overflows: not an amount, so not parsed (found by chaos fuzz).
        if (Math.Abs(value) > decimal.MaxValue / currency.MinorPerMajor) return false;
        var scaled = value * currency.MinorPerMajor;
        if (scaled != decimal.Truncate(scaled)) return false;
        if (scaled > long.MaxValue || scaled < long.MinValue) return false;
        money = new Money((long)scaled, currency);
        return true;
    }

    public static Money Parse(string text, Currency currency) =>
        TryParse(text, currency, out var m) ? m : throw new FormatException($"'{text}' is not an amount of {currency.Code} in whole minor units.");

    private static decimal RoundToWhole(decimal scaled, Rounding rounding) => rounding switch
    {
        Rounding.Exact when scaled != decimal.Truncate(scaled) =>
            throw new ArgumentException($"{scaled} minor units is not a whole number; choose a rounding rule.", nameof(scaled)),
        Rounding.Exact => scaled,
        Rounding.HalfAwayFromZero => decimal.Round(scaled, 0, MidpointRounding.AwayFromZero),
        Rounding.HalfToEven => decimal.Round(scaled, 0, MidpointRounding.ToEven),
        Rounding.Down => decimal.Truncate(scaled),
        _ => throw new ArgumentOutOfRangeException(nameof(rounding)),
    };

    private void RequireSame(Money other)
    {
        if (Currency != other.Currency)
            throw new CurrencyMismatchException(Currency, other.Currency);
    }

    public static Money operator +(Money a, Money b)
    {
        a.RequireSame(b);
        return new Money(checked(a.MinorUnits + b.MinorUnits), a.Currency);
    }

    public static Money operator -(Money a, Money b)
    {
        a.RequireSame(b);
        return new Money(checked(a.MinorUnits - b.MinorUnits), a.Currency);
    }

    public static Money operator -(Money a) => new(checked(-a.MinorUnits), a.Currency);

    /// <summary>Multiplies by a whole number (quantity); exact.</summary>
    public static Money operator *(Money a, int factor) => new(checked(a.MinorUnits * factor), a.Currency);

    /// <summary>Multiplies by a ratio and rounds once, with the rule given. Used for prorations and discounts.</summary>
    public Money Multiply(decimal factor, Rounding rounding) =>
        new(checked((long)RoundToWhole(MinorUnits * factor, rounding)), Currency);

    /// <summary>this × numerator ÷ denominator, rounded once at the end (e.g. 10 of 12 months).</summary>
    public Money MultiplyFraction(long numerator, long denominator, Rounding rounding)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(denominator);
        var exact = (decimal)MinorUnits * numerator / denominator;
        return new Money(checked((long)RoundToWhole(exact, rounding)), Currency);
    }

    public Money Abs() => new(Math.Abs(MinorUnits), Currency);

    public static bool operator <(Money a, Money b) => a.CompareTo(b) < 0;
    public static bool operator >(Money a, Money b) => a.CompareTo(b) > 0;
    public static bool operator <=(Money a, Money b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Money a, Money b) => a.CompareTo(b) >= 0;

    public int CompareTo(Money other)
    {
        RequireSame(other);
        return MinorUnits.CompareTo(other.MinorUnits);
    }

    public static Money Max(Money a, Money b) => a >= b ? a : b;
    public static Money Min(Money a, Money b) => a <= b ? a : b;

    /// <summary>Sums amounts of one currency; an empty sequence needs the currency to be given.</summary>
    public static Money Sum(IEnumerable<Money> amounts, Currency currency)
    {
        var total = Zero(currency);
        foreach (var m in amounts) total += m;
        return total;
    }

    /// <summary>
    /// Splits this amount into parts proportional to <paramref name="weights"/>. Each part gets
    /// floor(share); the leftover minor units go one each to the parts with the largest
    /// remainders, earlier parts first on ties. The parts always sum to this amount exactly.
    /// </summary>
    public IReadOnlyList<Money> Allocate(IReadOnlyList<long> weights)
    {
        if (weights.Count == 0) throw new ArgumentException("At least one weight is needed.", nameof(weights));
        if (weights.Any(w => w < 0)) throw new ArgumentException("Weights cannot be negative.", nameof(weights));
        long totalWeight = 0;
        foreach (var w in weights) totalWeight = checked(totalWeight + w);
        if (totalWeight == 0) throw new ArgumentException("Weights cannot all be zero.", nameof(weights));

        var sign = MinorUnits < 0 ? -1 : 1;
        var whole = Math.Abs(MinorUnits);
        var parts = new long[weights.Count];
        var remainders = new decimal[weights.Count];
        long handedOut = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            var exact = (decimal)whole * weights[i] / totalWeight;
            parts[i] = (long)decimal.Truncate(exact);
            remainders[i] = exact - parts[i];
            handedOut += parts[i];
        }

        var leftover = whole - handedOut;
        var order = Enumerable.Range(0, weights.Count).OrderByDescending(i => remainders[i]).ThenBy(i => i).ToArray();
        for (var k = 0; k < leftover; k++) parts[order[k % order.Length]]++;

        var currency = Currency;
        return parts.Select(p => new Money(sign * p, currency)).ToArray();
    }

    /// <summary>Splits into <paramref name="count"/> near-equal parts; the extra cents go to the first parts.</summary>
    public IReadOnlyList<Money> Allocate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return Allocate(Enumerable.Repeat(1L, count).ToArray());
    }

    /// <summary>Invariant, no symbol: "1234.50". Suitable for CSV and logs.</summary>
    public string ToPlainString() => Amount.ToString("F" + Currency.MinorDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>"$1,234.50" for USD, otherwise "1,234.50 EUR"; for people, at the edges only.</summary>
    public string ToDisplayString()
    {
        var number = Math.Abs(Amount).ToString("N" + Currency.MinorDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var sign = MinorUnits < 0 ? "-" : "";
        return Currency.Code == "USD" ? $"{sign}${number}" : $"{sign}{number} {Currency.Code}";
    }

    public override string ToString() => $"{ToPlainString()} {Currency.Code}";
}

/// <summary>Thrown when amounts of two currencies meet in one operation: always a bug in the caller.</summary>
public sealed class CurrencyMismatchException(Currency left, Currency right)
    : InvalidOperationException($"Cannot combine {left.Code} with {right.Code}: amounts in different currencies never mix.")
{
    public Currency Left { get; } = left;
    public Currency Right { get; } = right;
}
