using System.CommandLine;
using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Features.Reports;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot report daily --date 2027-03-15 [--out DIR]</c>.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var command = new Command("report", "Reports for finance staff.");
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var date = new Option<string?>("--date") { Description = "The day (yyyy-MM-dd, UTC). Default: today." };
        var output = new Option<string?>("--out") { Description = "Folder for daily-summary-DATE.html and .csv. Default: reports/ in the data folder." };
        var daily = new Command("daily", "What arrived, what was auto-applied, what is held and until when, what waits in review; totals that reconcile.") { data, db, date, output };
        daily.SetAction(async (parse, ct) =>
        {
            var options = CommonOptions.StoreOptionsFrom(parse.GetValue(data), parse.GetValue(db));
            var day = ParseDate(parse.GetValue(date)) ?? CommonOptions.Clock().Today;
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var report = await DailySummary.BuildAsync(store, CommonOptions.Clock(), day, CommonOptions.Currency(), ct);
            Print(report, Out.Console);
            var folder = parse.GetValue(output) ?? Path.Combine(options.DataDirectory, "reports");
            var (html, csv) = await WriteAsync(report, folder, ct);
            Out.Console.MarkupLine($"Wrote [blue]{Markup.Escape(html)}[/] and [blue]{Markup.Escape(csv)}[/]");
            return report.Totals.Reconciles ? 0 : 3;
        });
        command.Subcommands.Add(daily);
        return command;
    }

    public static DateOnly? ParseDate(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new UserInputException($"'{text}' is not a date (yyyy-MM-dd).");
    }

    public static async Task<(string Html, string Csv)> WriteAsync(DailySummaryReport report, string folder, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var stem = Path.Combine(folder, $"daily-summary-{report.Date:yyyy-MM-dd}");
        await File.WriteAllTextAsync(stem + ".html", DailySummary.ToHtml(report), ct);
        await File.WriteAllTextAsync(stem + ".csv", DailySummary.ToCsv(report), ct);
        return (stem + ".html", stem + ".csv");
    }

    public static void Print(DailySummaryReport r, IAnsiConsole console)
    {
        var table = new Table().Title($"Daily summary {r.Date:yyyy-MM-dd}")
            .AddColumns(new TableColumn("Channel"), new TableColumn("Received").RightAligned(), new TableColumn("Amount").RightAligned(),
                new TableColumn("Auto-applied").RightAligned(), new TableColumn("Amount").RightAligned(), new TableColumn("In review").RightAligned());
        foreach (var ch in r.Channels)
            table.AddRow(ch.Channel, ch.Received.ToString(CultureInfo.InvariantCulture), ch.ReceivedTotal.ToDisplayString(), ch.AutoApplied.ToString(CultureInfo.InvariantCulture), ch.AutoAppliedTotal.ToDisplayString(), ch.InReview.ToString(CultureInfo.InvariantCulture));
        console.Write(table);
        var t = r.Totals;
        console.MarkupLine($"Received [bold]{Markup.Escape(t.Received.ToDisplayString())}[/] = applied {Markup.Escape(t.Applied.ToDisplayString())} + on account {Markup.Escape(t.OnAccount.ToDisplayString())} + in review {Markup.Escape(t.InReview.ToDisplayString())} + refunded {Markup.Escape(t.Refunded.ToDisplayString())} — {(t.Reconciles ? "[green]reconciles[/]" : "[red]does not reconcile[/]")}");
        console.MarkupLine($"Held in GL_AI_Hold: {r.Held.Count} payment(s){(r.Held.Count > 0 ? $", next posts at {r.Held[0].ReleaseAt:yyyy-MM-dd HH:mm} UTC" : "")}. Review: {r.ReviewOpen} open{(r.OldestReviewAge is { } a ? $", oldest {DailySummary.FormatAge(a)}" : "")}. Overrides: {r.Overrides}. Exceptions: {r.Exceptions}.");
    }
}
