using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Features.Matching;

/// <summary>Scoring and policy: what blocks an allocation, the confidence, and the decision with its reasons.</summary>
internal sealed class MatchPolicy(CandidateIndex index, MatchOptions options, NameLexicon lexicon)
{
    /// <summary>
    /// The decision on ranked hypotheses: apply the best one only when nothing blocks it (references it does not
    /// pay, a payer it does not concern, a near rival, a repeat, low confidence); otherwise review with reasons.
    /// </summary>
    public MatchDecision Decide(Payment payment, PaymentEvidence ev, List<Hypothesis> ranked, Dictionary<string, Candidate> cands, (string PaymentId, bool Applied)? repeatOf)
    {
        // (Loops rather than queries: this runs for every payment.)
        var referencedInvoices = new List<OpenInvoice>();
        var listedMembers = 0;
        foreach (var c in cands.Values)
        {
            foreach (var r in c.InvoiceRefs)
                if (r.Label != ReferenceLabel.Member && !referencedInvoices.Contains(r.Invoice)) referencedInvoices.Add(r.Invoice);
            if (c.MemberRef is not null && c.ExplicitReference) listedMembers++;
        }

        // A bare number counts as naming a member when that member owes exactly the amount (the conflict the issue describes).
        // So does every member of a list of member ids ("dues: 552568 Reichel; 139306 Larson"): one of them left unpaid is not what the list says.
        var referencedMembers = new List<string>();
        var explicitMembers = new HashSet<string>(StringComparer.Ordinal);
        // Payers the payment itself names without doubt: their e-mail, or their exact name borne by no one else.
        // A name borne by several members still says the payer is one of them: if none of them is paid or related, the references conflict.
        var strongPayers = new List<Party>();
        // Only a memo name written out in full (given name and surname in one segment) can contradict an allocation.
        var memoNamed = new List<Party>();
        foreach (var c in cands.Values)
        {
            if (c.MemberRef is ReferenceLabel.Member or ReferenceLabel.Hash
                || (c.MemberRef is not null && c.ExplicitReference && (listedMembers >= 2 || index.FitsAmount(c.Party, payment.Amount, exactOnly: true))))
                referencedMembers.Add(c.Party.Id);
            if (c.ExplicitReference) explicitMembers.Add(c.Party.Id);
            if (c.EmailShare == 1 || c.NameScore >= 0.85) strongPayers.Add(c.Party);
            if (c.MemoNamed && NamedInFull(ev, c.Party)) memoNamed.Add(c.Party);
        }

        return Conclude(payment, ranked, referencedInvoices, referencedMembers, strongPayers, memoNamed, explicitMembers, repeatOf);
    }

    private static bool NamedInFull(PaymentEvidence ev, Party p)
    {
        foreach (var seg in ev.MemoSegments)
        {
            if (!seg.Contains(p.FirstKey)) continue;
            foreach (var t in seg)
                if (p.SurnameKeys.Contains(t)) return true;
        }

        return false;
    }

    /// <summary>What stops a hypothesis from being applied, whatever its confidence.</summary>
    private List<string> Blockers(Payment payment, Hypothesis h, IReadOnlyCollection<OpenInvoice> referencedInvoices, IReadOnlyCollection<string> referencedMembers, IReadOnlyCollection<Party> strongPayers, IReadOnlyCollection<Party> memoNamed, IReadOnlySet<string> explicitMembers)
    {
        var blockers = new List<string>();
        if (h.Plan is null)
        {
            blockers.Add(h.NoPlanReason ?? "no open balance fits the amount");
        }
        else
        {
            // Every invoice or member the payer wrote must be part of what is applied; otherwise the memo
            // and the allocation disagree (conflicting references) and a person decides.
            var unpaid = referencedInvoices.Where(r => r.Balance.IsPositive && !h.Plan.Items.Any(i => i.InvoiceId == r.Id)).Select(r => "INV " + r.Id.Value).Distinct().ToList();
            if (unpaid.Count > 0) blockers.Add($"memo references {string.Join(", ", unpaid)}, which this allocation does not pay");
            var planMembers = h.Plan.Lines.Select(l => l.Member.Value).ToHashSet(StringComparer.Ordinal);
            var otherMembers = referencedMembers.Where(m => !planMembers.Contains(m) && m != h.Primary.Id).ToList();
            if (otherMembers.Count > 0 && referencedInvoices.Count == 0)
            {
                var named = index[otherMembers[0]];
                blockers.Add(index.FitsAmount(named, payment.Amount, exactOnly: false) && planMembers.Count == 1
                    ? $"conflict: memo names {named.Member.FullName} ({named.Id}), who owes this amount too; this allocation pays {index[planMembers.First()].Member.FullName} ({planMembers.First()})"
                    : $"memo references member {string.Join(", ", otherMembers)}, who this allocation does not pay");
            }

            // The payer is clearly someone: the money must go to them or to people they are known to pay for,
            // unless the memo names by number whose invoices these are and the payer owes nothing of that amount.
            if (strongPayers.Count > 0 && !strongPayers.Any(sp => planMembers.Contains(sp.Id) || planMembers.All(m => index.Related(sp, index[m]))))
            {
                var sp = strongPayers.First();
                var owes = strongPayers.FirstOrDefault(x => index.FitsAmount(x, payment.Amount, exactOnly: false));
                if (owes is not null)
                    blockers.Add($"conflict: payer {owes.Member.FullName} ({owes.Id}) owes this amount too, and the memo names {h.Primary.Member.FullName} ({h.Primary.Id})");
                else if (!(h.Plan.Kind == PlanKind.Exact && planMembers.All(explicitMembers.Contains)))
                    blockers.Add($"payer looks like {sp.Member.FullName} ({sp.Id}), who is neither paid nor related to those paid");
            }

            // "Dues for Jane Doe" paid from Robert's e-mail to Robert's invoice: the memo says otherwise.
            var unpaidNamed = memoNamed.Where(m => !planMembers.Contains(m.Id) && m.Id != h.Primary.Id
                && !planMembers.Any(pm => index[pm].SurnameKeys.Overlaps(m.SurnameKeys) && (index[pm].FirstKey == m.FirstKey || lexicon.AreNicknames(index[pm].FirstKey, m.FirstKey)))
                && !strongPayers.Any(sp => sp.Id == m.Id)).ToList();
            if (unpaidNamed.Count > 0) blockers.Add($"memo names {unpaidNamed[0].Member.FullName} ({unpaidNamed[0].Id}), who this allocation does not pay");
            if (h.Plan.IsAmbiguous) blockers.Add("several sets of invoices fit the amount");
        }

        if (h.Duplicate is { } dup && !blockers.Contains(dup)) blockers.Add(dup);
        if (h.Conflict is { } conflict && !blockers.Contains(conflict)) blockers.Add(conflict);
        if (h.NameOnlyAmbiguous) blockers.Add("payer name fits several members");
        if (h.Uncorroborated is { } alone) blockers.Add(alone);
        return blockers;
    }

