using System.Globalization;
using System.Text.RegularExpressions;
using DuesPilot.Domain;

namespace DuesPilot.Features.Inquiries;

/// <summary>What a member is asking about. The common intents have templates; the rest fall back to the policies or to staff.</summary>
public enum InquiryIntent
{
    /// <summary>"What does my March charge cover?"</summary>
    Coverage,
    /// <summary>"Why was I charged $296.25?"</summary>
    ChargeReason,
    /// <summary>"Can I split my invoice?"</summary>
    Split,
    /// <summary>"Did you get my check?"</summary>
    PaymentStatus,
    /// <summary>"How much do I owe?"</summary>
    Balance,
    /// <summary>"When is my dues payment due?"</summary>
    DueDate,
    /// <summary>"When does my membership expire?"</summary>
    PaidThrough,
    /// <summary>"Can I cancel and get a refund?"</summary>
    Cancellation,
    /// <summary>"Do I have a credit on my account?"</summary>
    Credit,
    /// <summary>"I was charged twice" / "I should be billed the student rate": the discrepancy workflow.</summary>
    Dispute,
    /// <summary>"Show me my invoices."</summary>
    Invoices,
    /// <summary>A general billing-policy question answered from the retrieved policy paragraphs.</summary>
    Policy,
    /// <summary>Nothing matched well enough: staff answer.</summary>
    Unknown,
    /// <summary>"I paid twice" / "two charges": look for duplicate or overlapping payments and invoices.</summary>
    PaidTwice,
    /// <summary>"I cancelled" / "please cancel": a cancellation is never confirmed by mail; staff act.</summary>
    Cancelled,
    /// <summary>"Wrong tier", "I retired", "I'm a student": compare the record, the invoice and the claim.</summary>
    TierCheck,
    /// <summary>"My employer pays": what the employer's payments did, or that the invoice is still open.</summary>
    EmployerPays,
    /// <summary>"Receipt for my taxes": the payments received for a year.</summary>
    Receipt,
    /// <summary>"Update my card": never by mail; the member portal.</summary>
    UpdateCard,
    /// <summary>"Why is my membership lapsed when I paid?"</summary>
    LapsedButPaid,
    /// <summary>"Where do I send a check?": the payment methods and lockbox from the policy.</summary>
    HowToPay,
    /// <summary>"How much is the student rate?": the dues rates from the policy.</summary>
    Rates,
    /// <summary>A request only a person may grant or a topic outside billing (address change, waiver, hardship, tax advice, another language, an auto-reply).</summary>
    NeedsStaff,
}

/// <summary>What a question mentions: amounts, a month, a payment channel, invoice ids, and whether it points at someone else.</summary>
/// <param name="ClaimedTier">The tier the member says they are ("I'm a student" → STU), if any.</param>
public sealed record QuestionClues(IReadOnlyList<Money> Amounts, int? Month, PaymentChannel? Channel, IReadOnlyList<string> Numbers, bool MentionsSomeoneElse, string? ClaimedTier = null);

/// <summary>Deterministic intent rules: ordered patterns, first match wins. Disputes come first so "why was I charged twice" is a dispute, not an explanation.</summary>
public static partial class InquiryIntents
{
    private static readonly (InquiryIntent Intent, Regex Pattern)[] Rules =
    [
        (InquiryIntent.Dispute, Dispute()),
        (InquiryIntent.Split, Split()),
        (InquiryIntent.PaymentStatus, PaymentStatus()),
        (InquiryIntent.Cancellation, Cancellation()),
        (InquiryIntent.Credit, Credit()),
        (InquiryIntent.ChargeReason, ChargeReason()),
        (InquiryIntent.Coverage, Coverage()),
        (InquiryIntent.DueDate, DueDate()),
        (InquiryIntent.Balance, Balance()),
        (InquiryIntent.PaidThrough, PaidThrough()),
        (InquiryIntent.Invoices, Invoices()),
    ];

    private static readonly string[] Months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    /// <summary>Checked before <see cref="Rules"/>; a message can carry several of them, and several questions.</summary>
    private static readonly (InquiryIntent Intent, Regex Pattern)[] MemberRules =
    [
        (InquiryIntent.NeedsStaff, NeedsStaffPattern()),
        (InquiryIntent.PaidTwice, PaidTwicePattern()),
        (InquiryIntent.Cancelled, CancelledPattern()),
        (InquiryIntent.TierCheck, TierCheckPattern()),
        (InquiryIntent.UpdateCard, UpdateCardPattern()),
        (InquiryIntent.Receipt, ReceiptPattern()),
        (InquiryIntent.EmployerPays, EmployerPattern()),
        (InquiryIntent.HowToPay, HowToPayPattern()),
        (InquiryIntent.Rates, RatesPattern()),
    ];

