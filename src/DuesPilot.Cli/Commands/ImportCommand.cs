using System.CommandLine;
using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Intake.BankFiles;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot import FILE</c>: parse a bank or lockbox file, show it, and queue its entries in the inbox.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "NACHA (.ach), BAI2, camt.053/054 XML or CSV file." };
        var format = new Option<string>("--format") { Description = "auto, nacha, bai2, camt or csv.", DefaultValueFactory = _ => "auto" };
        format.AcceptOnlyFromAmong("auto", "nacha", "bai2", "camt", "csv");
        var mapping = new Option<string?>("--mapping") { Description = "CSV column mapping file (JSON); see docs/intake.md." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Parse and show, queue nothing." };
        var acceptMismatch = new Option<bool>("--accept-control-mismatch")
        {
            Description = "BAI2: import a file whose control totals or record counts do not reconcile; the acceptance and each disagreement go to the audit log, and every payment of the file goes to review (never applied automatically).",
        };
        var by = new Option<string?>("--by") { Description = "With --accept-control-mismatch: who accepts it, for the audit log. Default: your login name." };
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var command = new Command("import", "Parse a bank or lockbox file, check its control totals, and queue its payments in the inbox (the same file twice queues nothing new).")
        {
            file, format, mapping, dryRun, acceptMismatch, by, data, db,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path)) throw new UserInputException($"no such file: {path}");
            if (new FileInfo(path).Length > BankFile.MaxBytes) throw new UserInputException($"{path} is larger than {BankFile.MaxBytes:N0} bytes");
            var content = await File.ReadAllBytesAsync(path, ct);
            var mappingPath = parse.GetValue(mapping);
            CsvMapping? map = null;
            try
            {
                if (mappingPath is not null)
                {
                    if (!File.Exists(mappingPath)) throw new UserInputException($"no such mapping file: {mappingPath}");
                    map = CsvMapping.Load(await File.ReadAllTextAsync(mappingPath, ct));
                }

                var accepting = parse.GetValue(acceptMismatch);
                if (!accepting && parse.GetValue(by) is not null) throw new UserInputException("--by names who accepts a control mismatch: use it with --accept-control-mismatch");
                var acceptedBy = accepting ? (parse.GetValue(by) is { Length: > 0 } who ? who.Trim() : Environment.UserName) : null;
                var request = new ImportRequest(path, content, ParseFormat(parse.GetValue(format)!), map, parse.GetValue(dryRun),
                    accepting ? Bai2Totals.Report : Bai2Totals.Require, acceptedBy);
                ImportResult result;
                if (request.DryRun)
                {
                    result = await ImportBankFile.RunAsync(null, TimeProvider.System, request, ct);
                }
                else
                {
                    await using var store = await Store.OpenAsync(CommonOptions.StoreOptionsFrom(parse.GetValue(data), parse.GetValue(db)), ct);
                    result = await ImportBankFile.RunAsync(store, TimeProvider.System, request, ct);
                }

                Print(result, Path.GetFileName(path), request.DryRun);
                return result.Conflicts > 0 ? 3 : 0;
            }
            catch (BankFileException ex)
            {
                throw new UserInputException($"{Path.GetFileName(path)}: {ex.Message} (nothing imported)");
            }
        });
        return command;
    }

    private static BankFileFormat? ParseFormat(string text) => text switch
    {
        "nacha" => BankFileFormat.Nacha,
        "bai2" => BankFileFormat.Bai2,
        "camt" => BankFileFormat.Camt,
        "csv" => BankFileFormat.Csv,
        _ => null,
    };

    private static void Print(ImportResult result, string name, bool dryRun)
    {
        var f = result.File;
        var table = new Table().Title($"{Markup.Escape(name)} — {f.Format.ToString().ToUpperInvariant()}, sha256 {f.FileHash[..12]}…")
            .AddColumns(new TableColumn("Line"), new TableColumn("Kind"), new TableColumn("Date"), new TableColumn("Method"), new TableColumn("Amount").RightAligned(),
                new TableColumn("Payer"), new TableColumn("Reference"), new TableColumn("Memo"));
        foreach (var e in f.Entries)
        {
            table.AddRow(
                e.Position.Record == 1 ? e.Position.Line.ToString(CultureInfo.InvariantCulture) : $"{e.Position.Line}.{e.Position.Record}",
                e.Kind.ToString(), e.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", Payment.ChannelCode(e.Method),
                Markup.Escape(e.Amount.ToString()), Markup.Escape(e.PayerName ?? ""), Markup.Escape(e.Reference ?? ""), Markup.Escape(Short(e.Memo)));
        }

        Out.Console.Write(table);
        foreach (var kind in Enum.GetValues<BankEntryKind>())
        {
            var of = f.Entries.Where(e => e.Kind == kind).ToList();
            if (of.Count == 0) continue;
            var totals = string.Join(", ", of.GroupBy(e => e.Amount.Currency).Select(g => Money.Sum(g.Select(e => e.Amount), g.Key).ToString()));
            Out.Console.MarkupLine($"{kind}: {of.Count} entr{(of.Count == 1 ? "y" : "ies")}, {Markup.Escape(totals)}");
        }

        foreach (var c in f.Controls)
            Out.Console.MarkupLine(c.Agrees ? $"[green]✓[/] line {c.Line}: {Markup.Escape(c.Name)} = {c.Stated}" : $"[red]✗[/] line {c.Line}: {Markup.Escape(c.Name)} states {c.Stated}, records give {c.Computed}");
        foreach (var w in result.Warnings) Out.Console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}");
        if (dryRun)
        {
            Out.Console.MarkupLine("Dry run: nothing queued.");
            return;
        }

        Out.Console.MarkupLine($"Queued {result.Queued} new inbox item(s); {result.AlreadyQueued} already queued{(result.FileSeenBefore ? " (this file was imported before)" : "")}.");
        if (result.Mismatches.Count > 0)
            Out.Console.MarkupLine($"[yellow]Imported although {result.Mismatches.Count} control total(s) do not reconcile (recorded in the audit log): every payment of this file goes to review.[/]");
        if (result.Conflicts > 0) Out.Console.MarkupLine($"[red]{result.Conflicts} entr(ies) conflict with earlier items of the same key; see inbox alerts.[/]");
    }

    private static string Short(string? s) => s is null ? "" : s.Length <= 60 ? s : s[..57] + "...";
}
