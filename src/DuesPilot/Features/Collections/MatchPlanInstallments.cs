using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Features.Collections;

/// <summary>
/// The matcher's payment-plan stage, run on the engine's decision for each payment. A member in a plan pays an installment,
/// not an invoice, so the engine finds no open balance that fits the amount and sends the payment to review; this stage
/// knows the open plans and reads two kinds of evidence:
/// <list type="bullet">
/// <item>the memo or reference <b>names the plan</b> (its id or its key): the payment goes to the plan's invoices, up to what
/// the plan still asks;</item>
/// <item>the amount <b>equals the next installment</b> of a plan whose member is the engine's best candidate for the payer (no
/// other member as likely) and the payment itself identifies them: their e-mail, their given name and surname in the payer's
/// name, or their member number in the memo. The engine's confidence cannot serve here: it counts the amount that fits no
/// invoice against the candidate.</item>
/// </list>
/// Either makes the decision an application to the plan's invoices, earliest due first, which then goes through the rollout
/// phase, the approval threshold and the hold window like any other; when the hold posts, the plan's installments are
/// credited (<see cref="CreditPlanInstallments"/>). Evidence too weak to apply is added to the review reason. A decision
/// the engine already applies is left alone.
/// </summary>
public sealed class MatchPlanInstallments
{
    /// <summary>Confidence given to an application the plan stage decides.</summary>
    public const decimal PlanConfidence = 0.95m;

    private readonly IReadOnlyList<OpenPlan> _plans;
    private readonly Func<InvoiceId, Money?> _balanceOf;
    private readonly Dictionary<string, long> _takenThisRun = new(StringComparer.Ordinal);
    private readonly Dictionary<InvoiceId, string> _planOfInvoice = [];
    private readonly Dictionary<MemberId, Member> _members;

    /// <param name="members">The cached members (whose plans these are).</param>
    /// <param name="balanceOf">An invoice's open balance as the matcher sees it now (after this run's applications).</param>
    public MatchPlanInstallments(IReadOnlyList<OpenPlan> plans, IEnumerable<Member> members, Func<InvoiceId, Money?> balanceOf)
    {
        _plans = plans;
        var inPlans = plans.Select(p => p.MemberId).ToHashSet();
        _members = members.Where(m => inPlans.Contains(m.Id)).ToDictionary(m => m.Id);
        _balanceOf = balanceOf;
        foreach (var p in plans)
            foreach (var i in p.Invoices) _planOfInvoice[i] = p.PlanId;
    }

    public MatchDecision Refine(Payment payment, MatchDecision decision)
    {
        if (_plans.Count == 0 || decision.Action == MatchAction.Apply) return decision;
        var open = _plans.Where(p => p.Currency == payment.Amount.Currency && Remaining(p).IsPositive).ToList();
        if (open.Count == 0) return decision;

        var named = open.Where(p => Names(payment, p)).ToList();
        if (named.Count == 1)
        {
            var plan = named[0];
            var remaining = Remaining(plan);
            if (payment.Amount > remaining)
                return Note(decision, $"memo names payment plan {Label(plan)}, but {payment.Amount.ToDisplayString()} is more than the {remaining.ToDisplayString()} it still asks");
            return Apply(payment, decision, plan, $"memo names payment plan {Label(plan)} of member {plan.MemberId}");
        }

        var top = decision.Candidates.Count > 0 ? decision.Candidates[0] : null;
        var byAmount = open.Where(p => Next(p) is { } next && next.Amount == payment.Amount).ToList();
        if (top is null || byAmount.Count == 0) return decision;
        var plansOfPayer = byAmount.Where(p => p.MemberId == top.MemberId).ToList();
        if (plansOfPayer.Count != 1) return decision;
        var payerPlan = plansOfPayer[0];
        var installment = Next(payerPlan)!;
        var what = $"{payment.Amount.ToDisplayString()} equals installment {installment.Number} (due {installment.DueDate:yyyy-MM-dd}) of payment plan {Label(payerPlan)} of member {payerPlan.MemberId}";
        var identity = _members.TryGetValue(payerPlan.MemberId, out var member) ? Identifies(payment, member) : null;
        if (identity is null)
            return Note(decision, $"{what}, but neither the payer's e-mail, full name nor a member number in the memo is the member's");
        var rival = decision.Candidates.FirstOrDefault(c => c.MemberId != payerPlan.MemberId && c.Confidence >= top.Confidence);
        if (rival is not null)
            return Note(decision, $"{what}, but the payer fits member {rival.MemberId} as well");
        return Apply(payment, decision, payerPlan, $"{identity}; {what}");
    }

    /// <summary>Counts an application made this run (by the engine or this stage) against the plans it pays, so the next payment sees the next installment.</summary>
    public void Commit(IEnumerable<ProposedAllocation> allocations)
    {
        foreach (var a in allocations)
            if (a.InvoiceId is { } i && _planOfInvoice.TryGetValue(i, out var plan))
                _takenThisRun[plan] = _takenThisRun.GetValueOrDefault(plan) + a.Amount.MinorUnits;
    }

