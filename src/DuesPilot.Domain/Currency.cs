using System.Globalization;

namespace DuesPilot.Domain;

/// <summary>An ISO 4217 currency with the number of minor-unit digits it uses.</summary>
/// <remarks>
/// Only currencies an association is likely to bill in are known; an unknown code is refused
/// rather than guessed, because a wrong minor-unit count would silently scale every amount.
/// </remarks>
public readonly record struct Currency
{
    private static readonly Dictionary<string, int> Known = new(StringComparer.Ordinal)
    {
        ["USD"] = 2, ["CAD"] = 2, ["EUR"] = 2, ["GBP"] = 2, ["AUD"] = 2, ["NZD"] = 2,
        ["CHF"] = 2, ["SEK"] = 2, ["NOK"] = 2, ["DKK"] = 2, ["MXN"] = 2, ["SGD"] = 2,
        ["HKD"] = 2, ["ZAR"] = 2, ["INR"] = 2, ["JPY"] = 0, ["KRW"] = 0, ["BHD"] = 3, ["KWD"] = 3,
    };

    private Currency(string code, int minorDigits)
    {
        Code = code;
        MinorDigits = minorDigits;
    }

    /// <summary>Three upper-case letters, e.g. <c>USD</c>.</summary>
    public string Code { get; }

    /// <summary>Digits after the decimal point: 2 for USD, 0 for JPY.</summary>
    public int MinorDigits { get; }

    public static Currency USD { get; } = new("USD", 2);
    public static Currency EUR { get; } = new("EUR", 2);
    public static Currency CAD { get; } = new("CAD", 2);

    /// <summary>Minor units per major unit (100 for USD).</summary>
    public long MinorPerMajor => MinorDigits switch { 0 => 1, 1 => 10, 2 => 100, 3 => 1000, _ => throw new InvalidOperationException("unsupported minor digits") };

    /// <summary>Parses an ISO code, case-insensitively; an unknown code is an expected failure.</summary>
    public static bool TryParse(string? code, out Currency currency)
    {
        currency = default;
        if (string.IsNullOrWhiteSpace(code)) return false;
        var upper = code.Trim().ToUpperInvariant();
        if (!Known.TryGetValue(upper, out var digits)) return false;
        currency = new Currency(upper, digits);
        return true;
    }

    /// <summary>Parses an ISO code or throws <see cref="FormatException"/> naming it.</summary>
    public static Currency Parse(string code) =>
        TryParse(code, out var c) ? c : throw new FormatException(string.Format(CultureInfo.InvariantCulture, "Unknown currency code '{0}'.", code));

    public override string ToString() => Code ?? "???";
}
