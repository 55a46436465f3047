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
/// <param name="Shaped">Written in an invoice number's own shape (letters and digits joined by ':' or '-', as iMIS writes <c>CASH:10185:20251201-1</c> or <c>Cash-97189</c>): no ZIP code or phone number looks like that.</param>
public sealed record ReferenceToken(string Value, ReferenceLabel Label, bool Shaped = false);

/// <summary>
/// One line of structured remittance: an X12 820 <c>RMR</c> segment (CCD+/CTX addenda), a camt
/// <c>RfrdDocInf/Nb</c> ("Doc:") or <c>CdtrRefInf/Ref</c> ("Ref:") as the bank-file parsers write them into the memo.
/// </summary>
/// <param name="References">The document numbers, normalised; one RMR sometimes lists several, comma separated, with one total.</param>
/// <param name="Amount">The amount paid against them, when the remittance states it.</param>
public sealed record RemittanceLine(IReadOnlyList<string> References, decimal? Amount);

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
    /// <summary>Structured remittance lines found in the memo (X12 RMR segments, camt documents).</summary>
    public IReadOnlyList<RemittanceLine> Remittance { get; init; } = [];

    /// <summary>The memo says the payment covers a family ("family dues", "both of us", "x2"); the number is how many, when stated.</summary>
    public int? FamilyCount { get; init; }

    public bool MentionsFamily { get; init; }

    /// <summary>
    /// Guard against pathological input, not a latency bound: on a loaded machine a matching thread can
    /// wait seconds for a core in the middle of a match, and a one-second limit then fails healthy input.
    /// </summary>
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(15);

    /// <summary>NACHA keeps 22 characters of the receiver/originator name.</summary>
    public const int AchNameLength = 22;

    /// <summary>NACHA keeps 16 characters of the company name in the batch header.</summary>
    public const int CompanyNameLength = 16;

    public static readonly Regex InvoiceLabelled = new(@"\b(?:inv(?:oice)?s?)\s*(?:no\.?|nos\.?|number|num|nbr|#|:|-|\.)*\s*([a-z]{0,6}[:-]?\d[\w:-]*)((?:\s*(?:,|&|and|/|\+)\s*#?(?:[a-z]{0,6}[:-]?)\d[\w:-]*)*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    public static readonly Regex MemberLabelled = new(@"\b(?:member(?:ship)?|mbr|memb|cust(?:omer)?|acct|account|id)\s*(?:id|no\.?|number|num|nbr|#|:|-|\.)*\s*(\d[\d-]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    public static readonly Regex HashNumber = new(@"#\s*([a-z]{0,6}[:-]?\d[\w:-]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    public static readonly Regex AnyNumber = new(@"(?<![\w.$])([a-z]{0,6}[:-]?\d[\w:-]*)(?![\w]|\.\d)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex Money = new(@"\$?\d{1,3}(?:,\d{3})*\.\d{2}\b|\$\s?\d+", RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex Date = new(@"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b", RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex Separators = new(@"[,;/+&:()]|\band\b|\bor\b|\s-\s", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex ZipCode = new(@"\b(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[TA]|W[AVIY])\.?,?\s+\d{5}(?:-\d{4})?\b|\b(?i:zip(?:\s*code)?)\s*:?\s*\d{5}(?:-\d{4})?\b", RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex IdShape = new(@"^[a-z]{2,6}[:-]\d{3,}(?:[:-]\d+)*$|^\d{3,}(?::\d+)+(?:-\d+)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex WordThenNumber = new(@"^[a-z]{2,6}:(\d{3,})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex SpacedImisId = new(@"\b([a-z]{2,6})[\s:]+(\d{3,})[\s:]+(\d{6,8}-\d{1,3})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex RmrSegment = new(@"RMR\*([A-Z0-9]{1,3})\*([^*\\~]*)(?:\*([^*\\~]*)(?:\*([0-9]+(?:\.[0-9]{1,2})?))?)?", RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex CamtDocument = new(@"\b(?:Doc|Ref|RfrdDocNb|CdtrRef)\s*:\s*([^\s|;,]+)(?:\s+(?:Amt\s*:?\s*)?(\d+\.\d{2})\b)?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly Regex FamilyWords = new(@"\b(?:family|household|both\s+of\s+us|for\s+us|for\s+both|spouse|wife|husband|partner|x\s?(\d)|(\d)\s?x|(two|three|four)\s+(?:members|memberships))\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
    private static readonly string[] Processors = ["PAYPAL", "SQ", "SQUARE", "SQU", "VENMO", "ZELLE", "BILL.COM", "BILLCOM", "STRIPE", "INTUIT", "CASH APP", "CASHAPP", "GOOGLE PAY", "APPLE PAY", "MELIO", "PAYONEER", "AUTHNET"];
    private static readonly Regex EmailPattern = new(@"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);

    /// <summary>
    /// Reads the payer name, e-mail, memo and (where the channel allows) the reference of a payment.
    /// A check's reference is the check number and an ACH or wire reference is a trace or end-to-end
    /// id: they are never read as invoice numbers, or a check numbered 104522 would pay invoice 104522.
    /// A card gateway's reference is read only when it is labelled as an invoice.
    /// </summary>
    public static PaymentEvidence Extract(Payment payment, NameLexicon lexicon)
    {
        var payerRaw = WithoutProcessor(payment.PayerName?.Trim() ?? "");
        // NACHA cuts an individual's name at 22 characters and a company's (batch header) at 16.
        var truncated = payment.Channel == PaymentChannel.Ach && (payerRaw.Length >= AchNameLength - 2 || payerRaw.Length == CompanyNameLength);
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
        var remittance = ReadRemittance(memo, references);
        // "CASH 10185 20251201-1": an iMIS invoice number copied with spaces for colons.
        foreach (Match m in SpacedImisId.Matches(memoText))
        {
            var joined = NormalizeReference(m.Groups[1].Value + m.Groups[2].Value + m.Groups[3].Value);
            if (!references.Any(r => r.Value == joined)) references.Add(new ReferenceToken(joined, ReferenceLabel.Invoice, Shaped: true));
        }

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
        var family = FamilyWords.Match(memo);
        int? familyCount = null;
        if (family.Success)
        {
            var n = family.Groups[1].Success ? family.Groups[1].Value : family.Groups[2].Success ? family.Groups[2].Value : family.Groups[3].Value;
            familyCount = n switch { "two" => 2, "three" => 3, "four" => 4, _ => int.TryParse(n, System.Globalization.CultureInfo.InvariantCulture, out var k) ? k : null };
        }

        return new PaymentEvidence(payerRaw, payerTokens, truncated, email, references, memoNames, mentionsChapter)
        {
            Remittance = remittance,
            MentionsFamily = family.Success,
            FamilyCount = familyCount,
        };
    }

    /// <summary>
    /// "PAYPAL *JSMITH", "SQ *JANE DOE", "BILL.COM": the processor's descriptor is not the payer. What
    /// follows the star is kept when it still reads as a name (two words or more); otherwise nothing is.
    /// </summary>
    public static string WithoutProcessor(string payer)
    {
        var upper = payer.ToUpperInvariant();
        foreach (var p in Processors)
        {
            if (!upper.StartsWith(p, StringComparison.Ordinal) || (upper.Length > p.Length && char.IsLetterOrDigit(upper[p.Length]))) continue;
            var star = payer.IndexOf('*', StringComparison.Ordinal);
            var rest = star >= 0 ? payer[(star + 1)..].Trim() : "";
            if (rest.Length == 0 && upper.StartsWith("ZELLE FROM ", StringComparison.Ordinal)) rest = payer[11..].Trim();
            return rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 2 ? rest : "";
        }

        return payer;
    }

    /// <summary>X12 RMR segments and camt document numbers in the memo; their references are added as invoice references.</summary>
    private static List<RemittanceLine> ReadRemittance(string memo, List<ReferenceToken> references)
    {
        var lines = new List<RemittanceLine>();
        foreach (Match m in RmrSegment.Matches(memo))
        {
            var qualifier = m.Groups[1].Value;
            // IV invoice, OI original invoice, IK incoming invoice, PO/ R7 and others: any document number is worth looking up.
            var refs = m.Groups[2].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(NormalizeReference).Where(r => r.Length > 0).ToList();
            if (refs.Count == 0) continue;
            decimal? amount = m.Groups[4].Success && decimal.TryParse(m.Groups[4].Value, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var a) ? a : null;
            lines.Add(new RemittanceLine(refs, amount));
            foreach (var r in refs)
                if (!references.Any(x => x.Value == r)) references.Add(new ReferenceToken(r, qualifier is "IV" or "OI" or "IK" or "CR" ? ReferenceLabel.Invoice : ReferenceLabel.Hash, Shaped: true));
        }

        foreach (Match m in CamtDocument.Matches(memo))
        {
            var r = NormalizeReference(m.Groups[1].Value);
            if (r.Length == 0 || !r.Any(char.IsDigit)) continue;
            decimal? amount = m.Groups[2].Success ? decimal.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
            lines.Add(new RemittanceLine([r], amount));
            if (!references.Any(x => x.Value == r)) references.Add(new ReferenceToken(r, ReferenceLabel.Invoice, Shaped: true));
        }

        return lines;
    }

    private static void ReadReferences(string text, List<ReferenceToken> into, bool allowBare)
    {
        var taken = new List<(int Start, int End)>();
        foreach (Match m in InvoiceLabelled.Matches(text))
        {
            Add(m.Groups[1].Value, ReferenceLabel.Invoice);
            foreach (Match more in Regex.Matches(m.Groups[2].Value, @"(?<![\w:-])[a-z]{0,6}[:-]?\d[\w:-]*", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, MatchTimeout)) Add(more.Value, ReferenceLabel.Invoice);
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
        // "Springfield IL 62704", "zip 62704": a postal code, not a reference.
        foreach (Match m in ZipCode.Matches(text)) taken.Add((m.Index, m.Index + m.Length));
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
            raw = raw.TrimEnd(':', '-');
            var norm = NormalizeReference(raw);
            if (norm.Length == 0 || !norm.Any(char.IsDigit)) return;
            var shaped = IdShape.IsMatch(raw);
            if (!into.Any(r => r.Value == norm)) into.Add(new ReferenceToken(norm, label, shaped));
            // "dues:928401" or "ID-928401": the number after a word is a reference of its own too.
            var word = WordThenNumber.Match(raw);
            if (word.Success && !into.Any(r => r.Value == word.Groups[1].Value)) into.Add(new ReferenceToken(word.Groups[1].Value, label == ReferenceLabel.Invoice ? label : ReferenceLabel.Bare));
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
