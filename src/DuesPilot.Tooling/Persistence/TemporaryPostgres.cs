using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DuesPilot.Tooling.Persistence;

/// <summary>
/// A throwaway PostgreSQL server in a temp folder on a free loopback port, for tests and benchmarks.
/// As root (CI), initdb and postgres run as the <c>postgres</c> system user, which refuses root.
/// </summary>
public sealed class TemporaryPostgres : IDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private readonly bool _asPostgresUser;
    private bool _stopped;

    private TemporaryPostgres(string bin, string folder, int port, bool asPostgresUser)
    {
        _bin = bin;
        _folder = folder;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public int Port { get; }

    /// <summary>Connection string to the <c>postgres</c> database as the trust-authenticated user <c>app</c>.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=app;Database={database};Pooling=true;Maximum Pool Size=20;Timeout=30;Command Timeout=120";

    /// <summary>The newest <c>/usr/lib/postgresql/*/bin</c> holding initdb, or null when PostgreSQL is not installed.</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    /// <summary>Starts a server; <paramref name="durable"/> false turns fsync off for speed (never for durability tests).</summary>
    public static TemporaryPostgres Start(bool durable = false)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries were not found under /usr/lib/postgresql/*/bin. Install them with: apt-get install -y postgresql");
        var folder = Directory.CreateTempSubdirectory("duespilot-pg-").FullName;
        var asPostgres = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";
        if (asPostgres) Run("chown", ["-R", "postgres", folder], asUser: null);

        var port = FreePort();
        var server = new TemporaryPostgres(bin, folder, port, asPostgres);
        var data = Path.Combine(folder, "data");
        server.RunTool("initdb", ["-D", data, "-A", "trust", "-U", "app", "--no-sync", "-E", "UTF8", "--locale=C"]);
        var options = $"-p {port} -k {folder} -h 127.0.0.1 -c max_connections=200" + (durable ? "" : " -F");
        server.RunTool("pg_ctl", ["-D", data, "-o", options, "-l", Path.Combine(folder, "log"), "-w", "-t", "60", "start"]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server;
    }

    private void RunTool(string tool, string[] args) =>
        Run(Path.Combine(_bin, tool), args, _asPostgresUser ? "postgres" : null);

    private static void Run(string file, string[] args, string? asUser)
    {
        var psi = new ProcessStartInfo
        {
            FileName = asUser is null ? file : "runuser",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asUser is not null)
        {
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add(asUser);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(file);
        }

        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(file)} timed out");
        }

        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (_stopped) return;
        _stopped = true;
        try
        {
            RunTool("pg_ctl", ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Already stopped; the folder is still removed below.
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
