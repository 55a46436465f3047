using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Inquiries;

/// <summary>How an inquiry ended.</summary>
public enum InquiryStatus
{
    /// <summary>The member got a final answer from their own data and the policies.</summary>
    Answered,
    /// <summary>Staff will answer or act: a real billing error, or a question below the confidence threshold. The member is told so.</summary>
    HandedToStaff,
    /// <summary>The member token is missing, forged, expired or names no member (HTTP 401).</summary>
    Unauthorized,
    /// <summary>The question is empty or too long (HTTP 400).</summary>
    Rejected,
}

/// <summary>A transaction or policy paragraph an answer rests on.</summary>
public sealed record InquiryCitation(string Id, string Text);

/// <summary>What <c>POST /api/inquiries</c> returns to the member's page; status is <c>answered</c>, <c>handed-to-staff</c>, <c>unauthorized</c> (401) or <c>rejected</c> (400).</summary>
public sealed record InquiryResponse(string Status, string Answer, string Intent, IReadOnlyList<InquiryCitation> Citations, string? InquiryId);

/// <summary>A billing error the discrepancy workflow found.</summary>
/// <param name="Kind"><c>duplicate-invoice</c>, <c>duplicate-payment</c>, <c>wrong-tier</c> or <c>unexplained</c>.</param>
/// <param name="Difference">What the member was charged beyond the expected amount.</param>
public sealed record DiscrepancyFinding(string Kind, InvoiceId InvoiceId, Money Difference, string SuggestedAction, string Analysis);

/// <summary>
/// The member billing assistant: <c>POST /api/inquiries</c> with a signed member token and a question.
/// Answers from the member's own (and household's) invoices, lines, payments and allocations and from the
/// billing policies, citing both. Without a model the templates answer; with one, the model only rewords
/// the template's draft from the same (masked) facts, and its wording is rejected if it adds an amount,
/// an id or a citation the facts do not contain. Disputes run the discrepancy workflow: recompute the
/// expected dues, explain a misunderstanding, or open a review item for staff. Nothing here moves money.
/// </summary>
public sealed partial class AnswerInquiry(Store store, TimeProvider clock, InquiryOptions options, PolicyLibrary policies, IExpectedDues expected, GovernedModel model)
{
    public const string TemplateVersion = "inquiry-templates@1";
    public const int MaxQuestionLength = 1000;
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    private static readonly string[] SplitTiers = ["REG", "ECP", "CORP"];

    /// <summary>The request body of <c>POST /api/inquiries</c>.</summary>
    public sealed record Request(string Token, string Question);

    /// <summary>What the member sees, plus what staff and tests need.</summary>
    public sealed record Outcome(
        InquiryStatus Status,
        string Answer,
        InquiryIntent Intent,
        IReadOnlyList<InquiryCitation> Citations,
        decimal Confidence,
        string PhrasedBy,
        string? InquiryId = null,
        string? ReviewItemId = null,
        DiscrepancyFinding? Finding = null,
        string? Problem = null)
    {
        /// <summary>The JSON body for the member (no staff-side analysis): <c>{status, answer, intent, citations[{id,text}], inquiryId}</c>.</summary>
        public InquiryResponse ToResponse() => new(StatusCode(Status), Answer, InquiryIntents.Code(Intent), Citations, InquiryId);
    }

    private sealed record Draft(InquiryIntent Intent, string Text, List<InquiryCitation> Facts, List<PolicyParagraph> Policies, decimal Confidence, DiscrepancyFinding? Finding = null, string? StaffAction = null)
    {
        public IReadOnlyList<InquiryIntent> Intents { get; init; } = [Intent];
    }

    public async Task<Outcome> HandleAsync(Request request, CancellationToken ct = default)
    {
        var question = (request.Question ?? "").Trim();
        if (question.Length == 0 || question.Length > MaxQuestionLength)
            return new Outcome(InquiryStatus.Rejected, $"Please ask a question of 1 to {MaxQuestionLength} characters.", InquiryIntent.Unknown, [], 0m, "none", Problem: "question-length");

        var token = new MemberToken(options.SigningKey).Check(request.Token, clock.GetUtcNow());
        if (!token.IsValid)
            return new Outcome(InquiryStatus.Unauthorized, "This link is not valid any more. Please open the billing assistant again from the member portal.", InquiryIntent.Unknown, [], 0m, "none", Problem: token.Problem.ToString());

        return await AnswerMemberAsync(token.MemberId!.Value, question, "portal", ct: ct);
    }

