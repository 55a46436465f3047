using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Ledger;
using DuesPilot.Persistence;
using DuesPilot.Tooling.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot bench …</c>: measured throughput, printed as numbers. Speed is measured here, never in unit tests.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks that print their figures.");
        command.Subcommands.Add(Ledger());
        command.Subcommands.Add(BenchInvoices.Create());
        command.Subcommands.Add(BenchImis.Create());
        command.Subcommands.Add(BenchAi.Create());
        command.Subcommands.Add(BenchIntake.Create());
        command.Subcommands.Add(BenchImport.Create());
        command.Subcommands.Add(BenchRevenue.Create());
        command.Subcommands.Add(BenchMatch.Create());
        return command;
    }

    private static Command Ledger()
    {
        var entries = new Option<int>("--entries") { Description = "Entries to commit per measurement.", DefaultValueFactory = _ => 2000 };
        var batch = new Option<int>("--batch") { Description = "Entries per transaction in the batched run.", DefaultValueFactory = _ => 500 };
        var engine = new Option<string>("--engine") { Description = "sqlite, postgres or both (postgres starts a throwaway server).", DefaultValueFactory = _ => "both" };
        engine.AcceptOnlyFromAmong("sqlite", "postgres", "both");
        var command = new Command("ledger", "Balanced two-line entries committed per second, one by one and in batches, on each engine.") { entries, batch, engine };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(entries);
            var b = parse.GetValue(batch);
            var which = parse.GetValue(engine)!;
            var table = new Table().AddColumns(new TableColumn("Engine"), new TableColumn("Mode"), new TableColumn("Entries").RightAligned(), new TableColumn("Seconds").RightAligned(), new TableColumn("Entries/s").RightAligned());
            if (which is "sqlite" or "both")
            {
                var folder = Directory.CreateTempSubdirectory("duespilot-bench-").FullName;
                try
                {
                    await using var store = await Store.OpenAsync(new StoreOptions(folder), ct);
                    await MeasureAsync(store, "SQLite (WAL, synchronous=FULL)", n, b, table, ct);
                }
                finally
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    Directory.Delete(folder, true);
                }
            }

            if (which is "postgres" or "both")
            {
                using var server = TemporaryPostgres.Start(durable: true);
                await using var store = await Store.OpenAsync(new StoreOptions("", server.ConnectionString()), ct);
                await MeasureAsync(store, "PostgreSQL (fsync on)", n, b, table, ct);
            }

            Out.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static async Task MeasureAsync(Store store, string label, int n, int batchSize, Table table, CancellationToken ct)
    {
        var clock = TimeProvider.System;
        var cash = new AccountCode("1010-Operating-Cash");
        var unapplied = new AccountCode("2150-Unapplied-Cash");
        JournalEntry Make(string run, int i) => JournalEntry.Standard(EntryId.New(clock), $"bench:{run}:{i}", clock.GetUtcNow(), "bench",
            [LedgerLine.Debit(cash, Money.FromMinor(100 + i, Currency.USD)), LedgerLine.Credit(unapplied, Money.FromMinor(100 + i, Currency.USD))]);

        var journal = new Journal(store);
        var run = Guid.NewGuid().ToString("N")[..8];
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++) await journal.RecordAsync(Make(run + "o", i), ct);
        sw.Stop();
        table.AddRow(label, "one per transaction", n.ToString(CultureInfo.InvariantCulture), sw.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture), (n / sw.Elapsed.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));

        sw.Restart();
        for (var start = 0; start < n; start += batchSize)
        {
            var end = Math.Min(n, start + batchSize);
            await store.InTransactionAsync(async (c, tx) =>
            {
                for (var i = start; i < end; i++) await Journal.RecordAsync(c, tx, Make(run + "b", i));
            }, ct);
        }

        sw.Stop();
        table.AddRow(label, $"batches of {batchSize}", n.ToString(CultureInfo.InvariantCulture), sw.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture), (n / sw.Elapsed.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));
    }
}
