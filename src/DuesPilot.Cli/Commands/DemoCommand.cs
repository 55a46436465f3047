using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Matching;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Reports;
using DuesPilot.Features.Review;
using DuesPilot.Features.Rollout;
using DuesPilot.Imis;
using DuesPilot.ImisSandbox;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.Tooling.Demo;
using DuesPilot.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot demo</c>: the README's first command. The whole product on embedded defaults.</summary>
public static class DemoCommand
{
    public const string DemoPassword = "duespilot-demo";

    public static Command Create()
    {
        var data = CommonOptions.Data();
        var noServe = new Option<bool>("--no-serve") { Description = "Exit after the run instead of leaving the staff UI running." };
        var port = new Option<int>("--port") { Description = "Port for the staff UI.", DefaultValueFactory = _ => 5080 };
        var members = new Option<int>("--members") { Description = "Members in the bundled iMIS sandbox (first run only).", DefaultValueFactory = _ => 600 };
        var command = new Command("demo", "Run a realistic day on embedded defaults: the bundled iMIS sandbox, the service, card webhooks, a lockbox file and an ACH file; match, hold, summarise; then leave the staff UI running.")
        {
            data, noServe, port, members,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = CommonOptions.StoreOptionsFrom(parse.GetValue(data), null);
            await RunAsync(options, parse.GetValue(noServe) ? 0 : parse.GetValue(port), parse.GetValue(members), !parse.GetValue(noServe), Out.Console, ct);
            return 0;
        });
        return command;
    }

    public static async Task RunAsync(StoreOptions options, int port, int memberCount, bool serve, IAnsiConsole console, CancellationToken ct)
    {
        var clock = CommonOptions.Clock();
        Directory.CreateDirectory(options.DataDirectory);
        console.MarkupLine($"[bold]DuesPilot demo[/] — data folder [blue]{Markup.Escape(options.DataDirectory)}[/]");

        await using var sandbox = await ImisSandboxHost.StartAsync(new ImisSandboxOptions
        {
            Members = memberCount,
            Seed = 1,
            DataDirectory = Path.Combine(options.DataDirectory, "imis-sandbox"),
        }, ct);
        console.MarkupLine($"iMIS sandbox (the bundled look-alike of the iMIS REST API) at [blue]{sandbox.BaseUrl}[/]");

        var webhookSecret = "whsec_demo_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var settings = new Dictionary<string, string?>
        {
            ["Imis:BaseUrl"] = sandbox.BaseUrl,
            ["Imis:Username"] = "admin",
            ["Imis:Password"] = "admin",
            ["Intake:Stripe:WebhookSecret"] = webhookSecret,
            ["Staff:InitialAdminPassword"] = DemoPassword,
            ["Logging:LogLevel:Default"] = "Warning",
            // The demo shows the automation at work: every segment guarded, wires in shadow.
            ["Rollout:DefaultPhase"] = "Guarded",
            ["Rollout:Segments:0:Channel"] = "wire",
            ["Rollout:Segments:0:Segment"] = "*",
            ["Rollout:Segments:0:Phase"] = "Shadow",
        };
        var app = await ServerHost.BuildAsync(new ServerHostOptions(options, $"http://127.0.0.1:{port}", settings, clock), ct);
        await using (app)
        {
            await app.StartAsync(ct);
            var url = ServerHost.Address(app);
            var services = app.Services;
            var store = services.GetRequiredService<Store>();
            await EnsureDemoAccountsAsync(services.GetRequiredService<StaffAccounts>(), ct);

            // 1. What iMIS knows: members and open dues invoices, validated as they arrive.
            var sync = await SyncFromImis.HandleAsync(store, services.GetRequiredService<IImisClient>(), clock, services.GetService<Domain.Proration.BillingPolicy>(), maxPages: 500, ct: ct);
            console.MarkupLine($"Read from iMIS: {sync.Members} member(s), {sync.Invoices} invoice(s) ({sync.NewInvoices} new, {sync.Flagged} flagged by invoice validation).");

            // 2. A day of payments through the real doors.
            var day = await DemoDayFilesAsync(store, options.DataDirectory, Domain.BusinessClock.Of(clock).Today, ct);
            console.MarkupLine($"The day's files are in [blue]{Markup.Escape(Path.Combine(options.DataDirectory, "demo", day.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))}[/] (Stripe events, lockbox CSV, NACHA file).");
            using var http = new HttpClient { BaseAddress = url };
            var accepted = 0;
            foreach (var body in day.StripeEvents)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("Stripe-Signature", VerifyStripeSignature.Sign(body, webhookSecret, clock.GetUtcNow().ToUnixTimeSeconds()));
                using var response = await http.SendAsync(request, ct);
                if (response.IsSuccessStatusCode) accepted++;
            }

            var lockbox = await ImportBankFile.RunAsync(store, clock, new ImportRequest($"lockbox-{day.Date:yyyyMMdd}.csv", day.LockboxCsv), ct);
            var ach = await ImportBankFile.RunAsync(store, clock, new ImportRequest($"ach-{day.Date:yyyyMMdd}.ach", day.AchFile), ct);
            console.MarkupLine($"Received: {accepted} signed Stripe webhook(s), a lockbox file with {lockbox.File.EntryCount} check(s) ({lockbox.Queued} new), an ACH file with {ach.File.EntryCount} credit(s) ({ach.Queued} new).");

            // 3. The workers: inbox → payments (with receipts), then matching by rollout phase.
            var worker = new ProcessInbox(store, clock, services.GetRequiredService<InboxWorkerOptions>(), services.GetRequiredService<PostingBooks>(), null, "demo",
                new Features.ImisSync.RereadImisChange(store, services.GetRequiredService<IImisClient>(), clock, services.GetService<Domain.Proration.BillingPolicy>()));
            while ((await worker.RunOnceAsync(ct)).Leased > 0)
            {
            }

            var matched = await MatchReceivedPayments.HandleAsync(store, clock, services.GetRequiredService<ChartOfAccounts>(), services.GetRequiredService<PostingOptions>(),
                services.GetRequiredService<RolloutPhases>(), services.GetRequiredService<MatchOptions>(), embedder: null, memo: services.GetService<Ai.IMemoInterpreter>(), ct: ct);
            console.MarkupLine($"Matched {matched.Decided} payment(s): [green]{matched.Held} auto-applied and held in GL_AI_Hold[/], [yellow]{matched.ToReview} sent to review[/], {matched.Shadowed} decided in shadow.");

            // 4. The morning report.
            var report = await DailySummary.BuildAsync(store, clock, day.Date, services.GetRequiredService<DuesPilot.Domain.Proration.BillingPolicy>().Currency, ct);
            ReportCommand.Print(report, console);
            var (html, _) = await ReportCommand.WriteAsync(report, Path.Combine(options.DataDirectory, "reports"), ct);
            var audit = await new Journal(store).AuditAsync(ct);
            console.MarkupLine(audit.IsClean
                ? $"Ledger audit: [green]clean[/] — {audit.Entries} entries, {audit.OpenHolds} open hold(s), every entry balanced. Report: [blue]{Markup.Escape(html)}[/]"
                : $"Ledger audit: [red]{audit.Problems.Count} problem(s)[/]: {Markup.Escape(string.Join("; ", audit.Problems))}");

            if (!serve)
            {
                await app.StopAsync(CancellationToken.None);
                return;
            }

            console.MarkupLine($"\nStaff UI: [bold blue]{url}[/] — sign in as [bold]demo[/] / [bold]{DemoPassword}[/] (administrator), [bold]reviewer[/] or [bold]auditor[/] with the same password. Ctrl+C to stop.");
            await app.WaitForShutdownAsync(ct);
        }
    }

    /// <summary>
    /// The day's payments, generated once per date and kept as files in the data folder, so a rerun on the
    /// same day replays exactly the same deliveries (and books nothing twice) and a person can open them.
    /// </summary>
    private static async Task<DemoDay> DemoDayFilesAsync(Store store, string dataDirectory, DateOnly date, CancellationToken ct)
    {
        var folder = Path.Combine(dataDirectory, "demo", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var events = Path.Combine(folder, "stripe-events.jsonl");
        var lockbox = Path.Combine(folder, "lockbox.csv");
        var ach = Path.Combine(folder, "ach-credits.ach");
        if (File.Exists(events) && File.Exists(lockbox) && File.Exists(ach))
        {
            var lines = (await File.ReadAllLinesAsync(events, ct)).Where(l => l.Length > 0).ToList();
            return new DemoDay(date, lines, await File.ReadAllBytesAsync(lockbox, ct), await File.ReadAllBytesAsync(ach, ct), 0);
        }

        var (members, open) = await store.InTransactionAsync(async (c, tx) => (await MemberCache.AllMembersAsync(c, tx), await MemberCache.AllInvoicesAsync(c, tx, openOnly: true)), ct);
        var day = GenerateDemoDay.Create(members, open, date);
        Directory.CreateDirectory(folder);
        await File.WriteAllLinesAsync(events, day.StripeEvents, ct);
        await File.WriteAllBytesAsync(lockbox, day.LockboxCsv, ct);
        await File.WriteAllBytesAsync(ach, day.AchFile, ct);
        return day;
    }

    private static async Task EnsureDemoAccountsAsync(StaffAccounts accounts, CancellationToken ct)
    {
        var existing = await accounts.UserNamesAsync(ct);
        if (!existing.Contains("demo")) await accounts.SaveAsync("demo", "Demo Administrator", DemoPassword, [StaffRoles.Administrator], ct);
        if (!existing.Contains("reviewer")) await accounts.SaveAsync("reviewer", "Demo Reviewer", DemoPassword, [StaffRoles.Reviewer], ct);
        if (!existing.Contains("auditor")) await accounts.SaveAsync("auditor", "Demo Auditor", DemoPassword, [StaffRoles.Auditor], ct);
    }
}
