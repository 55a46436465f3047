using Cronos;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DuesPilot.Features.Jobs;

/// <summary>A job the service runs on a cron schedule; the same handler is callable from the CLI.</summary>
public sealed record ScheduledJob(string Name, string Cron, Func<IServiceProvider, CancellationToken, Task<JobResult>> Handler);

/// <summary>Configuration section <c>Jobs</c>: a cron expression per job name (empty = off), read in the association's time zone (<c>Association:TimeZone</c>).</summary>
public sealed class JobScheduleOptions
{
    public Dictionary<string, string> Schedules { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Seconds a job run's lease lasts; its heartbeat renews it every third. A run of a killed instance is marked abandoned once its lease lapses.</summary>
    [System.ComponentModel.DataAnnotations.Range(3, 3600)]
    public int LeaseSeconds { get; set; } = 120;

    public void Validate()
    {
        if (LeaseSeconds is < 3 or > 3600) throw new InvalidOperationException($"Jobs:LeaseSeconds must be 3–3600 (is {LeaseSeconds}).");
    }
}

/// <summary>
/// A thin BackgroundService: one loop per job, waiting for the next cron occurrence with the injected
/// clock, then calling the handler through <see cref="JobRuns"/>. All the work is in the handlers.
/// </summary>
public sealed class ScheduledJobRunner(IEnumerable<ScheduledJob> jobs, JobRuns runs, IServiceProvider services, TimeProvider clock, JobScheduleOptions options, ILogger<ScheduledJobRunner> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Runs left unfinished by an instance that died before this one started.
        try
        {
            var abandoned = await runs.MarkAbandonedAsync(stoppingToken);
            if (abandoned > 0) log.LogWarning("{Count} job run(s) of a stopped instance marked abandoned", abandoned);
        }
        catch (System.Data.Common.DbException ex)
        {
            // The next run of any job tries again.
            log.LogWarning(ex, "Could not mark abandoned job runs");
        }

        // Cron expressions are read in the association's zone: "0 7 * * *" is 07:00 where the association is.
        var zone = Domain.BusinessClock.Of(clock).Zone;
        var loops = new List<Task>();
        foreach (var job in jobs)
        {
            var cron = options.Schedules.TryGetValue(job.Name, out var configured) ? configured : job.Cron;
            if (string.IsNullOrWhiteSpace(cron)) continue;
            var expression = CronExpression.Parse(cron, cron.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            loops.Add(LoopAsync(job, expression, zone, stoppingToken));
        }

        await Task.WhenAll(loops);
    }

    private async Task LoopAsync(ScheduledJob job, CronExpression cron, TimeZoneInfo zone, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            var next = cron.GetNextOccurrence(now, zone);
            if (next is null) return;
            try
            {
                await Task.Delay(next.Value - now, clock, ct);
                // A run started shortly before this tick by another instance is this tick's, but never one of the previous tick.
                var following = cron.GetNextOccurrence(next.Value, zone);
                var tolerance = following is { } f && f - next.Value < TimeSpan.FromSeconds(10) ? (f - next.Value) / 2 : TimeSpan.FromSeconds(5);
                var run = await runs.RunAsync(job.Name, token => job.Handler(services, token), ct, scheduledFor: next.Value, tickTolerance: tolerance);
                if (run?.Error is { } error) log.LogWarning("Job {Job} failed: {Error}", job.Name, error);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
