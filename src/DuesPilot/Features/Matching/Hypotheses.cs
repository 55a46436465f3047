using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Features.Matching;

/// <summary>
/// Hypotheses and allocation: who paid for whom and which open invoices the amount settles, each with its
/// log-odds from <see cref="MatchingRules"/> and the evidence for and against it in words.
/// </summary>
internal sealed class HypothesisBuilder(CandidateIndex index, MatchOptions options)
{
    private readonly MatchingRules rules = options.Rules;

    /// <summary>
    /// Every allocation the candidates support, best first: each candidate paying their own (or referenced)
    /// invoices, an identified payer paying for their household, staff or chapter, a chapter named by code,
    /// structured remittance and lists of member ids. The same allocation reached two ways is kept once.
    /// </summary>
    public List<Hypothesis> Rank(Payment payment, PaymentEvidence ev, Dictionary<string, Candidate> cands)
    {
        var hypotheses = new List<Hypothesis>();
        // Who paid (as opposed to whose invoice was named): payer-side evidence only.
        var payerIdentities = cands.Values.Where(c => c.IdentityLogit >= rules.PayerIdentityMinimum && (c.EmailShare > 0 || c.NameScore > 0 || c.MemberRef is not null))
            .OrderByDescending(c => c.IdentityLogit).ThenBy(c => c.Party.Id, StringComparer.Ordinal).ToList();

        var namedElsewhere = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var payer in payerIdentities.Take(3))
        {
            foreach (var h in OnBehalf(payment, ev, payer))
            {
                hypotheses.Add(h);
                // "dues for Mary" from John: John's own invoice is not what this pays.
                if (h.Plan is not null && h.NamedCount > 0) namedElsewhere[payer.Party.Id] = h.Plan.Items.Select(i => i.MemberId.Value).ToHashSet(StringComparer.Ordinal);
            }
        }

        if (ev.MentionsChapter && !payerIdentities.Any(p => p.Party.IsChapter))
            foreach (var h in ChapterByCode(payment, ev)) hypotheses.Add(h);
        foreach (var h in Referenced(payment, ev, cands.Values)) hypotheses.Add(h);

        // The memo names a member by number: paying someone else it does not mention (a spouse, the whole staff) is not what it says.
        var numbered = cands.Values.Where(c => c.ExplicitReference).Select(c => c.Party.Id).ToHashSet(StringComparer.Ordinal);
        if (numbered.Count > 0)
        {
            foreach (var h in hypotheses.Where(h => h.OnBehalf && h.NamedCount == 0 && h.Plan is not null && !h.Plan.Lines.Any(l => numbered.Contains(l.Member.Value))))
            {
                h.Logit -= rules.NamedElsewherePenalty;
                h.Against.Add("memo names a member by number whom this allocation does not pay");
            }
        }

        foreach (var c in cands.Values) hypotheses.Add(Direct(payment, c, payerIdentities, cands.Values, namedElsewhere));

        // Same allocation reached two ways (e-mail and household): keep the best-supported one (the first of equals).
        var ranked = new List<Hypothesis>(hypotheses.Count);
        var byKey = new Dictionary<string, int>(hypotheses.Count, StringComparer.Ordinal);
        foreach (var h in hypotheses)
        {
            if (!byKey.TryGetValue(h.Key, out var at)) { byKey.Add(h.Key, ranked.Count); ranked.Add(h); }
            else if (h.Logit.CompareTo(ranked[at].Logit) > 0) ranked[at] = h;
        }

        // Best first; equals by member id, then as found (a stable order, whatever the sort does with ties).
        var order = new (Hypothesis H, int Found)[ranked.Count];
        for (var i = 0; i < order.Length; i++) order[i] = (ranked[i], i);
        Array.Sort(order, static (a, b) =>
        {
            var byLogit = b.H.Logit.CompareTo(a.H.Logit);
            if (byLogit != 0) return byLogit;
            var byId = string.CompareOrdinal(a.H.Primary.Id, b.H.Primary.Id);
            return byId != 0 ? byId : a.Found.CompareTo(b.Found);
        });
        for (var i = 0; i < order.Length; i++) ranked[i] = order[i].H;

