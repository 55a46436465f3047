using DuesPilot.Imis;
using DuesPilot.ImisSandbox;

namespace DuesPilot.Imis.Tests;

/// <summary>Starts a sandbox on 127.0.0.1 with a fixed seed and as-of date, and clients pointed at it.</summary>
public static class Sandbox
{
    public static readonly DateOnly AsOf = new(2026, 6, 15);

    public static Task<ImisSandboxHost> StartAsync(int members = 300, int years = 1, int seed = 1, Action<ImisSandboxOptions>? configure = null)
    {
        var options = new ImisSandboxOptions { Members = members, YearsOfHistory = years, Seed = seed, AsOf = AsOf };
        configure?.Invoke(options);
        return ImisSandboxHost.StartAsync(options);
    }

    public static ImisOptions ClientOptions(ImisSandboxHost host, Action<ImisOptions>? configure = null)
    {
        var o = new ImisOptions
        {
            BaseUrl = host.BaseUrl,
            Username = "admin",
            Password = "admin",
            RetryBaseDelayMs = 5,
            WriteReadbackDelayMs = 5,
            AttemptTimeoutSeconds = 10,
        };
        configure?.Invoke(o);
        return o;
    }

    public static ImisClient Client(ImisSandboxHost host, TimeProvider? clock = null, Action<ImisOptions>? configure = null) =>
        ImisClient.Create(ClientOptions(host, configure), clock ?? TimeProvider.System);
}
