using DuesPilot.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DuesPilot.Features.Collections.Dunning;

/// <summary>Options of the dunning job. Off by default: an association turns dunning on once its policy is reviewed.</summary>
public sealed record DunningJobOptions
{
    public bool Enabled { get; init; }

    /// <summary>Minutes between passes; quiet hours and cadence are rechecked on each.</summary>
    public int IntervalMinutes { get; init; } = 60;

    /// <summary>Invoices considered per pass (a bound on one run's work).</summary>
    public int BatchSize { get; init; } = 5000;

    /// <summary>The dunning policy (JSON); empty: the bundled default.</summary>
    public string? PolicyFile { get; init; }

    public void Validate()
    {
        if (IntervalMinutes is < 5 or > 1440) throw new InvalidOperationException("Collections:Dunning:IntervalMinutes must be 5–1440.");
        if (BatchSize is < 1 or > 100_000) throw new InvalidOperationException("Collections:Dunning:BatchSize must be 1–100000.");
    }
}

/// <summary>
/// Thin host: each tick, ends payment plans with a missed installment (so their invoices re-enter dunning), then runs
/// one dunning pass. <c>duespilot collections dunning</c> calls the same two handlers.
/// </summary>
public sealed class RunDunningJob(Store store, TimeProvider clock, RunDunning.Context context, DunningJobOptions options, Jobs.JobRuns runs, ILogger<RunDunningJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        options.Validate();
        context.Policy.Validate();
        if (!options.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.IntervalMinutes), clock);
        do
        {
            // Recorded in job_runs (with its lease) like the scheduled jobs, as "dunning".
            await runs.RunAsync("dunning", async token =>
            {
                await DetectMissedInstallments.HandleAsync(store, clock, ct: token);
                var outcome = await RunDunning.HandleAsync(store, clock, context, options.BatchSize, ct: token);
                long sent = outcome.Count(RunDunning.ActionKind.Sent), escalated = outcome.Count(RunDunning.ActionKind.Escalated), failed = outcome.Count(RunDunning.ActionKind.SendFailed);
                if (logger.IsEnabled(LogLevel.Information))
                    logger.LogInformation("Dunning pass: {Sent} sent, {Escalated} escalated, {Failed} failed", sent, escalated, failed);
                return new Jobs.JobResult($"{sent} sent, {escalated} escalated, {failed} failed", new Dictionary<string, long> { ["sent"] = sent, ["escalated"] = escalated, ["failed"] = failed });
            }, stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
