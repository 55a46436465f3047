using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DuesPilot.Features.Invoicing;
using DuesPilot.Persistence;
using DuesPilot.Tooling.Invoicing;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot bench invoices</c>: validation throughput on a generated batch with planted defects.</summary>
public static class BenchInvoices
{
    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Invoices to generate and validate.", DefaultValueFactory = _ => 100_000 };
        var plant = new Option<int>("--plant") { Description = "Defects planted per kind.", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 42 };
        var record = new Option<bool>("--record") { Description = "Also time writing the flagged invoices as review items to a fresh SQLite store." };
        var command = new Command("invoices", "Generate N policy-priced invoices, plant defects, validate them all (target: 100,000 in under 30 s on 2 cores).") { count, plant, seed, record };
        command.SetAction(async (parse, ct) =>
        {
            var policy = LoadBillingPolicy.Example();
            var n = parse.GetValue(count);
            var table = new Table().AddColumns(new TableColumn("Step"), new TableColumn("Items").RightAligned(), new TableColumn("Seconds").RightAligned(), new TableColumn("Items/s").RightAligned());
            var sw = Stopwatch.StartNew();
            var clean = GenerateInvoiceBatch.Create(policy, n, parse.GetValue(seed), 2027);
            var planted = PlantInvoiceDefects.Plant(policy, clean, parse.GetValue(plant), parse.GetValue(seed));
            sw.Stop();
            Row(table, "generate + plant", planted.Batch.Invoices.Count, sw.Elapsed);

            sw.Restart();
            var report = ValidateInvoices.Run(policy, planted.Batch);
            sw.Stop();
            Row(table, "validate", report.InvoicesChecked, sw.Elapsed);

            var flagged = report.Flagged.SelectMany(r => r.Findings.Select(f => (r.Invoice.Id, f.Kind))).ToHashSet();
            var found = planted.Manifest.Count(d => flagged.Contains((d.InvoiceId, d.Kind)));
            var plantedIds = planted.Manifest.Select(d => d.InvoiceId).ToHashSet();
            var falsePositives = report.Flagged.Count(r => !plantedIds.Contains(r.Invoice.Id));

            if (parse.GetValue(record))
            {
                var folder = Directory.CreateTempSubdirectory("duespilot-bench-").FullName;
                try
                {
                    await using var store = await Store.OpenAsync(new StoreOptions(folder), ct);
                    sw.Restart();
                    await RecordInvoiceFindings.HandleAsync(store, TimeProvider.System, policy.Name, report.Flagged, ct);
                    sw.Stop();
                    Row(table, "record review items (SQLite)", report.Flagged.Count, sw.Elapsed);
                }
                finally
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    Directory.Delete(folder, true);
                }
            }

            Out.Console.Write(table);
            Out.Console.MarkupLine($"Planted {planted.Manifest.Count} defects, found {found}; {falsePositives} flagged invoices were not planted; {report.Flagged.Count} flagged in all. Cores: {Environment.ProcessorCount}.");
            return found == planted.Manifest.Count && falsePositives == 0 ? 0 : 3;
        });
        return command;
    }

    private static void Row(Table table, string step, int items, TimeSpan elapsed) =>
        table.AddRow(step, items.ToString("N0", CultureInfo.InvariantCulture), elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
            (items / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("N0", CultureInfo.InvariantCulture));
}
