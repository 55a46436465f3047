using System.Collections.Concurrent;
using System.Diagnostics;
using DuesPilot.Persistence;
using DuesPilot.Server;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Cli.Chaos;

/// <summary>
/// A bounded loopback load test: signed webhooks sent at a fixed rate (open loop — the schedule does not
/// wait for answers) to the real in-process host, at most <see cref="Request.MaxInFlight"/> in flight.
/// Reports latency percentiles, errors and acknowledgements per second, then checks exactly-once.
/// </summary>
public static class ChaosLoad
{
    public sealed record Request(int Rate, int Seconds, int Seed, string DataDirectory, int MaxInFlight = 512);

    public sealed record Outcome(int Rate, int Seconds, long Sent, long Acknowledged, long Errors, long Skipped, TimeSpan P50, TimeSpan P99, TimeSpan Max, double AcknowledgedPerSecond, ExactlyOnceFigures Figures);

    public static async Task<Outcome> RunAsync(Request request, CancellationToken ct)
    {
        var total = request.Rate * request.Seconds;
        var events = ChaosWebhooks.Make(total, request.Seed);
        var app = await ChaosHost.StartAsync(new StoreOptions(request.DataDirectory), ct: ct);
        await using (app)
        {
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = request.MaxInFlight, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            using var http = new HttpClient(handler) { BaseAddress = ServerHost.Address(app), Timeout = TimeSpan.FromSeconds(30) };
            using var gate = new SemaphoreSlim(request.MaxInFlight);
            var latencies = new ConcurrentBag<TimeSpan>();
            long acknowledged = 0, errors = 0, skipped = 0;
            var tasks = new List<Task>(total);
            var sent = new List<ChaosEvent>(total);
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / request.Rate);
                var wait = due - Stopwatch.GetElapsedTime(start);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
                if (!gate.Wait(0, CancellationToken.None))
                {
                    // Bounded: when the server falls this far behind, the generator counts a miss instead of queueing without limit.
                    Interlocked.Increment(ref skipped);
                    continue;
                }

                var e = events[i];
                sent.Add(e);
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        var (status, latency) = await ChaosWebhooks.SendAsync(http, e, TimeProvider.System, ct);
                        latencies.Add(latency);
                        if (ChaosWebhooks.Acknowledged(status)) Interlocked.Increment(ref acknowledged);
                        else Interlocked.Increment(ref errors);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, ct));
            }

            await Task.WhenAll(tasks);
            var elapsed = Stopwatch.GetElapsedTime(start);
            var samples = latencies.ToList();
            var store = app.Services.GetRequiredService<Store>();
            await ChaosWebhooks.WaitProcessedAsync(store, TimeSpan.FromMinutes(5), ct);
            // Only what was sent counts: skipped events were never delivered.
            var figures = await ExactlyOnceFigures.ReadAsync(store, sent, ct);
            await app.StopAsync(ct);
            return new Outcome(request.Rate, request.Seconds, samples.Count, acknowledged, errors, skipped,
                Percentiles.Of(samples, 50), Percentiles.Of(samples, 99), samples.Count == 0 ? TimeSpan.Zero : samples.Max(), acknowledged / elapsed.TotalSeconds, figures);
        }
    }
}
