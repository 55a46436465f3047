using System.CommandLine;
using System.Globalization;
using DuesPilot.Ai;
using DuesPilot.Tooling.Ai;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot ai eval|status</c>: measure the memo and inquiry tasks on the golden set, with and without the configured model.</summary>
public static class AiCommand
{
    private static readonly string[] GoldenFiles = ["association.json", "inquiries.json", "memos.json"];

    public static Command Create()
    {
        var command = new Command("ai", "The governed AI layer: evaluation on the golden set and the configured model.");
        command.Subcommands.Add(Eval());
        command.Subcommands.Add(Status());
        return command;
    }

    /// <summary>
    /// The CLI's configuration, layered as the service's is: <c>appsettings.json</c> in the working directory,
    /// user secrets (id <c>duespilot</c>), then environment variables (<c>Ai__Endpoint</c>, <c>Billing__PolicyFile</c>…).
    /// </summary>
    public static IConfiguration Configuration() => CommonOptions.Configuration();

    private static Command Status()
    {
        var command = new Command("status", "Show whether a model is configured (never prints the key).");
        command.SetAction(_ =>
        {
            var o = AiOptions.FromConfiguration(Configuration());
            Out.Console.MarkupLine(o.IsEnabled
                ? $"Model [bold]{Markup.Escape(o.Model!)}[/] at {Markup.Escape(o.Endpoint!)}; key {(o.ApiKey is null ? "not set" : "set")}; timeout {o.AttemptTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s, {o.MaxRetries} retr{(o.MaxRetries == 1 ? "y" : "ies")}; budget {o.DailyTokenBudget.ToString(CultureInfo.InvariantCulture)} tokens and ${o.DailyCostBudgetUsd.ToString(CultureInfo.InvariantCulture)} a day."
                : "No model configured (set Ai:Endpoint and Ai:Model): every feature runs its deterministic path.");
            return 0;
        });
        return command;
    }

    private static Command Eval()
    {
        var data = new Option<string?>("--data") { Description = "Golden set folder with association.json, inquiries.json and memos.json. Default: tests/DuesPilot.Ai.Tests/Data." };
        var verbose = new Option<bool>("--misses") { Description = "List every case a path got wrong." };
        var members = new Option<string?>("--inquiries") { Description = "Member-question set (e-mail and portal, labelled answer/staff) with association.json and cases.json. Default: tests/golden/inquiries." };
        var command = new Command("eval", "Run memo interpretation and the billing assistant on the golden sets: the deterministic path, and the configured model next to it. Reports accuracy and the count of confident wrong answers on the member-question set.") { data, verbose, members };
        command.SetAction(async (parse, ct) =>
        {
            await RunEvalAsync(parse.GetValue(data), parse.GetValue(verbose), ct);
            return await RunMemberEvalAsync(parse.GetValue(members), parse.GetValue(verbose), ct);
        });
        return command;
    }

    /// <summary>The AI golden set through the deterministic path and, when configured, the model (also <c>duespilot eval --llm</c>).</summary>
    public static async Task RunEvalAsync(string? dataFolder, bool misses, CancellationToken ct)
    {
        var folder = dataFolder ?? Path.Combine(Environment.CurrentDirectory, "tests", "DuesPilot.Ai.Tests", "Data");
        foreach (var file in GoldenFiles)
            if (!File.Exists(Path.Combine(folder, file))) throw new UserInputException($"golden set file '{Path.Combine(folder, file)}' is missing (use --data)");
        var options = AiOptions.FromConfiguration(Configuration());
        var work = Directory.CreateTempSubdirectory("duespilot-ai-eval-").FullName;
        try
        {
            var scores = await AiEvaluation.RunAsync(folder, options, AiChatClient.Create(options), work, ct);
            Print(scores, options, misses);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, true);
        }
    }

    /// <summary>The member-question set (tests/golden/inquiries): accuracy and confident wrong answers per path. Exit code 1 when any answer was confidently wrong.</summary>
    public static async Task<int> RunMemberEvalAsync(string? folder, bool misses, CancellationToken ct)
    {
        if (folder is null)
        {
            folder = Path.Combine(Environment.CurrentDirectory, "tests", "golden", "inquiries");
            if (!Directory.Exists(folder))
            {
                Out.Console.MarkupLine($"[yellow]Member-question set not measured: {Markup.Escape(folder)} does not exist (run from the repository root or pass --inquiries).[/]");
                return 0;
            }
        }

        foreach (var file in new[] { "association.json", "cases.json" })
            if (!File.Exists(Path.Combine(folder, file))) throw new UserInputException($"member-question set file '{Path.Combine(folder, file)}' is missing (use --inquiries)");
        var options = AiOptions.FromConfiguration(Configuration());
        var work = Directory.CreateTempSubdirectory("duespilot-ai-eval-").FullName;
        try
        {
            var scores = await MemberInquiryEvaluation.RunAsync(folder, options, AiChatClient.Create(options), work, ct);
            var table = new Table().AddColumns(new TableColumn("Member questions"), new TableColumn("Path"), new TableColumn("Right").RightAligned(), new TableColumn("Accuracy").RightAligned(),
                new TableColumn("Confident wrong").RightAligned(), new TableColumn("Handed to staff, answer possible").RightAligned());
            foreach (var s in scores)
                table.AddRow(Markup.Escape(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))), s.Path == "model" ? $"model ({Markup.Escape(options.Model!)})" : s.Path, $"{s.Right}/{s.Total}", s.Accuracy.ToString("P1", CultureInfo.InvariantCulture),
                    s.ConfidentWrong == 0 ? "0" : $"[red]{s.ConfidentWrong}[/]", s.SafeMisses.ToString(CultureInfo.InvariantCulture));
            Out.Console.Write(table);
            if (misses)
                foreach (var s in scores)
                    foreach (var m in s.Misses) Out.Console.MarkupLine($"[yellow]members/{Markup.Escape(s.Path)}[/] {Markup.Escape(m)}");
            return scores.Any(s => s.ConfidentWrong > 0) ? 1 : 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, true);
        }
    }

    private static void Print(IReadOnlyList<EvalScore> scores, AiOptions options, bool misses)
    {
        var table = new Table().AddColumns(new TableColumn("Task"), new TableColumn("Path"), new TableColumn("Right").RightAligned(), new TableColumn("Accuracy").RightAligned(), new TableColumn("Calls / phrasing"));
        foreach (var s in scores)
        {
            var calls = string.Join(", ", s.ModelOutcomes.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value}"));
            table.AddRow(s.Task, s.Path == "model" ? $"model ({Markup.Escape(options.Model!)})" : s.Path, $"{s.Right}/{s.Total}", s.Accuracy.ToString("P1", CultureInfo.InvariantCulture), Markup.Escape(calls));
        }

        Out.Console.Write(table);
        if (!options.IsEnabled) Out.Console.MarkupLine("No model configured: only the deterministic path was measured (set Ai:Endpoint and Ai:Model to compare).");
        if (!misses) return;
        foreach (var s in scores)
            foreach (var m in s.Misses) Out.Console.MarkupLine($"[yellow]{Markup.Escape(s.Task)}/{Markup.Escape(s.Path)}[/] {Markup.Escape(m)}");
    }
}
