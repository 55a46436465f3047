using System.Globalization;
using System.Text;
using DuesPilot.Domain;

namespace DuesPilot.Features.Inquiries;

/// <summary>
/// The questions members actually send (issue 19), measured by <c>tests/golden/inquiries</c>: paid twice,
/// "I cancelled", wrong tier, "my employer pays", a receipt for taxes, "update my card", "lapsed though I
/// paid". Each reads the member's own statement; anything that needs a change goes to staff with what
/// was found, and an answer states only facts from the statement and the policies.
/// </summary>
public sealed partial class AnswerInquiry
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Two payments of one amount, close in time, for one invoice: both applied to it, or one applied and the other held as credit or not applied yet.</summary>
    private sealed record DuplicatePayment(Invoice Invoice, StatementPayment First, StatementPayment Second);

    private static DuplicatePayment? FindDuplicatePayment(MemberStatement s)
    {
        var payments = s.Payments.OrderBy(p => p.ReceivedAt).ToList();
        DuplicatePayment? found = null;
        for (var i = 0; i < payments.Count; i++)
        {
            for (var j = i + 1; j < payments.Count; j++)
            {
                var (a, b) = (payments[i], payments[j]);
                if (a.VisibleAmount != b.VisibleAmount || (b.ReceivedAt - a.ReceivedAt).TotalDays > 45) continue;
                var aInvoices = InvoiceIds(a);
                var bInvoices = InvoiceIds(b);
                var shared = aInvoices.Intersect(bInvoices).Select(x => (InvoiceId?)x).FirstOrDefault();
                if (shared is not null && s.Invoices.FirstOrDefault(x => x.Id == shared) is { } both)
                    found = new DuplicatePayment(both, a, b);
                else if (PaidInFull(s, a) is { } paidByA && IsLoose(b))
                    found = new DuplicatePayment(paidByA, a, b);
                else if (PaidInFull(s, b) is { } paidByB && IsLoose(a))
                    found = new DuplicatePayment(paidByB, b, a);
            }
        }

        return found;
    }

    private static List<InvoiceId> InvoiceIds(StatementPayment p) => p.Allocations.Where(a => a.InvoiceId is not null).Select(a => a.InvoiceId!.Value).Distinct().ToList();

    private static bool IsLoose(StatementPayment p) => p.Allocations.Count == 0 || p.Allocations.All(a => a.IsCreditOnAccount);

    /// <summary>The one invoice a payment paid by itself, in full.</summary>
    private static Invoice? PaidInFull(MemberStatement s, StatementPayment p) =>
        InvoiceIds(p) is [var only] && s.Invoices.FirstOrDefault(x => x.Id == only) is { } invoice && invoice.Amount == p.VisibleAmount ? invoice : null;

    private Draft DuplicatePaymentDraft(MemberStatement s, DuplicatePayment d)
    {
        var amount = d.Second.VisibleAmount;
        var where = d.Second.Allocations.Count == 0 ? "has not been applied yet" : "is held as a credit on your account";
        var facts = new List<InquiryCitation> { InvoiceFact(d.Invoice), PaymentFact(s, d.First), PaymentFact(s, d.Second) };
        var finding = new DiscrepancyFinding("duplicate-payment", d.Invoice.Id, amount,
            $"Refund payment {d.Second.Id} ({amount.ToDisplayString()}) to the original payment method, or keep it as credit if the member prefers: it repeats payment {d.First.Id} for invoice {d.Invoice.Id}.",
            $"Payments {d.First.Id} ({D(d.First.ReceivedAt)}) and {d.Second.Id} ({D(d.Second.ReceivedAt)}) of {amount.ToDisplayString()} each; invoice {d.Invoice.Id} is {d.Invoice.Amount.ToDisplayString()}; {d.Second.Id} {(d.Second.Allocations.Count == 0 ? "is not applied" : "is credit on account")}.");
        return new Draft(InquiryIntent.PaidTwice,
            $"You are right: we received two payments of {amount.ToDisplayString()} for invoice {d.Invoice.Id}: your {ChannelWord(d.First.Channel)}{Ref(d.First)} on {D(d.First.ReceivedAt)} and your {ChannelWord(d.Second.Channel)}{Ref(d.Second)} on {D(d.Second.ReceivedAt)}. The second one {where}. A staff member will review it within two business days and refund it to the original payment method, or keep it as credit if you prefer; nothing has been changed yet.",
            facts, [.. Policy("policies/refunds-and-disputes.md#duplicate-payments¶1", "policies/refunds-and-disputes.md#questioning-a-charge¶2")], 0.9m, finding);
    }

    /// <summary>Two invoices billing the same product, amount and period to one member.</summary>
    private static (Invoice First, Invoice Second)? FindDuplicateInvoice(MemberStatement s, bool openOnly)
    {
        var invoices = s.Invoices.OrderBy(i => i.InvoiceDate).ThenBy(i => i.Id.Value, StringComparer.Ordinal).ToList();
        for (var i = 0; i < invoices.Count; i++)
            for (var j = i + 1; j < invoices.Count; j++)
            {
                var (a, b) = (invoices[i], invoices[j]);
                if (a.MemberId == b.MemberId && a.ProductCode == b.ProductCode && a.Amount == b.Amount && SamePeriod(a, b) && (!openOnly || a.IsOpen || b.IsOpen))
                    return (a, b);
            }

        return null;
    }

    private Draft DuplicateInvoiceDraft(MemberStatement s, Invoice first, Invoice second, InquiryIntent intent)
    {
        var finding = new DiscrepancyFinding("duplicate-invoice", second.Id, second.Amount,
            $"Void or credit invoice {second.Id}: it duplicates invoice {first.Id} ({first.Amount.ToDisplayString()}, same product and period).",
            $"Invoices {first.Id} and {second.Id} bill {first.ProductCode} for the same period at {first.Amount.ToDisplayString()} each.");
        return new Draft(intent,
            $"Invoice {second.Id} ({second.Amount.ToDisplayString()}){Whose(s, second)} bills the same dues for the same period as invoice {first.Id}, so one of them is a mistake. A staff member will review it within two business days and correct it with a credit or refund; you only need to pay one of them, and nothing has been changed yet.",
            [InvoiceFact(first), InvoiceFact(second)], Policy("policies/refunds-and-disputes.md#questioning-a-charge¶2"), 0.9m, finding);
    }

    /// <summary>A balance, due date or split over two copies of one invoice would be wrong: the duplicate goes to staff instead.</summary>
    private Draft? DuplicateOpenInvoices(MemberStatement s) =>
        FindDuplicateInvoice(s, openOnly: true) is { } d ? DuplicateInvoiceDraft(s, d.First, d.Second, InquiryIntent.PaidTwice) : null;

    private Draft PaidTwice(MemberStatement s, QuestionClues clues, string question)
    {
        if (FindDuplicatePayment(s) is { } dup) return DuplicatePaymentDraft(s, dup);
        if (FindDuplicateInvoice(s, openOnly: false) is { } inv) return DuplicateInvoiceDraft(s, inv.First, inv.Second, InquiryIntent.PaidTwice);

        var year = InquiryIntents.Year(question, Today);
        var (payments, period) = PaymentsFor(s, year);
        var facts = payments.Select(p => PaymentFact(s, p)).ToList();
        var policy = Policy("policies/refunds-and-disputes.md#duplicate-payments¶1");
        if (payments.Count == 0)
            return new Draft(InquiryIntent.PaidTwice, $"I found no duplicate: we have no payment from you {period}. If your bank or card statement shows a charge from us, reply with its date and amount and a staff member will trace it.", facts, policy, 0.8m);
        var count = payments.Count == 1 ? "one payment" : $"{payments.Count} payments, each for what is listed";
        return new Draft(InquiryIntent.PaidTwice,
            $"I found no duplicate payment: we received {count} {period}: {string.Join("; ", payments.Select(p => PaymentLine(s, p)))}. If your bank or card statement shows another charge from us, reply with its date and amount and a staff member will trace it.",
            facts, policy, 0.8m, clues.Amounts.Count > 0 && !payments.Any(p => clues.Amounts.Contains(p.VisibleAmount)) ? new DiscrepancyFinding("unexplained", payments[0].Allocations.FirstOrDefault(a => a.InvoiceId is not null)?.InvoiceId ?? new InvoiceId("-"), clues.Amounts[0], "Trace the charge the member describes.", $"The member mentions {clues.Amounts[0].ToDisplayString()}; no payment of that amount is on record.") : null);
    }

    /// <summary>The payments a year is about (received that year, or paying an invoice for that year), else the last twelve months.</summary>
    private (List<StatementPayment> Payments, string Period) PaymentsFor(MemberStatement s, int? year)
    {
        if (year is { } y)
        {
            var forYear = s.Payments.Where(p => p.ReceivedAt.Year == y || InvoicesOf(s, p).Any(i => PeriodYear(i) == y)).OrderByDescending(p => p.ReceivedAt).Take(6).ToList();
            return (forYear, string.Create(Inv, $"in or for {y}"));
        }

        var since = Today.AddYears(-1);
        return (s.Payments.Where(p => Day(p.ReceivedAt) > since).OrderByDescending(p => p.ReceivedAt).Take(6).ToList(), "in the last twelve months");
    }

    private static int PeriodYear(Invoice i) => i.Lines.Select(l => l.PeriodStart).FirstOrDefault(d => d is not null)?.Year ?? i.InvoiceDate.Year;

    private string PaymentLine(MemberStatement s, StatementPayment p)
    {
        var applied = p.Allocations.Count == 0
            ? "being applied"
            : string.Join(" and ", p.Allocations.Select(a => a.InvoiceId is { } id ? $"{a.Amount.ToDisplayString()} to invoice {id}{(a.MemberId != s.Member.Id ? $" for {s.NameOf(a.MemberId)}" : "")}" : $"{a.Amount.ToDisplayString()} held as credit"));
        return $"your {ChannelWord(p.Channel)}{Ref(p)} for {p.VisibleAmount.ToDisplayString()} received {D(p.ReceivedAt)} ({applied})";
    }

    private Draft Cancelled(MemberStatement s)
    {
        var m = s.Member;
        var open = s.Invoices.Where(i => s.IsOwn(i) && i.IsOpen).OrderBy(i => i.DueDate).ToList();
        var facts = open.Select(InvoiceFact).ToList();
        facts.Add(new InquiryCitation($"member:{m.Id}/status", $"Status {m.Status}, paid through {(m.PaidThrough is { } pt ? D(pt) : "not on record")}"));
        var record = m.Status == MemberStatus.Active
            ? $"Your member record shows your membership as active{PaidThroughText(m).Replace(" and your membership is", ",", StringComparison.Ordinal)}, with no cancellation on record."
            : $"Your member record shows your membership as {m.Status.ToString().ToLowerInvariant()}.";
        var invoices = open.Count == 0 ? "" : $" Open: {string.Join("; ", open.Select(i => $"invoice {i.Id} for {i.Balance.ToDisplayString()}"))}.";
        return new Draft(InquiryIntent.Cancelled,
            $"{record}{invoices} A cancellation is confirmed only by the membership office, so nothing has been changed yet.",
            facts, Policy("policies/refunds-and-disputes.md#cancelling-a-membership¶1"), 0.4m,
            StaffAction: $"Member writes about cancelling (record: {m.Status}). Confirm or process the cancellation{(open.Count == 0 ? "" : $"; open invoice(s) {string.Join(", ", open.Select(i => i.Id))} may need to be voided")}.");
    }

    private Draft TierCheck(MemberStatement s, QuestionClues clues)
    {
        var m = s.Member;
        var target = s.Invoices.Where(i => s.IsOwn(i) && i.Lines.Any(IsDuesLine)).OrderByDescending(i => i.IsOpen).ThenByDescending(i => i.InvoiceDate).FirstOrDefault();
        var line = target?.Lines.First(IsDuesLine);
        var lineTier = line is not null && line.ProductCode.Length > 5 ? line.ProductCode[5..] : null;
        if (target is null || line is null || lineTier is null || !lineTier.Equals(m.Tier, StringComparison.OrdinalIgnoreCase) || clues.ClaimedTier is null || clues.ClaimedTier.Equals(m.Tier, StringComparison.OrdinalIgnoreCase))
            return Dispute(s, clues) with { Intent = InquiryIntent.TierCheck };

        // The record and the invoice agree; the member says their situation changed: a tier change is a record change.
        return new Draft(InquiryIntent.TierCheck,
            $"Your member record lists you as {TierName(m.Tier)}, and invoice {target.Id} bills the {TierName(m.Tier)} rate ({line.Amount.ToDisplayString()}). A change of tier is made by the membership office once they have confirmed it, and takes effect on the first day of the following month; nothing has been changed yet.",
            [InvoiceFact(target), new InquiryCitation($"member:{m.Id}/tier", $"Tier {TierName(m.Tier)} ({m.Tier})")],
            Policy("policies/dues-and-tiers.md#dues-rates¶2", "policies/proration.md#upgrades-and-downgrades¶1"), 0.4m,
            StaffAction: $"Member says they are now {TierName(clues.ClaimedTier)}; the record says {TierName(m.Tier)}. Verify, change the tier, and re-bill invoice {target.Id} if the change applies to it.");
    }

    private Draft UpdateCard() =>
        new(InquiryIntent.UpdateCard,
            "We never take card numbers by e-mail or chat, so no card details from your message were recorded. To pay with a new card or change the card you use, sign in to the member portal: cards are accepted only there.",
            [], Policy("policies/payments.md#accepted-payment-methods¶1"), 0.9m);

    private Draft Receipt(MemberStatement s, string question)
    {
        var year = InquiryIntents.Year(question, Today);
        var (payments, period) = PaymentsFor(s, year);
        var facts = payments.Select(p => PaymentFact(s, p)).ToList();
        var policy = Policy("policies/payments.md#how-payments-are-applied¶1");
        if (payments.Count == 0)
        {
            var open = s.Invoices.Where(i => s.IsOwn(i) && i.IsOpen && (year is null || PeriodYear(i) == year)).ToList();
            facts.AddRange(open.Select(InvoiceFact));
            var openText = open.Count == 0 ? "" : $" {string.Join(" ", open.Select(i => $"Invoice {i.Id} ({i.Description}, {i.Balance.ToDisplayString()}) is open."))}";
            return new Draft(InquiryIntent.Receipt, $"We have no payment from you {period}, so there is nothing to give a receipt for.{openText}", facts, policy, 0.85m);
        }

        return new Draft(InquiryIntent.Receipt,
            $"Payments we received from you {period}: {string.Join("; ", payments.Select(p => PaymentLine(s, p)))}. This message can serve as your receipt. We cannot advise whether dues are tax deductible; please ask your tax adviser.",
            facts, policy, 0.9m);
    }

    private Draft EmployerPays(MemberStatement s, string question)
    {
        var own = s.Invoices.Where(s.IsOwn).OrderByDescending(i => i.InvoiceDate).Take(2).ToList();
        var facts = own.Select(InvoiceFact).ToList();
        var policy = Policy("policies/payments.md#how-payments-are-applied¶2");
        if (InquiryIntents.AsksToBillSomeoneElse(question))
        {
            var open = own.Where(i => i.IsOpen).ToList();
            return new Draft(InquiryIntent.EmployerPays,
                $"Sending your invoices to your employer instead of you is set up by the membership office; nothing has been changed yet.{(open.Count == 0 ? "" : $" Open: {string.Join("; ", open.Select(i => $"invoice {i.Id} for {i.Balance.ToDisplayString()}, due {D(i.DueDate)}"))}.")}",
                facts, policy, 0.4m, StaffAction: $"Member asks that invoices go to their employer: set the bill-to{(open.Count == 0 ? "" : $"; open invoice(s) {string.Join(", ", open.Select(i => i.Id))}")}.");
        }

        var sb = new StringBuilder();
        foreach (var invoice in own)
        {
            if (invoice.IsOpen)
            {
                sb.Append(Inv, $"Invoice {invoice.Id} ({invoice.Description}, {invoice.Amount.ToDisplayString()}) is open: {invoice.Balance.ToDisplayString()} is due by {D(invoice.DueDate)}");
                var paidBy = s.Payments.Where(p => p.Allocations.Any(a => a.InvoiceId == invoice.Id)).ToList();
                sb.Append(paidBy.Count == 0 ? " and nothing has been received for it yet. Your employer can pay it by quoting the invoice number. " : ". ");
            }
            else
            {
                var paidBy = s.Payments.Where(p => p.Allocations.Any(a => a.InvoiceId == invoice.Id)).OrderBy(p => p.ReceivedAt).ToList();
                foreach (var p in paidBy) facts.Add(PaymentFact(s, p));
                sb.Append(Inv, $"Invoice {invoice.Id} ({invoice.Description}) is paid{(paidBy.Count == 0 ? "" : ": " + string.Join(" and ", paidBy.Select(p => $"{ChannelWord(p.Channel)}{Ref(p)} of {p.Allocations.Where(a => a.InvoiceId == invoice.Id).Select(a => a.Amount).Aggregate((x, y) => x + y).ToDisplayString()} received {D(p.ReceivedAt)}")))}. ");
            }
        }

        return new Draft(InquiryIntent.EmployerPays, sb.Length == 0 ? "You have no invoices on record." : sb.ToString().Trim(), facts, policy, 0.85m);
    }

    private Draft LapsedButPaid(MemberStatement s)
    {
        var m = s.Member;
        var facts = new List<InquiryCitation>();
        var through = m.PaidThrough;
        if (through is { } t) facts.Add(new InquiryCitation($"member:{m.Id}/paid-through", $"Paid through {D(t)}"));
        var policy = Policy("policies/dues-and-tiers.md#membership-year¶2", "policies/payments.md#how-payments-are-applied¶2");
        if (m.Status == MemberStatus.Active && through is { } active && active >= Today)
            return new Draft(InquiryIntent.LapsedButPaid, $"Your membership is active and paid through {D(active)}.", facts, policy, 0.9m);

        // Paid for a period beyond the paid-through date: the record is what is wrong.
        var paidBeyond = s.Invoices.Where(i => s.IsOwn(i) && !i.IsOpen && (through is null || (i.Lines.Select(l => l.PeriodEnd).Max() ?? new DateOnly(PeriodYear(i), 12, 31)) > through))
            .Select(i => (Invoice: i, Payment: s.Payments.Where(p => p.Allocations.Any(a => a.InvoiceId == i.Id)).OrderByDescending(p => p.ReceivedAt).FirstOrDefault()))
            .FirstOrDefault(x => x.Payment is not null);
        var status = m.Status == MemberStatus.Active ? "expired" : m.Status.ToString().ToLowerInvariant();
        if (paidBeyond.Payment is { } paid)
        {
            facts.Add(InvoiceFact(paidBeyond.Invoice));
            facts.Add(PaymentFact(s, paid));
            var finding = new DiscrepancyFinding("paid-but-lapsed", paidBeyond.Invoice.Id, Money.Zero(paid.VisibleAmount.Currency),
                $"Extend the membership: payment {paid.Id} ({paid.VisibleAmount.ToDisplayString()}, {D(paid.ReceivedAt)}) paid invoice {paidBeyond.Invoice.Id}, but the record is {status} with paid-through {(through is { } pt ? D(pt) : "not set")}.",
                $"Invoice {paidBeyond.Invoice.Id} ({paidBeyond.Invoice.Description}) is paid by {paid.Id}; member status {m.Status}, paid through {(through is { } pt2 ? D(pt2) : "not set")}.");
            return new Draft(InquiryIntent.LapsedButPaid,
                $"You are right: your {ChannelWord(paid.Channel)}{Ref(paid)} for {paid.VisibleAmount.ToDisplayString()} received {D(paid.ReceivedAt)} paid invoice {paidBeyond.Invoice.Id} ({paidBeyond.Invoice.Description}), but your membership record still shows it as {status}. A staff member will correct your record within two business days; you do not need to pay again.",
                facts, policy, 0.9m, finding);
        }

        var openInvoice = s.Invoices.Where(i => s.IsOwn(i) && i.IsOpen).OrderBy(i => i.DueDate).FirstOrDefault();
        if (openInvoice is not null) facts.Add(InvoiceFact(openInvoice));
        var lapsedText = through is { } lt ? $"Your membership shows as {status} because it is paid through {D(lt)}." : $"Your membership shows as {status}.";
        var pending = s.Payments.Where(p => p.Allocations.Count == 0).OrderByDescending(p => p.ReceivedAt).FirstOrDefault();
        if (pending is not null)
        {
            facts.Add(PaymentFact(s, pending));
            return new Draft(InquiryIntent.LapsedButPaid,
                $"{lapsedText} We received your {ChannelWord(pending.Channel)}{Ref(pending)} for {pending.VisibleAmount.ToDisplayString()} on {D(pending.ReceivedAt)}; it is being applied to your account{(openInvoice is null ? "" : $" and has not reached invoice {openInvoice.Id} yet")}, which can take up to one business day. You do not need to pay again.",
                facts, policy, 0.8m);
        }

        var last = s.Payments.OrderByDescending(p => p.ReceivedAt).FirstOrDefault();
        if (last is not null) facts.Add(PaymentFact(s, last));
        var openText = openInvoice is null ? " We have no open invoice for you." : $" We have no payment for invoice {openInvoice.Id} ({openInvoice.Balance.ToDisplayString()} open, due {D(openInvoice.DueDate)}).";
        var lastText = last is null ? "" : $" The last payment we received from you was your {ChannelWord(last.Channel)}{Ref(last)} for {last.VisibleAmount.ToDisplayString()} on {D(last.ReceivedAt)}.";
        return new Draft(InquiryIntent.LapsedButPaid,
            $"{lapsedText}{openText}{lastText} If you paid, reply with the date, the amount and how you paid, and a staff member will trace it.",
            facts, policy, 0.8m);
    }

    private static Draft NeedsStaff(MemberStatement s) =>
        new(InquiryIntent.NeedsStaff, "Thank you for your message.", [], [], 0.2m,
            StaffAction: $"Reply to {s.Member.FullName}: the message asks for something the assistant does not decide (a change, a waiver, advice, another language or not a billing question).");

    private Draft FromPolicy(InquiryIntent intent, params string[] citations)
    {
        var paragraphs = Policy(citations);
        return new Draft(intent, "From our billing policy: " + string.Join(" ", paragraphs.Select(p => p.Text)), [], paragraphs, paragraphs.Count == 0 ? 0.3m : 0.85m);
    }

    /// <summary>What staff see about the member next to a handed-over question.</summary>
    private object MemberContext(MemberStatement s) => new
    {
        id = s.Member.Id.Value,
        name = s.Member.FullName,
        tier = s.Member.Tier,
        status = s.Member.Status.ToString(),
        paid_through = s.Member.PaidThrough?.ToString("yyyy-MM-dd", Inv),
        household = s.Household.Select(h => h.Id.Value),
        open_invoices = s.Invoices.Where(i => i.IsOpen).Select(i => $"{i.Id} {i.Balance.ToDisplayString()} due {i.DueDate.ToString("yyyy-MM-dd", Inv)}"),
        recent_payments = s.Payments.OrderByDescending(p => p.ReceivedAt).Take(5).Select(p => $"{p.Id} {p.VisibleAmount.ToDisplayString()} {Day(p.ReceivedAt).ToString("yyyy-MM-dd", Inv)} {p.State}"),
    };
}
