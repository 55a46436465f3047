using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using F23.StringSimilarity;

namespace DuesPilot.Features.Matching;

/// <summary>
/// The candidate index: members and open invoices of one run, indexed once (by invoice id, member id, e-mail,
/// surname, Soundex and trigrams, organization name, household, employer and chapter), and the balances as
/// payments of the run settle them. Finding who a payment points to costs a few dictionary look-ups, never a
/// scan of all members.
/// </summary>
internal sealed class CandidateIndex
{
    private static readonly JaroWinkler Jw = new();

    /// <summary>Score of a given name that only partly fits (same first letters, similar shape): below every listed form.</summary>
    public const double PartialGivenNameScore = 0.6;

    /// <summary>Name candidates kept per payment; rivals beyond this are counted but not scored one by one.</summary>
    private const int MaxNameCandidates = 40;

    private readonly MatchOptions options;
    private readonly MatchingRules rules;
    private readonly NameLexicon lexicon;
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
    private readonly Dictionary<string, PartyGroup> households = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PartyGroup> staffOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PartyGroup> chapterPersons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PartyGroup> chapterOthers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> settledBy = new(StringComparer.Ordinal);

    public CandidateIndex(MatchOptions options, NameLexicon lexicon, IEnumerable<Member> memberList, IEnumerable<Invoice> openInvoices)
    {
        this.options = options;
        rules = options.Rules;
        this.lexicon = lexicon;
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
        foreach (var (key, list) in byHousehold) households[key] = new PartyGroup(list);
        foreach (var (key, list) in byOrganization) staffOf[key] = new PartyGroup(list);
        foreach (var (code, list) in byChapter)
        {
            chapterPersons[code] = new PartyGroup([.. list.Where(m => m.Member.Kind == PartyKind.Person)]);
            foreach (var chapter in list.Where(m => m.Member.Kind == PartyKind.Organization && m.IsChapter))
                chapterOthers[chapter.Id] = new PartyGroup([.. list.Where(m => m != chapter)]);
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

    /// <summary>Households by id, with their members.</summary>
    public IReadOnlyDictionary<string, PartyGroup> Households => households;

    /// <summary>An organization's staff, by the organization's member id.</summary>
    public IReadOnlyDictionary<string, PartyGroup> StaffOf => staffOf;

    /// <summary>The persons of a chapter, by chapter code (upper case).</summary>
    public IReadOnlyDictionary<string, PartyGroup> ChapterPersons => chapterPersons;

    /// <summary>A chapter party's fellow members, by the chapter's member id.</summary>
    public IReadOnlyDictionary<string, PartyGroup> ChapterOthers => chapterOthers;

    /// <summary>The party with this member id.</summary>
    public Party this[string memberId] => members[memberId];

    /// <summary>Open invoices by normalized reference (an id may be written several ways; one key may fit several invoices).</summary>
    public bool TryGetInvoices(string reference, out List<OpenInvoice> invoices) => invoicesByRef.TryGetValue(reference, out invoices!);

    /// <summary>Lowers the balances a payment's allocations pay; returns the owners whose balances changed.</summary>
    public List<Party> Apply(PaymentId payment, IReadOnlyList<ProposedAllocation> allocations)
    {
        var changed = new List<Party>();
        foreach (var a in allocations)
        {
            if (a.InvoiceId is not { } id) continue;
            if (!invoicesByRef.TryGetValue(PaymentEvidence.NormalizeReference(id.Value), out var list)) continue;
            var inv = list.FirstOrDefault(i => i.Id == id);
            if (inv is null) continue;
            inv.Balance = Money.Max(Money.Zero(inv.Balance.Currency), inv.Balance - a.Amount);
            if (inv.Balance.IsZero) settledBy[id.Value] = payment.Value;
            changed.Add(inv.Owner);
        }

        return changed;
    }

    /// <summary>Chapter codes the text names, as a code on file ("OH") or a state's name ("Ohio"), in order of appearance.</summary>
    public HashSet<string> ChapterCodes(string text)
    {
        var words = NameText.Tokens(text);
        var codes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < words.Count; i++)
        {
            var upper = words[i].ToUpperInvariant();
            if (byChapter.ContainsKey(upper) && words[i].Length >= 2) codes.Add(upper);
            for (var n = 1; n <= 3 && i + n <= words.Count; n++)
                if (MatchingReferenceData.StateCodes.TryGetValue(string.Concat(words.Skip(i).Take(n)), out var code) && code is not null && byChapter.ContainsKey(code)) codes.Add(code);
        }

        return codes;
    }

    /// <summary>The current open balance of an invoice in this run (zero once settled).</summary>
    public Money? BalanceOf(InvoiceId id) =>
        invoicesByRef.TryGetValue(PaymentEvidence.NormalizeReference(id.Value), out var list) ? list.FirstOrDefault(i => i.Id == id)?.Balance : null;

    /// <summary>The payment that settled an invoice earlier in this run, if any (a read of the owner's state).</summary>
    public string? SettledBy(OpenInvoice invoice)
    {
        BalanceReads.Note(invoice.Owner);
        return settledBy.GetValueOrDefault(invoice.Id.Value);
    }

    /// <summary>
    /// Every member the payment points to, with what points to them: invoice and member references, the e-mail,
    /// the payer's name (as a person and as an organization, with namesakes counted), members the memo names.
    /// </summary>
    public Dictionary<string, Candidate> Candidates(Payment payment, PaymentEvidence ev)
    {
        var cands = new Dictionary<string, Candidate>(16, StringComparer.Ordinal);
        Candidate Get(Party p)
        {
            if (!cands.TryGetValue(p.Id, out var c)) cands[p.Id] = c = new Candidate(p, rules);
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
        var named = new List<Candidate>();
        foreach (var c in cands.Values) if (c.NameScore > 0) named.Add(c);
        var payerKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in named)
        {
            // "Patty Martinez" fits Patty exactly and Patricia by nickname: both are rivals of each other.
            var band = Math.Min(c.NameScore - 0.001, 0.8);
            payerKeys.Clear();
            foreach (var o in named) if (IsNameRival(c, o, band)) payerKeys.Add(o.Party.PayerKey);
            c.NameRivals = payerKeys.Count;
            // Namesakes resolved by amount: when this member owes the amount and none of the others could
            // have meant it (nothing open fits it, exactly or within tolerance), the name points to this one.
            if (c.NameRivals > 0 && c.NameScore >= rules.NamesakeMinNameScore && FitsAmount(c.Party, payment.Amount, exactOnly: true)
                && NoRivalCouldMeanIt(c, named, band, payment.Amount))
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

        return cands;
    }

    /// <summary>None of <paramref name="c"/>'s name rivals owes anything near the amount or is named by e-mail or reference.</summary>
    private bool NoRivalCouldMeanIt(Candidate c, List<Candidate> named, double band, Money amount)
    {
        foreach (var o in named)
            if (IsNameRival(c, o, band) && !(!FitsAmount(o.Party, amount, exactOnly: false) && o.EmailShare == 0 && o.MemberRef is null && o.InvoiceRefs.Count == 0)) return false;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="o"/> fits the payer's name nearly as well as <paramref name="c"/> (within the band) and
    /// is someone else: not <paramref name="c"/>, and not another person of <paramref name="c"/>'s household with a
    /// different given name (a joint account names both).
    /// </summary>
    private static bool IsNameRival(Candidate c, Candidate o, double band) =>
        o.NameScore >= band && o.Party != c.Party
        && !(c.Party.Member.HouseholdId is { Length: > 0 } household && o.Party.Member.HouseholdId == household && o.Party.FirstKey != c.Party.FirstKey);

    /// <summary>
    /// The member owes exactly the amount (one invoice or everything open) and no other member bearing the surname the
    /// payer wrote owes it, exactly or within tolerance: any of them (<paramref name="anyGivenName"/>), or those whose
    /// given name starts with a letter the payer's given name starts with.
    /// </summary>
    public bool AmountCorroboratesName(Party p, List<string> payerTokens, Money amount, bool anyGivenName)
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
    public bool FitsAmount(Party p, Money amount, bool exactOnly)
    {
        var open = p.Invoices.Where(i => i.Balance.IsPositive && i.Balance.Currency == amount.Currency).ToList();
        if (open.Count == 0) return false;
        if (open.Any(i => i.Balance == amount) || open.Sum(i => i.Balance.MinorUnits) == amount.MinorUnits) return true;
        return !exactOnly && (open.Any(i => AllocationPlanner.Within(amount, i.Balance, options.VarianceTolerancePercent))
            || AllocationPlanner.Within(amount, Money.Sum(open.Select(i => i.Balance), amount.Currency), options.VarianceTolerancePercent));
    }

    /// <summary>"928401 Kirby": a surname on file written beside a member id must be that member's.</summary>
    public string? SurnameMismatch(string memo, List<Candidate> referenced)
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

    public bool Related(Party a, Party b)
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
        if (tokens.Count == 0) return [];
        var scratch = Scratch.Current;
        var found = scratch.Found;
        var surnameHits = scratch.SurnameHits;
        found.Clear();
        surnameHits.Clear();
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
        var initials = scratch.Initials;
        initials.Clear();
        foreach (var t in tokens) foreach (var c in lexicon.PossibleInitials(t)) initials.Add(c);
        foreach (var (surname, surnameScore) in surnameHits)
        {
            var people = bySurname[surname];
            var narrow = people.Count > 40;
            foreach (var p in people)
            {
                if (narrow && !(p.FirstKey.Length == 0 || initials.Contains(p.FirstKey[0]) || AnyOf(p.OtherGivenKeys, tokens))) continue;
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

    /// <summary>Surnames on file that sound like <paramref name="token"/> (Soundex) or share enough of its trigrams, Soundex ones first.</summary>
    private List<string> FuzzySurnames(string token)
    {
        var scratch = Scratch.Current;
        var found = scratch.Fuzzy;
        var seen = scratch.Seen;
        found.Clear();
        seen.Clear();
        if (surnamesBySoundex.TryGetValue(NameText.Soundex(token), out var sx))
            foreach (var s in sx) if (seen.Add(s)) found.Add(s);
        var grams = CountTrigrams(token, surnamesByTrigram, scratch.Counts);
        var need = Math.Max(2, grams / 3);
        foreach (var (s, n) in scratch.Counts)
            if (n >= need && seen.Add(s)) found.Add(s);
        return found;
    }

    /// <summary>
    /// Counts, into <paramref name="counts"/> (cleared first), how many of <paramref name="text"/>'s trigrams each
    /// indexed string shares (trigrams borne by more than 400 strings say nothing and are skipped); returns the
    /// number of trigrams in the text.
    /// </summary>
    private static int CountTrigrams(string text, Dictionary<string, List<string>> byTrigram, Dictionary<string, int> counts)
    {
        counts.Clear();
        var lookup = byTrigram.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> padded = text.Length <= 126 ? stackalloc char[text.Length + 2] : new char[text.Length + 2];
        padded[0] = '^';
        text.AsSpan().CopyTo(padded[1..]);
        padded[^1] = '$';
        var grams = 0;
        for (var i = 0; i + 3 <= padded.Length; i++, grams++)
        {
            if (!lookup.TryGetValue(padded.Slice(i, 3), out var list) || list.Count > 400) continue;
            foreach (var c in list) counts[c] = counts.GetValueOrDefault(c) + 1;
        }

        return grams;
    }

    /// <summary>Collections one name search on this thread reuses instead of allocating anew for every payment.</summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? current;

        public static Scratch Current => current ??= new Scratch();

        public readonly Dictionary<string, int> Counts = new(StringComparer.Ordinal);
        public readonly HashSet<string> Seen = new(StringComparer.Ordinal);
        public readonly List<string> Fuzzy = [];
        public readonly Dictionary<string, (Party, double, string)> Found = new(StringComparer.Ordinal);
        public readonly Dictionary<string, double> SurnameHits = new(StringComparer.Ordinal);
        public readonly HashSet<char> Initials = [];
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
            var counts = Scratch.Current.Counts;
            var grams = CountTrigrams(core, orgCoresByTrigram, counts);
            foreach (var (c, n) in counts)
            {
                if (n < grams / 2) continue;
                var sim = Jw.Similarity(core, c);
                if (sim >= 0.93) foreach (var o in orgsByCore[c]) result.TryAdd(o.Id, (o, sim * 0.9, "organization name similar"));
            }
        }

        return [.. result.Values];
    }

    private IEnumerable<string> PrefixesOf(string core)
    {
        var lookup = orgsByCore.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var len = core.Length - 1; len >= Math.Max(5, core.Length - 12); len--)
        {
            if (lookup.TryGetValue(core.AsSpan(0, len), out var prefix, out _)) yield return prefix;
        }
    }

    /// <summary>Members named in the memo: a segment holding the surname and the given name (or its nickname or initial).</summary>
    /// <summary>A word of the segment other than <paramref name="surname"/> is <paramref name="first"/> or a nickname of it.</summary>
    private bool SegmentGivesFirstName(List<string> segment, string surname, string first)
    {
        foreach (var x in segment)
            if (x != surname && (x == first || (x.Length > 1 && lexicon.AreNicknames(x, first)))) return true;
        return false;
    }

    public IEnumerable<Party> FindNamedInMemo(IReadOnlyList<List<string>> segments, PartyGroup? group)
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
                    if (SegmentGivesFirstName(seg, t, p.FirstKey) && seen.Add(p.Id)) yield return p;
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
    public string? Unresolved(IReadOnlyList<List<string>> segments, List<Party> named)
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

    private static bool AnyOf(HashSet<string> keys, List<string> tokens)
    {
        foreach (var k in keys)
            if (tokens.Contains(k)) return true;
        return false;
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
}
