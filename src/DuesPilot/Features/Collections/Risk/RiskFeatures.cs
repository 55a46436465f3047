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
        $"{Dunning.MessageTemplates.DaysText(DaysOverdue)} overdue, ${Amount:F2}, tenure {TenureYears:F1} y, tier {Tier}, {PastLatePayments} past late, channel {Channel}, dunning answered {PriorDunningResponses}/ignored {PriorDunningIgnored}");
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
/// The fallback when there is no trained model and too little history to calibrate on: it says so in its version, and
/// scores by two bands every collections desk knows: how long overdue, and how big the bill. The chances are set so an
/// account a month overdue is already medium risk and one two months overdue high risk, so escalation can fire;
/// (the previous hand-set score started at 80% and called nearly every account low risk).
/// </summary>
public sealed class BandRiskScorer : IRiskScorer
{
    public string Version => "bands/1: no trained model and too little history, so age and amount bands";

    public RiskScore Score(RiskFeatures features)
    {
        var p = AgeBandRate(features.DaysOverdue) * AmountFactor(features.Amount);
        return new RiskScore(p, RiskScore.SegmentOf(p), Version);
    }

    private static double AgeBandRate(int daysOverdue) => daysOverdue switch
    {
        < 15 => 0.45,
        < 30 => 0.30,
        < 60 => 0.18,
        _ => 0.08,
    };

    private static double AmountFactor(float amount) => amount >= 1000f ? 0.75 : amount >= 250f ? 0.9 : 1.0;
}

/// <summary>
/// The fallback when there is no trained model but the association has history: the observed chance of payment within
/// 30 days in its own past overdue accounts, by age band (under 30, 30–59, 60+ days overdue) and amount band (under 250,
/// 250–999, 1,000+), each cell shrunk toward its age band's rate (and that toward the overall rate) so a thin cell does
/// not swing. Calibrated by construction on this association's history; it knows nothing of tiers or channels, which
/// the trained model learns.
/// </summary>
public sealed class HistoryRateScorer : IRiskScorer
{
    /// <summary>Fewer observations than this and the rates say too little: the bands fallback scores.</summary>
    public const int MinimumObservations = 50;

    /// <summary>Pseudo-observations of the wider rate each band's rate is shrunk toward.</summary>
    private const double Prior = 10.0;

    private readonly double[,] _rates;

    private HistoryRateScorer(double[,] rates, string version)
    {
        _rates = rates;
        Version = version;
    }

    public string Version { get; }

    /// <summary>The scorer calibrated on <paramref name="observations"/>, or null when there are fewer than <see cref="MinimumObservations"/>.</summary>
    public static HistoryRateScorer? TryBuild(IReadOnlyList<RiskObservation> observations, DateOnly asOf)
    {
        if (observations.Count < MinimumObservations) return null;
        var overall = (observations.Count(o => o.PaidWithin30Days) + 1.0) / (observations.Count + 2.0);
        var rates = new double[3, 3];
        for (var age = 0; age < 3; age++)
        {
            var inAge = observations.Where(o => AgeBand(o.Features.DaysOverdue) == age).ToList();
            var ageRate = (inAge.Count(o => o.PaidWithin30Days) + Prior * overall) / (inAge.Count + Prior);
            for (var amount = 0; amount < 3; amount++)
            {
                var cell = inAge.Where(o => AmountBand(o.Features.Amount) == amount).ToList();
                rates[age, amount] = (cell.Count(o => o.PaidWithin30Days) + Prior * ageRate) / (cell.Count + Prior);
            }
        }

        return new HistoryRateScorer(rates, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"history-rates/{asOf:yyyyMMdd}/{observations.Count}: no trained model, so payment rates by age and amount band in this association's history"));
    }

    public RiskScore Score(RiskFeatures features)
    {
        var p = Math.Clamp(_rates[AgeBand(features.DaysOverdue), AmountBand(features.Amount)], 0.01, 0.99);
        return new RiskScore(p, RiskScore.SegmentOf(p), Version);
    }

    private static int AgeBand(int daysOverdue) => daysOverdue < 30 ? 0 : daysOverdue < 60 ? 1 : 2;

    private static int AmountBand(float amount) => amount < 250f ? 0 : amount < 1000f ? 1 : 2;
}