        return ranked;
    }

    /// <summary>A candidate paying their own invoices (or the ones they referenced).</summary>
    private Hypothesis Direct(Payment payment, Candidate c, List<Candidate> payerIdentities, ICollection<Candidate> all, Dictionary<string, HashSet<string>> namedElsewhere)
    {
        var h = new Hypothesis(c.Party);
        h.Logit = rules.Prior + c.IdentityLogit;
        h.DescribeFirst(c);
        if (c.MemoNamed) { h.Logit += rules.MemoNamedBonus; h.AddFor("named in memo"); }

        var referenced = c.InvoiceRefs.Count == 0 ? [] : c.InvoiceRefs.Select(r => r.Invoice).Distinct().ToList();
        List<OpenItem> items;
        if (referenced.Count > 0)
        {
            items = [];
            foreach (var i in referenced)
                if (i.Balance.IsPositive && i.Balance.Currency == payment.Amount.Currency) items.Add(i.AsItem());
            if (items.Count == 0)
            {
                var settled = referenced.Select(index.SettledBy).FirstOrDefault(s => s is not null);
                h.Duplicate = settled is null ? "referenced invoice has no open balance" : $"referenced invoice already settled by payment {settled} in this run (possible duplicate)";
                h.NoPlanReason = h.Duplicate;
                h.Logit += rules.ReferencedSettledBonus;
                return h;
            }
        }
        else
        {
            items = c.Party.OpenItems(payment.Amount.Currency);
        }

        h.CandidateItemCount = items.Count;
        var plans = AllocationPlanner.Plan(payment.Amount, items, options.VarianceTolerancePercent);
        if (plans.Count == 0 && referenced.Count > 0)
        {
            // The payer referenced one invoice but paid all their open ones: fine. Paying some other
            // invoice than the one referenced is not: the memo and the amount disagree.
            var everything = c.Party.OpenItems(payment.Amount.Currency);
            plans = AllocationPlanner.Plan(payment.Amount, everything, options.VarianceTolerancePercent)
                .Where(pl => pl.Kind == PlanKind.Exact && pl.Items.Count == everything.Count).ToList();
        }



        Score(h, plans, c.Party, payment, c.IdentityLogit + (c.MemoNamed ? rules.MemoNamedBonus : 0.0));
        // "dues for Joann and Owen" from Owen: paying only Owen's own invoices is not what the memo says.
        if (h.Plan is not null && namedElsewhere.TryGetValue(c.Party.Id, out var namedPlan) && !namedPlan.SetEquals(h.Plan.Items.Select(i => i.MemberId.Value)))
        {
            h.Logit -= rules.NamedElsewherePenalty;
            h.Against.Add("memo names other members this allocation does not pay");
        }
        if (h.Plan is null && c.Party.Invoices.Count > 0 && c.Party.Invoices.All(i => !i.Balance.IsPositive))
        {
            var settled = c.Party.Invoices.Select(index.SettledBy).FirstOrDefault(s => s is not null);
            if (settled is not null)
            {
                h.Duplicate = $"open invoices already settled by payment {settled} in this run (possible duplicate)";
                h.Logit += rules.DuplicateBonus;
            }
        }

        // Conflicting references: the memo names this member's invoice but the e-mail or name is someone unrelated's.
        if (c.InvoiceRefs.Count > 0 || c.MemberRef is not null)
        {
            Candidate? other = null;
            foreach (var p in payerIdentities)
            {
                if (p.Party != c.Party && (p.EmailShare > 0 || p.NameScore >= 0.85) && !index.Related(p.Party, c.Party) && p.InvoiceRefs.Count == 0)
                {
                    other = p;
                    break;
                }
            }

            if (other is not null && !(c.EmailShare > 0 || c.NameScore >= 0.7))
            {
                if (c.ExplicitReference && h.Plan is { Kind: PlanKind.Exact } && !index.FitsAmount(other.Party, payment.Amount, exactOnly: false))
                {
                    // Someone paying another member's invoice: the reference says whose, and the payer owes nothing of that amount.
                    h.AddFor($"paid by {other.Party.Member.FullName} ({other.Party.Id}) for this member");
                }
                else
                {
                    h.Conflict = index.FitsAmount(other.Party, payment.Amount, exactOnly: false)
                        ? $"conflict: payer {other.Party.Member.FullName} ({other.Party.Id}) owes this amount too, and the memo names {c.Party.Member.FullName} ({c.Party.Id})"
                        : $"payer looks like {other.Party.Member.FullName} ({other.Party.Id}), who is not related to this member";
                    h.Against.Add(h.Conflict);
                    h.Logit -= rules.ConflictPenalty;
                }
            }
        }
        else if (c.IdentityLogit > 0)
        {
            Candidate? referencedOther = null;
            foreach (var p in all)
            {
                if (p.Party != c.Party && p.InvoiceRefs.Count > 0 && !index.Related(p.Party, c.Party))
                {
                    referencedOther = p;
                    break;
                }
            }

            if (referencedOther is not null)
            {
                h.Conflict = $"memo references invoice of {referencedOther.Party.Member.FullName} ({referencedOther.Party.Id})";
                h.Against.Add(h.Conflict);
                h.Logit -= rules.OtherInvoicePenalty;
            }
        }

        h.NameOnlyAmbiguous = c.NameRivals > 0 && c.InvoiceRefs.Count == 0 && c.MemberRef is null && c.EmailShare == 0 && !c.MemoNamed;
        // An unlabelled number (a ZIP code, a phone extension, a check number written in the memo) can equal
        // any member id or invoice id by chance: alone it never applies money.
        var labelled = c.InvoiceRefs.Any(r => r.Label is ReferenceLabel.Invoice) || c.MemberRef is ReferenceLabel.Member
            || (c.ExplicitReference && h.Plan is { Kind: PlanKind.Exact });
        if (!labelled && (c.InvoiceRefs.Count > 0 || c.MemberRef is not null) && c.EmailShare == 0 && c.NameScore < 0.3 && !c.MemoNamed)
        {
            h.Uncorroborated = "only an unlabelled number in the memo links the payment to this member";
            h.Against.Add(h.Uncorroborated);
        }

        // A family e-mail names the household, not the person: the name must single this member out.
        if (c.EmailShare > 1 && (c.NameScore < 0.85 || c.NameRivals > 0) && !c.MemoNamed && c.InvoiceRefs.Count == 0 && c.MemberRef is null)
        {
            h.Uncorroborated = "e-mail shared by a household and the name does not single out this member";
            h.Against.Add(h.Uncorroborated);
        }

        return h;
    }

    /// <summary>An identified payer paying for others: household members, an employer's people, a chapter's list.</summary>
    private IEnumerable<Hypothesis> OnBehalf(Payment payment, PaymentEvidence ev, Candidate payer)
    {
        var p = payer.Party;
        var scopes = new List<(string Kind, PartyGroup PartyGroup)>();
        if (p.Member.HouseholdId is { Length: > 0 } hh && index.Households.TryGetValue(hh, out var household))
            scopes.Add(("household", household));
        if (p.Member.Kind == PartyKind.Organization && index.StaffOf.TryGetValue(p.Id, out var staff))
            scopes.Add(("organization", staff));
        if (p.Member.Kind == PartyKind.Organization && p.IsChapter && index.ChapterOthers.TryGetValue(p.Id, out var chapterMembers))
            scopes.Add(("chapter", chapterMembers));

        foreach (var (kind, group) in scopes)
        {
            var people = group.People;
            var named = index.FindNamedInMemo(ev.MemoSegments, group).ToList();
            List<Party> beneficiaries;
            string basis;
            var family = kind == "household" && named.Count == 0 && ev.MentionsFamily;
            if (named.Count > 0) { beneficiaries = named; basis = $"memo names {named.Count} {kind} member(s)"; }
            else if (family) { beneficiaries = people; basis = "the household (memo says it pays for the family)"; }
            else if (kind == "household") { beneficiaries = people; basis = "household members (none named in memo)"; }
            // At most 12 with something open (counting stops at 13: a chapter's thousand members are not all read).
            else if (people.Where(m => m.HasOpen(payment.Amount.Currency)).Take(13).Count() is > 0 and <= 12) { beneficiaries = people; basis = $"all {kind} members with open invoices"; }
            else continue;

            // The payer's own invoices alone are the direct hypothesis; here at least one other person must be paid.
            var items = beneficiaries.Where(b => b != p || (kind == "household" && (named.Contains(p) || family))).SelectMany(b => b.OpenItems(payment.Amount.Currency)).ToList();
            if (items.Count == 0) continue;
            var h = new Hypothesis(named.Count > 0 ? named[0] : p) { OnBehalf = true, NamedCount = named.Count };
            h.Logit = rules.Prior + payer.IdentityLogit;
            h.DescribeFirst(payer);
            h.AddFor($"paid by {p.Member.FullName} for {basis}");
            if (named.Count > 0) h.Logit += rules.GroupNamedBonus;
            var mustCover = named.Count == 0 ? null : named.Where(n => n.HasOpen(payment.Amount.Currency)).Select(n => new MemberId(n.Id)).ToHashSet();
            var owingMembers = beneficiaries.Where(b => b.HasOpen(payment.Amount.Currency)).ToList();
            // "family dues": everyone in the household who owes; "dues x2": that many of them, and then only if exactly that many owe.
            if (family && (ev.FamilyCount is null || ev.FamilyCount == owingMembers.Count)) mustCover = owingMembers.Select(n => new MemberId(n.Id)).ToHashSet();
            else if (family) continue;
            var unresolved = named.Count == 0 ? null : index.Unresolved(ev.MemoSegments, named);
            h.CandidateItemCount = items.Count;
            var plans = AllocationPlanner.Plan(payment.Amount, items, options.VarianceTolerancePercent, mustCover);
            if ((named.Count == 0 && kind != "household") || family) plans = plans.Where(pl => pl.Kind == PlanKind.Exact && pl.Items.Count == items.Count).ToList();
            if (family) h.Logit += rules.GroupNamedBonus;
            Score(h, plans, p, payment, payer.IdentityLogit + (named.Count > 0 ? rules.GroupNamedBonus : 0.0));
            if (named.Count > 0 && h.Plan is not null && h.Plan.Items.Select(i => i.MemberId).Distinct().Count() == 1)
                h.Primary = index[h.Plan.Items[0].MemberId.Value];
            h.NameOnlyAmbiguous = payer.NameRivals > 0 && payer.EmailShare == 0 && payer.MemberRef is null && payer.InvoiceRefs.Count == 0;
            if (unresolved is not null) { h.Conflict = unresolved; h.Against.Add(unresolved); }
            // Paying a spouse's invoice without saying so may as well be an advance on one's own dues.
            if (named.Count == 0 && !family && kind == "household" && h.Plan is not null && h.Plan.Items.Any(i => i.MemberId.Value != p.Id))
            {
                h.Conflict = "pays a household member's invoice the memo does not mention";
                h.Logit -= rules.UnmentionedHouseholdPenalty;
            }
            yield return h;
        }
    }

    /// <summary>
    /// Invoices and members the memo names by number, paid together: structured remittance (X12 RMR,
    /// camt documents) with its per-invoice amounts as the allocation, or a list of member ids ("dues:
    /// 928401 Kirby; 687502 Schneider") whose open balances add up to the amount. The payer need not be
    /// related: the numbers say whose invoices these are.
    /// </summary>
    private IEnumerable<Hypothesis> Referenced(Payment payment, PaymentEvidence ev, ICollection<Candidate> all)
    {
        var currency = payment.Amount.Currency;
        if (ev.Remittance.Count > 0 && RemittanceAllocation(payment, ev) is { } remitted) yield return remitted;

        var referenced = all.Where(c => c.ExplicitReference).OrderBy(c => c.Party.Id, StringComparer.Ordinal).ToList();
        if (referenced.Count < 2) yield break;
        var items = new List<OpenItem>();
        var mustCover = new HashSet<MemberId>();
        var mustPay = new HashSet<InvoiceId>();
        foreach (var c in referenced)
        {
            var refInvoices = c.InvoiceRefs.Select(r => r.Invoice).Distinct().Where(i => i.Balance.IsPositive && i.Balance.Currency == currency).ToList();
            if (refInvoices.Count > 0)
            {
                items.AddRange(refInvoices.Select(i => i.AsItem()));
                foreach (var i in refInvoices) mustPay.Add(i.Id);
            }
            else
            {
                items.AddRange(c.Party.OpenItems(currency));
            }

            if (c.Party.HasOpen(currency)) mustCover.Add(new MemberId(c.Party.Id));
        }

        if (mustCover.Count < 2) yield break;
        var primary = referenced.First(c => c.Party.HasOpen(currency)).Party;
        var h = new Hypothesis(primary) { OnBehalf = true, NamedCount = mustCover.Count };
        h.Logit = rules.Prior + rules.GroupReferencedIdentity;
        h.AddFor($"memo names {mustCover.Count} members by number ({string.Join(", ", referenced.Select(c => c.Party.Id))})");
        h.CandidateItemCount = items.Count;
        var plans = AllocationPlanner.Plan(payment.Amount, items, options.VarianceTolerancePercent, mustCover)
            .Where(pl => mustPay.All(id => pl.Items.Any(i => i.InvoiceId == id))).ToList();
        Score(h, plans, primary, payment, rules.GroupReferencedIdentity);
        if (index.SurnameMismatch(payment.Memo ?? "", referenced) is { } mismatch) { h.Conflict = mismatch; h.Against.Add(mismatch); }
        yield return h;
    }

    /// <summary>
    /// Per-invoice amounts of structured remittance as the allocation. Null when the remittance does not
    /// add up to the payment (the other hypotheses then decide); a blocked hypothesis when it names an
    /// invoice not open here or pays more than an invoice's balance.
    /// </summary>
    private Hypothesis? RemittanceAllocation(Payment payment, PaymentEvidence ev)
    {
        var currency = payment.Amount.Currency;
        var lines = new List<(OpenInvoice Invoice, Money Amount)>();
        foreach (var line in ev.Remittance)
        {
            var invoices = new List<OpenInvoice>();
            foreach (var r in line.References)
            {
                if (!index.TryGetInvoices(r, out var found) || found.Count != 1) return null;
                invoices.Add(found[0]);
            }

            if (line.Amount is { } stated && invoices.Count == 1)
            {
                lines.Add((invoices[0], Money.FromDecimal(stated, currency, Rounding.HalfAwayFromZero)));
            }
            else
            {
                // Several invoices under one total (or no amount at all): each is paid in full, and the total must say so.
                if (line.Amount is { } total && Money.Sum(invoices.Select(i => i.Balance), currency) != Money.FromDecimal(total, currency, Rounding.HalfAwayFromZero)) return null;
                lines.AddRange(invoices.Select(i => (i, i.Balance)));
            }
        }

        var merged = lines.GroupBy(l => l.Invoice).Select(g => (Invoice: g.Key, Amount: Money.Sum(g.Select(x => x.Amount), currency))).ToList();
        if (merged.Count == 0 || Money.Sum(merged.Select(l => l.Amount), currency) != payment.Amount) return null;
        var h = new Hypothesis(merged[0].Invoice.Owner) { OnBehalf = true, NamedCount = merged.Select(l => l.Invoice.Owner.Id).Distinct().Count() };
        h.Logit = rules.Prior + rules.InvoiceRefLabelled + rules.AmountExactNatural;
        h.AddFor("structured remittance: " + string.Join(", ", merged.Select(l => $"INV {l.Invoice.Id.Value} {l.Amount.ToPlainString()}")));
        var over = merged.FirstOrDefault(l => l.Amount > l.Invoice.Balance);
        if (over.Invoice is not null)
        {
            h.NoPlanReason = over.Invoice.Balance.IsZero
                ? $"remittance pays INV {over.Invoice.Id.Value}, already settled" + (index.SettledBy(over.Invoice) is { } by ? $" by payment {by} in this run (possible duplicate)" : "")
                : $"remittance pays {over.Amount.ToPlainString()} on INV {over.Invoice.Id.Value}, whose balance is {over.Invoice.Balance.ToPlainString()}";
            h.Against.Add(h.NoPlanReason);
            return h;
        }

        var items = merged.Select(l => l.Invoice.AsItem()).ToList();
        var covered = Money.Sum(items.Select(i => i.Balance), currency);
        var kind = covered == payment.Amount ? PlanKind.Exact : PlanKind.Underpaid;
        h.Plan = new AllocationPlan(kind, merged.Select(l => (new MemberId(l.Invoice.Owner.Id), (InvoiceId?)l.Invoice.Id, l.Amount)).ToList(), payment.Amount - covered, 0, items);
        h.CandidateItemCount = items.Count;
        if (kind == PlanKind.Underpaid) h.AddFor("amounts as remitted (part of the balance)");
        return h;
    }

    /// <summary>
    /// A chapter that is not itself a party in the member file ("OH CHAPTER", "Ohio Chapter ASSN")
    /// remitting for a list of its members: the chapter code or state name picks the chapter, the
    /// memo names the members, and the amount must cover each of them.
    /// </summary>
    private IEnumerable<Hypothesis> ChapterByCode(Payment payment, PaymentEvidence ev)
    {
        var codes = index.ChapterCodes(ev.PayerRaw + " " + payment.Memo);
        foreach (var code in codes.Take(3))
        {
            var named = index.FindNamedInMemo(ev.MemoSegments, index.ChapterPersons[code]).ToList();
            if (named.Count == 0) continue;
            var h = new Hypothesis(named[0]) { OnBehalf = true, NamedCount = named.Count };
            h.Logit = rules.Prior + rules.ChapterCodeIdentity + rules.GroupNamedBonus;
            h.AddFor($"chapter {code} named by the payer; memo names {named.Count} of its members");
            var items = named.SelectMany(b => b.OpenItems(payment.Amount.Currency)).ToList();
            var mustCover = named.Where(n => n.HasOpen(payment.Amount.Currency)).Select(n => new MemberId(n.Id)).ToHashSet();
            h.CandidateItemCount = items.Count;
            Score(h, items.Count == 0 ? [] : AllocationPlanner.Plan(payment.Amount, items, options.VarianceTolerancePercent, mustCover), named[0], payment, rules.ChapterCodeIdentity + rules.GroupNamedBonus);
            if (index.Unresolved(ev.MemoSegments, named) is { } unresolved) { h.Conflict = unresolved; h.Against.Add(unresolved); }
            yield return h;
        }
    }

    private void Score(Hypothesis h, IReadOnlyList<AllocationPlan> plans, Party party, Payment payment, double identity)
    {
        if (plans.Count == 0)
        {
            h.Logit -= rules.NoPlanPenalty;
            h.NoPlanReason = !h.OnBehalf && !party.HasOpen(payment.Amount.Currency) ? "member has no open invoice" : "amount differs from the open balances beyond tolerance";
            h.Against.Add(h.NoPlanReason);
            return;
        }

        var plan = plans[0];
        h.Plan = plan;
        // An amount that fits says little about a member the name barely points to: with thousands of
        // members, many owe exactly 395.00. The bonus grows with the identity evidence it confirms.
        var weight = Math.Clamp(identity / rules.AmountFullWeightIdentity, rules.AmountWeightFloor, 1.0);
        // A single invoice or everything the party owes is a natural amount; a proper subset that happens
        // to add up is likelier by chance, and a near miss within tolerance a little weaker still.
        var wholeSet = plan.Items.Count == h.CandidateItemCount;
        h.Logit += weight * plan.Kind switch
        {
            PlanKind.Exact when plan.Items.Count == 1 || wholeSet => rules.AmountExactNatural,
            PlanKind.Exact => rules.AmountExactSubset,
            _ when plan.Items.Count == 1 => rules.AmountTolerantSingle,
            _ => rules.AmountTolerantSet,
        };
        if (plan.IsAmbiguous) { h.Logit -= rules.AmbiguousPlanPenalty; h.Against.Add("another set of invoices fits the same amount"); }
    }
}

