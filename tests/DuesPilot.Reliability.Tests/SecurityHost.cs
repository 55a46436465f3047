using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using DuesPilot.Cli.Chaos;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.Features.Review;
using DuesPilot.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DuesPilot.Reliability.Tests;

/// <summary>The real service host (ServerHost) on 127.0.0.1 with a fresh SQLite folder, staff accounts per role, and every log line captured.</summary>
public sealed class SecurityHost : IAsyncDisposable
{
    public const string Password = "correct-horse-42";

    private readonly string _folder;

    private SecurityHost(WebApplication app, string folder, CapturedLogs logs)
    {
        App = app;
        _folder = folder;
        Logs = logs;
        Url = ServerHost.Address(app);
    }

    public WebApplication App { get; }
    public Uri Url { get; }
    public CapturedLogs Logs { get; }
    public Store Store => App.Services.GetRequiredService<Store>();

    /// <param name="postgres">A PostgreSQL connection string to share one database between hosts; null: SQLite in the host's own folder.</param>
    public static async Task<SecurityHost> StartAsync(IReadOnlyDictionary<string, string?>? extra = null, string? postgres = null)
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-security-").FullName;
        var settings = ChaosHost.Settings();
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) settings[k] = v;
        var logs = new CapturedLogs();
        var app = await ChaosHost.StartAsync(postgres is null ? new StoreOptions(folder) : new StoreOptions(folder, postgres), settings, logs);
        var accounts = app.Services.GetRequiredService<StaffAccounts>();
        await accounts.SaveAsync("kim", "Kim Reviewer", Password, [StaffRoles.Reviewer]);
        await accounts.SaveAsync("ann", "Ann Auditor", Password, [StaffRoles.Auditor]);
        await accounts.SaveAsync("ada", "Ada Administrator", Password, [StaffRoles.Administrator]);
        return new SecurityHost(app, folder, logs);
    }

    public HttpClient Client() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = Url };

    public async Task<HttpClient> SignedInClientAsync(string user)
    {
        var client = Client();
        var token = await AntiforgeryTokenAsync(client, "/Account/Login");
        using var response = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = user, ["Password"] = Password, ["__RequestVerificationToken"] = token,
        }));
        if (response.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"sign-in of {user} failed: {response.StatusCode}");
        return client;
    }

    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(path);
        var match = Regex.Match(html, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"");
        if (!match.Success) throw new InvalidOperationException($"no antiforgery token on {path}");
        return match.Groups[1].Value;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans the temp folder.
        }
    }
}

/// <summary>Every formatted log line (with exception text) the host writes.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
