using DuesPilot.Persistence;
using DuesPilot.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DuesPilot.Cli.Chaos;

/// <summary>The real service host, in-process on 127.0.0.1 and a free port, set up for a chaos run (webhook secret, fast worker).</summary>
public static class ChaosHost
{
    public static Dictionary<string, string?> Settings(int pollMilliseconds = 100) => new()
    {
        ["Intake:Stripe:WebhookSecret"] = ChaosWebhooks.Secret,
        ["Intake:Worker:PollMilliseconds"] = pollMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Matching:UseEmbeddings"] = "false",
        ["Staff:InitialAdminPassword"] = "chaos-admin-password",
    };

    public static async Task<WebApplication> StartAsync(StoreOptions store, IReadOnlyDictionary<string, string?>? settings = null, ILoggerProvider? logs = null, CancellationToken ct = default)
    {
        var app = await ServerHost.BuildAsync(new ServerHostOptions(store, "http://127.0.0.1:0", settings ?? Settings()), ct);
        // Added after build: the factory hands the provider to existing and future loggers alike.
        if (logs is not null) app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        await app.StartAsync(ct);
        return app;
    }
}
