using DuesPilot.Domain;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DuesPilot.Domain.Tests;

public class MoneyTests
{
    private static readonly Currency Usd = Currency.USD;

    [Theory]
    [InlineData("329.17", 32917)]
    [InlineData("0.01", 1)]
    [InlineData("-5", -500)]
    [InlineData("1,234.50", 123450)]
    [InlineData("  2500.00 ", 250000)]
    public void Parse_ValidAmount_IsExactMinorUnits(string text, long minor) =>
        Assert.Equal(minor, Money.Parse(text, Usd).MinorUnits);

    [Theory]
    [InlineData("1.005")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("1e3")]
    public void TryParse_InexactOrGarbage_Fails(string text) => Assert.False(Money.TryParse(text, Usd, out _));

    [Fact]
    public void Add_MixedCurrencies_Throws()
    {
        var ex = Assert.Throws<CurrencyMismatchException>(() => Money.Usd(1m) + Money.FromDecimal(1m, Currency.EUR));
        Assert.Contains("USD", ex.Message);
        Assert.Contains("EUR", ex.Message);
    }

    [Fact]
    public void Compare_MixedCurrencies_Throws() =>
        Assert.Throws<CurrencyMismatchException>(() => Money.Usd(1m) < Money.FromDecimal(1m, Currency.CAD));

    [Fact]
    public void Add_Overflow_Throws() =>
        Assert.Throws<OverflowException>(() => Money.FromMinor(long.MaxValue, Usd) + Money.FromMinor(1, Usd));

    [Fact]
    public void FromDecimal_FractionOfACentWithoutRounding_Throws() =>
        Assert.Throws<ArgumentException>(() => Money.FromDecimal(0.005m, Usd));

    [Theory]
    [InlineData("0.005", Rounding.HalfAwayFromZero, 1)]
    [InlineData("-0.005", Rounding.HalfAwayFromZero, -1)]
    [InlineData("0.015", Rounding.HalfAwayFromZero, 2)]
    [InlineData("0.025", Rounding.HalfAwayFromZero, 3)]
    [InlineData("0.025", Rounding.HalfToEven, 2)]
    [InlineData("0.029", Rounding.Down, 2)]
    public void FromDecimal_WithRounding_RoundsAsNamed(string exact, Rounding rounding, long minor) =>
        Assert.Equal(minor, Money.FromDecimal(decimal.Parse(exact, System.Globalization.CultureInfo.InvariantCulture), Usd, rounding).MinorUnits);

    [Fact]
    public void MultiplyFraction_TenOfTwelveMonthsOf395_Is329Point17()
    {
        // 395.00 × 10 / 12 = 329.1666… → 329.17 (half away from zero, once, at the end).
        Assert.Equal(Money.Usd(329.17m), Money.Usd(395m).MultiplyFraction(10, 12, Rounding.HalfAwayFromZero));
    }

    [Fact]
    public void Allocate_HundredIntoThree_GivesExtraCentToFirst()
    {
        var parts = Money.Usd(100m).Allocate(3);
        Assert.Equal([Money.Usd(33.34m), Money.Usd(33.33m), Money.Usd(33.33m)], parts);
    }

    [Fact]
    public void Allocate_ByWeights_LargestRemainderGetsLeftover()
    {
        // 10.00 by 1:1:1:7 → 1.00, 1.00, 1.00, 7.00 exactly; 0.05 by 1:1:1 → 0.02, 0.02, 0.01.
        Assert.Equal([Money.Usd(1m), Money.Usd(1m), Money.Usd(1m), Money.Usd(7m)], Money.Usd(10m).Allocate([1, 1, 1, 7]));
        Assert.Equal([Money.Usd(0.02m), Money.Usd(0.02m), Money.Usd(0.01m)], Money.Usd(0.05m).Allocate([1, 1, 1]));
    }

    [Property]
    public bool Allocate_AnyAmountAnyWeights_PartsSumToWhole(long minor, NonEmptyArray<PositiveInt> weights)
    {
        var money = Money.FromMinor(minor % 1_000_000_000_000, Usd);
        var parts = money.Allocate(weights.Get.Select(w => (long)(w.Get % 10_000 + 1)).ToArray());
        return Money.Sum(parts, Usd) == money && parts.Count == weights.Get.Length;
    }

    [Property]
    public bool Allocate_AnyCount_PartsDifferByAtMostOneCent(int minor, PositiveInt count)
    {
        var n = count.Get % 50 + 1;
        var parts = Money.FromMinor(Math.Abs((long)minor), Usd).Allocate(n);
        return parts.Max(p => p.MinorUnits) - parts.Min(p => p.MinorUnits) <= 1;
    }

    [Property]
    public bool AddThenSubtract_IsIdentity(int a, int b) =>
        Money.FromMinor(a, Usd) + Money.FromMinor(b, Usd) - Money.FromMinor(b, Usd) == Money.FromMinor(a, Usd);

    [Property]
    public bool Ordering_AgreesWithMinorUnits(int a, int b) =>
        (Money.FromMinor(a, Usd) < Money.FromMinor(b, Usd)) == (a < b) && (Money.FromMinor(a, Usd) == Money.FromMinor(b, Usd)) == (a == b);

    [Theory]
    [InlineData(123450, "USD", "$1,234.50")]
    [InlineData(-500, "USD", "-$5.00")]
    [InlineData(1000, "EUR", "10.00 EUR")]
    [InlineData(1000, "JPY", "1,000 JPY")]
    public void ToDisplayString_FormatsForPeople(long minor, string currency, string expected) =>
        Assert.Equal(expected, Money.FromMinor(minor, Currency.Parse(currency)).ToDisplayString());

    [Fact]
    public void Currency_Unknown_IsRefused() => Assert.Throws<FormatException>(() => Currency.Parse("XYZ"));
}
