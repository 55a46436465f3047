using System.Data.Common;
using System.Globalization;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Rollout;

/// <summary>One engine decision as recorded for measurement.</summary>
/// <param name="EngineAction">What the engine wanted: <c>apply</c> or <c>review</c>.</param>
/// <param name="TakenAction">What the phase let happen: <c>apply</c> (held), <c>review</c>, or <c>shadow</c>.</param>
public sealed record RecordedDecision(string PaymentId, string Channel, string Segment, RolloutPhase Phase, string EngineAction, string TakenAction,
    decimal Confidence, string? MemberId, IReadOnlyList<Allocation> Allocations, string Reason, string RuleVersion, long LatencyMs);

/// <summary>How a segment's decisions have fared.</summary>
/// <param name="Precision">Of the engine's "apply" decisions that a person has since settled, the share where the person did the same; null before any.</param>
/// <param name="Coverage">Share of the segment's payments the engine would apply alone.</param>
/// <param name="Overrides">Auto-applied payments later voided by staff.</param>
public sealed record SegmentMeasure(string Channel, string Segment, int Decisions, int EngineApply, int Checked, int Agreed, int Overrides, decimal? Precision, decimal Coverage);

public static class SegmentMetrics
{
    public static Task RecordAsync(DbConnection c, DbTransaction tx, TimeProvider clock, RecordedDecision d) =>
        c.ExecuteAsync(
            """
            INSERT INTO match_decisions (payment_id, channel, segment, phase, engine_action, taken_action, confidence, member_id, allocations, reason, rule_version, decided_at, latency_ms)
            VALUES (@PaymentId, @Channel, @Segment, @phase, @EngineAction, @TakenAction, @confidence, @MemberId, @allocations, @Reason, @RuleVersion, @now, @LatencyMs)
            ON CONFLICT (payment_id) DO NOTHING
            """,
            new
            {
                d.PaymentId, d.Channel, d.Segment, phase = d.Phase.ToString().ToLowerInvariant(), d.EngineAction, d.TakenAction,
                confidence = d.Confidence.ToString("0.000", CultureInfo.InvariantCulture), d.MemberId, allocations = Key(d.Allocations.Select(a => (a.MemberId.Value, a.InvoiceId?.Value, a.Amount.MinorUnits))),
                d.Reason, d.RuleVersion, now = DbTime.Format(clock.GetUtcNow()), d.LatencyMs,
            }, tx);

    /// <summary>A canonical text of an allocation set, so two sets compare equal exactly when they are the same to the cent.</summary>
    public static string Key(IEnumerable<(string Member, string? Invoice, long Minor)> allocations) =>
        string.Join(";", allocations.GroupBy(a => (a.Member, a.Invoice)).Select(g => $"{g.Key.Member}|{g.Key.Invoice}|{g.Sum(a => a.Minor)}").Order(StringComparer.Ordinal));

    /// <summary>Per segment since <paramref name="since"/>: decisions, the engine's apply rate, and agreement with what staff did.</summary>
    public static Task<IReadOnlyList<SegmentMeasure>> MeasureAsync(Store store, DateTimeOffset since, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<SegmentMeasure>>(async (c, tx) =>
        {
            var decisions = (await c.QueryAsync<(string Payment, string Channel, string Segment, string Engine, string Taken, string? Allocations)>(
                "SELECT payment_id, channel, segment, engine_action, taken_action, allocations FROM match_decisions WHERE decided_at >= @since",
                new { since = DbTime.Format(since) }, tx)).ToList();
            var staffAllocations = (await c.QueryAsync<(string Payment, string Member, string? Invoice, long Amount)>(
                """
                SELECT a.payment_id, a.member_id, a.invoice_id, a.amount_minor FROM allocations a
                JOIN match_decisions d ON d.payment_id = a.payment_id
                WHERE a.voided_by IS NULL AND a.mode = 'direct' AND d.decided_at >= @since
                """, new { since = DbTime.Format(since) }, tx))
                .GroupBy(a => a.Payment).ToDictionary(g => g.Key, g => Key(g.Select(a => (a.Member, a.Invoice, a.Amount))));
            var overridden = (await c.QueryAsync<string>(
                "SELECT DISTINCT payment_id FROM allocations WHERE mode = 'hold' AND voided_by IS NOT NULL", transaction: tx)).ToHashSet();

            return decisions.GroupBy(d => (d.Channel, d.Segment)).OrderBy(g => g.Key.Channel, StringComparer.Ordinal).ThenBy(g => g.Key.Segment, StringComparer.Ordinal).Select(g =>
            {
                var apply = g.Where(d => d.Engine == "apply").ToList();
                var settled = apply.Where(d => d.Taken != "apply" && staffAllocations.ContainsKey(d.Payment)).ToList();
                var agreed = settled.Count(d => staffAllocations[d.Payment] == d.Allocations);
                var overrides = apply.Count(d => d.Taken == "apply" && overridden.Contains(d.Payment));
                var checkedCount = settled.Count + apply.Count(d => d.Taken == "apply");
                var good = agreed + apply.Count(d => d.Taken == "apply") - overrides;
                return new SegmentMeasure(g.Key.Channel, g.Key.Segment, g.Count(), apply.Count, checkedCount, agreed, overrides,
                    checkedCount == 0 ? null : Math.Round((decimal)good / checkedCount, 4),
                    Math.Round((decimal)apply.Count / g.Count(), 4));
            }).ToList();
        }, ct);
}
