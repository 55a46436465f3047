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

    public void Validate()
    {
        if (IntervalMinutes is < 5 or > 1440) throw new InvalidOperationException("Dunning:IntervalMinutes must be 5–1440.");
        if (BatchSize is < 1 or > 100_000) throw new InvalidOperationException("Dunning:BatchSize must be 1–100000.");
    }
}

/// <summary>
/// Thin host: each tick, ends payment plans with a missed installment (so their invoices re-enter dunning), then runs
/// one dunning pass. <c>duespilot collections dunning</c> calls the same two handlers.
/// </summary>
public sealed class RunDunningJob(Store store, TimeProvider clock, RunDunning.Context context, DunningJobOptions options, ILogger<RunDunningJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        options.Validate();
        context.Policy.Validate();
        if (!options.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.IntervalMinutes), clock);
        do
        {
            await DetectMissedInstallments.HandleAsync(store, clock, ct: stoppingToken);
            var outcome = await RunDunning.HandleAsync(store, clock, context, options.BatchSize, stoppingToken);
            if (logger.IsEnabled(LogLevel.Information))
                logger.LogInformation("Dunning pass: {Sent} sent, {Escalated} escalated, {Failed} failed", outcome.Count(RunDunning.ActionKind.Sent), outcome.Count(RunDunning.ActionKind.Escalated), outcome.Count(RunDunning.ActionKind.SendFailed));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
