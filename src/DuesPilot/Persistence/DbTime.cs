using System.Globalization;

namespace DuesPilot.Persistence;

/// <summary>How times and dates are written in the store: fixed-width UTC ISO-8601 text, so text order is time order on both engines.</summary>
public static class DbTime
{
    private const string InstantFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    private const string DateFormat = "yyyy-MM-dd";

    public static string Format(DateTimeOffset instant) => instant.UtcDateTime.ToString(InstantFormat, CultureInfo.InvariantCulture);

    public static string? Format(DateTimeOffset? instant) => instant is { } i ? Format(i) : null;

    public static DateTimeOffset ParseInstant(string text) =>
        new(DateTime.ParseExact(text, InstantFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    public static DateTimeOffset? ParseInstantOrNull(string? text) => string.IsNullOrEmpty(text) ? null : ParseInstant(text);

    public static string Format(DateOnly date) => date.ToString(DateFormat, CultureInfo.InvariantCulture);

    public static string? Format(DateOnly? date) => date is { } d ? Format(d) : null;

    public static DateOnly ParseDate(string text) => DateOnly.ParseExact(text, DateFormat, CultureInfo.InvariantCulture);

    public static DateOnly? ParseDateOrNull(string? text) => string.IsNullOrEmpty(text) ? null : ParseDate(text);
}
