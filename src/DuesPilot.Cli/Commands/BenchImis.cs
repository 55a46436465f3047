using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DuesPilot.Imis;
using DuesPilot.ImisSandbox;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot bench imis</c>: invoices (with lines) read per second through the client from an in-process sandbox.</summary>
public static class BenchImis
{
    public static Command Create()
    {
        var members = new Option<int>("--members") { Description = "Parties to seed.", DefaultValueFactory = _ => 3700 };
        var years = new Option<int>("--years") { Description = "Dues years of invoices to seed.", DefaultValueFactory = _ => 3 };
        var pageSize = new Option<int>("--page-size") { Description = "Client page size (at most 100).", DefaultValueFactory = _ => 100 };
        var concurrency = new Option<int>("--concurrency") { Description = "Pages read in parallel (the client caps requests at 5 by default).", DefaultValueFactory = _ => 4 };
        var command = new Command("imis", "Invoices read per second through the iMIS client from an in-process sandbox over HTTP on 127.0.0.1.") { members, years, pageSize, concurrency };
        command.SetAction(async (parse, ct) =>
        {
            var sw = Stopwatch.StartNew();
            await using var host = await ImisSandboxHost.StartAsync(new ImisSandboxOptions
            {
                Members = parse.GetValue(members),
                YearsOfHistory = parse.GetValue(years),
                Seed = 1,
            }, ct);
            var seedSeconds = sw.Elapsed.TotalSeconds;
            using var client = ImisClient.Create(new ImisOptions
            {
                BaseUrl = host.BaseUrl,
                Username = "admin",
                Password = "admin",
                PageSize = parse.GetValue(pageSize),
            }, TimeProvider.System);

            var table = new Table().AddColumns(new TableColumn("Mode"), new TableColumn("Invoices").RightAligned(), new TableColumn("Seconds").RightAligned(), new TableColumn("Invoices/s").RightAligned());
            await client.CountAsync("Party", ct: ct); // token and connection warm-up

            sw.Restart();
            var sequential = 0;
            await foreach (var _ in client.ListInvoicesAsync(new InvoiceQuery(), ct)) sequential++;
            Row(table, "sequential pages (follow NextOffset)", sequential, sw.Elapsed);

            sw.Restart();
            var total = await client.CountAsync("Invoice", [new("SourceSystem", client.Options.DuesSourceSystem)], ct) ?? 0;
            var offsets = Enumerable.Range(0, (total + client.Options.PageSize - 1) / client.Options.PageSize).Select(i => i * client.Options.PageSize);
            var parallel = 0;
            await Parallel.ForEachAsync(offsets, new ParallelOptions { MaxDegreeOfParallelism = parse.GetValue(concurrency), CancellationToken = ct }, async (offset, token) =>
            {
                var page = await client.ReadInvoicesPageAsync(new InvoiceQuery(), offset, token);
                Interlocked.Add(ref parallel, page.Items.Count);
            });
            Row(table, $"parallel pages ({parse.GetValue(concurrency).ToString(CultureInfo.InvariantCulture)} readers, cap {client.Options.MaxConcurrency.ToString(CultureInfo.InvariantCulture)})", parallel, sw.Elapsed);

            Out.Console.MarkupLine($"Sandbox seeded in {seedSeconds.ToString("F2", CultureInfo.InvariantCulture)} s at {Markup.Escape(host.BaseUrl)}.");
            Out.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static void Row(Table table, string mode, int n, TimeSpan elapsed) =>
        table.AddRow(mode, n.ToString(CultureInfo.InvariantCulture), elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
            (n / elapsed.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture));
}
