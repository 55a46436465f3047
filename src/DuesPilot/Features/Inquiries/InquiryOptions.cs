using DuesPilot.Domain;
using DuesPilot.Hosting;
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
        ArgumentNullException.ThrowIfNull(configuration);
        var s = configuration.GetSection("Inquiries");
        // Limits and Mailbox are read by their own readers (ServiceLimits, InquiryMailboxOptions), FrameAncestors by the page's headers.
        Settings.RequireKnownKeys(s, [nameof(SigningKey), nameof(IncludeHousehold), nameof(ConfidenceThreshold), nameof(TokenLifetimeDays), "FrameAncestors"], ["Limits", "Mailbox"]);
        var key = s["SigningKey"] ?? throw new InvalidOperationException("Inquiries:SigningKey is not set; the member billing assistant needs it to sign member links.");
        var o = new InquiryOptions(
            key,
            Settings.Bool(configuration, "Inquiries:IncludeHousehold", true),
            Settings.Decimal(configuration, "Inquiries:ConfidenceThreshold", 0.7m),
            Settings.Int(configuration, "Inquiries:TokenLifetimeDays", 30));
        if (o.ConfidenceThreshold is < 0 or > 1) throw new InvalidOperationException("Inquiries:ConfidenceThreshold must be between 0 and 1.");
        if (o.TokenLifetimeDays is < 1 or > 366) throw new InvalidOperationException("Inquiries:TokenLifetimeDays must be 1-366.");
        _ = new MemberToken(o.SigningKey);
        return o;
    }
}

