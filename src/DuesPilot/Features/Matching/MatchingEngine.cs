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
    private readonly MatchOptions options;
    private readonly NameLexicon lexicon;
    private readonly CandidateIndex index;
    private readonly HypothesisBuilder hypotheses;
    private readonly MatchPolicy policy;
    private readonly SemanticReranker? reranker;
    private readonly Dictionary<string, (string PaymentId, bool Applied)> earlierByRepeatKey = new(StringComparer.Ordinal);

    private MatchingEngine(MatchOptions options, NameLexicon lexicon, INameEmbedder? embedder, IEnumerable<Member> memberList, IEnumerable<Invoice> openInvoices)
    {
        options.Validate();
        // The lists the rules read are part of the rules: their hash goes into the rule version of every decision.
        this.options = options with { ReferenceData = MatchingReferenceData.Version(lexicon) };
        this.lexicon = lexicon;
        index = new CandidateIndex(this.options, lexicon, memberList, openInvoices);
        hypotheses = new HypothesisBuilder(index, this.options);
        policy = new MatchPolicy(index, this.options, lexicon);
        reranker = this.options.UseEmbeddings && embedder is not null ? new SemanticReranker(embedder, this.options.Rules) : null;
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
    public Money? BalanceOf(InvoiceId id) => index.BalanceOf(id);

    /// <summary>Decides one payment and, when the decision is to apply, lowers the balances it pays.</summary>
    public MatchDecision Decide(Payment payment)
    {
        var key = RepeatKey(payment);
        var decision = Evaluate(payment, key);
        if (decision.Action == MatchAction.Apply) CommitChanged(payment, decision.Allocations, key);
        else Reviewed(key, payment);
        return decision;
    }

    /// <summary>Records that a payment went to review, so that the same payment arriving again is held beside it.</summary>
    public void Reviewed(Payment payment) => Reviewed(RepeatKey(payment), payment);

    private void Reviewed(string repeatKey, Payment payment) => earlierByRepeatKey.TryAdd(repeatKey, (payment.Id.Value, false));

    /// <summary>Records allocations decided elsewhere (a reviewer's choice) so later payments see the balances.</summary>
    public void Commit(Payment payment, IReadOnlyList<ProposedAllocation> allocations) => CommitChanged(payment, allocations, RepeatKey(payment));

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
        var readSets = new List<Party>[Block];
        var repeatKeys = new string[Block];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount };
        for (var start = 0; start < payments.Count; start += Block)
        {
            var n = Math.Min(Block, payments.Count - start);
            var first = start;
            Parallel.For(0, n, parallel, i =>
            {
                var set = new List<Party>();
                BalanceReads.Current = set;
                try
                {
                    repeatKeys[i] = RepeatKey(payments[first + i]);
                    results[first + i] = Evaluate(payments[first + i], repeatKeys[i]);
                }
                finally
                {
                    BalanceReads.Current = null;
                }

                readSets[i] = set;
            });

            var changed = new HashSet<Party>();
            var repeated = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < n; i++)
            {
                var payment = payments[start + i];
                var key = repeatKeys[i];
                if ((changed.Count > 0 && readSets[i].Exists(changed.Contains)) || (repeated.Count > 0 && repeated.Contains(key))) results[start + i] = Evaluate(payment, key);
                var decision = results[start + i];
                if (decision.Action == MatchAction.Apply) changed.UnionWith(CommitChanged(payment, decision.Allocations, key));
                else Reviewed(key, payment);
                repeated.Add(key);
            }

            progress?.Invoke(start + n);
        }

        return results;
    }

    private List<Party> CommitChanged(Payment payment, IReadOnlyList<ProposedAllocation> allocations, string key)
    {
        if (allocations.Count > 0)
        {
            // A payment first held for review and then applied by a reviewer counts as applied.
            if (!earlierByRepeatKey.TryGetValue(key, out var earlier) || !earlier.Applied) earlierByRepeatKey[key] = (payment.Id.Value, true);
        }

        return index.Apply(payment.Id, allocations);
    }

    /// <summary>
    /// What makes a payment the same as another for a clerk: the payer (name and e-mail), the amount and the memo.
    /// The channel's own reference (check number, card transaction id) differs between a payment and its resubmission.
    /// </summary>
    private static string RepeatKey(Payment payment) =>
        string.Join('\u001f', NameText.Fold(payment.PayerName), (payment.PayerEmail ?? "").Trim().ToLowerInvariant(),
            payment.Amount.Currency.ToString(), payment.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture), NameText.Fold(payment.Memo));

    /// <summary>Decides without changing any balance (what-if, and the review screen's re-analysis).</summary>
    public MatchDecision Evaluate(Payment payment) => Evaluate(payment, RepeatKey(payment));

    private MatchDecision Evaluate(Payment payment, string repeatKey)
    {
        var ev = PaymentEvidence.Extract(payment, lexicon);
        var cands = index.Candidates(payment, ev);
        var ranked = hypotheses.Rank(payment, ev, cands);
        if (reranker is not null && SemanticReranker.Worthwhile(ev, ranked)) reranker.Rerank(ev, ranked);
        return policy.Decide(payment, ev, ranked, cands, RepeatOf(repeatKey));
    }

    /// <summary>
    /// The payment decided earlier in this run that this one repeats (same payer, amount and memo), if any, and whether
    /// it was applied. A group remittance or a renewal sent twice would otherwise find the same people's other open
    /// invoices to pay; one sent again while the first waits in review would be applied beside it.
    /// </summary>
    private (string PaymentId, bool Applied)? RepeatOf(string repeatKey) =>
        earlierByRepeatKey.Count > 0 && earlierByRepeatKey.TryGetValue(repeatKey, out var earlier) ? earlier : null;
}
