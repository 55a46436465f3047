using DuesPilot.Features.Posting;
using DuesPilot.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DuesPilot.Features.Revenue;

/// <summary>Options of the automatic month-end close. Off by default: most associations close when finance says so.</summary>
public sealed record RevenueCloseOptions
{
    public bool Enabled { get; init; }

    /// <summary>How often to look for an ended month that is not closed yet.</summary>
    public int CheckIntervalMinutes { get; init; } = 60;

    public void Validate()
    {
        if (CheckIntervalMinutes is < 1 or > 1440) throw new InvalidOperationException("Revenue:Close:CheckIntervalMinutes must be 1–1440.");
    }
}

/// <summary>
/// Thin host for <see cref="CloseRevenueMonth"/>: on each tick, closes the next month if it has ended, one month per
/// tick so a backlog catches up in order. The CLI (<c>duespilot revenue close</c>) calls the same handler.
/// </summary>
public sealed class CloseRevenueMonthJob(Store store, TimeProvider clock, ChartOfAccounts accounts, RevenueCloseOptions options, Jobs.JobRuns runs, ILogger<CloseRevenueMonthJob> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        options.Validate();
        if (!options.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.CheckIntervalMinutes), clock);
        do
        {
            // Recorded in job_runs (with its lease) like the scheduled jobs, as "revenue-close".
            await runs.RunAsync("revenue-close", async token =>
            {
                var outcome = await RunOnceAsync(token);
                if (outcome is { Result: CloseRevenueMonth.Result.Closed } && logger.IsEnabled(LogLevel.Information))
                    logger.LogInformation("Closed {Month}: recognised {Amount} over {Terms} terms", outcome.Month, outcome.Recognised, outcome.Terms);
                return outcome is null
                    ? new Jobs.JobResult("nothing to close", new Dictionary<string, long>())
                    : new Jobs.JobResult($"{outcome.Result} {outcome.Month}: recognised {outcome.Recognised.ToDisplayString()} over {outcome.Terms} term(s)", new Dictionary<string, long> { ["terms"] = outcome.Terms });
            }, stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Closes the next month if it has ended; null when there is nothing to close.</summary>
    public async Task<CloseRevenueMonth.Outcome?> RunOnceAsync(CancellationToken ct)
    {
        var next = await CloseRevenueMonth.NextMonthToCloseAsync(store, ct);
        if (next is not { } month || month.Last >= Domain.BusinessClock.Of(clock).Today) return null;
        return await CloseRevenueMonth.HandleAsync(store, clock, accounts, new CloseRevenueMonth.Request(month), ct);
    }
}
