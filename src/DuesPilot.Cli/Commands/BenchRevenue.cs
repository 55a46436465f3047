using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Revenue;
using DuesPilot.Persistence;
using DuesPilot.Tooling.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot bench revenue</c>: closes one month over many memberships and times it (target: 100,000 in under 10 s).</summary>
public static class BenchRevenue
{
    private static readonly string[] Tiers = ["REG", "STU", "RET", "FEL", "CORP"];

    public static Command Create()
    {
        var memberships = new Option<int>("--memberships") { Description = "Memberships (terms) to recognise.", DefaultValueFactory = _ => 100_000 };
        var engine = new Option<string>("--engine") { Description = "sqlite, postgres or both (postgres starts a throwaway server).", DefaultValueFactory = _ => "sqlite" };
        engine.AcceptOnlyFromAmong("sqlite", "postgres", "both");
        var command = new Command("revenue", "Seed N calendar-year memberships (joins, some upgrades) and time the close of one month.") { memberships, engine };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(memberships);
            if (n <= 0) throw new UserInputException("--memberships must be positive.");
            var which = parse.GetValue(engine)!;
            var table = new Table().AddColumns(new TableColumn("Engine"), new TableColumn("Terms").RightAligned(), new TableColumn("Seed s").RightAligned(),
                new TableColumn("Close s").RightAligned(), new TableColumn("Terms/s").RightAligned(), new TableColumn("Recognised").RightAligned());
            if (which is "sqlite" or "both")
            {
                var folder = Directory.CreateTempSubdirectory("duespilot-bench-revenue-").FullName;
                try
                {
                    await using var store = await Store.OpenAsync(new StoreOptions(folder), ct);
                    await MeasureAsync(store, "SQLite", n, table, ct);
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
                await MeasureAsync(store, "PostgreSQL", n, table, ct);
            }

            Out.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static async Task MeasureAsync(Store store, string label, int n, Table table, CancellationToken ct)
    {
        var seed = Stopwatch.StartNew();
        await SeedAsync(store, n, ct);
        seed.Stop();

        // Close January first (the first month to close), then time the close of March 2027.
        var clock = new FixedClock(new DateTimeOffset(2027, 4, 1, 6, 0, 0, TimeSpan.Zero));
        // The bench's own throwaway store was seeded on the default chart, so it closes on the default chart too.
        var accounts = new ChartOfAccounts();
        await CloseRevenueMonth.HandleAsync(store, clock, accounts, new CloseRevenueMonth.Request(new BillingMonth(2027, 1)), ct);
        await CloseRevenueMonth.HandleAsync(store, clock, accounts, new CloseRevenueMonth.Request(new BillingMonth(2027, 2)), ct);
        var sw = Stopwatch.StartNew();
        var outcome = await CloseRevenueMonth.HandleAsync(store, clock, accounts, new CloseRevenueMonth.Request(new BillingMonth(2027, 3)), ct);
        sw.Stop();
        if (outcome.Result != CloseRevenueMonth.Result.Closed) throw new InvalidOperationException($"bench close: {outcome.Result} {outcome.Detail}");
        table.AddRow(label, outcome.Terms.ToString("N0", CultureInfo.InvariantCulture), seed.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
            sw.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture), (outcome.Terms / sw.Elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture),
            outcome.Recognised.ToDisplayString());
    }

    /// <summary>
    /// Writes terms and events straight to the tables (the bench measures the close, not the event handler):
    /// joins spread over January–March, one in five with an upgrade in February or March.
    /// </summary>
    private static async Task SeedAsync(Store store, int n, CancellationToken ct)
    {
        var random = new Random(20270301);
        const int batch = 200;
        for (var startIndex = 0; startIndex < n; startIndex += 5000)
        {
            var end = Math.Min(n, startIndex + 5000);
            await store.InTransactionAsync(async (c, tx) =>
            {
                for (var b = startIndex; b < end; b += batch)
                {
                    var count = Math.Min(batch, end - b);
                    var terms = new StringBuilder("INSERT INTO revenue_terms (term_id, member_id, currency, service_start, service_end, method, created_at) VALUES ");
                    var events = new StringBuilder("INSERT INTO revenue_events (event_id, idempotency_key, term_id, kind, effective_date, tier, currency, amount_minor, entry_id, payload_hash, created_at) VALUES ");
                    var firstEvent = true;
                    for (var i = 0; i < count; i++)
                    {
                        var k = b + i;
                        var join = new DateOnly(2027, 1, 1).AddDays(random.Next(0, 85));
                        var tier = Tiers[random.Next(Tiers.Length)];
                        var months = 12 - join.Month + 1;
                        var amount = 39_500L * months / 12;
                        var method = random.Next(4) == 0 ? "Days" : "StraightLineMonths";
                        if (i > 0) terms.Append(',');
                        terms.Append(CultureInfo.InvariantCulture, $"('b{k}','m{k}','USD','{DbTime.Format(join)}','2027-12-31','{method}','2027-01-01T00:00:00.0000000Z')");
                        if (!firstEvent) events.Append(',');
                        firstEvent = false;
                        events.Append(CultureInfo.InvariantCulture, $"('e{k}a','bench:{k}:a','b{k}','Join','{DbTime.Format(join)}','{tier}','USD',{amount},NULL,'-','2027-01-01T00:00:00.0000000Z')");
                        if (random.Next(5) == 0 && join.Month < 3)
                        {
                            var up = new DateOnly(2027, 3, random.Next(1, 29));
                            events.Append(CultureInfo.InvariantCulture, $",('e{k}b','bench:{k}:b','b{k}','Upgrade','{DbTime.Format(up)}','FEL','USD',{random.Next(1000, 10000)},NULL,'-','2027-01-01T00:00:00.0000000Z')");
                        }
                    }

                    await using var cmd1 = c.CreateCommand();
                    cmd1.Transaction = tx;
                    cmd1.CommandText = terms.ToString();
                    await cmd1.ExecuteNonQueryAsync(ct);
                    await using var cmd2 = c.CreateCommand();
                    cmd2.Transaction = tx;
                    cmd2.CommandText = events.ToString();
                    await cmd2.ExecuteNonQueryAsync(ct);
                }
            }, ct);
        }
    }

    /// <summary>The bench closes 2027 months, so it runs at a fixed instant after them rather than the wall clock.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
