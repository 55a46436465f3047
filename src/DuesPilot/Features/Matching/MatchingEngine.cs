using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using F23.StringSimilarity;

namespace DuesPilot.Features.Matching;

/// <summary>Turns texts into unit vectors for semantic similarity (the MiniLM sentence encoder in production).</summary>
public interface INameEmbedder
{
    IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts);
}

/// <summary>
/// Matches payments to members and open invoices. <see cref="Build"/> indexes the members and
/// open invoices once; <see cref="Decide"/> then costs a few dictionary look-ups per payment
/// (blocking by invoice id, member id, e-mail, surname, Soundex and surname trigrams), never a
/// scan of all members. Decisions that apply lower the in-memory balances, so later payments of
/// the same run see what earlier ones settled.
/// </summary>
public sealed class MatchingEngine
{
    private static readonly JaroWinkler Jw = new();

    /// <summary>Score of a given name that only partly fits (same first letters, similar shape): below every listed form.</summary>
    private const double PartialGivenNameScore = 0.6;

    /// <summary>Name candidates kept per payment; rivals beyond this are counted but not scored one by one.</summary>
    private const int MaxNameCandidates = 40;

    private readonly MatchOptions options;
    private readonly MatchingRules rules;
    private readonly NameLexicon lexicon;
    private readonly INameEmbedder? embedder;
    private readonly Dictionary<string, Party> members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<OpenInvoice>> invoicesByRef = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Party>> membersByRef = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Party>> byEmail = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Party>> bySurname = new(StringComparer.Ordinal);
    private readonly HashSet<string> givenNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> surnamesBySoundex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> surnamesByTrigram = new(StringComparer.Ordinal);
    private readonly string[] sortedSurnames;
    private readonly Dictionary<string, List<Party>> orgsByCore = new(StringComparer.Ordinal);
    private readonly string[] sortedOrgCores;
    private readonly Dictionary<string, List<string>> orgCoresByTrigram = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Party>> byHousehold = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Party>> byOrganization = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Party>> byChapter = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> households = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> staffOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> chapterPersons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> chapterOthers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> settledBy = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string PaymentId, bool Applied)> earlierByRepeatKey = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, float[]> embeddingCache = new(StringComparer.Ordinal);
    private readonly Lock embedderLock = new();

    /// <summary>
    /// The parties whose balances the evaluation running on this thread has read (null when not tracking):
    /// <see cref="DecideAll"/> re-evaluates a payment when a payment committed before it changed any of them.
    /// </summary>
    [ThreadStatic]
    private static HashSet<Party>? reads;

    private MatchingEngine(MatchOptions options, NameLexicon lexicon, INameEmbedder? embedder)
    {
        options.Validate();
        // The lists the rules read are part of the rules: their hash goes into the rule version of every decision.
        this.options = options with { ReferenceData = MatchingReferenceData.Version(lexicon) };
        rules = options.Rules;
        this.lexicon = lexicon;
        this.embedder = options.UseEmbeddings ? embedder : null;
        sortedSurnames = [];
        sortedOrgCores = [];
    }

    private MatchingEngine(MatchOptions options, NameLexicon lexicon, INameEmbedder? embedder, IEnumerable<Member> memberList, IEnumerable<Invoice> openInvoices)
        : this(options, lexicon, embedder)
    {
        foreach (var m in memberList)
        {
            var party = new Party(m, lexicon);
            members[m.Id.Value] = party;
            AddTo(membersByRef, PaymentEvidence.NormalizeReference(m.Id.Value), party);
            if (!string.IsNullOrWhiteSpace(m.Email)) AddTo(byEmail, m.Email.Trim().ToLowerInvariant(), party);
            if (m.HouseholdId is { Length: > 0 } h) AddTo(byHousehold, h, party);
            if (m.OrganizationId is { } o) AddTo(byOrganization, o.Value, party);
            if (m.ChapterId is { Length: > 0 } c) AddTo(byChapter, c.ToUpperInvariant(), party);
            if (m.Kind == PartyKind.Organization)
            {
                if (party.OrgCore.Length > 0) AddTo(orgsByCore, party.OrgCore, party);
            }
            else
            {
                foreach (var s in party.SurnameKeys) AddTo(bySurname, s, party);
                if (party.FirstKey.Length > 0) givenNames.Add(party.FirstKey);
            }
        }

        // Households, staff and chapters are fixed for the run: their member lists (and, for large ones, a set
        // to test membership) are built once, not per payment.
        foreach (var (key, list) in byHousehold) households[key] = new Group(list);
        foreach (var (key, list) in byOrganization) staffOf[key] = new Group(list);
        foreach (var (code, list) in byChapter)
        {
            chapterPersons[code] = new Group([.. list.Where(m => m.Member.Kind == PartyKind.Person)]);
            foreach (var chapter in list.Where(m => m.Member.Kind == PartyKind.Organization && m.IsChapter))
                chapterOthers[chapter.Id] = new Group([.. list.Where(m => m != chapter)]);
        }

        foreach (var surname in bySurname.Keys)
        {
            AddTo(surnamesBySoundex, NameText.Soundex(surname), surname);
            foreach (var g in Trigrams(surname)) AddTo(surnamesByTrigram, g, surname);
        }

        foreach (var core in orgsByCore.Keys)
            foreach (var g in Trigrams(core)) AddTo(orgCoresByTrigram, g, core);
        sortedSurnames = [.. bySurname.Keys.Order(StringComparer.Ordinal)];
        sortedOrgCores = [.. orgsByCore.Keys.Order(StringComparer.Ordinal)];

        foreach (var inv in openInvoices)
        {
            if (!members.TryGetValue(inv.MemberId.Value, out var owner))
                throw new ArgumentException($"Invoice {inv.Id} is billed to unknown member {inv.MemberId}.", nameof(openInvoices));
            var open = new OpenInvoice(inv.Id, owner, inv.DueDate, inv.Balance);
            owner.Invoices.Add(open);
            var key = PaymentEvidence.NormalizeReference(inv.Id.Value);
            AddTo(invoicesByRef, key, open);
            // "INV-000123" is often written "123": index the digits without prefix and leading zeros too.
            var digits = new string(key.Where(char.IsAsciiDigit).ToArray()).TrimStart('0');
            if (digits.Length >= 3 && digits != key) AddTo(invoicesByRef, digits, open);
        }
    }

    /// <summary>The options decided with, their <see cref="MatchOptions.ReferenceData"/> set from this engine's lexicon.</summary>
    public MatchOptions Options => options;

    /// <summary>The rule version an engine built with these options (and lexicon, default the shipped lists) writes on its decisions.</summary>
    public static string RuleVersionOf(MatchOptions options, NameLexicon? lexicon = null) =>
        (options with { ReferenceData = MatchingReferenceData.Version(lexicon ?? MatchingReferenceData.Lexicon) }).RuleVersion;

    /// <summary>Indexes members and open invoices for one run.</summary>
    /// <exception cref="ArgumentException">An invoice names a member that is not in <paramref name="memberList"/>.</exception>
    public static MatchingEngine Build(IEnumerable<Member> memberList, IEnumerable<Invoice> openInvoices, MatchOptions? options = null, INameEmbedder? embedder = null, NameLexicon? lexicon = null) =>
        new(options ?? MatchOptions.Default, lexicon ?? MatchingReferenceData.Lexicon, embedder, memberList, openInvoices);

    /// <summary>The current open balance of an invoice in this run (zero once settled).</summary>
    public Money? BalanceOf(InvoiceId id) =>
        invoicesByRef.TryGetValue(PaymentEvidence.NormalizeReference(id.Value), out var list) ? list.FirstOrDefault(i => i.Id == id)?.Balance : null;

    /// <summary>Decides one payment and, when the decision is to apply, lowers the balances it pays.</summary>
    public MatchDecision Decide(Payment payment)
    {
        var decision = Evaluate(payment);
        if (decision.Action == MatchAction.Apply) Commit(payment, decision.Allocations);
        else Reviewed(payment);
        return decision;
    }

    /// <summary>Records that a payment went to review, so that the same payment arriving again is held beside it.</summary>
    public void Reviewed(Payment payment) => earlierByRepeatKey.TryAdd(RepeatKey(payment), (payment.Id.Value, false));

    /// <summary>Records allocations decided elsewhere (a reviewer's choice) so later payments see the balances.</summary>
    public void Commit(Payment payment, IReadOnlyList<ProposedAllocation> allocations) => CommitChanged(payment, allocations);

    /// <summary>
    /// Decides payments in the order given, with the same decisions as calling <see cref="Decide"/> on each
    /// in turn. Finding candidates and scoring do not depend on earlier decisions, only the balances do: a
    /// block of payments is evaluated in parallel against the balances at its start, then committed in
    /// order; a payment whose evaluation read a party whose balance an earlier payment of the block changed
    /// is evaluated again at that point, so the result is identical to the sequential run.
    /// </summary>
    public IReadOnlyList<MatchDecision> DecideAll(IReadOnlyList<Payment> payments, int maxDegreeOfParallelism = -1, Action<int>? progress = null)
    {
        const int Block = 1024;
        var results = new MatchDecision[payments.Count];
        var readSets = new HashSet<Party>[Block];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount };
        for (var start = 0; start < payments.Count; start += Block)
        {
            var n = Math.Min(Block, payments.Count - start);
            var first = start;
            Parallel.For(0, n, parallel, i =>
            {
                var set = new HashSet<Party>();
                reads = set;
                try
                {
                    results[first + i] = Evaluate(payments[first + i]);
                }
                finally
                {
                    reads = null;
                }

                readSets[i] = set;
            });

            var changed = new HashSet<Party>();
            var repeated = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < n; i++)
            {
                var payment = payments[start + i];
                if ((changed.Count > 0 && readSets[i].Overlaps(changed)) || (repeated.Count > 0 && repeated.Contains(RepeatKey(payment)))) results[start + i] = Evaluate(payment);
                var decision = results[start + i];
                if (decision.Action == MatchAction.Apply) changed.UnionWith(CommitChanged(payment, decision.Allocations));
                else Reviewed(payment);
                repeated.Add(RepeatKey(payment));
            }

            progress?.Invoke(start + n);
        }

        return results;
    }

    private List<Party> CommitChanged(Payment payment, IReadOnlyList<ProposedAllocation> allocations)
    {
        var changed = new List<Party>();
        if (allocations.Count > 0)
        {
            var key = RepeatKey(payment);
            // A payment first held for review and then applied by a reviewer counts as applied.
            if (!earlierByRepeatKey.TryGetValue(key, out var earlier) || !earlier.Applied) earlierByRepeatKey[key] = (payment.Id.Value, true);
        }
        foreach (var a in allocations)
        {
            if (a.InvoiceId is not { } id) continue;
            if (!invoicesByRef.TryGetValue(PaymentEvidence.NormalizeReference(id.Value), out var list)) continue;
            var inv = list.FirstOrDefault(i => i.Id == id);
            if (inv is null) continue;
            inv.Balance = Money.Max(Money.Zero(inv.Balance.Currency), inv.Balance - a.Amount);
            if (inv.Balance.IsZero) settledBy[id.Value] = payment.Id.Value;
            changed.Add(inv.Owner);
        }

        return changed;
    }

    /// <summary>
    /// What makes a payment the same as another for a clerk: the payer (name and e-mail), the amount and the memo.
    /// The channel's own reference (check number, card transaction id) differs between a payment and its resubmission.
    /// </summary>
    private static string RepeatKey(Payment payment) =>
        string.Join('\u001f', NameText.Fold(payment.PayerName), (payment.PayerEmail ?? "").Trim().ToLowerInvariant(),
            payment.Amount.Currency.ToString(), payment.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture), NameText.Fold(payment.Memo));

    /// <summary>The payment that settled an invoice earlier in this run, if any (a read of the owner's state).</summary>
    private string? SettledBy(OpenInvoice invoice)
    {
        reads?.Add(invoice.Owner);
        return settledBy.GetValueOrDefault(invoice.Id.Value);
    }

    /// <summary>Decides without changing any balance (what-if, and the review screen's re-analysis).</summary>
    public MatchDecision Evaluate(Payment payment)
    {
        var ev = PaymentEvidence.Extract(payment, lexicon);
        var cands = new Dictionary<string, Cand>(StringComparer.Ordinal);
        Cand Get(Party p)
        {
            if (!cands.TryGetValue(p.Id, out var c)) cands[p.Id] = c = new Cand(p, rules);
            return c;
        }

        // 1. Exact keys: references the payer wrote, then the e-mail.
        foreach (var r in ev.References)
        {
            if (invoicesByRef.TryGetValue(r.Value, out var invs))
                foreach (var inv in invs) Get(inv.Owner).InvoiceRefs.Add((inv, r.Shaped && r.Label == ReferenceLabel.Bare ? ReferenceLabel.Invoice : r.Label));
            var memberKey = r.Value;
            if (membersByRef.TryGetValue(memberKey, out var ms) && !(r.Shaped && invoicesByRef.ContainsKey(r.Value)))
                foreach (var m in ms) Get(m).MemberRef = Stronger(Get(m).MemberRef, r.Label);
        }

        if (ev.Email is { } email && byEmail.TryGetValue(email, out var byMail))
            foreach (var m in byMail) Get(m).EmailShare = byMail.Count;

        // 2. Names: the payer as a person and as an organization.
        var personMatches = FindPersons(ev.PayerTokens, ev.PayerMayBeTruncated);
        // "SMITH" alone fits hundreds of members: keep the best few so a common surname costs no more than a rare one.
        if (personMatches.Count > MaxNameCandidates)
            personMatches = personMatches.OrderByDescending(m => m.Score).ThenBy(m => m.Party.Id, StringComparer.Ordinal).Take(MaxNameCandidates).ToList();
        foreach (var (p, score, kind) in personMatches)
        {
            var c = Get(p);
            if (score > c.NameScore) (c.NameScore, c.NameKind) = (score, kind);
        }

        foreach (var (p, score, kind) in FindOrganizations(ev.PayerRaw, ev.PayerMayBeTruncated))
        {
            var c = Get(p);
            if (score > c.NameScore) (c.NameScore, c.NameKind) = (score, kind);
        }

        // How many members share the payer's best name level: two "John Smith"s make the name say nothing alone.
        // A joint account ("ROBERT OR MARY SMITH") names two people of one household: they are one payer, not
        // rivals. Two of the same given name in one household (father and son) still are.
        var named = cands.Values.Where(c => c.NameScore > 0).ToList();
        static string PayerKey(Party p) => p.Member.HouseholdId is { Length: > 0 } h ? "H:" + h + ":" + p.FirstKey : "M:" + p.Id;
        foreach (var c in named)
        {
            var own = PayerKey(c.Party);
            var sameHousehold = c.Party.Member.HouseholdId;
            // "Patty Martinez" fits Patty exactly and Patricia by nickname: both are rivals of each other.
            var band = Math.Min(c.NameScore - 0.001, 0.8);
            var rivals = named.Where(o => o.NameScore >= band && o.Party != c.Party)
                .Where(o => !(sameHousehold is { Length: > 0 } && o.Party.Member.HouseholdId == sameHousehold && o.Party.FirstKey != c.Party.FirstKey))
                .ToList();
            c.NameRivals = rivals.Select(o => PayerKey(o.Party)).Distinct(StringComparer.Ordinal).Count();
            // Namesakes resolved by amount: when this member owes the amount and none of the others could
            // have meant it (nothing open fits it, exactly or within tolerance), the name points to this one.
            if (c.NameRivals > 0 && c.NameScore >= rules.NamesakeMinNameScore && FitsAmount(c.Party, payment.Amount, exactOnly: true)
                && rivals.All(o => !FitsAmount(o.Party, payment.Amount, exactOnly: false) && o.EmailShare == 0 && o.MemberRef is null && o.InvoiceRefs.Count == 0))
            {
                c.ResolvedByAmount = c.NameRivals;
                c.NameRivals = 0;
            }
        }

        // A given name that fits only loosely (an unlisted pet form, or a nickname that is also a name of its own):
        // the amount corroborates it when this member owes exactly the amount and nobody else of that surname owes it.
        foreach (var c in named)
        {
            if (c.NameRivals > 0 || c.NameScore is < PartialGivenNameScore or >= 0.85 || c.EmailShare > 0 || c.MemberRef is not null || c.InvoiceRefs.Count > 0) continue;
            // An initial fits too many; a surname cut or misspelt is another kind of doubt.
            if (c.NameKind.StartsWith("initial", StringComparison.Ordinal) || c.NameKind.Contains("surname", StringComparison.Ordinal)) continue;
            // A pet form that only shares its first letters may belong to anyone of that surname (Sasha is Alexander,
            // not Salma); a listed nickname, short form or misspelling is tied to this given name, so only bearers
            // whose given name starts like the payer's could have meant the amount.
            var loose = c.NameKind.Contains("pet form", StringComparison.Ordinal);
            if (AmountCorroboratesName(c.Party, ev.PayerTokens, payment.Amount, anyGivenName: loose))
            {
                c.NameScore = rules.CorroboratedNameScore;
                c.NameKind += "; the only member of that surname owing this amount";
            }
        }

        // 3. Members named in the memo ("dues for Jane Doe and Bob Smith").
        foreach (var p in FindNamedInMemo(ev.MemoSegments, group: null)) Get(p).MemoNamed = true;

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

        // Same allocation reached two ways (e-mail and household): keep the best-supported one.
        var ranked = hypotheses
            .GroupBy(h => h.Key)
            .Select(g => g.OrderByDescending(h => h.Logit).First())
            .OrderByDescending(h => h.Logit)
            .ThenBy(h => h.Primary.Id, StringComparer.Ordinal)
            .ToList();

        // The hard remainder: a weak leader with a close second. Only there is the encoder worth its cost.
        if (embedder is not null && ranked.Count >= 2 && ranked[0].Logit < 1.0 && ranked[1].Logit >= ranked[0].Logit - 1.0 && ev.PayerTokens.Count > 0) Rerank(ev, ranked);
        var referencedInvoices = cands.Values.SelectMany(c => c.InvoiceRefs.Where(r => r.Label != ReferenceLabel.Member).Select(r => r.Invoice)).Distinct().ToList();
        // A bare number counts as naming a member when that member owes exactly the amount (the conflict the issue describes).
        // So does every member of a list of member ids ("dues: 552568 Reichel; 139306 Larson"): one of them left unpaid is not what the list says.
        var listedMembers = cands.Values.Count(c => c.MemberRef is not null && c.ExplicitReference);
        var referencedMembers = cands.Values.Where(c => c.MemberRef is ReferenceLabel.Member or ReferenceLabel.Hash
                || (c.MemberRef is not null && c.ExplicitReference && (listedMembers >= 2 || FitsAmount(c.Party, payment.Amount, exactOnly: true))))
            .Select(c => c.Party.Id).ToList();
        var explicitMembers = cands.Values.Where(c => c.ExplicitReference).Select(c => c.Party.Id).ToHashSet(StringComparer.Ordinal);
        // Payers the payment itself names without doubt: their e-mail, or their exact name borne by no one else.
        // A name borne by several members still says the payer is one of them: if none of them is paid or related, the references conflict.
        var strongPayers = cands.Values.Where(c => c.EmailShare == 1 || c.NameScore >= 0.85).Select(c => c.Party).ToList();
        // Only a memo name written out in full (given name and surname in one segment) can contradict an allocation.
        var memoNamed = cands.Values.Where(c => c.MemoNamed && ev.MemoSegments.Any(seg => seg.Contains(c.Party.FirstKey) && seg.Any(c.Party.SurnameKeys.Contains)))
            .Select(c => c.Party).ToList();
        return Conclude(payment, ranked, referencedInvoices, referencedMembers, strongPayers, memoNamed, explicitMembers);
    }

    /// <summary>
    /// The payment decided earlier in this run that this one repeats (same payer, amount and memo), if any, and whether
    /// it was applied. A group remittance or a renewal sent twice would otherwise find the same people's other open
    /// invoices to pay; one sent again while the first waits in review would be applied beside it.
    /// </summary>
    private (string PaymentId, bool Applied)? RepeatOf(Payment payment) =>
        earlierByRepeatKey.Count > 0 && earlierByRepeatKey.TryGetValue(RepeatKey(payment), out var earlier) ? earlier : null;

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
                var named = members[otherMembers[0]];
                blockers.Add(FitsAmount(named, payment.Amount, exactOnly: false) && planMembers.Count == 1
                    ? $"conflict: memo names {named.Member.FullName} ({named.Id}), who owes this amount too; this allocation pays {members[planMembers.First()].Member.FullName} ({planMembers.First()})"
                    : $"memo references member {string.Join(", ", otherMembers)}, who this allocation does not pay");
            }

            // The payer is clearly someone: the money must go to them or to people they are known to pay for,
            // unless the memo names by number whose invoices these are and the payer owes nothing of that amount.
            if (strongPayers.Count > 0 && !strongPayers.Any(sp => planMembers.Contains(sp.Id) || planMembers.All(m => Related(sp, members[m]))))
            {
                var sp = strongPayers.First();
                var owes = strongPayers.FirstOrDefault(x => FitsAmount(x, payment.Amount, exactOnly: false));
                if (owes is not null)
                    blockers.Add($"conflict: payer {owes.Member.FullName} ({owes.Id}) owes this amount too, and the memo names {h.Primary.Member.FullName} ({h.Primary.Id})");
                else if (!(h.Plan.Kind == PlanKind.Exact && planMembers.All(explicitMembers.Contains)))
                    blockers.Add($"payer looks like {sp.Member.FullName} ({sp.Id}), who is neither paid nor related to those paid");
            }

            // "Dues for Jane Doe" paid from Robert's e-mail to Robert's invoice: the memo says otherwise.
            var unpaidNamed = memoNamed.Where(m => !planMembers.Contains(m.Id) && m.Id != h.Primary.Id
                && !planMembers.Any(pm => members[pm].SurnameKeys.Overlaps(m.SurnameKeys) && (members[pm].FirstKey == m.FirstKey || lexicon.AreNicknames(members[pm].FirstKey, m.FirstKey)))
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

    private MatchDecision Conclude(Payment payment, List<Hypothesis> ranked, IReadOnlyCollection<OpenInvoice> referencedInvoices, IReadOnlyCollection<string> referencedMembers, IReadOnlyCollection<Party> strongPayers, IReadOnlyCollection<Party> memoNamed, IReadOnlySet<string> explicitMembers)
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
        var runnerUp = ranked.Skip(1).FirstOrDefault(h => h.Key != top.Key && Blockers(payment, h, referencedInvoices, referencedMembers, strongPayers, memoNamed, explicitMembers).Count == 0);
        if (runnerUp is not null && runnerUp.Logit >= top.Logit - (double)options.RunnerUpLogitMargin)
            blockers.Add($"{runnerUp.Primary.Member.FullName} ({runnerUp.Primary.Id}) fits almost as well");
        var repeatOf = RepeatOf(payment);
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

    /// <summary>
    /// The member owes exactly the amount (one invoice or everything open) and no other member bearing the surname the
    /// payer wrote owes it, exactly or within tolerance: any of them (<paramref name="anyGivenName"/>), or those whose
    /// given name starts with a letter the payer's given name starts with.
    /// </summary>
    private bool AmountCorroboratesName(Party p, List<string> payerTokens, Money amount, bool anyGivenName)
    {
        if (!FitsAmount(p, amount, exactOnly: true)) return false;
        var initials = payerTokens.Where(t => !p.SurnameKeys.Contains(t) && t.Length > 0).Select(t => t[0]).ToHashSet();
        foreach (var key in p.SurnameKeys)
        {
            if (!payerTokens.Contains(key) || !bySurname.TryGetValue(key, out var bearers)) continue;
            foreach (var other in bearers)
            {
                if (other == p || !(anyGivenName || other.FirstKey.Length == 0 || initials.Contains(other.FirstKey[0]))) continue;
                if (FitsAmount(other, amount, exactOnly: false)) return false;
            }
        }

        return p.SurnameKeys.Any(payerTokens.Contains);
    }

    /// <summary>Whether the party owes this amount: one open balance or everything open, exactly (or within tolerance).</summary>
    private bool FitsAmount(Party p, Money amount, bool exactOnly)
    {
        var open = p.Invoices.Where(i => i.Balance.IsPositive && i.Balance.Currency == amount.Currency).ToList();
        if (open.Count == 0) return false;
        if (open.Any(i => i.Balance == amount) || open.Sum(i => i.Balance.MinorUnits) == amount.MinorUnits) return true;
        return !exactOnly && (open.Any(i => AllocationPlanner.Within(amount, i.Balance, options.VarianceTolerancePercent))
            || AllocationPlanner.Within(amount, Money.Sum(open.Select(i => i.Balance), amount.Currency), options.VarianceTolerancePercent));
    }

    private static decimal Confidence(double logit) => decimal.Round((decimal)(1.0 / (1.0 + Math.Exp(-logit))), 4);

    /// <summary>A candidate paying their own invoices (or the ones they referenced).</summary>
    private Hypothesis Direct(Payment payment, Cand c, List<Cand> payerIdentities, ICollection<Cand> all, Dictionary<string, HashSet<string>> namedElsewhere)
    {
        var h = new Hypothesis(c.Party);
        h.Logit = rules.Prior + c.IdentityLogit;
        c.Describe(h.For);
        if (c.MemoNamed) { h.Logit += rules.MemoNamedBonus; h.For.Add("named in memo"); }

        var referenced = c.InvoiceRefs.Select(r => r.Invoice).Distinct().ToList();
        List<OpenItem> items;
        if (referenced.Count > 0)
        {
            items = referenced.Where(i => i.Balance.IsPositive && i.Balance.Currency == payment.Amount.Currency).Select(i => i.AsItem()).ToList();
            if (items.Count == 0)
            {
                var settled = referenced.Select(SettledBy).FirstOrDefault(s => s is not null);
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
            var settled = c.Party.Invoices.Select(SettledBy).FirstOrDefault(s => s is not null);
            if (settled is not null)
            {
                h.Duplicate = $"open invoices already settled by payment {settled} in this run (possible duplicate)";
                h.Logit += rules.DuplicateBonus;
            }
        }

        // Conflicting references: the memo names this member's invoice but the e-mail or name is someone unrelated's.
        if (c.InvoiceRefs.Count > 0 || c.MemberRef is not null)
        {
            var other = payerIdentities.FirstOrDefault(p => p.Party != c.Party && (p.EmailShare > 0 || p.NameScore >= 0.85) && !Related(p.Party, c.Party) && p.InvoiceRefs.Count == 0);
            if (other is not null && !(c.EmailShare > 0 || c.NameScore >= 0.7))
            {
                if (c.ExplicitReference && h.Plan is { Kind: PlanKind.Exact } && !FitsAmount(other.Party, payment.Amount, exactOnly: false))
                {
                    // Someone paying another member's invoice: the reference says whose, and the payer owes nothing of that amount.
                    h.For.Add($"paid by {other.Party.Member.FullName} ({other.Party.Id}) for this member");
                }
                else
                {
                    h.Conflict = FitsAmount(other.Party, payment.Amount, exactOnly: false)
                        ? $"conflict: payer {other.Party.Member.FullName} ({other.Party.Id}) owes this amount too, and the memo names {c.Party.Member.FullName} ({c.Party.Id})"
                        : $"payer looks like {other.Party.Member.FullName} ({other.Party.Id}), who is not related to this member";
                    h.Against.Add(h.Conflict);
                    h.Logit -= rules.ConflictPenalty;
                }
            }
        }
        else if (c.IdentityLogit > 0)
        {
            var referencedOther = all.FirstOrDefault(p => p.Party != c.Party && p.InvoiceRefs.Count > 0 && !Related(p.Party, c.Party));
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
    private IEnumerable<Hypothesis> OnBehalf(Payment payment, PaymentEvidence ev, Cand payer)
    {
        var p = payer.Party;
        var scopes = new List<(string Kind, Group Group)>();
        if (p.Member.HouseholdId is { Length: > 0 } hh && households.TryGetValue(hh, out var household))
            scopes.Add(("household", household));
        if (p.Member.Kind == PartyKind.Organization && staffOf.TryGetValue(p.Id, out var staff))
            scopes.Add(("organization", staff));
        if (p.Member.Kind == PartyKind.Organization && p.IsChapter && chapterOthers.TryGetValue(p.Id, out var chapterMembers))
            scopes.Add(("chapter", chapterMembers));

        foreach (var (kind, group) in scopes)
        {
            var people = group.People;
            var named = FindNamedInMemo(ev.MemoSegments, group).ToList();
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
            payer.Describe(h.For);
            h.For.Add($"paid by {p.Member.FullName} for {basis}");
            if (named.Count > 0) h.Logit += rules.GroupNamedBonus;
            var mustCover = named.Count == 0 ? null : named.Where(n => n.HasOpen(payment.Amount.Currency)).Select(n => new MemberId(n.Id)).ToHashSet();
            var owingMembers = beneficiaries.Where(b => b.HasOpen(payment.Amount.Currency)).ToList();
            // "family dues": everyone in the household who owes; "dues x2": that many of them, and then only if exactly that many owe.
            if (family && (ev.FamilyCount is null || ev.FamilyCount == owingMembers.Count)) mustCover = owingMembers.Select(n => new MemberId(n.Id)).ToHashSet();
            else if (family) continue;
            var unresolved = named.Count == 0 ? null : Unresolved(ev.MemoSegments, named);
            h.CandidateItemCount = items.Count;
            var plans = AllocationPlanner.Plan(payment.Amount, items, options.VarianceTolerancePercent, mustCover);
            if ((named.Count == 0 && kind != "household") || family) plans = plans.Where(pl => pl.Kind == PlanKind.Exact && pl.Items.Count == items.Count).ToList();
            if (family) h.Logit += rules.GroupNamedBonus;
            Score(h, plans, p, payment, payer.IdentityLogit + (named.Count > 0 ? rules.GroupNamedBonus : 0.0));
            if (named.Count > 0 && h.Plan is not null && h.Plan.Items.Select(i => i.MemberId).Distinct().Count() == 1)
                h.Primary = members[h.Plan.Items[0].MemberId.Value];
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
    private IEnumerable<Hypothesis> Referenced(Payment payment, PaymentEvidence ev, ICollection<Cand> all)
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
        h.For.Add($"memo names {mustCover.Count} members by number ({string.Join(", ", referenced.Select(c => c.Party.Id))})");
        h.CandidateItemCount = items.Count;
        var plans = AllocationPlanner.Plan(payment.Amount, items, options.VarianceTolerancePercent, mustCover)
            .Where(pl => mustPay.All(id => pl.Items.Any(i => i.InvoiceId == id))).ToList();
        Score(h, plans, primary, payment, rules.GroupReferencedIdentity);
        if (SurnameMismatch(payment.Memo ?? "", referenced) is { } mismatch) { h.Conflict = mismatch; h.Against.Add(mismatch); }
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
                if (!invoicesByRef.TryGetValue(r, out var found) || found.Count != 1) return null;
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
        h.For.Add("structured remittance: " + string.Join(", ", merged.Select(l => $"INV {l.Invoice.Id.Value} {l.Amount.ToPlainString()}")));
        var over = merged.FirstOrDefault(l => l.Amount > l.Invoice.Balance);
        if (over.Invoice is not null)
        {
            h.NoPlanReason = over.Invoice.Balance.IsZero
                ? $"remittance pays INV {over.Invoice.Id.Value}, already settled" + (SettledBy(over.Invoice) is { } by ? $" by payment {by} in this run (possible duplicate)" : "")
                : $"remittance pays {over.Amount.ToPlainString()} on INV {over.Invoice.Id.Value}, whose balance is {over.Invoice.Balance.ToPlainString()}";
            h.Against.Add(h.NoPlanReason);
            return h;
        }

        var items = merged.Select(l => l.Invoice.AsItem()).ToList();
        var covered = Money.Sum(items.Select(i => i.Balance), currency);
        var kind = covered == payment.Amount ? PlanKind.Exact : PlanKind.Underpaid;
        h.Plan = new AllocationPlan(kind, merged.Select(l => (new MemberId(l.Invoice.Owner.Id), (InvoiceId?)l.Invoice.Id, l.Amount)).ToList(), payment.Amount - covered, 0, items);
        h.CandidateItemCount = items.Count;
        if (kind == PlanKind.Underpaid) h.For.Add("amounts as remitted (part of the balance)");
        return h;
    }

    /// <summary>"928401 Kirby": a surname on file written beside a member id must be that member's.</summary>
    private string? SurnameMismatch(string memo, List<Cand> referenced)
    {
        foreach (var part in memo.Split([';', ',', '|', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var words = NameText.Tokens(part);
            foreach (var c in referenced)
            {
                if (c.MemberRef is null || !words.Contains(c.Party.Id.ToLowerInvariant())) continue;
                var surnames = words.Where(w => w.Length > 2 && !w.Any(char.IsDigit) && bySurname.ContainsKey(w) && !lexicon.IsMemoFiller(w)).ToList();
                if (surnames.Count > 0 && !surnames.Any(c.Party.SurnameKeys.Contains))
                    return $"memo writes '{surnames[0]}' beside member id {c.Party.Id}, who is {c.Party.Member.FullName}";
            }
        }

        return null;
    }

    /// <summary>
    /// A chapter that is not itself a party in the member file ("OH CHAPTER", "Ohio Chapter ASSN")
    /// remitting for a list of its members: the chapter code or state name picks the chapter, the
    /// memo names the members, and the amount must cover each of them.
    /// </summary>
    private IEnumerable<Hypothesis> ChapterByCode(Payment payment, PaymentEvidence ev)
    {
        var words = NameText.Tokens(ev.PayerRaw + " " + payment.Memo);
        var codes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < words.Count; i++)
        {
            var upper = words[i].ToUpperInvariant();
            if (byChapter.ContainsKey(upper) && words[i].Length >= 2) codes.Add(upper);
            for (var n = 1; n <= 3 && i + n <= words.Count; n++)
                if (MatchingReferenceData.StateCodes.TryGetValue(string.Concat(words.Skip(i).Take(n)), out var code) && byChapter.ContainsKey(code)) codes.Add(code);
        }

        foreach (var code in codes.Take(3))
        {
            var named = FindNamedInMemo(ev.MemoSegments, chapterPersons[code]).ToList();
            if (named.Count == 0) continue;
            var h = new Hypothesis(named[0]) { OnBehalf = true, NamedCount = named.Count };
            h.Logit = rules.Prior + rules.ChapterCodeIdentity + rules.GroupNamedBonus;
            h.For.Add($"chapter {code} named by the payer; memo names {named.Count} of its members");
            var items = named.SelectMany(b => b.OpenItems(payment.Amount.Currency)).ToList();
            var mustCover = named.Where(n => n.HasOpen(payment.Amount.Currency)).Select(n => new MemberId(n.Id)).ToHashSet();
            h.CandidateItemCount = items.Count;
            Score(h, items.Count == 0 ? [] : AllocationPlanner.Plan(payment.Amount, items, options.VarianceTolerancePercent, mustCover), named[0], payment, rules.ChapterCodeIdentity + rules.GroupNamedBonus);
            if (Unresolved(ev.MemoSegments, named) is { } unresolved) { h.Conflict = unresolved; h.Against.Add(unresolved); }
            yield return h;
        }
    }

    private void Score(Hypothesis h, IReadOnlyList<AllocationPlan> plans, Party party, Payment payment, double identity)
    {
        if (plans.Count == 0)
        {
            h.Logit -= rules.NoPlanPenalty;
            var open = h.OnBehalf ? null : party.OpenItems(payment.Amount.Currency);
            h.NoPlanReason = open is { Count: 0 } ? "member has no open invoice" : "amount differs from the open balances beyond tolerance";
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

    private void Rerank(PaymentEvidence ev, List<Hypothesis> ranked)
    {
        // Semantic similarity only reorders the hard remainder of a review list; it never makes a payment auto-apply.
        var pool = ranked.Take(8).ToList();
        if (pool.Count < 2) return;
        var payerText = string.Join(' ', ev.PayerTokens);
        var texts = new List<string> { payerText };
        texts.AddRange(pool.Select(h => NameText.Fold(h.Primary.Member.FullName)));
        var vectors = EmbedCached(texts);
        for (var i = 0; i < pool.Count; i++)
        {
            var cos = Cosine(vectors[0], vectors[i + 1]);
            pool[i].Logit += rules.EmbeddingWeight * (cos - 0.5);
            pool[i].For.Add($"semantic name similarity {cos.ToString("0.00", CultureInfo.InvariantCulture)}");
        }

        ranked.Sort((a, b) => b.Logit.CompareTo(a.Logit));
    }

    private List<float[]> EmbedCached(List<string> texts)
    {
        var missing = texts.Where(t => !embeddingCache.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            IReadOnlyList<float[]> vectors;
            lock (embedderLock) vectors = embedder!.Embed(missing);
            for (var i = 0; i < missing.Count; i++) embeddingCache[missing[i]] = vectors[i];
        }

        return texts.Select(t => embeddingCache[t]).ToList();
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length && i < b.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    private bool Related(Party a, Party b)
    {
        if (a.Member.HouseholdId is { Length: > 0 } ha && ha == b.Member.HouseholdId) return true;
        if (a.Member.OrganizationId is { } oa && oa.Value == b.Id) return true;
        if (b.Member.OrganizationId is { } ob && ob.Value == a.Id) return true;
        if (a.IsChapter && a.Member.ChapterId is { Length: > 0 } ca && string.Equals(ca, b.Member.ChapterId, StringComparison.OrdinalIgnoreCase)) return true;
        if (b.IsChapter && b.Member.ChapterId is { Length: > 0 } cb && string.Equals(cb, a.Member.ChapterId, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>Persons whose surname and given name both appear in the payer name.</summary>
    private List<(Party Party, double Score, string Kind)> FindPersons(List<string> tokens, bool truncated)
    {
        var found = new Dictionary<string, (Party, double, string)>(StringComparer.Ordinal);
        if (tokens.Count == 0) return [];
        var surnameHits = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Length < 2) continue;
            if (bySurname.ContainsKey(t)) surnameHits[t] = 1.0;
            var isLast = i == tokens.Count - 1;
            if (truncated && isLast)
                foreach (var s in WithPrefix(sortedSurnames, t)) surnameHits.TryAdd(s, 0.97);
            // A misspelt surname is looked for only where the word is neither a surname nor a given name on file.
            if (t.Length >= 4 && !bySurname.ContainsKey(t) && !givenNames.Contains(t))
            {
                foreach (var s in FuzzySurnames(t))
                {
                    var sim = Jw.Similarity(t, s);
                    if (sim >= 0.90 && (!surnameHits.TryGetValue(s, out var old) || old < sim * 0.85)) surnameHits[s] = sim * 0.85;
                }
            }
        }

        // Given names the payer may have written, as first letters (nicknames undone): a common surname's
        // hundreds of members are narrowed to those whose given name can fit before any is scored.
        var initials = new HashSet<char>();
        foreach (var t in tokens) foreach (var c in lexicon.PossibleInitials(t)) initials.Add(c);
        foreach (var (surname, surnameScore) in surnameHits)
        {
            var people = bySurname[surname];
            IEnumerable<Party> pool = people.Count <= 40 ? people : people.Where(p => p.FirstKey.Length == 0 || initials.Contains(p.FirstKey[0]) || p.OtherGivenKeys.Any(tokens.Contains));
            foreach (var p in pool)
            {
                var (first, kind) = GivenNameMatch(p, tokens, truncated);
                var score = first * surnameScore;
                if (p.SurnameParts.Count > 1 && !p.SurnameParts.All(tokens.Contains) && !p.SurnameKeys.Any(k => k.Length > surname.Length && tokens.Contains(k)) && !(truncated && surnameScore < 1.0))
                {
                    score *= 0.6;
                    kind += ", only part of the surname";
                }

                if (surnameScore < 1.0) kind += surnameScore >= 0.97 ? ", surname cut short" : ", surname misspelt";
                if (score <= 0) continue;
                if (!found.TryGetValue(p.Id, out var prev) || prev.Item2 < score) found[p.Id] = (p, score, kind);
            }
        }

        return [.. found.Values];
    }

    private IEnumerable<string> FuzzySurnames(string token)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (surnamesBySoundex.TryGetValue(NameText.Soundex(token), out var sx))
            foreach (var s in sx) if (seen.Add(s)) yield return s;
        var grams = Trigrams(token).ToList();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in grams)
        {
            if (!surnamesByTrigram.TryGetValue(g, out var list) || list.Count > 400) continue;
            foreach (var s in list) counts[s] = counts.GetValueOrDefault(s) + 1;
        }

        var need = Math.Max(2, grams.Count / 3);
        foreach (var (s, n) in counts)
            if (n >= need && seen.Add(s)) yield return s;
    }

    /// <summary>How well the payer tokens carry this person's given name: 1 exact, 0.9 nickname, 0.7 initial, 0.3 absent.</summary>
    private (double Score, string Kind) GivenNameMatch(Party p, List<string> tokens, bool truncated)
    {
        var first = p.FirstKey;
        if (first.Length == 0) return (0.3, "surname");
        var best = (0.3, "surname only");
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (p.SurnameKeys.Contains(t)) continue;
            if (t == first) return (1.0, "name exact");
            if (t.Length > 1 && lexicon.AreNicknames(t, first)) best = Max(best, lexicon.IsMostlyNickname(t, first) ? (0.9, $"nickname {t}~{first}") : (0.8, $"given name {t} is a nickname of {first} but also a name of its own"));
            else if (p.OtherGivenKeys.Contains(t)) best = Max(best, (0.85, "goes by middle name"));
            else if (truncated && i == tokens.Count - 1 && t.Length >= 2 && first.StartsWith(t, StringComparison.Ordinal)) best = Max(best, (t.Length >= 3 ? 0.9 : 0.8, "given name cut short"));
            else if (t.Length == 1 && t[0] == first[0]) best = Max(best, (0.7, "initial"));
            else if (t.Length >= 3 && first.Length > t.Length && first.StartsWith(t, StringComparison.Ordinal)) best = Max(best, (0.8, $"short form {t}~{first}"));
            else if (t.Length >= 4 && first.Length >= 4 && Jw.Similarity(t, first) >= 0.92) best = Max(best, (0.8, "given name misspelt"));
            // A pet form no list knows (Roz for Rosalind, Evie for Evelyn, Suzy for Susan): same first two letters and
            // a similar shape. Weak alone; the amount may corroborate it (see AmountCorroboratesName).
            else if (t.Length >= 3 && first.Length > t.Length && t[0] == first[0] && t[1] == first[1])
                best = Max(best, (PartialGivenNameScore, $"given name {t} may be a pet form of {first}"));
        }

        return best;

        static (double, string) Max((double, string) a, (double, string) b) => b.Item1 > a.Item1 ? b : a;
    }

    private List<(Party Party, double Score, string Kind)> FindOrganizations(string payerRaw, bool truncated)
    {
        var core = lexicon.OrganizationCore(payerRaw);
        var result = new Dictionary<string, (Party, double, string)>(StringComparer.Ordinal);
        if (core.Length < 3) return [];
        if (truncated)
        {
            // "DARE, COLLINS AN": the cut fell inside "and" or a word; the words before it are whole.
            var words = NameText.Tokens(payerRaw);
            if (words.Count > 2 && words[^1].Length <= 3)
            {
                var whole = lexicon.OrganizationCore(string.Join(' ', words.Take(words.Count - 1)));
                if (whole.Length >= 5) foreach (var c in WithPrefix(sortedOrgCores, whole)) foreach (var o in orgsByCore[c]) result.TryAdd(o.Id, (o, 0.97, "organization name cut short"));
            }
        }

        if (orgsByCore.TryGetValue(core, out var exact))
            foreach (var o in exact) result[o.Id] = (o, 1.0, "organization name exact");
        if (truncated || result.Count == 0)
        {
            foreach (var c in WithPrefix(sortedOrgCores, core))
                foreach (var o in orgsByCore[c]) result.TryAdd(o.Id, (o, truncated ? 0.97 : 0.8, "organization name cut short"));
            // The payer's core may itself carry the legal form the bank spelled oddly: "acmewidgetsincorp".
            foreach (var c in sortedOrgCores.Length == 0 ? [] : PrefixesOf(core))
                foreach (var o in orgsByCore[c]) result.TryAdd(o.Id, (o, 0.9, "organization name with extra words"));
        }

        if (result.Count == 0 && core.Length >= 5)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            var grams = Trigrams(core).ToList();
            foreach (var g in grams)
            {
                if (!orgCoresByTrigram.TryGetValue(g, out var list) || list.Count > 400) continue;
                foreach (var c in list) counts[c] = counts.GetValueOrDefault(c) + 1;
            }

            foreach (var (c, n) in counts)
            {
                if (n < grams.Count / 2) continue;
                var sim = Jw.Similarity(core, c);
                if (sim >= 0.93) foreach (var o in orgsByCore[c]) result.TryAdd(o.Id, (o, sim * 0.9, "organization name similar"));
            }
        }

        return [.. result.Values];
    }

    private IEnumerable<string> PrefixesOf(string core)
    {
        for (var len = core.Length - 1; len >= Math.Max(5, core.Length - 12); len--)
        {
            var prefix = core[..len];
            if (orgsByCore.ContainsKey(prefix)) yield return prefix;
        }
    }

    /// <summary>Members named in the memo: a segment holding the surname and the given name (or its nickname or initial).</summary>
    private IEnumerable<Party> FindNamedInMemo(IReadOnlyList<List<string>> segments, Group? group)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (group is { Set: null })
        {
            // A surname alone names someone when exactly one person of this chapter, employer or household
            // with something open bears it ("employee dues Burns", "renewals Kirby, Schneider").
            var owingBySurname = new Dictionary<string, List<Party>>(StringComparer.Ordinal);
            foreach (var p in group.People)
                if (p.Member.Kind == PartyKind.Person && p.Invoices.Any(i => i.Balance.IsPositive))
                    foreach (var k in p.SurnameKeys) AddTo(owingBySurname, k, p);
            foreach (var seg in segments)
                foreach (var t in seg)
                    if (owingBySurname.TryGetValue(t, out var bearers) && bearers.Count == 1 && !seg.Any(x => x != t && IsOtherGivenName(x, bearers[0])) && seen.Add(bearers[0].Id))
                        yield return bearers[0];
        }

        if (group is { Set: { } inScope })
        {
            // A chapter or a large employer: the same rule, but the memo's words are looked up as surnames instead
            // of reading every member (and every member's balance).
            foreach (var seg in segments)
                foreach (var t in seg)
                    if (OnlyOwingBearer(t, inScope) is { } bearer && !seg.Any(x => x != t && IsOtherGivenName(x, bearer)) && seen.Add(bearer.Id))
                        yield return bearer;
            foreach (var p in FindNamedInMemo(segments, null))
                if (inScope.Contains(p) && seen.Add(p.Id)) yield return p;
            yield break;
        }

        if (group is not null)
        {
            var scope = group.People;
            // Inside a household or an employer's staff, a given name alone is enough ("dues for Jane and Bob").
            foreach (var seg in segments)
            {
                foreach (var p in scope)
                {
                    if (p.Member.Kind != PartyKind.Person || p.FirstKey.Length == 0) continue;
                    var hasFirst = seg.Any(t => t == p.FirstKey || (t.Length > 1 && lexicon.AreNicknames(t, p.FirstKey)));
                    var hasLast = seg.Any(p.SurnameKeys.Contains);
                    var hasInitial = seg.Any(t => t.Length == 1 && t[0] == p.FirstKey[0]);
                    // A lone given name ("and Bob") names the one household or staff member who has it.
                    var firstUnique = seg.Count == 1 && scope.Count(o => o.FirstKey == p.FirstKey) == 1;
                    if ((hasFirst && (hasLast || firstUnique)) || (hasLast && hasInitial && scope.Count(o => o.SurnameKeys.Overlaps(p.SurnameKeys) && o.FirstKey.Length > 0 && o.FirstKey[0] == p.FirstKey[0]) == 1))
                        if (seen.Add(p.Id)) yield return p;
                }
            }

            yield break;
        }

        foreach (var seg in segments)
        {
            if (seg.Count < 2) continue;
            foreach (var t in seg)
            {
                if (!bySurname.TryGetValue(t, out var people) || people.Count > 2000) continue;
                foreach (var p in people)
                {
                    if (p.FirstKey.Length == 0) continue;
                    if (seg.Any(x => x != t && (x == p.FirstKey || (x.Length > 1 && lexicon.AreNicknames(x, p.FirstKey)))) && seen.Add(p.Id)) yield return p;
                }
            }
        }
    }

    /// <summary>The one person of <paramref name="scope"/> with something open whose surname is <paramref name="surname"/>; null when none or several.</summary>
    private Party? OnlyOwingBearer(string surname, HashSet<Party> scope)
    {
        if (!bySurname.TryGetValue(surname, out var bearers)) return null;
        Party? only = null;
        foreach (var p in bearers)
        {
            if (!scope.Contains(p) || !p.Invoices.Any(i => i.Balance.IsPositive)) continue;
            if (only is not null) return null;
            only = p;
        }

        return only;
    }

    /// <summary>A word beside a surname that is the given name (or initial) of someone other than its bearer: "J. Burns" when Burns is Karen.</summary>
    private bool IsOtherGivenName(string token, Party bearer)
    {
        if (bearer.FirstKey.Length == 0 || bySurname.ContainsKey(token) && !givenNames.Contains(token)) return false;
        if (token.Length == 1) return token[0] != bearer.FirstKey[0];
        if (!givenNames.Contains(token)) return false;
        return token != bearer.FirstKey && !lexicon.AreNicknames(token, bearer.FirstKey) && !bearer.OtherGivenKeys.Contains(token);
    }

    /// <summary>A memo segment that reads like a full name but matches none of the members found: someone on the list would go unpaid.</summary>
    private string? Unresolved(IReadOnlyList<List<string>> segments, List<Party> named)
    {
        foreach (var seg in segments)
        {
            // A lone surname on file that none of those found bears: a listed person did not resolve (unknown, or several fit).
            if (seg.Count == 1 && seg[0].Length > 2 && bySurname.ContainsKey(seg[0]) && !givenNames.Contains(seg[0]) && !named.Any(p => p.SurnameKeys.Contains(seg[0])))
                return $"memo names '{seg[0]}', who does not resolve to exactly one member with something open";
            if (seg.Count < 2) continue;
            var matched = named.Any(p => seg.Any(p.SurnameKeys.Contains) || seg.Any(t => t == p.FirstKey || (t.Length > 1 && lexicon.AreNicknames(t, p.FirstKey))));
            if (!matched) return $"memo names '{string.Join(' ', seg)}', who matches no member on the list";
            // Two members of a chapter called David Wilson: the list does not say which one is paid for.
            var fits = named.Count(p => seg.Any(p.SurnameKeys.Contains) && seg.Any(t => t == p.FirstKey || (t.Length > 1 && lexicon.AreNicknames(t, p.FirstKey))));
            if (fits > 1) return $"memo name '{string.Join(' ', seg)}' fits {fits} members";
        }

        return null;
    }

    private static IEnumerable<string> WithPrefix(string[] sorted, string prefix)
    {
        var i = Array.BinarySearch(sorted, prefix, StringComparer.Ordinal);
        if (i < 0) i = ~i;
        for (var n = 0; i < sorted.Length && n < 50 && sorted[i].StartsWith(prefix, StringComparison.Ordinal); i++, n++) yield return sorted[i];
    }

    private static IEnumerable<string> Trigrams(string s)
    {
        var padded = "^" + s + "$";
        for (var i = 0; i + 3 <= padded.Length; i++) yield return padded.Substring(i, 3);
    }

    private static void AddTo<T>(Dictionary<string, List<T>> index, string key, T value)
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(value);
    }

    private static ReferenceLabel? Stronger(ReferenceLabel? a, ReferenceLabel b) => a is null || b < a ? b : a;

    /// <summary>A household, an employer's staff or a chapter's members; groups of more than 50 also as a set.</summary>
    private sealed class Group(List<Party> people)
    {
        public List<Party> People { get; } = people;
        public HashSet<Party>? Set { get; } = people.Count > 50 ? [.. people] : null;
    }

    private sealed class OpenInvoice(InvoiceId id, Party owner, DateOnly dueDate, Money balance)
    {
        public InvoiceId Id { get; } = id;
        public Party Owner { get; } = owner;
        public DateOnly DueDate { get; } = dueDate;
        private Money balance = balance;

        public Money Balance
        {
            get
            {
                reads?.Add(Owner);
                return balance;
            }

            set => balance = value;
        }
        public OpenItem AsItem() => new(Id, new MemberId(Owner.Id), DueDate, Balance);
    }

    private sealed class Party
    {
        public Party(Member m, NameLexicon lexicon)
        {
            Member = m;
            Id = m.Id.Value;
            if (m.Kind == PartyKind.Organization)
            {
                OrgCore = lexicon.OrganizationCore(m.FullName);
                IsChapter = m.ChapterId is { Length: > 0 } && NameText.Fold(m.FullName).Contains("chapter", StringComparison.Ordinal);
                FirstKey = "";
                return;
            }

            OrgCore = "";
            var full = lexicon.PersonTokens(m.FullName);
            var firstTokens = NameText.Tokens(m.FirstName);
            var lastTokens = NameText.Tokens(m.LastName);
            if (lastTokens.Count == 0 && full.Count > 0) lastTokens = [full[^1]];
            if (firstTokens.Count == 0 && full.Count > 1) firstTokens = [full[0]];
            FirstKey = firstTokens.Count > 0 ? firstTokens[0] : "";
            foreach (var t in lastTokens.Where(t => !lexicon.IsPersonalSuffix(t))) { SurnameKeys.Add(t); SurnameParts.Add(t); }
            // "Garcia-Lopez" is also written "Garcialopez"; "Van der Berg" as "Vanderberg".
            if (lastTokens.Count > 1) SurnameKeys.Add(string.Concat(lastTokens));
            foreach (var t in firstTokens.Skip(1).Concat(full.Where(t => t.Length > 1 && t != FirstKey && !SurnameKeys.Contains(t)))) OtherGivenKeys.Add(t);
        }

        public Member Member { get; }
        public string Id { get; }
        public string FirstKey { get; }
        public HashSet<string> SurnameKeys { get; } = new(StringComparer.Ordinal);
        public HashSet<string> OtherGivenKeys { get; } = new(StringComparer.Ordinal);
        public List<string> SurnameParts { get; } = [];
        public string OrgCore { get; }
        public bool IsChapter { get; }
        public List<OpenInvoice> Invoices { get; } = [];

        public bool HasOpen(Currency currency) => Invoices.Any(i => i.Balance.IsPositive && i.Balance.Currency == currency);

        public List<OpenItem> OpenItems(Currency currency) =>
            Invoices.Where(i => i.Balance.IsPositive && i.Balance.Currency == currency).Select(i => i.AsItem()).ToList();
    }

    /// <summary>What the payment says about one member as the payer or the person paid for.</summary>
    private sealed class Cand(Party party, MatchingRules rules)
    {
        public Party Party { get; } = party;
        public List<(OpenInvoice Invoice, ReferenceLabel Label)> InvoiceRefs { get; } = [];
        public ReferenceLabel? MemberRef { get; set; }
        public int EmailShare { get; set; }
        public double NameScore { get; set; }
        public string NameKind { get; set; } = "";
        public int NameRivals { get; set; }
        public bool MemoNamed { get; set; }

        /// <summary>Namesakes set aside because none of them owes the amount (the name alone would not have told).</summary>
        public int ResolvedByAmount { get; set; }

        /// <summary>
        /// The memo names this member by a number that can hardly be chance: labelled, in an invoice number's
        /// own shape, or five characters or more (a bare member id or invoice number).
        /// </summary>
        public bool ExplicitReference =>
            InvoiceRefs.Any(r => r.Label is ReferenceLabel.Invoice or ReferenceLabel.Hash || PaymentEvidence.NormalizeReference(r.Invoice.Id.Value).Length >= 5)
            || (MemberRef is { } m && (m is ReferenceLabel.Member or ReferenceLabel.Hash || Party.Id.Length >= 5));

        /// <summary>Log-odds that this member is who the payment is from or for, before the amount is considered.</summary>
        public double IdentityLogit
        {
            get
            {
                var l = 0.0;
                if (InvoiceRefs.Count > 0)
                    l += InvoiceRefs.Min(r => r.Label) switch { ReferenceLabel.Invoice => rules.InvoiceRefLabelled, ReferenceLabel.Hash => rules.InvoiceRefHash, ReferenceLabel.Member => rules.InvoiceRefMemberLabel, _ => rules.InvoiceRefBare };
                if (MemberRef is { } m) l += m switch { ReferenceLabel.Member => rules.MemberRefLabelled, ReferenceLabel.Hash => rules.MemberRefHash, ReferenceLabel.Invoice => rules.MemberRefInvoiceLabel, _ => rules.MemberRefBare };
                if (EmailShare > 0) l += EmailShare == 1 ? rules.EmailUnique : rules.EmailShared;
                if (NameScore > 0)
                {
                    var name = NameScore switch { >= 0.99 => rules.NameExact, >= 0.89 => rules.NameNickname, >= 0.84 => rules.NameMiddle, >= 0.69 => rules.NameInitial, >= 0.5 => rules.NameWeak, _ => rules.NameSurnameOnly };
                    if (NameScore < 0.99 && NameScore >= 0.5) name = Math.Max(name, rules.NameExact * NameScore - 0.6);
                    l += name - rules.NameRivalPenalty * Math.Log(1 + NameRivals);
                }

                return l;
            }
        }

        public void Describe(List<string> into)
        {
            if (InvoiceRefs.Count > 0) into.Add($"memo references {string.Join(", ", InvoiceRefs.Select(r => "INV " + r.Invoice.Id.Value).Distinct())}");
            if (MemberRef is not null) into.Add($"memo references member id {Party.Id}");
            if (EmailShare == 1) into.Add("e-mail exact");
            else if (EmailShare > 1) into.Add($"e-mail shared by {EmailShare} members");
            if (NameScore > 0) into.Add($"{NameKind} ({NameScore.ToString("0.00", CultureInfo.InvariantCulture)})" + (NameRivals > 0 ? $", {NameRivals} other member(s) fit the name" : "")
                + (ResolvedByAmount > 0 ? $", {ResolvedByAmount} namesake(s) owe no such amount" : ""));
        }
    }

    private sealed class Hypothesis(Party primary)
    {
        public Party Primary { get; set; } = primary;
        public double Logit { get; set; }
        public AllocationPlan? Plan { get; set; }
        public List<string> For { get; } = [];
        public List<string> Against { get; } = [];
        public string? Duplicate { get; set; }
        public string? Conflict { get; set; }
        public string? NoPlanReason { get; set; }
        public bool NameOnlyAmbiguous { get; set; }
        public string? Uncorroborated { get; set; }
        public bool OnBehalf { get; init; }
        public int CandidateItemCount { get; set; }
        public int NamedCount { get; init; }

        public string Key => Plan is null
            ? "member:" + Primary.Id
            : string.Join('|', Plan.Lines.Select(l => $"{l.Member.Value}/{l.Invoice?.Value}/{l.Amount.MinorUnits}").Order(StringComparer.Ordinal));
    }
}
