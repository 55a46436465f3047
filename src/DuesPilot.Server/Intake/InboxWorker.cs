using DuesPilot.Features.Intake;
using DuesPilot.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DuesPilot.Server.Intake;

/// <summary>A thin timer around <see cref="ProcessInbox"/>: the CLI can run the same handler once.</summary>
public sealed class InboxWorker(Store store, TimeProvider clock, IOptions<IntakeOptions> options, DuesPilot.Features.Posting.PostingBooks books, IServiceProvider services, ILogger<InboxWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Worker.Enabled) return;
        var fetch = o.AuthorizeNet.CanFetchDetails ? services.GetRequiredService<FetchAuthorizeNetTransaction>() : null;
        // iMIS change notifications re-read the changed member or invoice when iMIS is connected (Imis:BaseUrl).
        var imis = services.GetService<DuesPilot.Imis.IImisClient>();
        var reread = imis is null ? null : new DuesPilot.Features.ImisSync.RereadImisChange(store, imis, clock, services.GetService<DuesPilot.Domain.Proration.BillingPolicy>());
        var handler = new ProcessInbox(store, clock, o.Worker, books, fetch, $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}", reread);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(o.Worker.PollMilliseconds), clock);
        try
        {
            do
            {
                try
                {
                    ProcessInboxResult r;
                    do
                    {
                        r = await handler.RunOnceAsync(stoppingToken);
                        if (r.DeadLettered > 0) log.LogWarning("Inbox: {Dead} item(s) dead-lettered", r.DeadLettered);
                    }
                    while (r.Leased == o.Worker.BatchSize && !stoppingToken.IsCancellationRequested);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The store is unreachable or similar: log and try on the next tick; leases expire on their own.
                    log.LogError(ex, "Inbox worker tick failed");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
