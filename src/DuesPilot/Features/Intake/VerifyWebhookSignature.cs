using System.Security.Cryptography;
using System.Text;
using Stripe;

namespace DuesPilot.Features.Intake;

/// <summary>Why a webhook was refused at the door.</summary>
public enum SignatureVerdict
{
    Valid,
    Missing,
    Invalid,
    Stale,
    Malformed,
}

/// <summary>
/// Stripe's <c>Stripe-Signature</c> check, done by Stripe.net's <see cref="EventUtility"/> (never a
/// hand-written HMAC): every configured secret is tried, so a delivery signed during a secret roll
/// verifies with either; API-version differences are tolerated (the worker reads fields defensively).
/// </summary>
public static class VerifyStripeSignature
{
    public static (SignatureVerdict Verdict, string? EventId, string Detail) Run(string body, string? header, IReadOnlyList<string> secrets, int toleranceSeconds, TimeProvider clock)
    {
        if (string.IsNullOrWhiteSpace(header)) return (SignatureVerdict.Missing, null, "no Stripe-Signature header");
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var detail = "signature does not match";
        var verdict = SignatureVerdict.Invalid;
        foreach (var secret in secrets)
        {
            try
            {
                var e = EventUtility.ConstructEvent(body, header, secret, toleranceSeconds, now, throwOnApiVersionMismatch: false);
                return (SignatureVerdict.Valid, e.Id, "ok");
            }
            catch (StripeException ex) when (ex.Message.Contains("timestamp", StringComparison.OrdinalIgnoreCase) && ex.Message.Contains("tolerance", StringComparison.OrdinalIgnoreCase))
            {
                // The timestamp is outside the window whatever the secret: a replay or a skewed clock.
                return (SignatureVerdict.Stale, null, "signature timestamp outside the tolerance");
            }
            catch (StripeException ex) when (ex.Message.Contains("format is unexpected", StringComparison.OrdinalIgnoreCase))
            {
                verdict = SignatureVerdict.Malformed;
                detail = ex.Message;
            }
            catch (StripeException)
            {
                // Signature mismatch for this secret; try the next one.
            }
            catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or System.Text.Json.JsonException or FormatException or InvalidCastException
                                           or InvalidOperationException or ArgumentException or KeyNotFoundException or OverflowException)
            {
                return (SignatureVerdict.Malformed, null, $"signed body is not a Stripe event: {ex.Message}");
            }
        }

        return (verdict, null, detail);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The body as text, or null when it is not valid UTF-8 (Stripe always sends UTF-8 JSON; anything else is refused as malformed).</summary>
    public static string? Decode(byte[] body)
    {
        try
        {
            return StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Builds a <c>Stripe-Signature</c> header the way Stripe signs (for tests, the CLI's self-check and the benchmark).</summary>
    public static string Sign(string body, string secret, long unixSeconds)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}"));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }
}

/// <summary>
/// Authorize.Net's <c>X-ANET-Signature: sha512=HEX</c>: HMAC-SHA512 over the raw body keyed with the
/// Signature Key's ASCII text (not hex-decoded), compared case-insensitively in constant time.
/// </summary>
public static class VerifyAuthorizeNetSignature
{
    public static SignatureVerdict Run(ReadOnlySpan<byte> body, string? header, string signatureKey)
    {
        if (string.IsNullOrWhiteSpace(header)) return SignatureVerdict.Missing;
        var value = header.Trim();
        const string prefix = "sha512=";
        if (!value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return SignatureVerdict.Malformed;
        var hex = value[prefix.Length..];
        if (hex.Length != 128 || !hex.All(Uri.IsHexDigit)) return SignatureVerdict.Malformed;
        var expected = Compute(body, signatureKey);
        var given = Convert.FromHexString(hex);
        return CryptographicOperations.FixedTimeEquals(expected, given) ? SignatureVerdict.Valid : SignatureVerdict.Invalid;
    }

    public static byte[] Compute(ReadOnlySpan<byte> body, string signatureKey) => HMACSHA512.HashData(Encoding.ASCII.GetBytes(signatureKey.Trim()), body);

    public static string Sign(ReadOnlySpan<byte> body, string signatureKey) => "sha512=" + Convert.ToHexString(Compute(body, signatureKey));
}
