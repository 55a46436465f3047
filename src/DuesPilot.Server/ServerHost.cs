using DuesPilot.Persistence;
using DuesPilot.Server.Intake;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DuesPilot.Server;

/// <summary>How to start the service.</summary>
/// <param name="Urls">Where to listen, e.g. <c>http://127.0.0.1:5080</c>; port 0 picks a free port (tests).</param>
/// <param name="Settings">Extra configuration (tests, the CLI), layered over appsettings and environment variables.</param>
public sealed record ServerHostOptions(
    StoreOptions Store,
    string Urls = "http://127.0.0.1:5080",
    IReadOnlyDictionary<string, string?>? Settings = null,
    TimeProvider? Clock = null,
    string[]? Args = null);

/// <summary>
/// The DuesPilot service: one process hosting intake webhooks, <c>/health</c> and the workers.
/// Features plug in with one <c>AddX()</c>/<c>MapX()</c> pair each; <c>duespilot serve</c> and the
/// tests build it through <see cref="BuildAsync"/>.
/// </summary>
public static class ServerHost
{
    public static async Task<WebApplication> BuildAsync(ServerHostOptions options, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(options.Args ?? []);
        builder.Configuration.AddEnvironmentVariables();
        if (options.Settings is not null) builder.Configuration.AddInMemoryCollection(options.Settings);
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64L * 1024 * 1024);

        var store = await Store.OpenAsync(options.Store, ct);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(options.Clock ?? TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddIntake(builder.Configuration);

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(() => store.DisposeAsync().AsTask().GetAwaiter().GetResult());
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapGet("/health", async (Store s, CancellationToken token) =>
        {
            await using var c = await s.OpenConnectionAsync(token);
            var version = await Migrations.CurrentVersionAsync(c);
            return TypedResults.Ok(new Health("ok", s.Engine.ToString().ToLowerInvariant(), version));
        });
        app.MapIntake();
        return app;
    }

    /// <summary>The address the server listens on after start (resolves port 0).</summary>
    public static Uri Address(WebApplication app) => new(app.Urls.First());
}

public sealed record Health(string Status, string Store, int SchemaVersion);