    /// <summary>Intents one answer makes redundant: the first answers what the others would.</summary>
    private static readonly (InquiryIntent Keep, InquiryIntent[] Drop)[] Covers =
    [
        (InquiryIntent.PaidTwice, [InquiryIntent.Dispute, InquiryIntent.Credit, InquiryIntent.PaymentStatus, InquiryIntent.ChargeReason, InquiryIntent.Coverage, InquiryIntent.Cancellation]),
        (InquiryIntent.LapsedButPaid, [InquiryIntent.PaidThrough, InquiryIntent.PaymentStatus, InquiryIntent.Dispute]),
        (InquiryIntent.TierCheck, [InquiryIntent.Dispute, InquiryIntent.ChargeReason]),
        (InquiryIntent.Cancelled, [InquiryIntent.Cancellation]),
        (InquiryIntent.Receipt, [InquiryIntent.PaymentStatus, InquiryIntent.Coverage]),
        (InquiryIntent.EmployerPays, [InquiryIntent.PaymentStatus]),
        (InquiryIntent.UpdateCard, [InquiryIntent.PaymentStatus]),
        (InquiryIntent.ChargeReason, [InquiryIntent.Coverage]),
    ];

    /// <summary>The first intent of <see cref="ClassifyAll"/>, or <see cref="InquiryIntent.Unknown"/>.</summary>
    public static InquiryIntent Classify(string question) => ClassifyAll(question) is [var first, ..] ? first : InquiryIntent.Unknown;

    /// <summary>
    /// Every intent the message carries (at most three), in rule order. Member-language rules come first;
    /// an intent another one answers is dropped; the invoice list only when nothing else matched. A
    /// message with no English in it is <see cref="InquiryIntent.NeedsStaff"/>: a guess in a language the
    /// rules do not read would be a confident wrong answer.
    /// </summary>
    public static IReadOnlyList<InquiryIntent> ClassifyAll(string question)
    {
        var text = Normalize(question);
        if (!LooksEnglish(text)) return [InquiryIntent.Unknown];
        var found = new List<InquiryIntent>();
        foreach (var (intent, pattern) in MemberRules)
            if (pattern.IsMatch(text)) found.Add(intent);
        if (LapsedPattern().IsMatch(text) && PaidClaimPattern().IsMatch(text)) found.Add(InquiryIntent.LapsedButPaid);
        foreach (var (intent, pattern) in Rules)
            if (pattern.IsMatch(text)) found.Add(intent);
        foreach (var (keep, drop) in Covers)
            if (found.Contains(keep)) found.RemoveAll(drop.Contains);
        if (found.Count > 1) found.Remove(InquiryIntent.Invoices);
        return found.Distinct().Take(3).ToList();
    }

    /// <summary>Common misspellings members write, mapped word for word before the rules read the message.</summary>
    private static readonly Dictionary<string, string> Typos = new(StringComparer.OrdinalIgnoreCase)
    {
        ["wen"] = "when", ["deu"] = "due", ["ow"] = "owe", ["mutch"] = "much", ["payed"] = "paid", ["reciept"] = "receipt", ["reciepts"] = "receipts",
        ["recipt"] = "receipt", ["recieve"] = "receive", ["recieved"] = "received", ["u"] = "you", ["ur"] = "your", ["pls"] = "please", ["plz"] = "please",
        ["memebership"] = "membership", ["membeship"] = "membership", ["invocie"] = "invoice", ["invoive"] = "invoice", ["blance"] = "balance", ["ballance"] = "balance",
        ["twise"] = "twice", ["cancelation"] = "cancellation", ["canceled"] = "cancelled", ["instalments"] = "installments", ["instalment"] = "installment",
    };