    /// <summary>
    /// Answers a member who is already identified: by a verified token (the portal) or by the one member
    /// whose e-mail address sent the message (the support mailbox). The same intents, facts, review items,
    /// <c>inquiries</c> row and audit event for both doors; <paramref name="channel"/> is recorded.
    /// </summary>
    /// <param name="inquiryId">A fixed id for the inquiry (the mailbox derives it from the message, so a retried message cannot be answered twice); a new one when null.</param>
    public async Task<Outcome> AnswerMemberAsync(MemberId memberId, string question, string channel, string? inquiryId = null, CancellationToken ct = default)
    {
        question = (question ?? "").Trim();
        if (question.Length == 0 || question.Length > MaxQuestionLength)
            return new Outcome(InquiryStatus.Rejected, $"Please ask a question of 1 to {MaxQuestionLength} characters.", InquiryIntent.Unknown, [], 0m, "none", Problem: "question-length");
        var statement = await store.InTransactionAsync((c, tx) => MemberStatement.LoadAsync(c, tx, memberId, options.IncludeHousehold), ct);
        if (statement is null)
            return new Outcome(InquiryStatus.Unauthorized, "This link is not valid any more. Please open the billing assistant again from the member portal.", InquiryIntent.Unknown, [], 0m, "none", Problem: "unknown-member");

        var draft = Compose(statement, question);
        var status = draft.Finding is not null || draft.Confidence < options.ConfidenceThreshold ? InquiryStatus.HandedToStaff : InquiryStatus.Answered;
        var text = draft.Text;
        if (status == InquiryStatus.HandedToStaff && draft.Finding is null)
            text += " I have passed your question to the membership office; a staff member will reply within two business days.";

        var citations = draft.Facts.Concat(draft.Policies.Select(p => new InquiryCitation(p.Citation, p.Text))).ToList();
        inquiryId ??= Guid.CreateVersion7(clock.GetUtcNow()).ToString("D");
        var (answer, phrasedBy) = await PhraseAsync(statement, question, draft, text, citations, inquiryId, ct);

        var mask = new MaskingSession(new MaskingRules(true, statement.Scope.Select(m => m.Id.Value).ToList()));
        var maskedQuestion = mask.Mask(question);
        var reviewItemId = await store.InTransactionAsync(async (c, tx) =>
        {
            string? itemId = null;
            if (status == InquiryStatus.HandedToStaff) itemId = await OpenReviewItemAsync(c, tx, statement, draft, inquiryId, maskedQuestion, channel);
            var now = clock.GetUtcNow();
            await c.ExecuteAsync(
                """
                INSERT INTO inquiries (inquiry_id, member_id, asked_at, intent, question_masked, answer, citations, outcome, confidence, phrased_by, review_item_id, channel)
                VALUES (@inquiryId, @member, @at, @intent, @maskedQuestion, @answer, @cites, @outcome, @confidence, @phrasedBy, @itemId, @channel)
                """,
                new
                {
                    inquiryId, member = statement.Member.Id.Value, at = DbTime.Format(now), intent = InquiryIntents.Code(draft.Intent), maskedQuestion, answer,
                    cites = JsonSerializer.Serialize(citations.Select(x => x.Id)), outcome = StatusCode(status), confidence = draft.Confidence.ToString(Ci), phrasedBy, itemId, channel,
                }, tx);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(
                GovernedModel.Actor,
                status == InquiryStatus.Answered ? "inquiry.answered" : "inquiry.handed-to-staff",
                $"inquiry:{inquiryId}",
                StatusCode(status),
                statement.Member.Id.Value,
                JsonSerializer.Serialize(new { channel, intent = InquiryIntents.Code(draft.Intent), intents = draft.Intents.Select(InquiryIntents.Code), question = maskedQuestion, citations = citations.Select(x => x.Id), finding = draft.Finding?.Kind, review_item = itemId }),
                RuleVersion: phrasedBy == "template" ? TemplateVersion : $"{TemplateVersion}; {phrasedBy}"));
            return itemId;
        }, ct);