    private Money Remaining(OpenPlan plan) => plan.Remaining - Money.FromMinor(Math.Min(_takenThisRun.GetValueOrDefault(plan.PlanId), plan.Remaining.MinorUnits), plan.Currency);

    /// <summary>The next installment still open after this run's applications, with what it still asks as its amount.</summary>
    private OpenInstallment? Next(OpenPlan plan)
    {
        var taken = _takenThisRun.GetValueOrDefault(plan.PlanId);
        foreach (var i in plan.Installments)
        {
            var open = i.Outstanding.MinorUnits;
            var use = Math.Min(open, taken);
            taken -= use;
            if (open - use > 0) return i with { Amount = Money.FromMinor(open - use, plan.Currency), Paid = Money.Zero(plan.Currency), Pending = Money.Zero(plan.Currency) };
        }

        return null;
    }

    private MatchDecision Apply(Payment payment, MatchDecision decision, OpenPlan plan, string evidence)
    {
        var left = payment.Amount.MinorUnits;
        var allocations = new List<ProposedAllocation>();
        foreach (var invoice in plan.Invoices)
        {
            if (left == 0) break;
            var balance = _balanceOf(invoice);
            if (balance is not { IsPositive: true } b || b.Currency != payment.Amount.Currency) continue;
            var take = Math.Min(left, b.MinorUnits);
            left -= take;
            allocations.Add(new ProposedAllocation(plan.MemberId, invoice, Money.FromMinor(take, payment.Amount.Currency)));
        }

        // The plan's invoices no longer hold the amount (paid some other way meanwhile): a person decides.
        if (left > 0) return Note(decision, $"{evidence}, but the plan's invoices have less than {payment.Amount.ToDisplayString()} open");
        var what = string.Join("; ", allocations.Select(a => $"{a.Amount.ToDisplayString()} to INV {a.InvoiceId}"));
        var candidate = new MatchCandidate(plan.MemberId, decision.Candidates.FirstOrDefault(c => c.MemberId == plan.MemberId)?.MemberName ?? plan.MemberId.Value,
            PlanConfidence, [evidence], [], allocations);
        return new MatchDecision(payment.Id, MatchAction.Apply, PlanConfidence, $"payment plan: {evidence}; {what}", allocations,
            [candidate, .. decision.Candidates.Where(c => c.MemberId != plan.MemberId)], "Applied to the payment plan's invoices; posts after the hold window unless overridden, then credits the plan.");
    }

    private static MatchDecision Note(MatchDecision decision, string note) =>
        decision with { Reason = $"{decision.Reason} | payment plan: {note}" };

    private static string Label(OpenPlan plan) => plan.IdempotencyKey == plan.PlanId ? plan.PlanId : $"{plan.PlanId} ({plan.IdempotencyKey})";

    /// <summary>What says the payment is from this member, read from the payment itself: the member's e-mail, the member's given
    /// name and surname both in the payer's name, or the member number in the memo or reference. Null when nothing does.</summary>
    private static string? Identifies(Payment payment, Member member)
    {
        if (member.Email is { Length: > 0 } email && string.Equals(payment.PayerEmail?.Trim(), email.Trim(), StringComparison.OrdinalIgnoreCase))
            return $"payer e-mail is member {member.Id}'s";
        var payer = Words(payment.PayerName);
        var given = Words(member.FirstName);
        var surname = Words(member.LastName);
        if (given.Count > 0 && surname.Count > 0 && given.All(payer.Contains) && surname.All(payer.Contains))
            return $"payer name is member {member.Id}'s ({member.FullName})";
        if (member.Id.Value.Length >= 4 && (ContainsWord(payment.Memo ?? "", member.Id.Value) || ContainsWord(payment.Reference ?? "", member.Id.Value)))
            return $"memo names member {member.Id}";
        return null;
    }

    private static HashSet<string> Words(string? text) =>
        (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => new string(w.Where(char.IsLetterOrDigit).ToArray()).ToUpperInvariant())
            .Where(w => w.Length > 0).ToHashSet(StringComparer.Ordinal);

    /// <summary>The memo or reference carries the plan's id or key as a whole word (a key shorter than six characters or all digits is too easy to hit by chance).</summary>
    private static bool Names(Payment payment, OpenPlan plan)
    {
        foreach (var text in new[] { payment.Memo, payment.Reference })
        {
            if (string.IsNullOrEmpty(text)) continue;
            if (ContainsWord(text, plan.PlanId)) return true;
            var key = plan.IdempotencyKey;
            if (key.Length >= 6 && !key.All(char.IsAsciiDigit) && ContainsWord(text, key)) return true;
        }

        return false;
    }

    private static bool ContainsWord(string text, string word)
    {
        for (var at = text.IndexOf(word, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var before = at == 0 || !char.IsLetterOrDigit(text[at - 1]);
            var end = at + word.Length;
            var after = end == text.Length || !char.IsLetterOrDigit(text[end]);
            if (before && after) return true;
        }

        return false;
    }
}
