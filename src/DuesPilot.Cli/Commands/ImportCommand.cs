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
        var dryRun = new Option<bool>("--dry-run") { Description = "Parse and show a summary and the first rows, queue nothing." };
        var rows = new Option<int>("--rows") { Description = "How many entries to list (default 20).", DefaultValueFactory = _ => 20 };
        var all = new Option<bool>("--all") { Description = "List every entry (one line each) instead of the first --rows." };
        var acceptMismatch = new Option<bool>("--accept-control-mismatch")
        {
            Description = "BAI2: import a file whose control totals or record counts do not reconcile; the acceptance and each disagreement go to the audit log, and every payment of the file goes to review (never applied automatically).",
        };
        var by = new Option<string?>("--by") { Description = "With --accept-control-mismatch: who accepts it, for the audit log. Default: your login name." };
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var command = new Command("import", "Parse a bank or lockbox file, check its control totals, and queue its payments in the inbox (the same file twice queues nothing new).")
        {
            file, format, mapping, dryRun, rows, all, acceptMismatch, by, data, db,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            var source = OpenBankFile(path);
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
                var every = parse.GetValue(all);
                var output = Out.Console.Profile.Out.Writer;
                // --all lists each entry as the checking pass reads it: one plain line each, nothing kept.
                var request = new ImportRequest(path, [], ParseFormat(parse.GetValue(format)!), map, parse.GetValue(dryRun),
                    accepting ? Bai2Totals.Report : Bai2Totals.Require, acceptedBy)
                {
                    Source = source,
                    SampleSize = every ? 0 : Math.Max(0, parse.GetValue(rows)),
                    OnEntry = every ? e => output.WriteLine(PlainLine(e)) : null,
                };
                ImportResult result;
                if (request.DryRun)
                {
                    result = await ImportBankFile.RunAsync(null, CommonOptions.Clock(), request, ct);
                }
                else
                {
                    await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct, create: true);
                    result = await ImportBankFile.RunAsync(store, CommonOptions.Clock(), request, ct);
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

    /// <summary>
    /// The bank file at <paramref name="path"/>, refusing what is not one before anything is read: a folder, a
    /// missing file, a FIFO, a device or a socket (their size is 0, and reading would block or never end), an
    /// empty file, or more than <see cref="BankFile.MaxBytes"/>. The import then reads it twice, front to back,
    /// never whole (and refuses it if it grows past the limit or changes between the two reads).
    /// </summary>
    public static BankFileSource OpenBankFile(string path)
    {
        if (Directory.Exists(path)) throw new UserInputException($"{path} is a folder, not a file");
        if (!File.Exists(path)) throw new UserInputException($"no such file: {path}");
        var info = new FileInfo(path);
        if (info.Length == 0 || (info.Attributes & FileAttributes.Device) != 0)
            throw new UserInputException($"{path} is empty or not a regular file (a FIFO, device or socket); nothing read");
        if (info.Length > BankFile.MaxBytes) throw new UserInputException($"{path} is larger than {BankFile.MaxBytes:N0} bytes");
        return BankFileSource.FromPath(path);
    }

    private static void Print(ImportResult result, string name, bool dryRun)
    {
        var f = result.File;
        var shown = f.FirstEntries;
        Out.Console.MarkupLine($"{Markup.Escape(name)} — {f.Format.ToString().ToUpperInvariant()}, sha256 {f.FileHash[..12]}…, {f.EntryCount:N0} entr{(f.EntryCount == 1 ? "y" : "ies")}");
        // A table is built whole before it is drawn: only for the first rows (--all printed its lines as they were read).
        if (shown.Count > 0)
        {
            var table = new Table()
                .AddColumns(new TableColumn("Line"), new TableColumn("Kind"), new TableColumn("Date"), new TableColumn("Method"), new TableColumn("Amount").RightAligned(),
                    new TableColumn("Payer"), new TableColumn("Reference"), new TableColumn("Memo"));
            foreach (var e in shown)
            {
                table.AddRow(Line(e), e.Kind.ToString(), e.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", Payment.ChannelCode(e.Method),
                    Markup.Escape(e.Amount.ToString()), Markup.Escape(e.PayerName ?? ""), Markup.Escape(e.Reference ?? ""), Markup.Escape(Short(e.Memo)));
            }

            Out.Console.Write(table);
            if (f.EntryCount > shown.Count) Out.Console.MarkupLine($"… and {f.EntryCount - shown.Count:N0} more (--all lists every entry, --rows N the first N).");
        }

        foreach (var kind in Enum.GetValues<BankEntryKind>())
        {
            var of = f.Totals.Where(t => t.Kind == kind).ToList();
            if (of.Count == 0) continue;
            var count = of.Sum(t => t.Count);
            var totals = string.Join(", ", of.Select(t => Money.FromMinor(t.MinorUnits, t.Currency).ToString()));
            Out.Console.MarkupLine($"{kind}: {count} entr{(count == 1 ? "y" : "ies")}, {Markup.Escape(totals)}");
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

    private static string PlainLine(BankEntry e) => string.Join('\t', Line(e), e.Kind, e.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", Payment.ChannelCode(e.Method),
        e.Amount.ToString(), e.PayerName ?? "", e.Reference ?? "", Short(e.Memo));

    private static string Line(BankEntry e) => e.Position.Record == 1 ? e.Position.Line.ToString(CultureInfo.InvariantCulture) : $"{e.Position.Line}.{e.Position.Record}";

    private static string Short(string? s) => s is null ? "" : s.Length <= 60 ? s : s[..57] + "...";
}
