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
    private static readonly object OutboxGate = new();
    private static Func<IReadOnlyList<Features.ImisSync.SendImisWrites.BacklogRow>>? _readOutbox;
    private static (long At, IReadOnlyList<Features.ImisSync.SendImisWrites.BacklogRow> Rows) _outbox = (0, []);

    /// <summary>iMIS writes waiting in the outbox, by kind (read from the store at scrape time, at most every 5 s).</summary>
    public static readonly ObservableGauge<long> OutboxPending = Meter.CreateObservableGauge("duespilot.imis.outbox.pending",
        () => Outbox().Select(r => new Measurement<long>(r.Pending, new KeyValuePair<string, object?>("kind", r.Kind))), "{write}", "iMIS writes pending in the outbox.");

    /// <summary>Age of the oldest pending iMIS write, by kind.</summary>
    public static readonly ObservableGauge<double> OutboxOldestAge = Meter.CreateObservableGauge("duespilot.imis.outbox.oldest_pending_age",
        () => Outbox().Where(r => r.OldestPending is not null).Select(r => new Measurement<double>(Math.Max(0, (TimeProvider.System.GetUtcNow() - r.OldestPending!.Value).TotalSeconds), new KeyValuePair<string, object?>("kind", r.Kind))), "s", "Age of the oldest pending iMIS write.");

    /// <summary>iMIS writes that stopped as failed or conflict and wait for staff.</summary>
    public static readonly ObservableGauge<long> OutboxFailed = Meter.CreateObservableGauge("duespilot.imis.outbox.failed",
        () => Outbox().Select(r => new Measurement<long>(r.Failed, new KeyValuePair<string, object?>("kind", r.Kind))), "{write}", "iMIS writes failed or in conflict.");

    public static readonly Histogram<double> MatchingLatency = Meter.CreateHistogram<double>("duespilot.matching.latency", "ms", "Time to decide one payment.");

    /// <summary>Called once by the service host: how the outbox gauges read the backlog.</summary>
    public static void ObserveOutbox(Func<IReadOnlyList<Features.ImisSync.SendImisWrites.BacklogRow>> read)
    {
        lock (OutboxGate)
        {
            _readOutbox = read;
            _outbox = (0, []);
        }
    }

    private static IReadOnlyList<Features.ImisSync.SendImisWrites.BacklogRow> Outbox()
    {
        lock (OutboxGate)
        {
            if (_readOutbox is null) return [];
            if (_outbox.At != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_outbox.At) < TimeSpan.FromSeconds(5)) return _outbox.Rows;
            try
            {
                _outbox = (System.Diagnostics.Stopwatch.GetTimestamp(), _readOutbox());
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                // The store is unreachable: the gauges show nothing rather than failing the scrape.
                return [];
            }

            return _outbox.Rows;
        }
    }
}
