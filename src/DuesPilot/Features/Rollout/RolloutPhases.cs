using System.Data.Common;
using Dapper;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Rollout;

/// <summary>How far automation may go for one (channel × member segment).</summary>
public enum RolloutPhase
{
    /// <summary>Decide and report only; every payment goes to staff; the decision is kept to measure the segment.</summary>
    Shadow,
    /// <summary>Every suggestion goes to staff for approval.</summary>
    Assist,
    /// <summary>Auto-apply inside the thresholds, with the hold window.</summary>
    Guarded,
    /// <summary>Guarded plus payment-plan proposals and proactive proration.</summary>
    Predictive,
}

/// <summary>One configured rule: a channel (<c>card</c>, <c>ach</c>, <c>check</c>, <c>wire</c> or <c>*</c>) and a segment (tier code or <c>*</c>).</summary>
public sealed class SegmentRule
{
    public string Channel { get; set; } = "*";
    public string Segment { get; set; } = "*";
    public RolloutPhase Phase { get; set; } = RolloutPhase.Shadow;
}

/// <summary>Configuration section <c>Rollout</c>. The shipped pilot: online card dues of regular members guarded, everything else in shadow.</summary>
public sealed class RolloutOptions
{
    public RolloutPhase DefaultPhase { get; set; } = RolloutPhase.Shadow;
    public List<SegmentRule> Segments { get; set; } = [];

    public static RolloutOptions Pilot() => new()
    {
        DefaultPhase = RolloutPhase.Shadow,
        Segments = [new SegmentRule { Channel = "card", Segment = "REG", Phase = RolloutPhase.Guarded }],
    };
}

public sealed record SegmentPhaseView(string Channel, string Segment, RolloutPhase Phase, string Source, string? ChangedBy, DateTimeOffset? ChangedAt, string? Reason);

/// <summary>
/// Resolves the phase of a segment: a phase set by staff (stored, audited) wins over configuration;
/// the most specific rule wins (channel+segment, then channel+*, then *+segment, then *+*, then the default).
/// </summary>
public sealed class RolloutPhases(Store store, TimeProvider clock, RolloutOptions options)
{
    public async Task<RolloutPhase> PhaseForAsync(DbConnection c, DbTransaction? tx, string channel, string segment)
    {
        var stored = (await c.QueryAsync<(string Channel, string Segment, string Phase)>(
            "SELECT channel, segment, phase FROM segment_phases WHERE channel IN (@channel, '*') AND segment IN (@segment, '*')", new { channel, segment }, tx)).ToList();
        foreach (var (ch, seg) in Specificity(channel, segment))
        {
            var s = stored.FirstOrDefault(r => r.Channel == ch && r.Segment == seg);
            if (s.Phase is not null) return Enum.Parse<RolloutPhase>(s.Phase, ignoreCase: true);
            var rule = options.Segments.FirstOrDefault(r => Eq(r.Channel, ch) && Eq(r.Segment, seg));
            if (rule is not null) return rule.Phase;
        }

        return options.DefaultPhase;
    }

    public Task<RolloutPhase> PhaseForAsync(string channel, string segment, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => PhaseForAsync(c, tx, channel, segment), ct);

    /// <summary>Sets a segment's phase (promotion or demotion), with who, when and why in the audit log.</summary>
    public Task SetAsync(string channel, string segment, RolloutPhase phase, string actor, string reason, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var before = await PhaseForAsync(c, tx, channel, segment);
            await c.ExecuteAsync(
                """
                INSERT INTO segment_phases (channel, segment, phase, changed_by, changed_at, reason) VALUES (@channel, @segment, @phase, @actor, @now, @reason)
                ON CONFLICT (channel, segment) DO UPDATE SET phase = excluded.phase, changed_by = excluded.changed_by, changed_at = excluded.changed_at, reason = excluded.reason
                """,
                new { channel, segment, phase = phase.ToString().ToLowerInvariant(), actor, now = DbTime.Format(clock.GetUtcNow()), reason }, tx);
            var verb = phase > before ? "promoted" : phase < before ? "demoted" : "confirmed";
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, $"rollout.{verb}", $"segment:{channel}:{segment}",
                $"{verb} {channel} × {segment} from {before} to {phase}", Inputs: reason,
                Before: before.ToString(), After: phase.ToString()));
        }, ct);

    /// <summary>Every configured or stored segment with its phase and where it comes from.</summary>
    public Task<IReadOnlyList<SegmentPhaseView>> ListAsync(CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<SegmentPhaseView>>(async (c, tx) =>
        {
            var stored = (await c.QueryAsync<(string Channel, string Segment, string Phase, string By, string At, string? Reason)>(
                "SELECT channel, segment, phase, changed_by, changed_at, reason FROM segment_phases", transaction: tx)).ToList();
            var seen = (await c.QueryAsync<(string Channel, string Segment)>("SELECT DISTINCT channel, segment FROM match_decisions", transaction: tx)).ToList();
            var keys = stored.Select(s => (s.Channel, s.Segment))
                .Concat(options.Segments.Select(r => (r.Channel, r.Segment)))
                .Concat(seen)
                .Distinct()
                .OrderBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2, StringComparer.Ordinal);
            var result = new List<SegmentPhaseView>();
            foreach (var (channel, segment) in keys)
            {
                var s = stored.FirstOrDefault(r => r.Channel == channel && r.Segment == segment);
                var phase = await PhaseForAsync(c, tx, channel, segment);
                result.Add(s.Phase is not null
                    ? new SegmentPhaseView(channel, segment, phase, "set by staff", s.By, DbTime.ParseInstant(s.At), s.Reason)
                    : new SegmentPhaseView(channel, segment, phase, "configuration", null, null, null));
            }

            return result;
        }, ct);

    private static IEnumerable<(string, string)> Specificity(string channel, string segment) =>
        [(channel, segment), (channel, "*"), ("*", segment), ("*", "*")];

    private static bool Eq(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
