using Dapper;
using DuesPilot.Cli.Commands;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DuesPilot.Web.Tests;

/// <summary>
/// The demo's data as <c>duespilot demo --no-serve</c> leaves it (the bundled iMIS sandbox synced, a day of card,
/// lockbox and ACH payments matched), plus one item of each review kind the demo day does not produce, served by
/// the service on 127.0.0.1. Built once for the crawl tests.
/// </summary>
public sealed class DemoHost : IAsyncLifetime
{
    public const string Password = DemoCommand.DemoPassword;

    /// <summary>Every staff role, with the demo account that has it.</summary>
    public static readonly IReadOnlyDictionary<string, string> Accounts = new Dictionary<string, string>
    {
        ["administrator"] = "demo", ["reviewer"] = "reviewer", ["approver"] = "approver", ["auditor"] = "auditor",
    };

    private WebApplication _app = null!;

    public string Url { get; private set; } = "";
    public Store Store { get; private set; } = null!;

    /// <summary>One open item id per review kind.</summary>
    public IReadOnlyDictionary<string, string> ItemPerKind { get; private set; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        var options = new StoreOptions(Directory.CreateTempSubdirectory("duespilot-demo-").FullName);
        var quiet = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        await DemoCommand.RunAsync(options, 0, 600, serve: false, quiet, CancellationToken.None);

        _app = await ServerHost.BuildAsync(new ServerHostOptions(options, "http://127.0.0.1:0",
            // The demo's matching already ran; the minutely job would only add items while the crawl runs.
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning", ["Jobs:Schedules:match-payments"] = "" }, TimeProvider.System));
        await _app.StartAsync();
        Url = ServerHost.Address(_app).ToString().TrimEnd('/');
        Store = _app.Services.GetRequiredService<Store>();
        await _app.Services.GetRequiredService<StaffAccounts>().SaveAsync("approver", "Demo Approver", Password, ["approver"]);
        var member = await Store.InTransactionAsync((c, tx) => c.QueryFirstAsync<string>("SELECT member_id FROM members ORDER BY member_id", transaction: tx));
        ItemPerKind = await EveryReviewKind.SeedAsync(Store, TimeProvider.System, member);
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