    private static readonly HashSet<string> EnglishWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "i", "me", "my", "we", "our", "you", "your", "the", "a", "an", "is", "are", "was", "were", "do", "did", "does", "have", "has", "how", "what", "when", "why",
        "where", "who", "can", "could", "much", "owe", "pay", "paid", "to", "for", "of", "and", "in", "on", "it", "please", "thanks", "thank", "invoice", "dues",
        "membership", "check", "card", "bill", "receipt", "charged", "twice", "this", "that", "not", "no", "yes", "will", "would", "be", "am", "with", "from",
        "at", "as", "if", "or", "but", "so", "there", "here", "about", "all", "any", "by", "get", "got", "just", "like", "one", "only", "out", "up", "which", "hi", "hello",
    };

    /// <summary>The message with misspellings mapped and whitespace collapsed.</summary>
    public static string Normalize(string question) =>
        WordPattern().Replace(WhitespacePattern().Replace(question, " ").Trim(), m => Typos.TryGetValue(m.Value, out var right) ? right : m.Value);

    /// <summary>False when a message of three or more words has no common English word in it.</summary>
    public static bool LooksEnglish(string text)
    {
        var words = WordPattern().Matches(text).Select(m => m.Value).Where(w => w.Any(char.IsLetter)).ToList();
        return words.Count < 3 || words.Any(EnglishWords.Contains);
    }

    /// <summary>The year a question is about: a year written out, "this year", or "last year".</summary>
    public static int? Year(string question, DateOnly today)
    {
        var m = YearPattern().Match(question);
        if (m.Success) return int.Parse(m.Value, CultureInfo.InvariantCulture);
        if (ThisYearPattern().IsMatch(question)) return today.Year;
        if (LastYearPattern().IsMatch(question)) return today.Year - 1;
        return null;
    }

    /// <summary>True when the member asks for something only a person may do: bill the employer instead of the member.</summary>
    public static bool AsksToBillSomeoneElse(string question) => BillToPattern().IsMatch(question);

    /// <summary>True when the member says the payment happened recently ("last week", "yesterday").</summary>
    public static bool SaysRecently(string question) => RecentlyPattern().IsMatch(question);

    /// <summary>The clues in a member's question; amounts are read in <paramref name="currency"/> (the association's).</summary>
    public static QuestionClues Read(string question, Currency currency)
    {
        question = Normalize(question);
        var amounts = AmountPattern().Matches(question)
            .Select(m => Money.TryParse(m.Groups["n"].Value.Replace(",", "", StringComparison.Ordinal), currency, out var money) ? money : (Money?)null)
            .Where(m => m is not null).Select(m => m!.Value).ToList();
        int? month = null;
        foreach (Match m in MonthPattern().Matches(question))
        {
            var word = m.Value.ToLowerInvariant();
            if (word == "may" && !MayIsMonth().IsMatch(question)) continue;
            month = Array.FindIndex(Months, x => x.StartsWith(word[..3], StringComparison.Ordinal)) + 1;
            break;
        }

        PaymentChannel? channel = ChannelCheck().IsMatch(question) ? PaymentChannel.Check
            : ChannelCard().IsMatch(question) ? PaymentChannel.Card
            : ChannelAch().IsMatch(question) ? PaymentChannel.Ach
            : ChannelWire().IsMatch(question) ? PaymentChannel.Wire : null;
        var numbers = WordNumbers().Matches(question).Select(m => m.Value).ToList();
        var claim = ClaimedTierPattern().Match(question);
        string? claimed = !claim.Success ? null : claim.Groups[1].Value.ToLowerInvariant() switch
        {
            "student" => "STU",
            "retired" or "retiree" => "RET",
            "corporate" => "CORP",
            "regular" => "REG",
            _ => "ECP",
        };
        return new QuestionClues(amounts, month, channel, numbers, SomeoneElse().IsMatch(question), claimed);
    }

    public static string Code(InquiryIntent intent) => intent.ToString().ToLowerInvariant();

    public static string MonthName(int month) => CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(month);

    [GeneratedRegex(@"(?i)\b((paid|charged|billed)( \$?[\d.,]+)? twice|double[- ]?(charged|billed|charge)|billed twice|duplicate|twice for|overcharg|over-charg|wrong (rate|tier|amount|price|category)|(is|was|looks|seems) (wrong|incorrect|a mistake|too high)|mistake|error|incorrect|dispute|should (only )?(be|have been|pay|cost)|not (right|correct)|too much|i('m| am) (a )?(student|retired|early[- ]career)|i (already|just) paid)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Dispute();

    [GeneratedRegex(@"(?i)\b(split|installments?|instalments?|payment plan|pay (it )?in (parts|two|three|four|pieces|\d+ (parts|payments|installments|pieces))|spread (the|my|it)|monthly payments|quarterly payments)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Split();

    [GeneratedRegex(@"(?i)\b(did you (get|receive)|have you (got|gotten|received)|(was|is|has) my (check|cheque|payment|transfer|wire|ach)|(get|got|receive[d]?) my (check|cheque|payment|transfer|wire)|(check|cheque|payment|transfer) (arrive|go through|clear|post)|status of my (check|payment)|my (check|cheque)\b)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PaymentStatus();

    [GeneratedRegex(@"(?i)\b(cancel|cancell?ation|refund|quit (my|the) membership|end my membership)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Cancellation();

    [GeneratedRegex(@"(?i)\b(credit on (my )?account|account credit|do i have (a |any )?credit|overpa(id|y|yment)|left ?over|unapplied)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Credit();

    [GeneratedRegex(@"(?i)\b(why (was|am|is|were|did|do) .*(charg|bill|invoice|amount|pay|cost)|how (was|is|did you) .*(calculat|comput|figur|arriv)|why .*\$\s?\d|where does .*\$\s?\d|explain .*(charge|amount|invoice|\$))", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ChargeReason();

    [GeneratedRegex(@"(?i)\b(what (does|did|do) .*(cover|include|pay for)|what('s| is| are) (the|this|that|these) [^.?!]{0,20}(\$\s?\d|\bline\b|\bitem\b)|what (is|was|'s) (the |my |this )?.*(charge|invoice|bill) for|what am i paying for|what('s| is) included|break ?down|what are the (lines|items))", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Coverage();

    [GeneratedRegex(@"(?i)\b(when (is|are|was|do|must|should) .*(due|pay)|due date|deadline|pay by when|last day to pay)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex DueDate();

    [GeneratedRegex(@"(?i)\b(how much (do|does) (i|we) owe|what do (i|we) owe|balance|outstanding|amount due|unpaid|still owe|anything (left )?to pay|open invoices?)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Balance();

    [GeneratedRegex(@"(?i)\b(paid[- ]through|paid[- ]up|expire|expiry|expiration|valid until|good (through|until)|lapse|when (do|does|should) .*renew|membership (end|run))", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PaidThrough();

    [GeneratedRegex(@"(?i)\b(invoices|my invoice|statement|my bills?|billing history|list .*charges|(my|our)\b[^.?!]{0,30}\binvoice\b)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Invoices();

    [GeneratedRegex(@"\$\s?(?<n>\d{1,3}(?:,\d{3})*(?:\.\d{2})?|\d+(?:\.\d{2})?)(?!\d)|(?<![\w.$])(?<n>\d{1,3}(?:,\d{3})*\.\d{2}|\d+\.\d{2})(?![\d])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex AmountPattern();

    [GeneratedRegex(@"(?i)\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex MonthPattern();

    [GeneratedRegex(@"(?i)\b(in|my|the|of|since|on|last|this) may\b|\bmay \d", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex MayIsMonth();

    [GeneratedRegex(@"(?i)\b(checks?|cheques?|mailed)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ChannelCheck();

    [GeneratedRegex(@"(?i)\b(cards?|credit card|debit card|visa|mastercard|amex)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ChannelCard();

    [GeneratedRegex(@"(?i)\b(ach|bank transfer|direct debit)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ChannelAch();

    [GeneratedRegex(@"(?i)\b(?:i(?:'m| am)|as an?|i'm now|i am now|i became an?|now an?|i (?:just |recently )?|should be (?:on |at )?(?:the )?)\s*(?:a |an )?(student|retired|retiree|corporate|regular|early[- ]career)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ClaimedTierPattern();

    [GeneratedRegex(@"(?i)\bwire\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ChannelWire();

    [GeneratedRegex(@"[A-Za-z0-9][A-Za-z0-9:_/-]*\d[A-Za-z0-9:_/-]*", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex WordNumbers();

    [GeneratedRegex(@"(?i)\b(member\s*(#|no\.?|number|id)?\s*\d+|colleague|co-?worker|my (friend|boss)\b|someone else|another member|other members?|(his|her|their) (invoice|account|payment|dues|bill)|\w+'s (invoices?|account|payments?|dues|bills?)|all members|every member)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex SomeoneElse();

    // ---- member-language rules (issue 19), written after the evaluation set in tests/golden/inquiries --------------

    [GeneratedRegex(@"(?i)\b((change|update|correct) (my|our) (mailing |postal |home |e-?mail )?address|address change|conference|register for|waive|late fee|hardship|discount|euros?\b|currenc|\bVAT\b|treasurer|passed away|\bdied\b|deceased|add (my|our) (daughter|son|wife|husband|spouse|partner|child)|deductible|tax advice|mark\b[^.?!]{0,40}\bas paid|remove\b[^.?!]{0,40}\b(from|off) (my|the|our) (invoice|bill)|out of (the )?office|automatic reply|auto-?reply|employees|close (her|his|their) account|lawyer|attorney|chargeback|collections agency)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex NeedsStaffPattern();

    [GeneratedRegex(@"(?i)\b((paid|charged|billed|debited|taken|pay)\b[^.?!]{0,30}\b(twice|two times|double)|double[- ]?(charged|charge|billed|payment|paid)|billed double|two (charges|payments|debits|invoices|bills)|(paid|pay) (it |for it |them )?again|duplicate (payment|charge|invoice|bill)|twice for|charged me twice|billed twice)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PaidTwicePattern();

    [GeneratedRegex(@"(?i)\b((i|we)\s+(have\s+|had\s+|already\s+|just\s+)?cancell?ed|cancell?ed\s+(my|our|it|the|last|in|on)\b|(i|we)\s+(want|would like|wish|need|'d like)\s+to\s+cancel|please\s+cancel|cancel\s+(my|our)\s+membership|end\s+my\s+membership|stop\s+sending\s+me)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex CancelledPattern();

    [GeneratedRegex(@"(?i)\b(i\s+(just\s+|recently\s+)?(retired|graduated)|i('m| am)\s+(now\s+|still\s+)?(a\s+|an\s+)?(student|retired|retiree|early[- ]career)|now an? (student|retiree)|(student|retired) again|became an? (student|retiree)|(student|retired|retiree|early[- ]career|regular|corporate)\s+(rate|price|dues|tier)|wrong (tier|rate|category|membership type|membership level)|right rate)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex TierCheckPattern();

    [GeneratedRegex(@"(?i)\b((update|change|replace)\b[^.?!]{0,30}\b(credit card|debit card|card)\b|new (credit |debit )?card|card\b[^.?!]{0,20}\b(expired|on file)|charge my new|card details)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex UpdateCardPattern();

    [GeneratedRegex(@"(?i)\b(receipts?|tax(es)?|accountant|expense report|proof of payment|for my records|how much did (i|we) pay)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ReceiptPattern();

    [GeneratedRegex(@"(?i)\b((employer|company|firm|workplace|my work)\b[^.?!]{0,60}\b(pay|pays|paid|paying|covers?)\b|\b(pay|pays|paid|paying|covers?)\b[^.?!]{0,40}\b(employer|company|firm))", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex EmployerPattern();

    [GeneratedRegex(@"(?i)\b(where (do|should|can) (i|we) (send|mail)|how (do|can) (i|we) pay|pay(ing)? by (check|cheque)|which payment methods|mailing address for (payments|checks))", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex HowToPayPattern();

    [GeneratedRegex(@"(?i)\b(how much (is|are|does|do) (the |a )?(student|regular|retired|early[- ]career|corporate)|(student|regular|retired|early[- ]career|corporate) (membership|member)\b[^.?!]{0,20}\b(cost|price|rate)|right (price|amount) for|dues rates?|what are (the )?(dues|rates))", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex RatesPattern();

    [GeneratedRegex(@"(?i)\b(lapsed?|expired|inactive|not active|deactivated)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex LapsedPattern();

    [GeneratedRegex(@"(?i)\b(paid|renewed|cleared|i sent|i mailed|payment went)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PaidClaimPattern();

    [GeneratedRegex(@"(?i)\b(send|mail|address|forward|bill|invoice)\b[^.?!]{0,30}\b(to (them|my employer|my company|the company|him|her)|directly|my employer instead|my company instead)|(bill|invoice) (my|the) (employer|company)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex BillToPattern();

    [GeneratedRegex(@"(?i)\b(last week|yesterday|recently|few days ago|this week|days ago|on monday|on tuesday|on wednesday|on thursday|on friday)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex RecentlyPattern();

    [GeneratedRegex(@"\b20\d\d\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex YearPattern();

    [GeneratedRegex(@"(?i)\bthis year\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ThisYearPattern();

    [GeneratedRegex(@"(?i)\blast year\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex LastYearPattern();

    [GeneratedRegex(@"[\p{L}\p{N}'’]+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex WhitespacePattern();
}