    private MatchDecision Conclude(Payment payment, List<Hypothesis> ranked, IReadOnlyCollection<OpenInvoice> referencedInvoices, IReadOnlyCollection<string> referencedMembers, IReadOnlyCollection<Party> strongPayers, IReadOnlyCollection<Party> memoNamed, IReadOnlySet<string> explicitMembers, (string PaymentId, bool Applied)? repeatOf)
    {
        var candidates = ranked.Take(options.MaxCandidates).Select(h => new MatchCandidate(
            new MemberId(h.Primary.Id), h.Primary.Member.FullName, Confidence(h.Logit), h.For, h.Against,
            h.Plan is null ? [] : h.Plan.Lines.Select(l => new ProposedAllocation(l.Member, l.Invoice, l.Amount)).ToList())).ToList();

        if (ranked.Count == 0)
            return new MatchDecision(payment.Id, MatchAction.Review, 0m, "no member found: no reference, e-mail or name matches",
                [], [], "Hold as unapplied cash and contact the payer or the bank for remittance details.");

        var top = ranked[0];
        var confidence = Confidence(top.Logit);
        var blockers = Blockers(payment, top, referencedInvoices, referencedMembers, strongPayers, memoNamed, explicitMembers);
        // A second allocation that is itself clean and nearly as likely makes the payment ambiguous.
        // (Without a plan a hypothesis is always blocked: no need to write out why.)
        var runnerUp = ranked.Skip(1).FirstOrDefault(h => h.Plan is not null && h.Key != top.Key && Blockers(payment, h, referencedInvoices, referencedMembers, strongPayers, memoNamed, explicitMembers).Count == 0);
        if (runnerUp is not null && runnerUp.Logit >= top.Logit - (double)options.RunnerUpLogitMargin)
            blockers.Add($"{runnerUp.Primary.Member.FullName} ({runnerUp.Primary.Id}) fits almost as well");
        if (repeatOf is { } rep) blockers.Add($"repeats payment {rep.PaymentId} of this run (same payer, amount and memo), {(rep.Applied ? "already applied" : "held for review")} (possible duplicate)");
        if (confidence < options.AutoApplyConfidence) blockers.Add($"confidence {confidence.ToString("0.00", CultureInfo.InvariantCulture)} below {options.AutoApplyConfidence.ToString("0.00", CultureInfo.InvariantCulture)}");

        var evidence = string.Join("; ", top.For);
        var allocations = top.Plan is null ? [] : top.Plan.Lines.Select(l => new ProposedAllocation(l.Member, l.Invoice, l.Amount)).ToList();
        if (blockers.Count == 0)
        {
            var what = top.Plan!.Describe();
            return new MatchDecision(payment.Id, MatchAction.Apply, confidence, $"{evidence}; {what}", allocations, candidates, "Applied; posts after the hold window unless overridden.");
        }

        var suggestion = repeatOf is { } repeat
            ? $"Check for a duplicate of payment {repeat.PaymentId} (same payer, amount and memo); refund or keep as credit unless the payer confirms it pays more."
            : top.Plan is not null
            ? $"Confirm and apply to {top.Primary.Member.FullName} ({top.Primary.Id}): {top.Plan.Describe()}."
            : top.Duplicate is not null
                ? $"Check for a duplicate payment by {top.Primary.Member.FullName} ({top.Primary.Id}); refund or keep as credit."
                : $"Likely {top.Primary.Member.FullName} ({top.Primary.Id}); agree the allocation with the member or hold as credit on account.";
        var reason = $"review: {string.Join("; ", blockers)}" + (evidence.Length > 0 ? $" | best: {top.Primary.Member.FullName} ({top.Primary.Id}): {evidence}" : "");
        return new MatchDecision(payment.Id, MatchAction.Review, confidence, reason, allocations, candidates, suggestion);
    }

    public static decimal Confidence(double logit) => decimal.Round((decimal)(1.0 / (1.0 + Math.Exp(-logit))), 4);
}
