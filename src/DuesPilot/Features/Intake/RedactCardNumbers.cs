using System.Text;
using System.Text.RegularExpressions;

namespace DuesPilot.Features.Intake;

/// <summary>
/// Masks payment card numbers before anything is stored: a run of 13–19 digits (single spaces or dashes
/// allowed between them) that passes the Luhn check keeps its last four digits and loses the rest to
/// <c>*</c>. Payment processors never send card numbers, but payers type them into descriptions and
/// memos; DuesPilot must never hold one (PCI DSS). The length of the text is unchanged. A long
/// reference that happens to pass the Luhn check (one in ten) is masked too when it stands alone in a
/// webhook body: the price of never storing a card number. Bank-file references are not touched.
/// </summary>
public static partial class RedactCardNumbers
{
    // Standing alone: digits inside an identifier (ch_…, a hash) are not a card number a person typed.
    [GeneratedRegex(@"(?<![0-9A-Za-z_])[0-9](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z_])", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CardLike();

    public static string Run(string text) => CardLike().Replace(text, m =>
    {
        var digits = m.Value.Where(char.IsAsciiDigit).ToArray();
        if (digits.Length is < 13 or > 19 || !Luhn(digits)) return m.Value;
        var keep = digits.Length - 4;
        var seen = 0;
        var masked = new StringBuilder(m.Value.Length);
        foreach (var ch in m.Value)
        {
            if (!char.IsAsciiDigit(ch))
            {
                masked.Append(ch);
                continue;
            }

            masked.Append(seen++ < keep ? '*' : ch);
        }

        return masked.ToString();
    });

    /// <summary>The body with card numbers masked, or the same array when there was nothing to mask (or it is not UTF-8 text).</summary>
    public static byte[] Run(byte[] body)
    {
        if (VerifyStripeSignature.Decode(body) is not { } text) return body;
        var redacted = Run(text);
        return ReferenceEquals(redacted, text) || redacted == text ? body : Encoding.UTF8.GetBytes(redacted);
    }

    public static bool Luhn(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9) d -= 9;
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }
}
