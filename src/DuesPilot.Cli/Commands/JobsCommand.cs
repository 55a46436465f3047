using System.CommandLine;
using System.Globalization;
using DuesPilot.Features.Jobs;
using DuesPilot.Server;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot jobs list|run NAME</c>: the service's scheduled jobs, run by hand through the same handlers.</summary>
public static class JobsCommand
{
    public static Command Create()
    {
        var command = new Command("jobs", "The service's scheduled jobs (match-payments, hold-release, imis-sync, imis-writes, nightly-reconciliation, daily-summary-email).");
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var name = new Argument<string>("name") { Description = "Job name." };
        var run = new Command("run", "Run one job now and record the run.") { name, data, db };
        run.SetAction(async (parse, ct) =>
        {
            await using var app = await ServerHost.BuildAsync(new ServerHostOptions(CommonOptions.StoreOptionsFrom(parse.GetValue(data), parse.GetValue(db)), "http://127.0.0.1:0"), ct);
            var jobs = app.Services.GetServices<ScheduledJob>().ToList();
            var job = jobs.FirstOrDefault(j => j.Name == parse.GetValue(name))
                ?? throw new UserInputException($"No job '{parse.GetValue(name)}'. Known: {string.Join(", ", jobs.Select(j => j.Name))}.");
            var result = await app.Services.GetRequiredService<JobRuns>().RunAsync(job.Name, token => job.Handler(app.Services, token), ct);
            if (result is null) throw new UserInputException($"{job.Name} is running on another instance right now.", 4);
            Out.Console.MarkupLine($"{Markup.Escape(job.Name)}: {Markup.Escape(result.Outcome ?? "")} in {result.Duration?.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s");
            if (result.Error is not null) Out.Console.MarkupLine($"[red]{Markup.Escape(result.Error)}[/]");
            return result.Error is null ? 0 : 1;
        });
        var data2 = CommonOptions.Data();
        var db2 = CommonOptions.Database();
        var list = new Command("list", "Recent job runs with their counts.") { data2, db2 };
        list.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data2), parse.GetValue(db2), ct);
            var table = new Table().AddColumns("Job", "Started (UTC)", "Seconds", "Outcome", "Error");
            foreach (var r in await new JobRuns(store, CommonOptions.Clock(), CommonOptions.Bound<JobScheduleOptions>()).RecentAsync(50, ct))
                table.AddRow(Markup.Escape(r.Job), r.StartedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), r.Duration?.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) ?? "running",
                    Markup.Escape(r.Outcome ?? ""), Markup.Escape(r.Error ?? ""));
            Out.Console.Write(table);
            return 0;
        });
        command.Subcommands.Add(run);
        command.Subcommands.Add(list);
        return command;
    }
}
