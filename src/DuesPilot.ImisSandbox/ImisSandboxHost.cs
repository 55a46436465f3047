using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DuesPilot.ImisSandbox;

/// <summary>
/// Runs the iMIS sandbox in this process on 127.0.0.1. <c>await using var sandbox = await ImisSandboxHost.StartAsync(options)</c>
/// gives the bound URL (<see cref="BaseUrl"/>, path base included) and stops the server (and removes a temporary data folder) on dispose.
/// </summary>
public sealed class ImisSandboxHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SandboxState _state;
    private readonly string? _temporaryFolder;

    private ImisSandboxHost(WebApplication app, SandboxState state, string baseUrl, string? temporaryFolder)
    {
        _app = app;
        _state = state;
        BaseUrl = baseUrl;
        _temporaryFolder = temporaryFolder;
    }

    /// <summary>The site URL, e.g. <c>http://127.0.0.1:5081</c> or <c>http://127.0.0.1:41234/imis</c>; the API is under <c>{BaseUrl}/api</c>, the token at <c>{BaseUrl}/token</c>.</summary>
    public string BaseUrl { get; }

    public long TokensIssued => _state.TokensIssued;
    public long FaultsInjected => _state.FaultsInjected;
    public long WritesDropped => _state.WritesDropped;
    public long Requests => _state.Requests;
    public int MaxInFlight => _state.MaxInFlight;

    /// <summary>Faults in force for requests that do not override them; tests switch them on and off between phases.</summary>
    public SandboxFaults Faults
    {
        get => _state.Options.Faults;
        set => _state.Options.Faults = value;
    }

    /// <summary>Invalidates every issued token: the next call of any client gets a 401.</summary>
    public void ExpireAllTokens() => _state.ExpireAllTokens();

    /// <summary>The invoice's balance in cents, read straight from the sandbox database (test oracle).</summary>
    public async Task<long> BalanceCentsAsync(string invoiceId)
    {
        await using var c = await _state.Db.OpenAsync();
        return await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT balance_cents FROM invoices WHERE invoice_id = @invoiceId", new { invoiceId });
    }

    /// <summary>The billing defects the seeder planted (test oracle; also served at <c>GET /sandbox/planted-defects</c>).</summary>
    public Task<IReadOnlyList<PlantedInvoiceDefect>> PlantedDefectsAsync() => PlantedDefects.ReadAsync(_state.Db);

    public static async Task<ImisSandboxHost> StartAsync(ImisSandboxOptions options, CancellationToken ct = default)
    {
        string? temporary = null;
        var folder = options.DataDirectory;
        if (string.IsNullOrWhiteSpace(folder))
        {
            temporary = Directory.CreateTempSubdirectory("imis-sandbox-").FullName;
            folder = temporary;
        }

        var db = new SandboxDb(folder);
        await db.CreateSchemaAsync();
        var asOf = options.AsOf ?? DateOnly.FromDateTime(options.Clock.GetUtcNow().UtcDateTime);
        await SeedAssociation.RunAsync(db, options, asOf);
        var state = new SandboxState(options, db);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:" + options.Port.ToString(CultureInfo.InvariantCulture));
        builder.Services.AddSingleton(state);
        var app = builder.Build();
        var pathBase = options.PathBase.TrimEnd('/');
        if (pathBase.Length > 0) app.UsePathBase(pathBase);
        app.Use(ErrorEnvelopeAsync);
        app.Use(FaultsAndAuthAsync);
        SandboxEndpoints.Map(app);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ImisSandboxHost(app, state, address.TrimEnd('/') + pathBase, temporary);
    }

    private static async Task ErrorEnvelopeAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (SandboxFault fault) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, fault.Status, Wire.Errors(fault.Message));
        }
        catch (System.Text.Json.JsonException ex) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, 400, Wire.Errors("BadRequest: the request body is not valid JSON: " + ex.Message));
        }
    }

    /// <summary>Latency, injected 5xx/429, bearer auth (with spurious 401s), then the endpoint; some writes are done and never answered.</summary>
    private static async Task FaultsAndAuthAsync(HttpContext context, RequestDelegate next)
    {
        var state = context.RequestServices.GetRequiredService<SandboxState>();
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        state.CountRequest();
        state.Enter();
        try
        {
            await HandleApiAsync(context, next, state);
        }
        finally
        {
            state.Leave();
        }
    }

    private static async Task HandleApiAsync(HttpContext context, RequestDelegate next, SandboxState state)
    {
        var path = context.Request.Path.Value ?? "";
        var faults = state.Options.Faults;
        string? spec = context.Request.Headers["X-Sandbox-Faults"];
        spec ??= context.Request.Query["sandbox-faults"];
        if (!string.IsNullOrWhiteSpace(spec)) faults = faults.With(spec);

        if (faults.LatencyMs > 0) await Task.Delay(faults.LatencyMs, context.RequestAborted);

        var auth = context.Request.Headers.Authorization.ToString();
        var token = auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : "";
        if (token.Length == 0 || !state.IsValid(token) || state.Roll(faults.TokenRejectRate))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await WriteAsync(context, 401, new JsonObject { ["Message"] = "Authorization has been denied for this request." });
            return;
        }

        if (state.Roll(faults.ErrorRate))
        {
            state.CountFault();
            var status = new[] { 500, 503, 429 }[state.Pick(3)];
            await WriteAsync(context, status, Wire.Errors(status switch
            {
                500 => "InternalServerError: an unexpected error occurred (injected by the sandbox).",
                503 => "ServiceUnavailable: the site is restarting (injected by the sandbox).",
                _ => "TooManyRequests: slow down (injected by the sandbox).",
            }));
            return;
        }

        var isWrite = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !path.EndsWith("/_validate", StringComparison.OrdinalIgnoreCase);
        if (isWrite && state.Roll(faults.TimeoutAfterWriteRate))
        {
            // The nasty case: the write happens, the answer never arrives.
            var original = context.Response.Body;
            context.Response.Body = new MemoryStream();
            try
            {
                await next(context);
            }
            finally
            {
                // A refused write (SandboxFault) leaves here with its error answer intact: nothing was written.
                context.Response.Body = original;
            }

            state.CountDroppedWrite();
            if (faults.TimeoutAfterWriteHangMs > 0)
            {
                try
                {
                    await Task.Delay(faults.TimeoutAfterWriteHangMs, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up first, which is the point.
                }
            }

            context.Abort();
            return;
        }

        await next(context);
    }

    internal static async Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_temporaryFolder is not null)
        {
            try
            {
                Directory.Delete(_temporaryFolder, true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless; never fail a test run over it.
            }
        }
    }
}
