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

    public static InquiryIntent Classify(string question)
    {
        foreach (var (intent, pattern) in Rules)
            if (pattern.IsMatch(question)) return intent;
        return InquiryIntent.Unknown;
    }

    public static QuestionClues Read(string question)
    {
        var amounts = AmountPattern().Matches(question)
            .Select(m => Money.TryParse(m.Groups["n"].Value.Replace(",", "", StringComparison.Ordinal), Currency.USD, out var money) ? money : (Money?)null)
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

    [GeneratedRegex(@"(?i)\b(split|installments?|instalments?|payment plan|pay (it )?in (parts|two|three|four|pieces)|spread (the|my|it)|monthly payments|quarterly payments)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Split();

    [GeneratedRegex(@"(?i)\b(did you (get|receive)|have you (got|gotten|received)|(was|is|has) my (check|cheque|payment|transfer|wire|ach)|(get|got|receive[d]?) my (check|cheque|payment|transfer|wire)|(check|cheque|payment|transfer) (arrive|go through|clear|post)|status of my (check|payment)|my (check|cheque)\b)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PaymentStatus();

    [GeneratedRegex(@"(?i)\b(cancel|cancell?ation|refund|quit (my|the) membership|end my membership)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Cancellation();

    [GeneratedRegex(@"(?i)\b(credit on (my )?account|account credit|do i have (a |any )?credit|overpa(id|y|yment)|left ?over|unapplied)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Credit();

    [GeneratedRegex(@"(?i)\b(why (was|am|is|were|did|do) .*(charg|bill|invoice|amount|pay|cost)|how (was|is|did you) .*(calculat|comput|figur|arriv)|why .*\$\s?\d|where does .*\$\s?\d|explain .*(charge|amount|invoice|\$))", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ChargeReason();

    [GeneratedRegex(@"(?i)\b(what (does|did|do) .*(cover|include|pay for)|what (is|was|'s) (the |my |this )?.*(charge|invoice|bill) for|what am i paying for|what('s| is) included|break ?down|what are the (lines|items))", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Coverage();

    [GeneratedRegex(@"(?i)\b(when (is|are|was|do|must|should) .*(due|pay)|due date|deadline|pay by when|last day to pay)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex DueDate();

    [GeneratedRegex(@"(?i)\b(how much (do|does) (i|we) owe|what do (i|we) owe|balance|outstanding|amount due|unpaid|still owe|anything (left )?to pay|open invoices?)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Balance();

    [GeneratedRegex(@"(?i)\b(paid[- ]through|paid[- ]up|expire|expiry|expiration|valid until|good (through|until)|lapse|when (do|does|should) .*renew|membership (end|run))", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PaidThrough();

    [GeneratedRegex(@"(?i)\b(invoices|my invoice|statement|my bills?|billing history|list .*charges)", RegexOptions.CultureInvariant, 1000)]
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

    [GeneratedRegex(@"(?i)\b(?:i(?:'m| am)|as an?|i'm now|i am now|i became an?|should be (?:on |at )?(?:the )?)\s*(?:a |an )?(student|retired|retiree|corporate|regular|early[- ]career)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ClaimedTierPattern();

    [GeneratedRegex(@"(?i)\bwire\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ChannelWire();

    [GeneratedRegex(@"[A-Za-z0-9][A-Za-z0-9:_/-]*\d[A-Za-z0-9:_/-]*", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex WordNumbers();

    [GeneratedRegex(@"(?i)\b(member\s*(#|no\.?|number|id)?\s*\d+|someone else|another member|other members?|(his|her|their) (invoice|account|payment|dues|bill)|\w+'s (invoices?|account|payments?|dues|bills?)|all members|every member)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex SomeoneElse();
}