internal sealed class Hypothesis(Party primary)
{
    private Candidate? describedBy;
    private List<string> reasonsFor = [];
    private string? key;

    public Party Primary { get; set; } = primary;
    public double Logit { get; set; }
    public AllocationPlan? Plan { get; set; }

    /// <summary>
    /// The evidence for, in words: the candidate's description (written out only when this hypothesis is shown or
    /// chosen: most are neither, and a run has millions) followed by what <see cref="AddFor"/> added.
    /// </summary>
    public List<string> For
    {
        get
        {
            if (describedBy is { } c)
            {
                var all = new List<string>(reasonsFor.Count + 3);
                c.Describe(all);
                all.AddRange(reasonsFor);
                reasonsFor = all;
                describedBy = null;
            }

            return reasonsFor;
        }
    }

    public List<string> Against { get; } = [];
    public string? Duplicate { get; set; }
    public string? Conflict { get; set; }
    public string? NoPlanReason { get; set; }
    public bool NameOnlyAmbiguous { get; set; }
    public string? Uncorroborated { get; set; }
    public bool OnBehalf { get; init; }
    public int CandidateItemCount { get; set; }
    public int NamedCount { get; init; }

    /// <summary>Starts the evidence for with what the payment says about <paramref name="candidate"/> (its fields are final by now).</summary>
    public void DescribeFirst(Candidate candidate)
    {
        if (describedBy is not null || reasonsFor.Count > 0) throw new InvalidOperationException("the candidate's description comes first");
        describedBy = candidate;
    }

    /// <summary>Adds evidence for, after the candidate's description.</summary>
    public void AddFor(string reason) => reasonsFor.Add(reason);

    /// <summary>What the allocation pays (or whose it is, without one); read once the plan and primary are settled, then kept.</summary>
    public string Key => key ??= Plan is null
        ? "member:" + Primary.Id
        : string.Join('|', Plan.Lines.Select(l => $"{l.Member.Value}/{l.Invoice?.Value}/{l.Amount.MinorUnits}").Order(StringComparer.Ordinal));
}
