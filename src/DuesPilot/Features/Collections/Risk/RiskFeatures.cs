using System.Globalization;

namespace DuesPilot.Features.Collections.Risk;

/// <summary>
/// What the risk model knows about one overdue invoice on one day. Numbers are model inputs only: the
/// invoice size reaches the model as a log-scaled feature; it is an input to a score, never money.
/// </summary>
/// <param name="PastLatePayments">The member's earlier invoices paid after their due date (or never).</param>
/// <param name="Channel">The channel of the member's most recent earlier payment, or "none".</param>
/// <param name="PriorDunningResponses">Earlier dunning messages to the member that were followed by payment within 14 days.</param>
/// <param name="PriorDunningIgnored">Earlier dunning messages with no payment within 14 days.</param>
public sealed record RiskFeatures(
    string MemberId,
    string InvoiceId,
    int DaysOverdue,
    float Amount,
    float TenureYears,
    string Tier,
    int PastLatePayments,
    string Channel,
    int PriorDunningResponses,
    int PriorDunningIgnored)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{DaysOverdue} days overdue, ${Amount:F2}, tenure {TenureYears:F1} y, tier {Tier}, {PastLatePayments} past late, channel {Channel}, dunning answered {PriorDunningResponses}/ignored {PriorDunningIgnored}");
}

/// <summary>A historical snapshot and what happened next: paid in full within 30 days or not.</summary>
public sealed record RiskObservation(RiskFeatures Features, bool PaidWithin30Days, DateOnly SnapshotDate);

/// <summary>How likely an overdue account is to pay, and the segment dunning acts on.</summary>
public enum RiskSegment
{
    /// <summary>Likely to pay: gentle reminders.</summary>
    Low,
    Medium,
    /// <summary>Unlikely to pay without a person: escalate rather than automate.</summary>
    High,
}

/// <param name="Probability">Chance of payment in full within 30 days (0–1).</param>
/// <param name="Source">The scorer and its version, recorded with every decision that uses the score.</param>
public sealed record RiskScore(double Probability, RiskSegment Segment, string Source)
{
    /// <summary>
    /// Default segments from the chance of payment within 30 days: below 15% high risk, below 40% medium, else low.
    /// Accounts already overdue pay less often than people expect, so the cut-offs are low; a dunning policy can set its own.
    /// </summary>
    public static RiskSegment SegmentOf(double probability, double highBelow = 0.15, double mediumBelow = 0.40) =>
        probability < highBelow ? RiskSegment.High : probability < mediumBelow ? RiskSegment.Medium : RiskSegment.Low;
}

/// <summary>Scores an overdue account. The trained model and the rules fallback both implement it.</summary>
public interface IRiskScorer
{
    string Version { get; }

    RiskScore Score(RiskFeatures features);
}

/// <summary>
/// The fallback for an association with too little history to train on: a hand-set score from what every
/// collections desk knows (the longer overdue, the more late history, the bigger the bill, the less likely; long
/// tenure helps). It knows nothing of this association's tiers or channels, which is what the model learns.
/// </summary>
public sealed class RulesRiskScorer : IRiskScorer
{
    public string Version => "rules/1";

    public RiskScore Score(RiskFeatures features)
    {
        var f = features;
        var p = 0.80;
        p -= Math.Min(f.DaysOverdue, 120) / 120.0 * 0.35;
        p -= Math.Min(f.PastLatePayments, 4) * 0.08;
        p += Math.Min(f.TenureYears, 10f) / 10.0 * 0.10;
        if (f.Amount > 500f) p -= 0.10;
        p = Math.Clamp(p, 0.02, 0.98);
        return new RiskScore(p, RiskScore.SegmentOf(p), Version);
    }
}
