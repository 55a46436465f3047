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
            var content = await ReadBankFileAsync(path, ct);
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
                    result = await ImportBankFile.RunAsync(null, CommonOptions.Clock(), request, ct);
                }
                else
                {
                    await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct, create: true);
                    result = await ImportBankFile.RunAsync(store, CommonOptions.Clock(), request, ct);
                }

                Print(result, Path.GetFileName(path), request.DryRun, parse.GetValue(all) ? int.MaxValue : Math.Max(0, parse.GetValue(rows)));
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
    /// Reads a bank file refusing what is not one before reading: a FIFO, a device or a socket (their size
    /// is 0, and reading would block or never end), an empty file, or more than <see cref="BankFile.MaxBytes"/>
    /// (also when the file grows while it is read: at most one byte past the limit is read).
    /// </summary>
    public static async Task<byte[]> ReadBankFileAsync(string path, CancellationToken ct)
    {
        if (Directory.Exists(path)) throw new UserInputException($"{path} is a folder, not a file");
        if (!File.Exists(path)) throw new UserInputException($"no such file: {path}");
        var length = new FileInfo(path).Length;
        if (length == 0) throw new UserInputException($"{path} is empty or not a regular file (a FIFO, device or socket); nothing read");
        if (length > BankFile.MaxBytes) throw new UserInputException($"{path} is larger than {BankFile.MaxBytes:N0} bytes");
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var buffer = new byte[Math.Min(length, BankFile.MaxBytes) + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0) read += n;
        if (read > BankFile.MaxBytes) throw new UserInputException($"{path} is larger than {BankFile.MaxBytes:N0} bytes");
        if (read == buffer.Length && stream.ReadByte() >= 0) throw new UserInputException($"{path} grew while it was read; import it again once it is complete");
        return read == buffer.Length ? buffer : buffer[..read];
    }

    private static void Print(ImportResult result, string name, bool dryRun, int rows)
    {
        var f = result.File;
        // A table is built whole before it is drawn: only for the first rows. --all prints one plain line per entry, streamed.
        var shown = f.Entries.Take(rows == int.MaxValue ? 0 : rows).ToList();
        Out.Console.MarkupLine($"{Markup.Escape(name)} — {f.Format.ToString().ToUpperInvariant()}, sha256 {f.FileHash[..12]}…, {f.Entries.Count:N0} entr{(f.Entries.Count == 1 ? "y" : "ies")}");
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
            if (f.Entries.Count > shown.Count) Out.Console.MarkupLine($"… and {f.Entries.Count - shown.Count:N0} more (--all lists every entry, --rows N the first N).");
        }
        else if (rows == int.MaxValue)
        {
            var output = Out.Console.Profile.Out.Writer;
            foreach (var e in f.Entries)
            {
                output.WriteLine(string.Join('\t', Line(e), e.Kind, e.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", Payment.ChannelCode(e.Method),
                    e.Amount.ToString(), e.PayerName ?? "", e.Reference ?? "", Short(e.Memo)));
            }
        }

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

    private static string Line(BankEntry e) => e.Position.Record == 1 ? e.Position.Line.ToString(CultureInfo.InvariantCulture) : $"{e.Position.Line}.{e.Position.Record}";

    private static string Short(string? s) => s is null ? "" : s.Length <= 60 ? s : s[..57] + "...";
}
