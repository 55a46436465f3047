using System.Text.RegularExpressions;

namespace DuesPilot.Domain.Matching;

/// <summary>How a number in the remittance text was labelled by the payer.</summary>
public enum ReferenceLabel
{
    /// <summary>"INV 123456", "Inv#123456", "invoice no. 123456".</summary>
    Invoice,

    /// <summary>"Member #12345", "ID 12345", "mbr 12345".</summary>
    Member,

    /// <summary>"#123456": a reference of some kind.</summary>
    Hash,

    /// <summary>A bare number of three or more digits.</summary>
    Bare,
}

/// <summary>A reference token the payer wrote, normalised to upper-case letters and digits.</summary>
public sealed record ReferenceToken(string Value, ReferenceLabel Label);

/// <summary>
/// Everything a payment says about who paid and what for, pulled out once before any lookup.
/// </summary>
/// <param name="PayerTokens">Payer name words, titles and suffixes removed.</param>
/// <param name="PayerMayBeTruncated">The bank cut the name (ACH keeps 22 characters), so its last word may be a prefix.</param>
/// <param name="MemoSegments">Memo words that are neither numbers nor memo filler, cut at commas, semicolons, slashes and "and": one segment per name the payer listed.</param>
public sealed record PaymentEvidence(
    string PayerRaw,
    List<string> PayerTokens,
    bool PayerMayBeTruncated,
    string? Email,
    IReadOnlyList<ReferenceToken> References,
    IReadOnlyList<List<string>> MemoSegments,
    bool MentionsChapter)
{
    /// <summary>NACHA keeps 22 characters of the receiver/originator name.</summary>
    public const int AchNameLength = 22;

    public static readonly Regex InvoiceLabelled = new(@"\b(?:inv(?:oice)?s?)\s*(?:no\.?|nos\.?|number|num|nbr|#|:|-|\.)*\s*([a-z]{0,4}[-]?\d[\w-]*)((?:\s*(?:,|&|and|/|\+)\s*#?\d[\w-]*)*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    public static readonly Regex MemberLabelled = new(@"\b(?:member(?:ship)?|mbr|memb|cust(?:omer)?|acct|account|id)\s*(?:id|no\.?|number|num|nbr|#|:|-|\.)*\s*(\d[\d-]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    public static readonly Regex HashNumber = new(@"#\s*([a-z]{0,4}-?\d[\w-]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    public static readonly Regex AnyNumber = new(@"(?<![\w.$])([a-z]{0,4}-?\d[\w-]*)(?![\w]|\.\d)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    private static readonly Regex Money = new(@"\$?\d{1,3}(?:,\d{3})*\.\d{2}\b|\$\s?\d+", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    private static readonly Regex Date = new(@"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    private static readonly Regex Separators = new(@"[,;/+&:()]|\band\b|\bor\b|\s-\s", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    private static readonly Regex EmailPattern = new(@"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));

    /// <summary>
    /// Reads the payer name, e-mail, memo and (where the channel allows) the reference of a payment.
    /// A check's reference is the check number and an ACH or wire reference is a trace or end-to-end
    /// id: they are never read as invoice numbers, or a check numbered 104522 would pay invoice 104522.
    /// A card gateway's reference is read only when it is labelled as an invoice.
    /// </summary>
    public static PaymentEvidence Extract(Payment payment, NameLexicon lexicon)
    {
        var payerRaw = payment.PayerName?.Trim() ?? "";
        var truncated = payment.Channel == PaymentChannel.Ach && payerRaw.Length >= AchNameLength - 2;
        var payerTokens = lexicon.PersonTokens(payerRaw);

        var memo = payment.Memo ?? "";
        string? email = string.IsNullOrWhiteSpace(payment.PayerEmail) ? null : payment.PayerEmail.Trim().ToLowerInvariant();
        // An e-mail written in the memo identifies as well as the payer e-mail does.
        var memoEmail = EmailPattern.Match(memo);
        if (email is null && memoEmail.Success) email = memoEmail.Value.ToLowerInvariant();
        var memoText = EmailPattern.Replace(memo, " ");
        memoText = Money.Replace(memoText, " ");
        memoText = Date.Replace(memoText, " ");

        var references = new List<ReferenceToken>();
        ReadReferences(memoText, references, allowBare: true);
        if (payment.Channel == PaymentChannel.Card && !string.IsNullOrWhiteSpace(payment.Reference))
            ReadReferences(payment.Reference, references, allowBare: false);

        var memoNames = new List<List<string>>();
        var withoutNumbers = AnyNumber.Replace(memoText, " ");
        foreach (var part in Separators.Split(withoutNumbers))
        {
            var segment = new List<string>();
            foreach (var t in NameText.Tokens(part))
            {
                // Titles lead a name ("Dr Jane Doe"); later they are surnames (Janet Bishop).
                if (lexicon.IsMemoFiller(t) || (segment.Count == 0 && lexicon.IsTitle(t)) || (segment.Count > 0 && lexicon.IsPersonalSuffix(t))) continue;
                if (t.Any(char.IsDigit)) continue;
                segment.Add(t);
            }

            if (segment.Count > 0) memoNames.Add(segment);
        }

        var folded = NameText.Fold(payerRaw + " " + memo);
        var mentionsChapter = folded.Contains("chapter", StringComparison.Ordinal) || folded.Contains("section", StringComparison.Ordinal);
        return new PaymentEvidence(payerRaw, payerTokens, truncated, email, references, memoNames, mentionsChapter);
    }

    private static void ReadReferences(string text, List<ReferenceToken> into, bool allowBare)
    {
        var taken = new List<(int Start, int End)>();
        foreach (Match m in InvoiceLabelled.Matches(text))
        {
            Add(m.Groups[1].Value, ReferenceLabel.Invoice);
            foreach (Match more in Regex.Matches(m.Groups[2].Value, @"\d[\w-]*", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))) Add(more.Value, ReferenceLabel.Invoice);
            taken.Add((m.Index, m.Index + m.Length));
        }

        foreach (Match m in MemberLabelled.Matches(text))
        {
            if (Overlaps(m)) continue;
            Add(m.Groups[1].Value, ReferenceLabel.Member);
            taken.Add((m.Index, m.Index + m.Length));
        }

        foreach (Match m in HashNumber.Matches(text))
        {
            if (Overlaps(m)) continue;
            Add(m.Groups[1].Value, ReferenceLabel.Hash);
            taken.Add((m.Index, m.Index + m.Length));
        }

        if (!allowBare) return;
        foreach (Match m in AnyNumber.Matches(text))
        {
            if (Overlaps(m)) continue;
            var v = m.Groups[1].Value;
            var digits = v.Count(char.IsDigit);
            if (digits < 3) continue;
            // A four-digit year in a memo ("2025 dues") is not a reference.
            if (digits == 4 && v.Length == 4 && (v.StartsWith("19", StringComparison.Ordinal) || v.StartsWith("20", StringComparison.Ordinal))) continue;
            Add(v, ReferenceLabel.Bare);
        }

        bool Overlaps(Match m) => taken.Any(t => m.Index < t.End && m.Index + m.Length > t.Start);

        void Add(string raw, ReferenceLabel label)
        {
            var norm = NormalizeReference(raw);
            if (norm.Length == 0 || !norm.Any(char.IsDigit)) return;
            if (into.Any(r => r.Value == norm)) return;
            into.Add(new ReferenceToken(norm, label));
        }
    }

    /// <summary>Upper-case letters and digits only: "inv-00123" → "INV00123". Ids are compared in this form.</summary>
    public static string NormalizeReference(string raw)
    {
        Span<char> buffer = stackalloc char[Math.Min(raw.Length, 64)];
        var n = 0;
        foreach (var c in raw)
        {
            if (n == buffer.Length) break;
            if (char.IsAsciiLetterOrDigit(c)) buffer[n++] = char.ToUpperInvariant(c);
        }

        return new string(buffer[..n]);
    }
}
