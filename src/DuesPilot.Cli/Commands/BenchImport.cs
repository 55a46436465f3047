using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Intake.BankFiles;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary>
/// <c>duespilot bench import</c>: bank-file import of a generated lockbox CSV — the dry run (the checking pass:
/// every row parsed, totals kept, nothing stored) in rows per second and peak memory, and the real import into
/// a fresh SQLite store in rows per second. Each has an in-run reference row: reading the same file's lines and
/// nothing else, and the same number of bare INSERTs in one transaction.
/// </summary>
public static class BenchImport
{
    public static Command Create()
    {
        var rows = new Option<int>("--rows") { Description = "Rows of the CSV for the dry run (1,000,000 is about 46 MB).", DefaultValueFactory = _ => 1_000_000 };
        var storeRows = new Option<int>("--store-rows") { Description = "Rows of the CSV imported into a fresh SQLite store.", DefaultValueFactory = _ => 100_000 };
        var command = new Command("import", "Bank-file import: dry-run rows/s and peak memory against bare line reading, and rows/s imported into SQLite against bare inserts.") { rows, storeRows };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(rows);
            var m = parse.GetValue(storeRows);
            if (n < 1000 || m < 100) throw new UserInputException("--rows must be at least 1000 and --store-rows at least 100.");
            var folder = Directory.CreateTempSubdirectory("duespilot-bench-import-").FullName;
            try
            {
                var table = new Table().AddColumns(new TableColumn("What"), new TableColumn("File / store"), new TableColumn("Rows").RightAligned(),
                    new TableColumn("Seconds").RightAligned(), new TableColumn("Rows/s").RightAligned(), new TableColumn("Peak RSS MiB").RightAligned());
                var big = Path.Combine(folder, "lockbox.csv");
                await WriteCsvAsync(big, n, ct);
                var small = Path.Combine(folder, "lockbox-store.csv");
                await WriteCsvAsync(small, m, ct);
                // Warm both paths (JIT, CSV reader) on the small file before timing anything.
                if (File.ReadLines(small).LongCount() != m + 1 || ImportBankFile.Check(new ImportRequest(small, []) { Source = BankFileSource.FromPath(small) }, []).EntryCount != m)
                    throw new InvalidOperationException("the generated file does not read back whole");
                var size = string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(big).Length / (1024 * 1024):N0} MiB CSV");

                // Reference: the lines of the same file read and counted, nothing parsed.
                var (lines, readTime, readPeak) = Measure(() => File.ReadLines(big).LongCount() - 1);
                Row(table, "Reference: the file's lines read, nothing parsed", size, lines, readTime, readPeak);

                var (entries, dryTime, dryPeak) = Measure(() =>
                    ImportBankFile.Check(new ImportRequest(big, []) { Source = BankFileSource.FromPath(big) }, []).EntryCount);
                if (entries != n) throw new InvalidOperationException($"the dry run read {entries} of {n} rows");
                Row(table, "import --dry-run", size, entries, dryTime, dryPeak);
                table.AddRow("Ratio dry run / line reading", size, "", "", (readTime / dryTime).ToString("F2", CultureInfo.InvariantCulture), "");

                var storeFolder = Path.Combine(folder, "store");
                Directory.CreateDirectory(storeFolder);
                await using (var store = await Store.OpenAsync(new StoreOptions(storeFolder), ct))
                {
                    var sw = Stopwatch.StartNew();
                    var result = await ImportBankFile.RunAsync(store, TimeProvider.System, new ImportRequest(small, []) { Source = BankFileSource.FromPath(small) }, ct);
                    sw.Stop();
                    if (result.Queued != m) throw new InvalidOperationException($"the import queued {result.Queued} of {m} rows");
                    Row(table, "import (check + queue, one transaction)", "SQLite (WAL, synchronous=FULL)", m, sw.Elapsed, null);

                    // Reference: as many rows of the same size inserted bare in one transaction, nothing read or checked.
                    await store.InTransactionAsync((c, tx) => c.ExecuteAsync("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, body BLOB NOT NULL)", transaction: tx), ct);
                    var body = new byte[320];
                    sw.Restart();
                    await store.InTransactionAsync(async (c, tx) =>
                    {
                        for (var i = 0; i < m; i++) await c.ExecuteAsync("INSERT INTO bench_floor (k, body) VALUES (@k, @body)", new { k = string.Create(CultureInfo.InvariantCulture, $"csv:L{i}"), body }, tx);
                        return 0;
                    }, ct);
                    sw.Stop();
                    Row(table, "Reference: bare INSERTs in one transaction", "SQLite (WAL, synchronous=FULL)", m, sw.Elapsed, null);
                }

                Out.Console.Write(table);
                return 0;
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(folder, true);
            }
        });
        return command;
    }

    private static void Row(Table table, string what, string where, long count, TimeSpan elapsed, long? peakBytes) =>
        table.AddRow(what, where, count.ToString("N0", CultureInfo.InvariantCulture), elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
            (count / elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture), peakBytes is { } p ? (p / (1024 * 1024)).ToString("N0", CultureInfo.InvariantCulture) : "");

    /// <summary>Times <paramref name="work"/> and reads the process's peak resident memory during it (reset first where Linux allows).</summary>
    private static (long Result, TimeSpan Elapsed, long PeakBytes) Measure(Func<long> work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        ResetPeak();
        var sw = Stopwatch.StartNew();
        var result = work();
        sw.Stop();
        return (result, sw.Elapsed, PeakBytes());
    }

    private static void ResetPeak()
    {
        // Writing 5 to clear_refs resets VmHWM to the current resident size (Linux); elsewhere the peak is the process's.
        try
        {
            if (OperatingSystem.IsLinux()) File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static long PeakBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>A lockbox CSV of <paramref name="rows"/> check payments, written as it is generated.</summary>
    private static async Task WriteCsvAsync(string path, int rows, CancellationToken ct)
    {
        await using var writer = new StreamWriter(path);
        await writer.WriteLineAsync("Date,Amount,Payer Name,Reference,Memo");
        for (var i = 0; i < rows; i++)
        {
            ct.ThrowIfCancellationRequested();
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"2027-03-{1 + i % 28:00},{10 + i % 500}.{i % 100:00},Payer {i},R{i:D8},dues"));
        }
    }
}
