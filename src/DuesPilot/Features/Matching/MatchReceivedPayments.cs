using System.Diagnostics;
using Dapper;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.Collections;
using DuesPilot.Features.Jobs;
using DuesPilot.Features.Members;
using DuesPilot.Features.Payments;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Features.Rollout;
using DuesPilot.Hosting;
using DuesPilot.Persistence;
using ReviewProposal = DuesPilot.Features.Review.ProposedAllocation;

namespace DuesPilot.Features.Matching;

/// <summary>
/// The heart of the service: every received payment is matched against the cached members and open
/// invoices, and what happens next depends on the segment's rollout phase. In <c>guarded</c> and
/// <c>predictive</c> a confident, in-policy decision is applied into the hold window; everything else,
/// and everything in <c>shadow</c> and <c>assist</c>, goes to the review queue with the analysis. Every
/// decision is recorded with its phase so each segment's precision and coverage can be measured.
/// A payment sent to review with no confident candidate has its memo read by the
/// <see cref="IMemoInterpreter"/> when one is given and a model answers; what it proposes is added to
/// the review item's analysis as evidence only: it never changes the decision and never moves money.
/// </summary>
public static class MatchReceivedPayments
{
    public sealed record Outcome(int Decided, int Held, int ToReview, int Shadowed);

