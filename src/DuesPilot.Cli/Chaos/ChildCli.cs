using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DuesPilot.Cli.Chaos;

/// <summary>
/// A child <c>duespilot …</c> process (this CLI) on 127.0.0.1: started with its arguments and environment,
/// ready once an HTTP path answers, killed with SIGKILL. Used for <c>serve</c> and <c>imis-sandbox</c>.
/// </summary>
public sealed class ChildCli : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private ChildCli(Process process, int port, string name)
    {
        _process = process;
        Port = port;
        Name = name;
        Address = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(15) };
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Address { get; }

    /// <summary>A client for this child; kept (not disposed) until the child is, so requests in flight at a kill just fail.</summary>
    public HttpClient Http { get; }

    public bool IsRunning => !_disposed && !_process.HasExited;

    /// <param name="readyPath">Path polled until it answers: with <paramref name="anyStatus"/> any HTTP answer counts, otherwise only 200.</param>
    public static async Task<ChildCli> StartAsync(string name, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, int port, string readyPath, bool anyStatus,
        Action<string> log, CancellationToken ct)
    {
        var cli = typeof(ChildCli).Assembly.Location;
        var info = new ProcessStartInfo(DotnetHost(), ["exec", cli, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (k, v) in environment) info.Environment[k] = v;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start duespilot {args[0]}");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && (e.Data.Contains("fail:", StringComparison.OrdinalIgnoreCase) || e.Data.Contains("crit:", StringComparison.OrdinalIgnoreCase))) log($"{name}: {e.Data}");
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log($"{name}: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var child = new ChildCli(process, port, name);
        using var http = new HttpClient { BaseAddress = child.Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"duespilot {args[0]} ({name}) exited with {process.ExitCode} before it was ready");
            try
            {
                using var response = await http.GetAsync(readyPath, ct);
                if (anyStatus || response.StatusCode == HttpStatusCode.OK) return child;
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

        await child.DisposeAsync();
        throw new InvalidOperationException($"duespilot {args[0]} ({name}) was not ready within 120 s");
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

    /// <summary>Disposes the client after the process; call once nothing sends to this child any more.</summary>
    public void DisposeClient() => Http.Dispose();

    public static int FreePort()
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
