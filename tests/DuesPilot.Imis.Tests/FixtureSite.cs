using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DuesPilot.Imis.Tests;

/// <summary>One request the fixture site received.</summary>
public sealed record SeenRequest(string Method, string Path, IQueryCollection Query, string Body);

/// <summary>
/// A stand-in iMIS site on 127.0.0.1 that answers with the hand-written wire fixtures (<c>Wire/*.json</c>), so the
/// client is tested against the published shapes and not against the bundled sandbox. The token endpoint is built in;
/// every other request goes to <c>answer</c> (null: 404) and is recorded.
/// </summary>
public sealed class FixtureSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FixtureSite(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public ConcurrentQueue<SeenRequest> Seen { get; } = new();

    public static string Wire(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Wire", name));

    public static async Task<FixtureSite> StartAsync(Func<SeenRequest, (int Status, string? Json)?> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FixtureSite? site = null;
        app.Run(async context =>
        {
            if (context.Request.Path.Equals("/token", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"access_token":"fixture-token","token_type":"bearer","expires_in":1209599}""");
                return;
            }

            using var reader = new StreamReader(context.Request.Body);
            var seen = new SeenRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.Query, await reader.ReadToEndAsync());
            site!.Seen.Enqueue(seen);
            var result = answer(seen);
            if (result is not { } r)
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("""{"Errors":{"$values":[{"Message":"not found"}]}}""");
                return;
            }

            context.Response.StatusCode = r.Status;
            context.Response.ContentType = "application/json";
            if (r.Json is not null) await context.Response.WriteAsync(r.Json);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        site = new FixtureSite(app, address.TrimEnd('/'));
        return site;
    }

    public ImisClient Client(Action<ImisOptions>? configure = null)
    {
        var o = new ImisOptions { BaseUrl = BaseUrl, Username = "svc", Password = "pw", RetryBaseDelayMs = 1, WriteReadbackDelayMs = 1, MaxRetries = 1, AttemptTimeoutSeconds = 10 };
        configure?.Invoke(o);
        return ImisClient.Create(o, TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
