using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DuesPilot.Features.Intake;

namespace DuesPilot.Ai;

/// <summary>What kind of sensitive value a mask token stands for.</summary>
public enum MaskKind
{
    Email,
    Card,
    Routing,
    Account,
    Phone,
    Address,
    Member,
}

/// <summary>Which values to mask beyond the always-masked ones (cards, bank numbers, e-mails, phones, addresses).</summary>
/// <param name="MaskMemberIds">Mask member ids: the known ones and any number written as "member 12345" / "customer #12345".</param>
/// <param name="KnownMemberIds">Ids of members in the store, masked wherever they appear as a whole word.</param>
public sealed record MaskingRules(bool MaskMemberIds, IReadOnlyCollection<string> KnownMemberIds)
{
    public static MaskingRules Default { get; } = new(true, []);
}

/// <summary>
/// Replaces sensitive values with stable tokens (<c>[CARD_1]</c>, <c>[EMAIL_2]</c>) before text leaves the
/// process, and puts them back in the model's answer. One session spans one model exchange, so the same
/// value gets the same token everywhere in the prompt and the model can refer to it.
/// </summary>
/// <remarks>
/// Order matters: e-mails first (they contain digits and dots), then card numbers (Luhn-checked, so an
/// invoice number of 16 digits is not mistaken for a card), labelled bank numbers, phones, ABA routing
/// numbers (checksum), long unlabelled digit runs (treated as account numbers: a dues memo has no other
/// reason to carry 10-17 digits), street addresses and finally member ids.
/// </remarks>
public sealed partial class MaskingSession(MaskingRules rules)
{
    private readonly Dictionary<string, string> _tokenByValue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _valueByToken = new(StringComparer.Ordinal);
    private readonly Dictionary<MaskKind, int> _counters = [];

    public MaskingSession() : this(MaskingRules.Default)
    {
    }

    /// <summary>Every original value this session has replaced (for leak checks).</summary>
    public IReadOnlyCollection<string> MaskedValues => _tokenByValue.Keys;

    /// <summary>Tokens handed out so far, by kind.</summary>
    public int Count(MaskKind kind) => _counters.GetValueOrDefault(kind);

    public string Mask(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var s = EmailPattern().Replace(text, m => Token(MaskKind.Email, m.Value));
        s = ReplaceCards(s);
        s = LabelledRouting().Replace(s, m => Keep(m, "num", MaskKind.Routing));
        s = LabelledAccount().Replace(s, m => Keep(m, "num", MaskKind.Account));
        s = PhonePattern().Replace(s, m => Token(MaskKind.Phone, m.Value));
        s = NineDigits().Replace(s, m => AbaChecksum(m.Value) ? Token(MaskKind.Routing, m.Value) : m.Value);
        s = LongDigits().Replace(s, m => Token(MaskKind.Account, m.Value));
        s = StreetAddress().Replace(s, m => Token(MaskKind.Address, m.Value));
        s = PoBox().Replace(s, m => Token(MaskKind.Address, m.Value));
        if (rules.MaskMemberIds)
        {
            s = LabelledMember().Replace(s, m => Keep(m, "num", MaskKind.Member));
            foreach (var id in rules.KnownMemberIds.Where(i => i.Length >= 3).OrderByDescending(i => i.Length))
            {
                s = Regex.Replace(s, $@"(?<![\w$.,-]){Regex.Escape(id)}(?![\w-]|[.,]\d)", m => Token(MaskKind.Member, m.Value), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
        }

        return s;
    }

    /// <summary>Puts the original values back wherever the model repeated a token.</summary>
    public string Restore(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        return TokenPattern().Replace(text, m => _valueByToken.TryGetValue(m.Value, out var v) ? v : m.Value);
    }

    /// <summary>The original value of a token, if this session issued it.</summary>
    public string? ValueOf(string token) => _valueByToken.GetValueOrDefault(token.Trim());

    private string Keep(Match m, string group, MaskKind kind)
    {
        var g = m.Groups[group];
        return string.Concat(m.Value.AsSpan(0, g.Index - m.Index), Token(kind, g.Value), m.Value.AsSpan(g.Index - m.Index + g.Length));
    }

    private string Token(MaskKind kind, string value)
    {
        if (_tokenByValue.TryGetValue(value, out var existing)) return existing;
        var n = _counters.GetValueOrDefault(kind) + 1;
        _counters[kind] = n;
        var token = string.Create(CultureInfo.InvariantCulture, $"[{kind.ToString().ToUpperInvariant()}_{n}]");
        _tokenByValue[value] = token;
        _valueByToken[token] = value;
        return token;
    }

    /// <summary>Card numbers are found by intake's masker (<see cref="RedactCardNumbers"/>): one definition of a card number for storage and for the model.</summary>
    private string ReplaceCards(string s)
    {
        var spans = RedactCardNumbers.Find(s);
        if (spans.Count == 0) return s;
        var sb = new StringBuilder(s.Length);
        var at = 0;
        foreach (var (start, length) in spans)
        {
            sb.Append(s, at, start - at).Append(Token(MaskKind.Card, s.Substring(start, length)));
            at = start + length;
        }

        return sb.Append(s, at, s.Length - at).ToString();
    }

    /// <summary>The ABA routing-number checksum: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10).</summary>
    public static bool AbaChecksum(string nine)
    {
        if (nine.Length != 9 || !nine.All(char.IsAsciiDigit)) return false;
        int D(int i) => nine[i] - '0';
        var sum = (3 * (D(0) + D(3) + D(6))) + (7 * (D(1) + D(4) + D(7))) + D(2) + D(5) + D(8);
        return sum % 10 == 0 && nine != "000000000";
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"(?i)\b(?:routing|rtn|aba|transit)(?:\s*(?:no\.?|number|num|#))?\s*[:#]?\s*(?<num>\d{9})(?!\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex LabelledRouting();

    [GeneratedRegex(@"(?i)\b(?:acct|account|a/c|acc|chk acct|checking|savings)\.?(?:\s*(?:no\.?|number|num|#))?\s*[:#]?\s*(?<num>\d(?:[ -]?\d){3,16})(?![\d])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex LabelledAccount();

    [GeneratedRegex(@"(?<![\w\d])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"(?<![\d.$-])\d{9}(?![\d]|\.\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex NineDigits();

    [GeneratedRegex(@"(?<![\d.$-])\d{10,17}(?![\d]|\.\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex LongDigits();

    [GeneratedRegex(@"\b\d{1,6}(?:-\d{1,4})?\s+(?:[NSEW]\.?\s+|North\s+|South\s+|East\s+|West\s+)?(?:(?:[A-Z][A-Za-z'-]+|\d{1,3}(?:st|nd|rd|th))\.?\s+){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl)\b\.?(?:,?\s*(?:Apt|Suite|Ste|Unit|Fl|Floor|#)\.?\s*#?\w+)?", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex StreetAddress();

    [GeneratedRegex(@"(?i)\bP\.?\s?O\.?\s+Box\s+\d+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PoBox();

    [GeneratedRegex(@"(?i)\b(?:member|mbr|customer)(?:\s*(?:id|no\.?|number|#))?\s*[:#]?\s*(?<num>\d{3,10})(?![\d]|\.\d)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex LabelledMember();

    [GeneratedRegex(@"\[(?:EMAIL|CARD|ROUTING|ACCOUNT|PHONE|ADDRESS|MEMBER)_\d+\]", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex TokenPattern();
}
