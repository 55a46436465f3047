using System.Diagnostics;
using DuesPilot.Persistence;
using DuesPilot.Server;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Cli.Chaos;

/// <summary>
/// Duplicates and order: every webhook is delivered 1–3 times, all deliveries shuffled, and a tenth of
/// them held back and sent after the worker has already processed the first copies. Exactly one
/// payment per payment intent must come out.
/// </summary>
public static class ChaosDuplicates
{
    public sealed record Request(int Events, int Seed, string DataDirectory, TimeSpan LateDelay, int Concurrency = 8);

    public sealed record Outcome(int Seed, long Deliveries, long Late, long NotAcknowledged, ExactlyOnceFigures Figures, TimeSpan Elapsed);

    public static async Task<Outcome> RunAsync(Request request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var events = ChaosWebhooks.Make(request.Events, request.Seed);
        var random = new Random(request.Seed);
        var deliveries = events.SelectMany(e => Enumerable.Repeat(e, random.Next(1, 4))).ToArray();
        random.Shuffle(deliveries);
        var isLate = deliveries.Select(_ => random.Next(10) == 0).ToArray();
        var late = deliveries.Where((_, i) => isLate[i]).ToList();
        var now = deliveries.Where((_, i) => !isLate[i]).ToList();
        var store = new StoreOptions(request.DataDirectory);
        var app = await ChaosHost.StartAsync(store, ct: ct);
        await using (app)
        {
            using var http = new HttpClient { BaseAddress = ServerHost.Address(app), Timeout = TimeSpan.FromSeconds(30) };
            long notAcknowledged = 0;
            async Task SendAllAsync(IReadOnlyList<ChaosEvent> list)
            {
                await Parallel.ForEachAsync(list, new ParallelOptions { MaxDegreeOfParallelism = request.Concurrency, CancellationToken = ct }, async (e, token) =>
                {
                    var (status, _) = await ChaosWebhooks.SendAsync(http, e, TimeProvider.System, token);
                    if (!ChaosWebhooks.Acknowledged(status)) Interlocked.Increment(ref notAcknowledged);
                });
            }

            await SendAllAsync(now);
            var opened = app.Services.GetRequiredService<Store>();
            await ChaosWebhooks.WaitProcessedAsync(opened, TimeSpan.FromMinutes(2), ct);
            await Task.Delay(request.LateDelay, ct);
            await SendAllAsync(late);
            await ChaosWebhooks.WaitProcessedAsync(opened, TimeSpan.FromMinutes(2), ct);
            var figures = await ExactlyOnceFigures.ReadAsync(opened, events, ct);
            await app.StopAsync(ct);
            return new Outcome(request.Seed, deliveries.Length, late.Count, notAcknowledged, figures, Stopwatch.GetElapsedTime(started));
        }
    }
}
