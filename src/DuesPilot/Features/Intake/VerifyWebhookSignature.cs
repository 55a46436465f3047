using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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

/// <summary>A Stripe delivery read once: the verdict, and for a valid one its event id, payload hash and the bytes to store (card numbers masked).</summary>
/// <param name="Stored">The body to store: the bytes received, or a masked copy when they held a card number.</param>
public sealed record StripeDelivery(SignatureVerdict Verdict, string Detail, string? EventId = null, string? PayloadHash = null, byte[]? Stored = null);

/// <summary>
/// Stripe's <c>Stripe-Signature</c> check, done by Stripe.net's <see cref="EventUtility.ValidateSignature(string, string, string, long, long)"/>
/// (never a hand-written HMAC): every configured secret is tried, so a delivery signed during a secret roll
/// verifies with either; API-version differences are tolerated (the worker reads fields defensively).
/// The body is then parsed once (System.Text.Json) for the event id, the payload hash and card-number
/// masking; it is not deserialised into Stripe.net's object model and not re-serialised unless a card
/// number has to be masked.
/// </summary>
public static class VerifyStripeSignature
{
    public static (SignatureVerdict Verdict, string? EventId, string Detail) Run(string body, string? header, IReadOnlyList<string> secrets, int toleranceSeconds, TimeProvider clock)
    {
        var d = Read(Encoding.UTF8.GetBytes(body), body, header, secrets, toleranceSeconds, clock);
        return (d.Verdict, d.EventId, d.Detail);
    }

    /// <summary>Verifies <paramref name="text"/> (the UTF-8 decoding of <paramref name="body"/>) and, when valid, reads the event from <paramref name="body"/> once.</summary>
    public static StripeDelivery Read(byte[] body, string text, string? header, IReadOnlyList<string> secrets, int toleranceSeconds, TimeProvider clock)
    {
        var (verdict, detail) = CheckSignature(text, header, secrets, toleranceSeconds, clock);
        if (verdict != SignatureVerdict.Valid) return new StripeDelivery(verdict, detail);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            return new StripeDelivery(SignatureVerdict.Malformed, $"signed body is not a Stripe event: {ex.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new StripeDelivery(SignatureVerdict.Malformed, "signed body is not a Stripe event: not a JSON object");
            var id = root.TryGetProperty("id", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return new StripeDelivery(SignatureVerdict.Valid, "ok", id, PayloadHash(root), RedactCardNumbers.MaskJson(root, body.Length) ?? body);
        }
    }

    /// <summary>
    /// Stripe may redeliver an event with a different <c>pending_webhooks</c> count, so the payload hash
    /// covers what the event says (id, type, created, data), not the raw bytes.
    /// </summary>
    public static string PayloadHash(JsonElement root)
    {
        var canonical = $"{Raw(root, "id")}|{Raw(root, "type")}|{Raw(root, "created")}|{Raw(root, "data")}";
        return QueueInboxItem.Hash(Encoding.UTF8.GetBytes(canonical));

        static string Raw(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetRawText() : "";
    }

    private static (SignatureVerdict Verdict, string Detail) CheckSignature(string body, string? header, IReadOnlyList<string> secrets, int toleranceSeconds, TimeProvider clock)
    {
        if (string.IsNullOrWhiteSpace(header)) return (SignatureVerdict.Missing, "no Stripe-Signature header");
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var detail = "signature does not match";
        var verdict = SignatureVerdict.Invalid;
        foreach (var secret in secrets)
        {
            try
            {
                EventUtility.ValidateSignature(body, header, secret, toleranceSeconds, now);
                return (SignatureVerdict.Valid, "ok");
            }
            catch (StripeException ex) when (ex.Message.Contains("timestamp", StringComparison.OrdinalIgnoreCase) && ex.Message.Contains("tolerance", StringComparison.OrdinalIgnoreCase))
            {
                // The timestamp is outside the window whatever the secret: a replay or a skewed clock.
                return (SignatureVerdict.Stale, "signature timestamp outside the tolerance");
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
            catch (Exception ex) when (ex is FormatException or InvalidCastException or InvalidOperationException or ArgumentException or KeyNotFoundException or OverflowException)
            {
                return (SignatureVerdict.Malformed, $"signature header is not understood: {ex.Message}");
            }
        }

        return (verdict, detail);
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
