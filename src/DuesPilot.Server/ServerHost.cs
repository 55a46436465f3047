using System.Security.Cryptography;
using DuesPilot.Ai;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Inquiries;
using DuesPilot.Features.Invoicing;
using DuesPilot.Features.Review;
using DuesPilot.Hosting;
using DuesPilot.Imis;
using DuesPilot.Persistence;
using DuesPilot.Server.Api;
using DuesPilot.Server.Intake;
using DuesPilot.Server.Jobs;
using DuesPilot.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

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
/// The DuesPilot service: one process hosting the intake webhooks, the staff UI and JSON API, the member
/// billing assistant, the scheduled jobs, <c>/health</c> and <c>/metrics</c>. Features plug in with one
/// <c>AddX()</c>/<c>MapX()</c> pair each; <c>duespilot serve</c>, the demo and the tests build it here.
/// </summary>
public static class ServerHost
{
    /// <summary>Set when the service created the first administrator account itself: the one-time password to print.</summary>
    public const string InitialAdminPasswordKey = "DuesPilot:InitialAdminPassword";

    public static async Task<WebApplication> BuildAsync(ServerHostOptions options, CancellationToken ct = default)
    {
        // appsettings files are read once at start: nothing reloads them, so no file watchers (decision 0171).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false", .. options.Args ?? []], ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Configuration.AddEnvironmentVariables();
        if (options.Settings is not null) builder.Configuration.AddInMemoryCollection(options.Settings);
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64L * 1024 * 1024);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var configuration = builder.Configuration;
        configuration["DataDirectory"] ??= options.Store.DataDirectory;

        var store = await Store.OpenAsync(options.Store, ct);
        var clock = options.Clock ?? TimeProvider.System;
        builder.Services.AddDuesPilotCore(configuration, store, clock);
        builder.Services.AddProblemDetails();
        builder.Services.AddIntake(configuration);
        builder.Services.AddStaffUi(configuration);


        var imisConfigured = !string.IsNullOrWhiteSpace(configuration["Imis:BaseUrl"]);
        if (imisConfigured) builder.Services.AddImisClient(configuration);
        AddMemberAssistant(builder.Services, configuration, options.Store);
        builder.Services.AddServiceJobs(configuration, imisConfigured);
        builder.Services.AddServiceLimits(configuration);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(DuesPilotMetrics.MeterName).AddPrometheusExporter());

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(() => store.DisposeAsync().AsTask().GetAwaiter().GetResult());
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseServiceLimits();
        app.MapGet("/health", async (Store s, CancellationToken token) =>
        {
            await using var c = await s.OpenConnectionAsync(token);
            var version = await Migrations.CurrentVersionAsync(c);
            return TypedResults.Ok(new Health("ok", s.Engine.ToString().ToLowerInvariant(), version));
        }).AllowAnonymous();
        app.MapStaffUi();
        app.MapIntake();
        app.MapStaffApi();
        app.MapInquiries();
        app.MapPrometheusScrapingEndpoint("/metrics");

        var initial = await EnsureAdministratorAsync(app.Services.GetRequiredService<StaffAccounts>(), app.Services.GetRequiredService<StaffUiOptions>(), ct);
        if (initial is not null) app.Configuration[InitialAdminPasswordKey] = initial;
        return app;
    }

    /// <summary>The address the server listens on after start (resolves port 0).</summary>
    public static Uri Address(WebApplication app) => new(app.Urls.First());

    /// <summary>
    /// With no staff account at all, creates <c>admin</c> (administrator) with <c>Staff:InitialAdminPassword</c>
    /// or a random password returned here to print once. Existing accounts are never touched.
    /// </summary>
    private static async Task<string?> EnsureAdministratorAsync(StaffAccounts accounts, StaffUiOptions staff, CancellationToken ct)
    {
        if (await accounts.CountAsync(ct) > 0) return null;
        var password = staff.InitialAdminPassword;
        var generated = string.IsNullOrWhiteSpace(password);
        if (generated) password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('/', 'x').Replace('+', 'y');
        // Another instance starting at the same moment may win: then this one created nothing and prints nothing.
        var created = await accounts.CreateFirstAdministratorAsync("admin", password!, ct);
        return created && generated ? password : null;
    }

    /// <summary>
    /// The member billing assistant: deterministic answers always, a model only when <c>Ai:Endpoint</c> is
    /// set. Its link-signing key comes from <c>Inquiries:SigningKey</c>; without one, a random key is made
    /// once and kept in the data folder (mode 600), so links survive restarts and nothing is committed.
    /// </summary>
    private static void AddMemberAssistant(IServiceCollection services, IConfiguration configuration, StoreOptions store)
    {
        DataFolderSecrets.ApplyInquirySigningKey(configuration, store.DataDirectory);

        var inquiry = InquiryOptions.FromConfiguration(configuration);
        var ai = AiOptions.FromConfiguration(configuration);
        services.AddSingleton(inquiry);
        services.AddSingleton(ai);
        services.AddSingleton(PromptRegistry.Embedded());
        services.AddSingleton(sp => new GovernedModel(sp.GetRequiredService<Store>(), sp.GetRequiredService<TimeProvider>(), ai, AiChatClient.Create(ai), sp.GetRequiredService<PromptRegistry>()));
        services.AddSingleton(_ => PolicyLibrary.Embedded(MiniLmEmbedder.Shared));
        // Memo interpretation for payments matching cannot settle: only with a model (evidence for the review item, never applied).
        if (ai.IsEnabled) services.AddSingleton<IMemoInterpreter>(sp => new InterpretMemo(sp.GetRequiredService<Store>(), sp.GetRequiredService<GovernedModel>()));
        services.AddSingleton<IExpectedDues>(sp => new PolicyExpectedDues(sp.GetRequiredService<BillingPolicy>()));
        services.AddSingleton<AnswerInquiry>();
        services.AddSingleton<RenderInquiryPage>();
        services.AddSingleton<IssueMemberLink>();
    }
}

public sealed record Health(string Status, string Store, int SchemaVersion);