    public static async Task<Outcome> HandleAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, PostingOptions posting, RolloutPhases phases,
        MatchOptions options, INameEmbedder? embedder, IMemoInterpreter? memo = null, int batchSize = 2000, CancellationToken ct = default)
    {
        var (payments, members, invoices, plans) = await store.InTransactionAsync(async (c, tx) =>
        {
            var rows = (await c.QueryAsync<ReceivePayment.PaymentRow>(
                "SELECT * FROM payments WHERE state = 'received' ORDER BY received_at, created_at, payment_id LIMIT @batchSize", new { batchSize }, tx)).ToList();
            if (rows.Count == 0) return ([], [], [], []);
            return (rows.Select(r => r.ToPayment()).ToList(), await MemberCache.AllMembersAsync(c, tx), await MemberCache.AllInvoicesAsync(c, tx, openOnly: true),
                await OpenPaymentPlans.LoadAsync(c, tx));
        }, ct);
        if (payments.Count == 0) return new Outcome(0, 0, 0, 0);

        var tiers = members.ToDictionary(m => m.Id, m => m.Tier);
        var known = tiers.Keys.ToHashSet();
        var engine = MatchingEngine.Build(members, invoices.Where(i => known.Contains(i.MemberId)), options, embedder);
        var planStage = new MatchPlanInstallments(plans, members, engine.BalanceOf);
        int held = 0, review = 0, shadow = 0;
        foreach (var payment in payments)
        {
            ct.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            var decision = planStage.Refine(payment, engine.Evaluate(payment));
            sw.Stop();
            DuesPilotMetrics.MatchingLatency.Record(sw.Elapsed.TotalMilliseconds);
            var channel = Payment.ChannelCode(payment.Channel);
            var segment = decision.SuggestedMember is { } sm && tiers.TryGetValue(sm, out var tier) ? tier : "unknown";
            var evidence = memo is not null && decision.Action != MatchAction.Apply && !decision.Candidates.Any(cand => cand.Confidence >= options.AutoApplyConfidence)
                ? await MemoEvidenceAsync(memo, payment, ct)
                : null;
            var taken = await store.InTransactionAsync(async (c, tx) =>
            {
                // Another run (a second instance, or the CLI beside the service) may have decided it meanwhile.
                if (await PaymentStates.LockAsync(c, tx, payment.Id) != PaymentState.Received) return "skipped";
                var phase = await phases.PhaseForAsync(c, tx, channel, segment);
                var engineApply = decision.Action == MatchAction.Apply;
                var aboveThreshold = payment.Amount.Amount > posting.ApprovalThresholdAmount;
                // A payment marked at intake (its file's totals did not reconcile) is never applied automatically.
                var reviewRequired = await c.ExecuteScalarAsync<string?>("SELECT review_required FROM payments WHERE payment_id = @id", new { id = payment.Id.Value }, tx);
                string action;
                string? note = null;
                if (reviewRequired is not null)
                {
                    action = "review";
                    note = reviewRequired;
                }
                else if (engineApply && phase >= RolloutPhase.Guarded && !aboveThreshold)
                {
                    var allocations = decision.Allocations.Select(a => new Allocation(payment.Id, a.MemberId, a.InvoiceId, a.Amount)).ToList();
                    var applied = await ApplyPayment.HandleAsync(c, tx, clock, accounts, posting, new ApplyPayment.Request(
                        payment.Id, allocations, ApplyPayment.Mode.Hold, posting.HoldWindowFor(channel, segment), "duespilot", decision.Reason, engine.Options.RuleVersion));
                    if (applied.Result == ApplyPayment.Result.Held)
                    {
                        action = "apply";
                    }
                    else
                    {
                        action = "review";
                        note = $"Automatic application refused: {applied.Detail}.";
                    }
                }
                else
                {
                    action = phase == RolloutPhase.Shadow ? "shadow" : "review";
                    if (engineApply && aboveThreshold) note = $"Above the approval threshold ({posting.ApprovalThresholdAmount:0.00}): an approver decides.";
                    else if (engineApply && phase == RolloutPhase.Assist) note = "Assist phase: staff approve every suggestion.";
                    else if (engineApply && phase == RolloutPhase.Shadow) note = "Shadow phase: the engine's decision is recorded, staff decide.";
                }

                if (action != "apply") await SendToReviewAsync(c, tx, clock, payment, decision, note, evidence);
                await SegmentMetrics.RecordAsync(c, tx, clock, new RecordedDecision(payment.Id.Value, channel, segment, phase,
                    engineApply ? "apply" : "review", action, decision.Confidence, decision.SuggestedMember?.Value,
                    decision.Allocations.Select(a => new Allocation(payment.Id, a.MemberId, a.InvoiceId, a.Amount)).ToList(),
                    decision.Reason, engine.Options.RuleVersion, (long)sw.Elapsed.TotalMilliseconds));
                return action;
            }, ct);

            if (taken == "apply")
            {
                engine.Commit(payment, decision.Allocations);
                planStage.Commit(decision.Allocations);
                held++;
            }
            else if (taken == "skipped")
            {
                continue;
            }
            else if (taken == "shadow")
            {
                engine.Reviewed(payment);
                shadow++;
            }
            else
            {
                // The same payment arriving again in this batch is then held beside this one, not applied.
                engine.Reviewed(payment);
                review++;
            }
        }

        return new Outcome(payments.Count, held, review, shadow);
    }

    /// <summary>The memo interpreter's reading, or null when no model answered (the deterministic path adds nothing) or it found nothing.</summary>
    private static async Task<MemoEvidence?> MemoEvidenceAsync(IMemoInterpreter memo, Payment payment, CancellationToken ct)
    {
        var evidence = await memo.InterpretAsync(new MemoInterpretationRequest(payment.Id, payment.PayerName, payment.Memo, payment.Amount, payment.Channel), ct);
        return evidence.ModelOutcome == Ai.ModelCallOutcome.Succeeded && !evidence.IsEmpty ? evidence : null;
    }

    private static async Task SendToReviewAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, TimeProvider clock, Payment payment, MatchDecision decision, string? note,
        MemoEvidence? memo)
    {
        string? MemoPoint(MatchCandidate cand)
        {
            if (memo is null) return null;
            var invoices = cand.Allocations.Where(a => a.InvoiceId is { } i && memo.InvoiceIds.Contains(i)).Select(a => a.InvoiceId!.Value.Value).ToList();
            if (invoices.Count > 0) return $"memo interpretation ({memo.Source}, {memo.Confidence} confidence) names invoice {string.Join(", ", invoices)}";
            return memo.MemberIds.Contains(cand.MemberId) ? $"memo interpretation ({memo.Source}, {memo.Confidence} confidence) names this member" : null;
        }

        var analysis = new ReviewAnalysis(
            note is null ? decision.Reason : $"{decision.Reason} {note}",
            decision.Confidence,
            decision.SuggestedAction,
            decision.Candidates.Select(cand => new ReviewCandidate(cand.MemberId.Value, cand.MemberName, cand.Confidence,
                MemoPoint(cand) is { } point ? [.. cand.EvidenceFor, point] : cand.EvidenceFor, cand.EvidenceAgainst,
                cand.Allocations.Select(a => new ReviewProposal(a.MemberId.Value, a.InvoiceId?.Value, a.Amount.Amount)).ToList())).ToList(),
            memo is null ? null : new Dictionary<string, string>
            {
                ["Memo interpretation"] = $"{memo.Source}, {memo.Confidence} confidence; evidence only, not applied",
                ["Memo names members"] = memo.MemberIds.Count == 0 ? "none" : string.Join(", ", memo.MemberIds.Select(m => m.Value)),
                ["Memo names invoices"] = memo.InvoiceIds.Count == 0 ? "none" : string.Join(", ", memo.InvoiceIds.Select(i => i.Value)),
            });
        await OpenReviewItem.HandleAsync(c, tx, clock, new OpenReviewItem.Request(ReviewKinds.Payment, payment.Id.Value, decision.SuggestedMember?.Value,
            ReviewPriority.ForAmount(payment.Amount) + (int)Math.Round((1m - decision.Confidence) * 20m), decision.Confidence, decision.SuggestedAction,
            analysis.Reason, analysis, payment.Amount));
        await PaymentStates.TransitionAsync(c, tx, payment.Id, PaymentState.Received, PaymentEvent.SendToReview);
    }

    public static async Task<JobResult> RunJobAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, PostingOptions posting, RolloutPhases phases, MatchOptions options, INameEmbedder? embedder,
        IMemoInterpreter? memo, CancellationToken ct)
    {
        var o = await HandleAsync(store, clock, accounts, posting, phases, options, embedder, memo, ct: ct);
        return new JobResult($"decided {o.Decided}: {o.Held} held, {o.ToReview} to review, {o.Shadowed} in shadow",
            new Dictionary<string, long> { ["decided"] = o.Decided, ["held"] = o.Held, ["review"] = o.ToReview, ["shadow"] = o.Shadowed });
    }
}