        return new Outcome(status, answer, draft.Intent, citations, draft.Confidence, phrasedBy, inquiryId, reviewItemId, draft.Finding);
    }

    public static string StatusCode(InquiryStatus s) => s switch
    {
        InquiryStatus.Answered => "answered",
        InquiryStatus.HandedToStaff => "handed-to-staff",
        InquiryStatus.Unauthorized => "unauthorized",
        InquiryStatus.Rejected => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    private Draft Compose(MemberStatement s, string question)
    {
        var intents = InquiryIntents.ClassifyAll(question);
        var clues = InquiryIntents.Read(question, expected.Currency);
        // A question about someone else that asks nothing else: the refusal is the whole answer.
        var drafts = intents.Count == 0 && clues.MentionsSomeoneElse ? [new Draft(InquiryIntent.Unknown, "", [], Policy("policies/household.md#who-can-see-what¶1"), 0.9m)]
            : intents.Count == 0 ? [PolicyAnswer(question)]
            : intents.Select(i => ComposeOne(s, i, clues, question)).ToList();
        var draft = drafts.Count == 1 ? drafts[0] : Combine(drafts);
        if (clues.MentionsSomeoneElse)
            draft = draft with { Text = ("I can only discuss your own account" + (s.Household.Count > 0 ? " and your household's" : "") + ". " + draft.Text).Trim() };
        return draft;
    }

    private Draft ComposeOne(MemberStatement s, InquiryIntent intent, QuestionClues clues, string question) => intent switch
    {
        InquiryIntent.NeedsStaff => NeedsStaff(s),
        InquiryIntent.PaidTwice => PaidTwice(s, clues, question),
        InquiryIntent.Cancelled => Cancelled(s),
        InquiryIntent.TierCheck => TierCheck(s, clues),
        InquiryIntent.UpdateCard => UpdateCard(),
        InquiryIntent.Receipt => Receipt(s, question),
        InquiryIntent.EmployerPays => EmployerPays(s, question),
        InquiryIntent.LapsedButPaid => LapsedButPaid(s),
        InquiryIntent.HowToPay => FromPolicy(InquiryIntent.HowToPay, "policies/payments.md#paying-by-check¶1", "policies/payments.md#accepted-payment-methods¶1"),
        InquiryIntent.Rates => FromPolicy(InquiryIntent.Rates, "policies/dues-and-tiers.md#dues-rates¶1", "policies/dues-and-tiers.md#dues-rates¶2"),
        InquiryIntent.Dispute => Dispute(s, clues),
        InquiryIntent.Split => DuplicateOpenInvoices(s) ?? Split(s, clues),
        InquiryIntent.PaymentStatus => PaymentStatus(s, clues, question),
        InquiryIntent.Cancellation => s.Member.Status == MemberStatus.Active ? Cancellation(s) : Cancelled(s),
        InquiryIntent.Credit => Credit(s),
        InquiryIntent.ChargeReason => Explain(s, clues, InquiryIntent.ChargeReason),
        InquiryIntent.Coverage => Explain(s, clues, InquiryIntent.Coverage),
        InquiryIntent.DueDate => DuplicateOpenInvoices(s) ?? DueDate(s),
        InquiryIntent.Balance => DuplicateOpenInvoices(s) ?? Balance(s),
        InquiryIntent.PaidThrough => PaidThrough(s),
        InquiryIntent.Invoices => InvoiceList(s),
        InquiryIntent.Unknown => new Draft(InquiryIntent.Unknown, "I could not read your question.", [], [], 0.2m),
        _ => PolicyAnswer(question),
    };

    /// <summary>Several questions in one message: every answer, in order; staff when any part needs staff.</summary>
    private static Draft Combine(List<Draft> drafts)
    {
        var finding = drafts.Select(d => d.Finding).FirstOrDefault(f => f is not null);
        var lead = drafts.FirstOrDefault(d => d.Finding is not null) ?? drafts.MinBy(d => d.Confidence)!;
        return new Draft(
            drafts[0].Intent,
            string.Join(" ", drafts.Select(d => d.Text.Trim())),
            drafts.SelectMany(d => d.Facts).DistinctBy(f => f.Id).ToList(),
            drafts.SelectMany(d => d.Policies).DistinctBy(p => p.Citation).ToList(),
            drafts.Min(d => d.Confidence),
            finding,
            lead.StaffAction) { Intents = drafts.Select(d => d.Intent).ToList() };
    }

    // ---- intents -------------------------------------------------------------------------------

    private Draft Explain(MemberStatement s, QuestionClues clues, InquiryIntent intent)
    {
        var facts = new List<InquiryCitation>();
        var (invoices, viaPayment) = FindInvoices(s, clues);
        if (invoices.Count == 0)
        {
            var what = clues.Amounts.Count > 0 ? $"a charge of {clues.Amounts[0].ToDisplayString()}" : clues.Month is { } m ? $"a charge in {InquiryIntents.MonthName(m)}" : "that charge";
            var recent = s.Invoices.OrderByDescending(i => i.InvoiceDate).Take(3).ToList();
            facts.AddRange(recent.Select(InvoiceFact));
            var list = recent.Count == 0 ? "You have no invoices on record." : "Your recent invoices are " + string.Join("; ", recent.Select(Summary)) + ".";
            return new Draft(intent, $"I could not find {what} on your account. {list}", facts, Policy("policies/dues-and-tiers.md#what-an-invoice-contains¶1"), 0.4m);
        }

        var sb = new StringBuilder();
        if (viaPayment is { } p)
        {
            facts.Add(PaymentFact(s, p));
            sb.Append(Ci, $"The charge of {p.VisibleAmount.ToDisplayString()} on {D(p.ReceivedAt)} was your {ChannelWord(p.Channel)} payment{Ref(p)}. ");
        }

        var policyIds = new List<string> { "policies/dues-and-tiers.md#what-an-invoice-contains¶1" };
        foreach (var invoice in invoices)
        {
            facts.Add(InvoiceFact(invoice));
            sb.Append(Ci, $"Invoice {invoice.Id} dated {D(invoice.InvoiceDate)} for {invoice.Amount.ToDisplayString()}{Whose(s, invoice)} covers: ");
            var lineTexts = new List<string>();
            for (var n = 0; n < invoice.Lines.Count; n++)
            {
                var line = invoice.Lines[n];
                facts.Add(new InquiryCitation($"invoice:{invoice.Id}/line:{n + 1}", $"{line.Description}{Period(line)}: {line.Amount.ToDisplayString()}"));
                lineTexts.Add($"{line.Description}{Period(line)}, {line.Amount.ToDisplayString()}");
            }

            sb.Append(string.Join("; ", lineTexts)).Append(". ");
            if (intent == InquiryIntent.ChargeReason || clues.Amounts.Count > 0)
            {
                foreach (var b in DuesBreakdowns(s, invoice).Where(b => b.Matches).Select(b => b.Breakdown!))
                {
                    sb.Append(Ci, $"The dues line is {b.Explanation}. ");
                    if (b.MonthsBilled < 12) policyIds.Add("policies/proration.md#new-members-joining-during-the-year¶2");
                }
            }

            sb.Append(PaidStatus(s, invoice, facts)).Append(' ');
        }

        return new Draft(intent, sb.ToString().Trim(), facts, Policy([.. policyIds.Distinct()]), 0.9m);
    }

    private Draft Split(MemberStatement s, QuestionClues clues)
    {
        var facts = new List<InquiryCitation>();
        var today = Today;
        var named = MentionedInvoices(s, clues).Where(i => i.IsOpen).ToList();
        var invoice = named.FirstOrDefault() ?? s.Invoices.Where(i => s.IsOwn(i) && i.IsOpen).OrderByDescending(i => i.Balance.MinorUnits).ThenBy(i => i.DueDate).FirstOrDefault();
        var policy = Policy("policies/installments.md#payment-plans¶1", "policies/installments.md#payment-plans¶2", "policies/installments.md#who-can-use-a-plan¶1");
        if (invoice is null) return new Draft(InquiryIntent.Split, "You have no open invoice to split: everything on your account is paid.", facts, policy, 0.9m);
        facts.Add(InvoiceFact(invoice));
        var owner = s.Scope.First(m => m.Id == invoice.MemberId);
        if (!SplitTiers.Contains(owner.Tier, StringComparer.OrdinalIgnoreCase))
            return new Draft(InquiryIntent.Split, $"Invoice {invoice.Id} ({invoice.Balance.ToDisplayString()} open) cannot be split: {TierName(owner.Tier)} dues are already reduced and are not split into installments.", facts, policy, 0.9m);
        // Past due first: whether a plan is possible at all is then the office's call, not the minimum's.
        if (invoice.DueDate < today)
            return new Draft(InquiryIntent.Split, $"Invoice {invoice.Id} was due on {D(invoice.DueDate)} and is past due, so a payment plan needs the membership office's approval.", facts, [.. policy, .. Policy("policies/installments.md#who-can-use-a-plan¶2")], 0.5m);
        if (invoice.Balance < Money.FromDecimal(300m, invoice.Balance.Currency))
            return new Draft(InquiryIntent.Split, $"Invoice {invoice.Id} has {invoice.Balance.ToDisplayString()} open, which is below the $300.00 minimum for a payment plan, so it cannot be split.", facts, policy, 0.9m);

        var parts = invoice.Balance.Allocate(4);
        var schedule = parts.Select((amount, k) => $"{amount.ToDisplayString()} due {D(invoice.DueDate.AddMonths(k))}");
        return new Draft(InquiryIntent.Split,
            $"Yes. Invoice {invoice.Id} has {invoice.Balance.ToDisplayString()} open and can be split into up to four installments at no extra cost: {string.Join(", ", schedule)}. Ask the membership office before {D(invoice.DueDate)} to set up the plan.",
            facts, policy, 0.9m);
    }

    private Draft PaymentStatus(MemberStatement s, QuestionClues clues, string question)
    {
        var facts = new List<InquiryCitation>();
        var word = clues.Channel is { } ch ? ChannelWord(ch) : "payment";
        var payments = s.Payments.Where(p => clues.Channel is null || p.Channel == clues.Channel).ToList();
        if (clues.Amounts.Count > 0)
        {
            var withAmount = payments.Where(p => clues.Amounts.Contains(p.VisibleAmount)).ToList();
            if (withAmount.Count > 0) payments = withAmount;
        }

        var policy = clues.Channel == PaymentChannel.Check
            ? Policy("policies/payments.md#paying-by-check¶2")
            : Policy("policies/payments.md#how-payments-are-applied¶2");
        if (payments.Count == 0)
        {
            var wait = clues.Channel == PaymentChannel.Check
                ? "Checks usually appear on your account within five business days after they reach our lockbox; if it has been more than ten business days, please contact the membership office before you stop payment."
                : "Payments are usually applied within one business day; if yours does not appear, please contact the membership office.";
            return new Draft(InquiryIntent.PaymentStatus, $"We have no {word} from you on record yet. {wait}", facts, policy, 0.8m);
        }

        var sb = new StringBuilder();
        var latest = payments.Max(p => p.ReceivedAt);
        // "I mailed it last week" and the newest payment is months old: that is not the one they mean.
        if (clues.Amounts.Count == 0 && clues.Month is null && (Today.DayNumber - Day(latest).DayNumber > 45 || InquiryIntents.SaysRecently(question) && Today.DayNumber - Day(latest).DayNumber > 10))
        {
            var last = payments.OrderByDescending(p => p.ReceivedAt).First();
            facts.Add(PaymentFact(s, last));
            var wait = clues.Channel == PaymentChannel.Check
                ? "Checks usually appear on your account within five business days after they reach our lockbox; if it has been more than ten business days, please contact the membership office before you stop payment."
                : "Payments are usually applied within one business day; if yours does not appear, please contact the membership office.";
            return new Draft(InquiryIntent.PaymentStatus,
                $"The most recent {word} we have from you is your {ChannelWord(last.Channel)}{Ref(last)} for {last.VisibleAmount.ToDisplayString()} received on {D(last.ReceivedAt)}. {Applied(s, last)} Nothing newer has reached us yet. {wait}",
                facts, policy, 0.8m);
        }

        foreach (var p in payments.OrderByDescending(p => p.ReceivedAt).Take(3))
        {
            facts.Add(PaymentFact(s, p));
            sb.Append(Ci, $"Yes, we received your {ChannelWord(p.Channel)}{Ref(p)} for {p.VisibleAmount.ToDisplayString()} on {D(p.ReceivedAt)}. ");
            sb.Append(Applied(s, p)).Append(' ');
        }

        return new Draft(InquiryIntent.PaymentStatus, sb.ToString().Trim(), facts, policy, 0.9m);
    }

    private Draft Balance(MemberStatement s)
    {
        var facts = new List<InquiryCitation>();
        var open = s.Invoices.Where(i => i.IsOpen).OrderBy(i => i.DueDate).ToList();
        facts.AddRange(open.Select(InvoiceFact));
        var credit = CreditOnAccount(s, facts);
        var creditText = credit.IsPositive ? $" You also have a credit of {credit.ToDisplayString()} on your account, which will be used for your next invoice." : "";
        if (open.Count == 0)
            return new Draft(InquiryIntent.Balance, "You owe nothing: all your invoices are paid." + creditText, facts, Policy("policies/payments.md#how-payments-are-applied¶3"), 0.9m);
        var total = Money.Sum(open.Select(i => i.Balance), open[0].Balance.Currency);
        var list = string.Join("; ", open.Select(i => $"invoice {i.Id}{Whose(s, i)}: {i.Balance.ToDisplayString()} due {D(i.DueDate)}"));
        return new Draft(InquiryIntent.Balance, $"You have {total.ToDisplayString()} open: {list}.{creditText}", facts, Policy("policies/payments.md#how-payments-are-applied¶1"), 0.9m);
    }

    private Draft DueDate(MemberStatement s)
    {
        var facts = new List<InquiryCitation>();
        var open = s.Invoices.Where(i => i.IsOpen).OrderBy(i => i.DueDate).ToList();
        facts.AddRange(open.Select(InvoiceFact));
        var policy = Policy("policies/dues-and-tiers.md#membership-year¶1");
        if (open.Count == 0)
            return new Draft(InquiryIntent.DueDate, $"Nothing is due right now: all your invoices are paid{PaidThroughText(s.Member)}. Annual dues invoices are issued on November 15 and are due on January 31.", facts, policy, 0.9m);
        var list = string.Join("; ", open.Select(i => $"invoice {i.Id}{Whose(s, i)} ({i.Balance.ToDisplayString()}) is due on {D(i.DueDate)}{(i.DueDate < Today ? ", and is past due" : "")}"));
        return new Draft(InquiryIntent.DueDate, char.ToUpperInvariant(list[0]) + list[1..] + ".", facts, policy, 0.9m);
    }

    private Draft PaidThrough(MemberStatement s)
    {
        var facts = new List<InquiryCitation>();
        if (s.Member.PaidThrough is not { } through)
            return new Draft(InquiryIntent.PaidThrough, "Your paid-through date is not on record yet.", facts, Policy("policies/dues-and-tiers.md#membership-year¶2"), 0.5m);
        facts.Add(new InquiryCitation($"member:{s.Member.Id}/paid-through", $"Paid through {D(through)}"));
        var state = through >= Today ? "Your membership is active and" : "Your membership has lapsed: it was";
        return new Draft(InquiryIntent.PaidThrough, $"{state} paid through {D(through)}. Dues for the next year are invoiced on November 15 and due on January 31.", facts, Policy("policies/dues-and-tiers.md#membership-year¶2", "policies/dues-and-tiers.md#membership-year¶1"), 0.9m);
    }

    private Draft Cancellation(MemberStatement s)
    {
        var facts = new List<InquiryCitation>();
        var lastDues = s.Payments.Where(p => p.Allocations.Any(a => a.InvoiceId is not null && a.MemberId == s.Member.Id)).OrderByDescending(p => p.ReceivedAt).FirstOrDefault();
        var sb = new StringBuilder("You can cancel at any time. ");
        if (lastDues is not null)
        {
            facts.Add(PaymentFact(s, lastDues));
            var days = Today.DayNumber - Day(lastDues.ReceivedAt).DayNumber;
            sb.Append(Ci, $"Your last dues payment was {lastDues.VisibleAmount.ToDisplayString()} on {D(lastDues.ReceivedAt)}, {days} days ago; ");
            sb.Append(days <= 30
                ? "because that is within 30 days, cancelling now refunds the dues for the full months remaining in the year, less a $25.00 processing fee. "
                : "because that is more than 30 days ago, the dues are not refundable, but your membership stays active until your paid-through date. ");
        }

        if (s.Member.PaidThrough is { } through)
        {
            facts.Add(new InquiryCitation($"member:{s.Member.Id}/paid-through", $"Paid through {D(through)}"));
            sb.Append(Ci, $"Your membership is paid through {D(through)}. ");
        }

        sb.Append("The rule: cancelling within 30 days of paying your annual dues refunds the dues for the full months remaining in the year, less a $25.00 processing fee; after 30 days dues are not refundable. A cancellation is handled by the membership office.");
        return new Draft(InquiryIntent.Cancellation, sb.ToString(), facts, Policy("policies/refunds-and-disputes.md#cancelling-a-membership¶1"), 0.8m);
    }

    private Draft Credit(MemberStatement s)
    {
        // A payment that repeats a paid invoice and is not applied yet: staff decide credit or refund.
        if (FindDuplicatePayment(s) is { } dup && dup.Second.Allocations.Count == 0) return DuplicatePaymentDraft(s, dup);
        var facts = new List<InquiryCitation>();
        var credit = CreditOnAccount(s, facts);
        var text = credit.IsPositive
            ? $"Yes: you have a credit of {credit.ToDisplayString()} on your account. It will be used for your next invoice, or you can ask for a refund to the original payment method."
            : "You have no credit on your account: every payment we received was applied to an invoice.";
        return new Draft(InquiryIntent.Credit, text, facts, Policy("policies/payments.md#how-payments-are-applied¶3", "policies/refunds-and-disputes.md#duplicate-payments¶1"), 0.9m);
    }

    private Draft InvoiceList(MemberStatement s)
    {
        var facts = s.Invoices.OrderByDescending(i => i.InvoiceDate).Take(6).Select(InvoiceFact).ToList();
        if (facts.Count == 0) return new Draft(InquiryIntent.Invoices, "You have no invoices on record.", facts, [], 0.9m);
        var list = string.Join("; ", s.Invoices.OrderByDescending(i => i.InvoiceDate).Take(6).Select(i => Summary(i) + Whose(s, i)));
        return new Draft(InquiryIntent.Invoices, $"Your invoices: {list}.", facts, Policy("policies/household.md#who-can-see-what¶1"), 0.9m);
    }

    private Draft PolicyAnswer(string question)
    {
        // Scores are cosine similarities of MiniLM embeddings: on our policies a question that a paragraph
        // answers scores above 0.5, an off-topic one below 0.1; between lies "probably, but let staff confirm".
        var hits = policies.Search(question, 2);
        if (hits.Count == 0 || hits[0].Score < 0.25f)
            return new Draft(InquiryIntent.Unknown, "I could not answer that from your account or our billing policies.", [], [], 0.3m);
        var best = hits[0].Paragraph;
        // A policy paragraph is general; it answers the member alone only when it is clearly the one asked about.
        return new Draft(InquiryIntent.Policy, $"From our billing policy ({best.Heading}): {best.Text}", [], [best], hits[0].Score >= 0.5f ? 0.75m : 0.6m);
    }

    // ---- discrepancy workflow --------------------------------------------------------------------

    private Draft Dispute(MemberStatement s, QuestionClues clues)
    {
        var facts = new List<InquiryCitation>();
        var (found, viaPayment) = FindInvoices(s, clues);
        var target = found.FirstOrDefault() ?? s.Invoices.Where(i => s.IsOwn(i) && i.Lines.Any(IsDuesLine)).OrderByDescending(i => i.InvoiceDate).FirstOrDefault();
        var policy = Policy("policies/refunds-and-disputes.md#questioning-a-charge¶1", "policies/refunds-and-disputes.md#questioning-a-charge¶2");
        if (target is null)
            return new Draft(InquiryIntent.Dispute, "I could not find the charge you mean on your account.", facts, policy, 0.3m);
        facts.Add(InvoiceFact(target));
        if (viaPayment is not null) facts.Add(PaymentFact(s, viaPayment));

        // 1. The same dues billed twice for the same period.
        var duplicate = s.Invoices.FirstOrDefault(o => o.Id != target.Id && o.MemberId == target.MemberId && o.ProductCode == target.ProductCode
            && o.Amount == target.Amount && SamePeriod(o, target));
        if (duplicate is not null)
        {
            facts.Add(InvoiceFact(duplicate));
            var (first, second) = duplicate.InvoiceDate <= target.InvoiceDate ? (duplicate, target) : (target, duplicate);
            var finding = new DiscrepancyFinding("duplicate-invoice", second.Id, second.Amount,
                $"Void or credit invoice {second.Id}: it duplicates invoice {first.Id} ({first.Amount.ToDisplayString()}, same product and period).",
                $"Invoices {first.Id} and {second.Id} bill {first.ProductCode} for the same period at {first.Amount.ToDisplayString()} each.");
            return new Draft(InquiryIntent.Dispute,
                $"You are right to ask: invoice {second.Id} ({second.Amount.ToDisplayString()}) bills the same dues for the same period as invoice {first.Id}. A staff member will review it within two business days and correct it with a credit or refund; nothing has been changed yet.",
                facts, [.. policy, .. Policy("policies/refunds-and-disputes.md#questioning-a-charge¶2")], 0.9m, finding);
        }

        // 2. Two payments for one invoice: one applied to it, the other applied too or left as credit, together beyond its amount.
        var applied = s.Payments.Where(p => p.Allocations.Any(a => a.InvoiceId == target.Id)).ToList();
        var echoes = s.Payments.Where(p => !applied.Contains(p) && p.Allocations.Count > 0 && p.Allocations.All(a => a.IsCreditOnAccount)
            && p.VisibleAmount == target.Amount && applied.Any(a => Math.Abs((a.ReceivedAt - p.ReceivedAt).TotalDays) <= 30)).ToList();
        var pair = applied.Concat(echoes).OrderBy(p => p.ReceivedAt).ToList();
        if (pair.Count > 1 && pair.Sum(p => p.VisibleAmount.MinorUnits) > target.Amount.MinorUnits)
        {
            facts.AddRange(pair.Select(p => PaymentFact(s, p)));
            var extra = pair[^1].VisibleAmount;
            var finding = new DiscrepancyFinding("duplicate-payment", target.Id, extra,
                $"Refund or keep as credit: payment {pair[^1].Id} ({extra.ToDisplayString()}) repeats payment {pair[0].Id} for invoice {target.Id}.",
                $"{pair.Count} payments totalling {Money.FromMinor(pair.Sum(p => p.VisibleAmount.MinorUnits), extra.Currency).ToDisplayString()} reached invoice {target.Id} ({target.Amount.ToDisplayString()}).");
            return new Draft(InquiryIntent.Dispute,
                $"You are right: we received {pair.Count} payments of {extra.ToDisplayString()} for invoice {target.Id} ({D(pair[0].ReceivedAt)} and {D(pair[^1].ReceivedAt)}). The extra payment is held as a credit on your account; a staff member will review it within two business days and can refund it to the original payment method.",
                facts, [.. policy, .. Policy("policies/refunds-and-disputes.md#duplicate-payments¶1")], 0.9m, finding);
        }

        // 3. Recompute the dues line from the member's tier and join date.
        var owner = s.Scope.First(m => m.Id == target.MemberId);
        var breakdowns = DuesBreakdowns(s, target).ToList();
        foreach (var b in breakdowns) facts.Add(new InquiryCitation($"invoice:{target.Id}/line:{b.LineNo}", $"{b.Line.Description}{Period(b.Line)}: {b.Line.Amount.ToDisplayString()}"));
        facts.Add(new InquiryCitation($"member:{owner.Id}/tier", $"Tier {TierName(owner.Tier)} ({owner.Tier}), joined {(owner.JoinDate is { } jd ? D(jd) : "date not on record")}"));
        var wrongTier = breakdowns.FirstOrDefault(b => b.LineTier is not null && !string.Equals(b.LineTier, owner.Tier, StringComparison.OrdinalIgnoreCase));
        if (wrongTier is not null && wrongTier.Breakdown is { } right)
        {
            var difference = wrongTier.Line.Amount - right.Amount;
            var finding = new DiscrepancyFinding("wrong-tier", target.Id, difference,
                $"Re-bill invoice {target.Id} at the {TierName(owner.Tier)} rate: expected {right.Amount.ToDisplayString()}, billed {wrongTier.Line.Amount.ToDisplayString()} ({TierName(wrongTier.LineTier!)} rate); credit {difference.ToDisplayString()}.",
                $"Line {wrongTier.LineNo} bills {wrongTier.Line.ProductCode} but the member's tier is {owner.Tier}. Expected: {right.Explanation}.");
            return new Draft(InquiryIntent.Dispute,
                $"You are right to ask: invoice {target.Id} charges {wrongTier.Line.Amount.ToDisplayString()} at the {TierName(wrongTier.LineTier!)} rate, but your membership is {TierName(owner.Tier)}, which comes to {right.Amount.ToDisplayString()} ({right.Explanation}). A staff member will review it within two business days and correct the invoice; nothing has been changed yet.",
                facts, [.. policy, .. Policy("policies/dues-and-tiers.md#dues-rates¶1")], 0.9m, finding);
        }

        var matching = breakdowns.Where(b => b.Breakdown is not null).ToList();
        if (matching.Count > 0 && matching.All(b => b.Matches))
        {
            var explained = string.Join(" ", matching.Select(b => $"The dues line is {b.Breakdown!.Explanation}."));
            var others = target.Lines.Where(l => !IsDuesLine(l)).Select(l => $"{l.Description} ({l.Amount.ToDisplayString()})").ToList();
            var otherText = others.Count > 0 ? $" The invoice also includes {string.Join(" and ", others)}." : "";
            var tierNote = clues.ClaimedTier is { } claimed && !claimed.Equals(owner.Tier, StringComparison.OrdinalIgnoreCase) ? $" Your member profile lists you as {TierName(owner.Tier)}; if that has changed, tell the membership office and the next invoice will use the new rate." : "";
            var prorated = matching.Any(b => b.Breakdown!.MonthsBilled < 12);
            return new Draft(InquiryIntent.Dispute,
                $"I checked invoice {target.Id} ({target.Amount.ToDisplayString()}) against your tier and join date and it is correct. {explained}{otherText}{tierNote}",
                facts, [.. policy, .. Policy(prorated ? ["policies/proration.md#new-members-joining-during-the-year¶1", "policies/proration.md#new-members-joining-during-the-year¶2"] : ["policies/dues-and-tiers.md#dues-rates¶1"])], 0.85m);
        }

        var unexplained = matching.FirstOrDefault(b => !b.Matches);
        var diff = unexplained is null ? Money.Zero(target.Amount.Currency) : unexplained.Line.Amount - unexplained.Breakdown!.Amount;
        var analysis = unexplained is null
            ? $"No dues line on invoice {target.Id} could be recomputed (tier {owner.Tier} has no configured rate or the invoice has no dues line)."
            : $"Billed {unexplained.Line.Amount.ToDisplayString()}, expected {unexplained.Breakdown!.Amount.ToDisplayString()} ({unexplained.Breakdown.Explanation}).";
        return new Draft(InquiryIntent.Dispute,
            $"I could not confirm the amount of invoice {target.Id} ({target.Amount.ToDisplayString()}) from your tier and join date, so a staff member will check it within two business days; nothing has been changed.",
            facts, policy, 0.5m, new DiscrepancyFinding("unexplained", target.Id, diff, $"Check invoice {target.Id} by hand.", analysis));
    }

    private sealed record LineCheck(int LineNo, InvoiceLine Line, string? LineTier, DuesBreakdown? Breakdown)
    {
        public bool Matches => Breakdown is not null && Breakdown.Amount == Line.Amount && (LineTier is null || Breakdown.Tier.Equals(LineTier, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Recomputes each dues line (product <c>DUES-{TIER}</c>) for the invoice's member: at the member's tier, or the line's tier if the member's tier has no rate.</summary>
    private IEnumerable<LineCheck> DuesBreakdowns(MemberStatement s, Invoice invoice)
    {
        var owner = s.Scope.First(m => m.Id == invoice.MemberId);
        for (var n = 0; n < invoice.Lines.Count; n++)
        {
            var line = invoice.Lines[n];
            if (!IsDuesLine(line)) continue;
            var lineTier = line.ProductCode.Length > 5 ? line.ProductCode[5..] : null;
            var start = line.PeriodStart ?? new DateOnly(invoice.InvoiceDate.Year, 1, 1);
            var end = line.PeriodEnd ?? new DateOnly(start.Year, 12, 31);
            var termStart = new DateOnly(end.Year, 1, 1) > start ? start : new DateOnly(end.Year, 1, 1);
            var b = expected.Expected(owner.Tier, owner.JoinDate, termStart, end);
            yield return new LineCheck(n + 1, line, lineTier, b);
        }
    }

    private static bool IsDuesLine(InvoiceLine l) => l.ProductCode.StartsWith("DUES-", StringComparison.OrdinalIgnoreCase);

    private static bool SamePeriod(Invoice a, Invoice b)
    {
        var pa = a.Lines.Select(l => (l.PeriodStart, l.PeriodEnd)).FirstOrDefault();
        var pb = b.Lines.Select(l => (l.PeriodStart, l.PeriodEnd)).FirstOrDefault();
        if (pa.PeriodStart is not null && pb.PeriodStart is not null) return pa == pb;
        return a.InvoiceDate.Year == b.InvoiceDate.Year;
    }

    private async Task<string> OpenReviewItemAsync(DbConnection c, DbTransaction tx, MemberStatement s, Draft draft, string inquiryId, string maskedQuestion, string channel)
    {
        var f = draft.Finding;
        // A real error is keyed by invoice and kind, so asking twice about one duplicate opens one item.
        var subject = f is not null && f.Kind != "unexplained" ? $"{f.InvoiceId}:{f.Kind}" : inquiryId;
        var now = DbTime.Format(clock.GetUtcNow());
        var analysis = JsonSerializer.Serialize(new
        {
            inquiry = inquiryId, channel, question = maskedQuestion, intent = InquiryIntents.Code(draft.Intent), intents = draft.Intents.Select(InquiryIntents.Code),
            finding = f?.Kind, detail = f?.Analysis, draft_answer = draft.Text, citations = draft.Facts.Select(x => x.Id).Concat(draft.Policies.Select(p => p.Citation)),
            member = MemberContext(s),
        });
        await c.ExecuteAsync(
            """
            INSERT INTO review_items (item_id, kind, subject_id, member_id, state, priority, confidence, suggested_action, reason, analysis, amount_minor, currency, created_at, updated_at)
            VALUES (@id, 'inquiry', @subject, @member, 'open', @priority, @confidence, @action, @reason, @analysis, @amount, @currency, @now, @now)
            ON CONFLICT (kind, subject_id) DO NOTHING
            """,
            new
            {
                id = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D"), subject, member = s.Member.Id.Value,
                priority = f?.Kind switch { "wrong-tier" or "duplicate-invoice" => 70, "duplicate-payment" => 60, "unexplained" => 50, _ => 30 },
                confidence = draft.Confidence.ToString(Ci),
                action = f?.SuggestedAction ?? draft.StaffAction ?? "Answer the member's question.",
                reason = f is null ? $"Member question below the confidence threshold ({InquiryIntents.Code(draft.Intent)})" : $"Member disputed a charge: {f.Kind}",
                analysis, amount = f?.Difference.MinorUnits, currency = f?.Difference.Currency.Code, now,
            }, tx);
        return await c.ExecuteScalarAsync<string>("SELECT item_id FROM review_items WHERE kind = 'inquiry' AND subject_id = @subject", new { subject }, tx) ?? "";
    }

    // ---- model phrasing ---------------------------------------------------------------------------

    private async Task<(string Answer, string PhrasedBy)> PhraseAsync(MemberStatement s, string question, Draft draft, string text, List<InquiryCitation> citations, string inquiryId, CancellationToken ct)
    {
        if (!model.IsConfigured) return (text, "template");
        var known = citations.Select(x => x.Id).ToHashSet(StringComparer.Ordinal);
        var factText = string.Join("\n", draft.Facts.Select(f => $"{f.Id}: {f.Text}"));
        var policyText = string.Join("\n", draft.Policies.Select(p => $"{p.Citation}: {p.Text}"));
        var allowed = factText + "\n" + policyText + "\n" + text;
        var mask = new MaskingSession(new MaskingRules(model.Options.MaskMemberIds, s.Scope.Select(m => m.Id.Value).ToList()));
        var maskedAllowed = mask.Mask(allowed);
        var request = new ModelRequest("inquiry-answer", new Dictionary<string, string>
        {
            ["question"] = question, ["intent"] = InquiryIntents.Code(draft.Intent), ["facts"] = factText, ["policies"] = policyText, ["draft"] = text,
        }, $"inquiry:{inquiryId}", s.Member.Id.Value);
        var answer = await model.AskAsync(request, mask, output =>
        {
            foreach (var cite in output.GetProperty("citations").EnumerateArray())
                if (!known.Contains(mask.Restore(cite.GetString()))) return $"unknown citation '{cite.GetString()}'";
            var body = output.GetProperty("answer").GetString() ?? "";
            if (body.Trim().Length == 0) return "empty answer";
            foreach (Match m in MoneyInText().Matches(body))
                if (!maskedAllowed.Contains(m.Value, StringComparison.Ordinal)) return $"amount {m.Value} is not in the facts";
            foreach (Match m in IdInText().Matches(body))
                if (!maskedAllowed.Contains(m.Value, StringComparison.Ordinal)) return $"id {m.Value} is not in the facts";
            return null;
        }, ct);
        if (!answer.IsUsable) return (text, "template");
        var phrased = mask.Restore(answer.Output!.Value.GetProperty("answer").GetString());
        return (phrased, $"model {model.Options.Model} prompt {answer.Prompt.Id}@{answer.Prompt.Version}");
    }

    [GeneratedRegex(@"\$\s?\d[\d,]*(?:\.\d{2})?", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex MoneyInText();

    [GeneratedRegex(@"\b[A-Z]{2,}[-:]\d[\w:-]*\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex IdInText();

    // ---- lookups and wording ----------------------------------------------------------------------

    private DateOnly Today => Domain.BusinessClock.Of(clock).Today;

    private static List<Invoice> MentionedInvoices(MemberStatement s, QuestionClues clues) =>
        s.Invoices.Where(i => clues.Numbers.Any(n => string.Equals(n.Trim('.', ',', '?', ':'), i.Id.Value, StringComparison.OrdinalIgnoreCase))).ToList();

    /// <summary>The invoices a question points at: by id, then amount, then month; falls back to the latest own invoice when nothing is named.</summary>
    private (List<Invoice> Invoices, StatementPayment? ViaPayment) FindInvoices(MemberStatement s, QuestionClues clues)
    {
        var named = MentionedInvoices(s, clues);
        if (named.Count > 0) return (named, null);
        if (clues.Amounts.Count > 0)
        {
            // The first amount written is the one asked about ("why $296.25 when dues are $395?").
            foreach (var amount in clues.Amounts)
            {
                var byAmount = s.Invoices.Where(i => amount == i.Amount || amount == i.Balance || i.Lines.Any(l => l.Amount == amount))
                    .Where(i => clues.Month is null || i.InvoiceDate.Month == clues.Month).OrderByDescending(i => i.InvoiceDate).ToList();
                if (byAmount.Count > 0) return ([byAmount[0]], null);
            }

            var payment = s.Payments.Where(p => clues.Amounts.Contains(p.VisibleAmount)).OrderByDescending(p => p.ReceivedAt).FirstOrDefault();
            if (payment is not null) return (InvoicesOf(s, payment), payment);
            return ([], null);
        }

        if (clues.Month is { } month)
        {
            var inMonth = s.Invoices.Where(i => i.InvoiceDate.Month == month && i.InvoiceDate <= Today).OrderByDescending(i => i.InvoiceDate).ToList();
            if (inMonth.Count > 0) return ([.. inMonth.Where(i => i.InvoiceDate.Year == inMonth[0].InvoiceDate.Year)], null);
            var payment = s.Payments.Where(p => p.ReceivedAt.Month == month).OrderByDescending(p => p.ReceivedAt).FirstOrDefault();
            if (payment is not null && InvoicesOf(s, payment) is { Count: > 0 } paid) return (paid, payment);
            return ([], null);
        }

        var latest = s.Invoices.Where(s.IsOwn).OrderByDescending(i => i.InvoiceDate).ThenByDescending(i => i.Id.Value, StringComparer.Ordinal).FirstOrDefault();
        return (latest is null ? [] : [latest], null);
    }

    private static List<Invoice> InvoicesOf(MemberStatement s, StatementPayment p) =>
        p.Allocations.Where(a => a.InvoiceId is not null).Select(a => s.Invoices.FirstOrDefault(i => i.Id == a.InvoiceId)).OfType<Invoice>().Distinct().ToList();

    private Money CreditOnAccount(MemberStatement s, List<InquiryCitation> facts)
    {
        var credits = s.Payments.Where(p => p.Allocations.Any(a => a.IsCreditOnAccount)).ToList();
        foreach (var p in credits) facts.Add(PaymentFact(s, p));
        return Money.Sum(credits.SelectMany(p => p.Allocations.Where(a => a.IsCreditOnAccount).Select(a => a.Amount)), expected.Currency);
    }

    private string PaidStatus(MemberStatement s, Invoice invoice, List<InquiryCitation> facts)
    {
        var paidBy = s.Payments.Where(p => p.Allocations.Any(a => a.InvoiceId == invoice.Id)).OrderBy(p => p.ReceivedAt).ToList();
        foreach (var p in paidBy)
            if (!facts.Any(f => f.Id == $"payment:{p.Id}")) facts.Add(PaymentFact(s, p));
        var paidText = paidBy.Count == 0 ? "" : " Paid by " + string.Join(" and ", paidBy.Select(p =>
            $"{ChannelWord(p.Channel)}{Ref(p)} on {D(p.ReceivedAt)} ({p.Allocations.Where(a => a.InvoiceId == invoice.Id).Select(a => a.Amount).Aggregate((x, y) => x + y).ToDisplayString()})")) + ".";
        return invoice.IsOpen
            ? $"{paidText} Balance due: {invoice.Balance.ToDisplayString()} by {D(invoice.DueDate)}.".Trim()
            : $"It is paid in full.{paidText}";
    }

    private static string Applied(MemberStatement s, StatementPayment p)
    {
        if (p.Allocations.Count == 0) return "It is being applied to your account, which can take up to one business day.";
        var parts = p.Allocations.Select(a => a.InvoiceId is { } id
            ? $"{a.Amount.ToDisplayString()} to invoice {id}{(a.MemberId != s.Member.Id ? $" for {s.NameOf(a.MemberId)}" : "")}"
            : $"{a.Amount.ToDisplayString()} as a credit on your account");
        return $"It was applied: {string.Join(", ", parts)}.";
    }

    private static InquiryCitation InvoiceFact(Invoice i) =>
        new($"invoice:{i.Id}", $"Invoice {i.Id} dated {D(i.InvoiceDate)}, {i.Description}, amount {i.Amount.ToDisplayString()}, balance {i.Balance.ToDisplayString()}, due {D(i.DueDate)}");

    private InquiryCitation PaymentFact(MemberStatement s, StatementPayment p) =>
        new($"payment:{p.Id}", $"{ChannelWord(p.Channel)}{Ref(p)} received {D(p.ReceivedAt)} for {p.VisibleAmount.ToDisplayString()}; {Applied(s, p)}");

    private static string Summary(Invoice i) => $"{i.Id} dated {D(i.InvoiceDate)} for {i.Amount.ToDisplayString()} ({(i.IsOpen ? $"{i.Balance.ToDisplayString()} open" : "paid")})";

    private static string Whose(MemberStatement s, Invoice i) => s.IsOwn(i) ? "" : $" for {s.NameOf(i.MemberId)}";

    private static string Period(InvoiceLine l) => l.PeriodStart is { } a && l.PeriodEnd is { } b ? $" ({D(a)} to {D(b)})" : "";

    private static string Ref(StatementPayment p) => string.IsNullOrWhiteSpace(p.Reference) ? "" : p.Channel == PaymentChannel.Check ? $" no. {p.Reference}" : $" {p.Reference}";

    private static string PaidThroughText(Member m) => m.PaidThrough is { } d ? $" and your membership is paid through {D(d)}" : "";

    private static string ChannelWord(PaymentChannel c) => c switch
    {
        PaymentChannel.Check => "check",
        PaymentChannel.Card => "card payment",
        PaymentChannel.Ach => "bank transfer",
        PaymentChannel.Wire => "wire transfer",
        _ => "payment",
    };

    private string TierName(string tier) => expected.TierName(tier);

    private static string D(DateOnly d) => d.ToString("MMMM d, yyyy", Ci);

    private string D(DateTimeOffset t) => D(Day(t));

    /// <summary>The association's date of an instant (a payment received late in the evening is that evening's).</summary>
    private DateOnly Day(DateTimeOffset t) => Domain.BusinessClock.Of(clock).DateOf(t);

    private List<PolicyParagraph> Policy(params string[] citations) => citations.Select(policies.Find).OfType<PolicyParagraph>().ToList();
}
