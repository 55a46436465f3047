using System.Globalization;
using DuesPilot.Domain;
using Microsoft.Extensions.Configuration;

namespace DuesPilot.Features.Inquiries;

/// <summary>
/// Settings of the member billing assistant (<c>Inquiries</c> section).
/// </summary>
/// <param name="SigningKey">HMAC key for member tokens (<c>Inquiries:SigningKey</c>, at least 32 bytes; keep it in secrets).</param>
/// <param name="IncludeHousehold">Whether household members see each other's dues invoices and payments (policies/household.md).</param>
/// <param name="ConfidenceThreshold">Answers below this confidence (0-1) go to staff as a review item instead of being final.</param>
/// <param name="TokenLifetimeDays">How long an issued member link stays valid.</param>
public sealed record InquiryOptions(string SigningKey, bool IncludeHousehold = true, decimal ConfidenceThreshold = 0.7m, int TokenLifetimeDays = 30)
{
    public static InquiryOptions FromConfiguration(IConfiguration configuration)
    {
        var s = configuration.GetSection("Inquiries");
        var key = s["SigningKey"] ?? throw new InvalidOperationException("Inquiries:SigningKey is not set; the member billing assistant needs it to sign member links.");
        var o = new InquiryOptions(
            key,
            !bool.TryParse(s["IncludeHousehold"], out var h) || h,
            s["ConfidenceThreshold"] is { Length: > 0 } c ? decimal.Parse(c, CultureInfo.InvariantCulture) : 0.7m,
            s["TokenLifetimeDays"] is { Length: > 0 } d ? int.Parse(d, CultureInfo.InvariantCulture) : 30);
        if (o.ConfidenceThreshold is < 0 or > 1) throw new InvalidOperationException("Inquiries:ConfidenceThreshold must be between 0 and 1.");
        if (o.TokenLifetimeDays is < 1 or > 366) throw new InvalidOperationException("Inquiries:TokenLifetimeDays must be 1-366.");
        _ = new MemberToken(o.SigningKey);
        return o;
    }
}

/// <summary>
/// Annual dues rate per tier code (<c>Billing:Tiers:REG=395.00</c>). The association's price schedules
/// live in iMIS; until the invoice-validation feature caches them, the assistant reads them from
/// configuration, with the rates of <c>policies/dues-and-tiers.md</c> as the default.
/// </summary>
public sealed record TierRates(IReadOnlyDictionary<string, Money> AnnualRates, IReadOnlyDictionary<string, string> Names)
{
    public static TierRates Default { get; } = new(
        new Dictionary<string, Money>(StringComparer.OrdinalIgnoreCase)
        {
            ["REG"] = Money.Usd(395m), ["ECP"] = Money.Usd(240m), ["RET"] = Money.Usd(180m), ["STU"] = Money.Usd(95m), ["CORP"] = Money.Usd(1250m),
        },
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["REG"] = "Regular", ["ECP"] = "Early-career", ["RET"] = "Retired", ["STU"] = "Student", ["CORP"] = "Corporate",
        });

    public string NameOf(string tier) => Names.TryGetValue(tier, out var n) ? n : tier;

    public static TierRates FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Billing:Tiers");
        var rates = new Dictionary<string, Money>(Default.AnnualRates, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
            rates[child.Key] = Money.Parse(child.Value ?? throw new InvalidOperationException($"Billing:Tiers:{child.Key} has no rate."), Currency.USD);
        return new TierRates(rates, Default.Names);
    }
}
