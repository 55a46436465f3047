using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DuesPilot.Domain;

namespace DuesPilot.Features.Inquiries;

/// <summary>Why a member token was refused.</summary>
public enum TokenProblem
{
    None,
    Malformed,
    BadSignature,
    Expired,
}

/// <summary>The result of checking a token: the member it speaks for, or the problem.</summary>
public sealed record TokenCheck(MemberId? MemberId, DateTimeOffset? ExpiresAt, TokenProblem Problem)
{
    public bool IsValid => Problem == TokenProblem.None && MemberId is not null;
}

/// <summary>
/// The signed link that lets a member use the billing assistant without a staff login:
/// <c>base64url("v1|memberId|expiryUnixSeconds") + "." + base64url(HMAC-SHA256)</c>, keyed with
/// <c>Inquiries:SigningKey</c>. The member id inside the token is the only identity the assistant
/// trusts; ids written in a question never widen what a member can see.
/// </summary>
public sealed class MemberToken
{
    private static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    private readonly byte[] _key;

    public MemberToken(string signingKey)
    {
        if (string.IsNullOrWhiteSpace(signingKey) || Encoding.UTF8.GetByteCount(signingKey) < 32)
            throw new InvalidOperationException("Inquiries:SigningKey must be at least 32 bytes (e.g. 48 random bytes, base64).");
        _key = Encoding.UTF8.GetBytes(signingKey);
    }

    public string Issue(MemberId member, DateTimeOffset expiresAt)
    {
        if (member.Value.Contains('|', StringComparison.Ordinal)) throw new ArgumentException("Member ids cannot contain '|'.", nameof(member));
        var payload = string.Create(CultureInfo.InvariantCulture, $"v1|{member.Value}|{expiresAt.ToUnixTimeSeconds()}");
        var bytes = Encoding.UTF8.GetBytes(payload);
        return Base64Url(bytes) + "." + Base64Url(HMACSHA256.HashData(_key, bytes));
    }

    public TokenCheck Check(string? token, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 512) return new(null, null, TokenProblem.Malformed);
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == token.Length - 1) return new(null, null, TokenProblem.Malformed);
        byte[] payload, signature;
        try
        {
            payload = FromBase64Url(token[..dot]);
            signature = FromBase64Url(token[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return new(null, null, TokenProblem.Malformed);
        }

        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, payload), signature)) return new(null, null, TokenProblem.BadSignature);
        var parts = Encoding.UTF8.GetString(payload).Split('|');
        if (parts.Length != 3 || parts[0] != "v1" || string.IsNullOrWhiteSpace(parts[1]) || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
            return new(null, null, TokenProblem.Malformed);
        // A signed expiry outside what a date can hold (past year 9999) is refused, never an exception.
        if (unix > MaxUnixSeconds) return new(null, null, TokenProblem.Malformed);
        var expires = DateTimeOffset.FromUnixTimeSeconds(unix);
        if (now >= expires) return new(new MemberId(parts[1]), expires, TokenProblem.Expired);
        return new(new MemberId(parts[1]), expires, TokenProblem.None);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        b += (b.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException("bad base64url length") };
        return Convert.FromBase64String(b);
    }
}
