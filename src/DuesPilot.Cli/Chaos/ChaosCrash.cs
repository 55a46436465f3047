using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DuesPilot.Persistence;

namespace DuesPilot.Cli.Chaos;

/// <summary>
/// Crash recovery: a child <c>duespilot serve</c> process receives N signed webhooks and is killed
/// (SIGKILL, no shutdown) at K random points while deliveries are in flight and the worker is processing.
/// After each kill it is restarted and every event not acknowledged — plus some that were — is sent again,
/// as Stripe does. At the end the store must hold each event once, one payment and one receipt per payment
/// intent, and a clean ledger.
/// </summary>
public static class ChaosCrash
{
    public sealed record Request(int Events, int Kills, int Seed, string DataDirectory, int Concurrency = 8);

    public sealed record Outcome(int Seed, int Kills, int Restarts, long Deliveries, long Resent, ExactlyOnceFigures Figures, TimeSpan Elapsed);

    public static async Task<Outcome> RunAsync(Request request, Action<string> log, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var events = ChaosWebhooks.Make(request.Events, request.Seed);
        var random = new Random(request.Seed);
        var killAt = new SortedSet<int>();
        while (killAt.Count < Math.Min(request.Kills, Math.Max(0, request.Events - 1))) killAt.Add(random.Next(1, request.Events));
        var acknowledged = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        long deliveries = 0, resent = 0;
        var restarts = 0;
        var clock = TimeProvider.System;

        var child = await ServeProcess.StartAsync(request.DataDirectory, log, ct);
        try
        {
            // Rounds: each round sends what is not yet acknowledged; a kill point ends a round early.
            var sentSoFar = 0;
            var pendingKills = new Queue<int>(killAt);
            while (acknowledged.Count < events.Count)
            {
                ct.ThrowIfCancellationRequested();
                var todo = events.Where(e => !acknowledged.ContainsKey(e.EventId)).ToList();
                // Redeliver a few acknowledged ones too, as a sender that missed our answer would.
                var again = events.Where(e => acknowledged.ContainsKey(e.EventId) && random.Next(10) == 0).Take(25).ToList();
                resent += again.Count;
                var round = todo.Concat(again).ToList();
                var killPoint = pendingKills.Count > 0 ? Math.Max(1, pendingKills.Peek() - sentSoFar) : int.MaxValue;
                using var killed = new CancellationTokenSource();
                var sent = 0;
                using var http = new HttpClient { BaseAddress = child.Address, Timeout = TimeSpan.FromSeconds(10) };
                await Parallel.ForEachAsync(round, new ParallelOptions { MaxDegreeOfParallelism = request.Concurrency, CancellationToken = ct }, async (e, token) =>
                {
                    if (killed.IsCancellationRequested) return;
                    var n = Interlocked.Increment(ref sent);
                    if (n == killPoint && pendingKills.Count > 0)
                    {
                        // SIGKILL while the other requests of this round are in flight.
                        child.Kill();
                        await killed.CancelAsync();
                    }

                    Interlocked.Increment(ref deliveries);
                    var (status, _) = await ChaosWebhooks.SendAsync(http, e, clock, token);
                    if (ChaosWebhooks.Acknowledged(status)) acknowledged[e.EventId] = true;
                });
                sentSoFar += Math.Min(sent, round.Count);
                if (killed.IsCancellationRequested || !child.IsRunning)
                {
                    if (pendingKills.Count > 0) pendingKills.Dequeue();
                    await child.DisposeAsync();
                    restarts++;
                    log(string.Create(CultureInfo.InvariantCulture, $"killed after {sentSoFar} deliveries, {acknowledged.Count} acknowledged; restarting"));
                    child = await ServeProcess.StartAsync(request.DataDirectory, log, ct);
                }
            }

            // Any kill points left (all events acknowledged early): kill while the worker is still processing.
            while (pendingKills.Count > 0)
            {
                pendingKills.Dequeue();
                await Task.Delay(random.Next(20, 200), ct);
                child.Kill();
                await child.DisposeAsync();
                restarts++;
                child = await ServeProcess.StartAsync(request.DataDirectory, log, ct);
            }

            await using var store = await Store.OpenAsync(new StoreOptions(request.DataDirectory), ct);
            if (!await ChaosWebhooks.WaitProcessedAsync(store, TimeSpan.FromMinutes(5), ct)) log("the inbox still has pending items after 5 minutes");
            await child.DisposeAsync();
            var figures = await ExactlyOnceFigures.ReadAsync(store, events, ct);
            return new Outcome(request.Seed, killAt.Count, restarts, deliveries, resent, figures, Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            await child.DisposeAsync();
        }
    }
}

/// <summary>A child <c>duespilot serve</c> on 127.0.0.1 and a free port, with the chaos webhook secret from its environment.</summary>
public sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private ServeProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public bool IsRunning => !_disposed && !_process.HasExited;

    public static async Task<ServeProcess> StartAsync(string dataDirectory, Action<string> log, CancellationToken ct)
    {
        var port = FreePort();
        var cli = typeof(ServeProcess).Assembly.Location;
        var info = new ProcessStartInfo(DotnetHost(), ["exec", cli, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--data", dataDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["Intake__Stripe__WebhookSecret"] = ChaosWebhooks.Secret;
        info.Environment["Intake__Worker__PollMilliseconds"] = "100";
        // A killed worker's leases expire after this; the default (300 s) would only make the run wait.
        info.Environment["Intake__Worker__LeaseSeconds"] = "5";
        info.Environment["Matching__UseEmbeddings"] = "false";
        info.Environment["Staff__InitialAdminPassword"] = "chaos-admin-password";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start duespilot serve");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null && e.Data.Contains("fail", StringComparison.OrdinalIgnoreCase)) log("serve: " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log("serve: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var child = new ServeProcess(process, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")));
        using var http = new HttpClient { BaseAddress = child.Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"duespilot serve exited with {process.ExitCode} before it was healthy");
            try
            {
                using var response = await http.GetAsync("/health", ct);
                if (response.StatusCode == HttpStatusCode.OK) return child;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // Not answering yet.
            }

            await Task.Delay(100, ct);
        }

        child.Kill();
        throw new InvalidOperationException("duespilot serve did not become healthy within 60 s");
    }

    /// <summary>SIGKILL: no graceful shutdown, no flushing.</summary>
    public void Kill()
    {
        if (!_disposed && !_process.HasExited) _process.Kill(entireProcessTree: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        Kill();
        _disposed = true;
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return self;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}
