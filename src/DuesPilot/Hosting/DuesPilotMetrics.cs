using System.Diagnostics.Metrics;

namespace DuesPilot.Hosting;

/// <summary>
/// The service's OpenTelemetry metrics (meter <c>DuesPilot</c>): what finance and operations watch.
/// Exported at <c>/metrics</c> (Prometheus text) by the service host.
/// </summary>
public static class DuesPilotMetrics
{
    public const string MeterName = "DuesPilot";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> PaymentsReceived = Meter.CreateCounter<long>("duespilot.payments.received", "{payment}", "Payments recorded from any channel.");
    public static readonly Counter<long> PaymentsAutoApplied = Meter.CreateCounter<long>("duespilot.payments.auto_applied", "{payment}", "Payments applied automatically (held in GL_AI_Hold).");
    public static readonly Counter<long> PaymentsSentToReview = Meter.CreateCounter<long>("duespilot.payments.sent_to_review", "{payment}", "Review items opened.");
    public static readonly Counter<long> HoldsPosted = Meter.CreateCounter<long>("duespilot.holds.posted", "{hold}", "Holds posted to final accounts when their window ended.");
    public static readonly Counter<long> HoldsVoided = Meter.CreateCounter<long>("duespilot.holds.voided", "{hold}", "Holds voided by a staff override.");
    public static readonly Histogram<double> MatchingLatency = Meter.CreateHistogram<double>("duespilot.matching.latency", "ms", "Time to decide one payment.");
}
