using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Intake.BankFiles;
using DuesPilot.Persistence;
using DuesPilot.Server;
using Dapper;
using DuesPilot.Tooling.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary>
/// <c>duespilot bench intake</c>: signed Stripe webhooks acknowledged per second by a real server
/// (each one verified and committed durably before its 200), on SQLite and PostgreSQL; and NACHA and
/// BAI2 lines parsed per second.
/// </summary>
public static class BenchIntake
{
    public static Command Create()
    {
        var webhooks = new Option<int>("--webhooks") { Description = "Webhooks to send per engine and concurrency level.", DefaultValueFactory = _ => 2000 };
        var concurrency = new Option<int[]>("--concurrency") { Description = "Requests in flight; several values measure each (e.g. --concurrency 16 32 64).", DefaultValueFactory = _ => [16, 32, 64], AllowMultipleArgumentsPerToken = true };
        var lines = new Option<int>("--lines") { Description = "Approximate lines per generated bank file.", DefaultValueFactory = _ => 200_000 };
        var engine = new Option<string>("--engine") { Description = "sqlite, postgres or both (postgres starts a throwaway server with fsync on).", DefaultValueFactory = _ => "both" };
        engine.AcceptOnlyFromAmong("sqlite", "postgres", "both");
        var command = new Command("intake", "Acknowledged webhooks per second (durable) on each engine against an in-run floor, and NACHA/BAI2 lines parsed per second.") { webhooks, concurrency, lines, engine };
        command.SetAction(async (parse, ct) =>
        {
            var table = new Table().AddColumns(new TableColumn("Store"), new TableColumn("In flight").RightAligned(), new TableColumn("Webhooks").RightAligned(),
                new TableColumn("Intake /s (verified, inbox, durable)").RightAligned(), new TableColumn("Floor /s (bare durable insert)").RightAligned(), new TableColumn("Intake / floor").RightAligned());
            var n = parse.GetValue(webhooks);
            var levels = parse.GetValue(concurrency) ?? [];
            if (n < 10 || levels.Length == 0 || levels.Any(k => k is < 1 or > 256)) throw new UserInputException("--webhooks must be at least 10 and each --concurrency 1 to 256.");
            var which = parse.GetValue(engine)!;
            if (which is "sqlite" or "both")
            {
                var folder = Directory.CreateTempSubdirectory("duespilot-bench-").FullName;
                try
                {
                    await MeasureWebhooksAsync(new StoreOptions(folder), "SQLite", n, levels, table, ct);
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
                await MeasureWebhooksAsync(new StoreOptions("", server.ConnectionString()), "PostgreSQL", n, levels, table, ct);
            }

            table.Caption("SQLite: WAL, synchronous=FULL. PostgreSQL: throwaway server, fsync on. Every intake row is a signed Stripe webhook verified and committed to the inbox before its 200; the floor is the same HTTP stack answering after one bare INSERT of the body committed on its own.");
            Out.Console.Write(table);
            var parsing = new Table().AddColumns(new TableColumn("What"), new TableColumn("File"), new TableColumn("Lines").RightAligned(), new TableColumn("Seconds").RightAligned(), new TableColumn("Per second").RightAligned());
            var target = parse.GetValue(lines);
            Measure(parsing, "NACHA lines parsed", SyntheticBankFiles.Nacha(target), c => ParseNachaFile.Parse(c).Entries.Count);
            Measure(parsing, "BAI2 lines parsed", SyntheticBankFiles.Bai2(target), c => ParseBai2File.Parse(c).Entries.Count);
            Out.Console.Write(parsing);
            return 0;
        });
        return command;
    }

    private static async Task MeasureWebhooksAsync(StoreOptions store, string label, int n, int[] levels, Table table, CancellationToken ct)
    {
        const string secret = "whsec_bench";
        var settings = new Dictionary<string, string?>
        {
            ["Intake:Stripe:WebhookSecret"] = secret,
            ["Intake:Worker:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var app = await ServerHost.BuildAsync(new ServerHostOptions(store, "http://127.0.0.1:0", settings), ct);
        await using (app)
        {
            var db = app.Services.GetService(typeof(Store)) as Store ?? throw new InvalidOperationException("no store");
            // The floor: the same Kestrel, routing and body read, answering 200 after one INSERT of the raw body
            // committed on its own (fsynced like the inbox). Nothing is verified, parsed or grouped. SQLite has one
            // writer: the floor queues its writers in process (as the inbox does) instead of letting them spin on busy_timeout.
            using var sqliteWriter = new SemaphoreSlim(1, 1);
            await db.InTransactionAsync((c, tx) => c.ExecuteAsync(
                $"CREATE TABLE IF NOT EXISTS bench_floor (id {(db.Engine == StoreEngine.Postgres ? "BIGSERIAL" : "INTEGER")} PRIMARY KEY, body {(db.Engine == StoreEngine.Postgres ? "BYTEA" : "BLOB")} NOT NULL)", transaction: tx), ct);
            app.MapPost("/bench/floor", async (HttpContext http, CancellationToken token) =>
            {
                using var buffer = new MemoryStream();
                await http.Request.Body.CopyToAsync(buffer, token);
                var body = buffer.ToArray();
                if (db.Engine == StoreEngine.Sqlite) await sqliteWriter.WaitAsync(token);
                try
                {
                    await db.InTransactionAsync((c, tx) => c.ExecuteAsync("INSERT INTO bench_floor (body) VALUES (@body)", new { body }, tx), token);
                }
                finally
                {
                    if (db.Engine == StoreEngine.Sqlite) sqliteWriter.Release();
                }

                return Results.Ok();
            });
            await app.StartAsync(ct);
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = ServerHost.Address(app) };
            var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();

            List<(string Body, string Header)> Make(string run, int count) => Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture,
                    $"{{\"id\":\"evt_{run}_{i}\",\"object\":\"event\",\"type\":\"payment_intent.succeeded\",\"created\":{now},\"data\":{{\"object\":{{\"id\":\"pi_{run}_{i}\",\"object\":\"payment_intent\",\"amount\":{1000 + i},\"currency\":\"usd\"}}}}}}"))
                .Select(b => (b, VerifyStripeSignature.Sign(b, secret, now))).ToList();

            async Task<TimeSpan> SendAllAsync(string path, List<(string Body, string Header)> signed, int concurrency)
            {
                var failures = 0;
                var sw = Stopwatch.StartNew();
                await Parallel.ForEachAsync(signed, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (s, token) =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(s.Body, Encoding.UTF8, "application/json") };
                    request.Headers.Add("Stripe-Signature", s.Header);
                    using var response = await http.SendAsync(request, token);
                    if (response.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref failures);
                });
                sw.Stop();
                if (failures > 0) throw new InvalidOperationException($"{failures} request(s) to {path} were not answered 200");
                return sw.Elapsed;
            }

            // Warm both paths (tiered JIT reaches its optimised code only after thousands of calls on a busy machine,
            // connection pools) before timing anything: otherwise the first level measured is the JIT's.
            var warm = Math.Min(3000, Math.Max(50, n / 2));
            for (var round = 0; round < 2; round++)
            {
                await SendAllAsync("/webhooks/stripe", Make($"warm{round}", warm), levels.Max());
                await SendAllAsync("/bench/floor", Make($"warmfloor{round}", warm), levels.Max());
            }

            var sent = 2 * warm;

            foreach (var concurrency in levels)
            {
                // Alternate quarters so a burst of load from elsewhere on the machine hits both rows alike.
                var run = Guid.NewGuid().ToString("N")[..8];
                var bodies = Make(run, n);
                var floorBodies = Make("floor" + run, n);
                TimeSpan intake = default, floor = default;
                for (var q = 0; q < 4; q++)
                {
                    var range = new Range(q * n / 4, (q + 1) * n / 4);
                    intake += await SendAllAsync("/webhooks/stripe", bodies[range], concurrency);
                    floor += await SendAllAsync("/bench/floor", floorBodies[range], concurrency);
                }

                sent += n;

                var stored = await ListInbox.CountAsync(db, ct);
                if (stored < sent) throw new InvalidOperationException($"only {stored} of {sent} acknowledged webhooks are in the inbox");
                var intakeRate = n / intake.TotalSeconds;
                var floorRate = n / floor.TotalSeconds;
                table.AddRow(label, concurrency.ToString(CultureInfo.InvariantCulture), n.ToString("N0", CultureInfo.InvariantCulture),
                    intakeRate.ToString("N0", CultureInfo.InvariantCulture), floorRate.ToString("N0", CultureInfo.InvariantCulture), (intakeRate / floorRate).ToString("F2", CultureInfo.InvariantCulture) + "×");
            }

            await app.StopAsync(ct);
        }
    }

    private static void Measure(Table table, string what, byte[] content, Func<byte[], int> parse)
    {
        var lineCount = content.Count(b => b == (byte)'\n');
        parse(content);
        var best = TimeSpan.MaxValue;
        var entries = 0;
        for (var i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            entries = parse(content);
            sw.Stop();
            if (sw.Elapsed < best) best = sw.Elapsed;
        }

        table.AddRow(what, string.Create(CultureInfo.InvariantCulture, $"{content.Length / 1024:N0} KiB, {entries:N0} entries (best of 3)"), lineCount.ToString("N0", CultureInfo.InvariantCulture),
            best.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture), (lineCount / best.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture));
    }
}

/// <summary>Valid bank files of any size, with correct control totals, for benchmarks.</summary>
public static class SyntheticBankFiles
{
    private static string N(long v, int width) => v.ToString(new string('0', width), CultureInfo.InvariantCulture);

    /// <summary>A NACHA file of PPD debit batches (1,000 entries each, every other one with an addenda 05).</summary>
    public static byte[] Nacha(int approximateLines)
    {
        var sb = new StringBuilder(approximateLines * 95);
        sb.Append("101 0313000120231380104260101" + "1200A094101" + "DEST BANK".PadRight(23) + "DUES ASSOC".PadRight(23) + "        ").Append('\n');
        var entriesPerBatch = 1000;
        var batches = Math.Max(1, approximateLines / (entriesPerBatch * 3 / 2 + 2));
        long fileDebits = 0, fileHash = 0, fileRecords = 0;
        var lines = 1;
        for (var b = 1; b <= batches; b++)
        {
            sb.Append("5225" + "DUES ASSOC".PadRight(16) + "".PadRight(20) + "1231380104PPD" + "DUES".PadRight(10) + "      260105   1" + "03130001" + N(b, 7)).Append('\n');
            long debits = 0, hash = 0, records = 0;
            for (var e = 1; e <= entriesPerBatch; e++)
            {
                var cents = 10_000 + e;
                var addenda = e % 2 == 0;
                sb.Append("627" + "23138010" + "4" + "12345678".PadRight(17) + N(cents, 10) + $"M-{b}-{e}".PadRight(15) + $"MEMBER {e}".PadRight(22) + "  " + (addenda ? "1" : "0") + "03130001" + N(e, 7)).Append('\n');
                if (addenda)
                {
                    sb.Append("705" + $"RMR*IV*INV-{b}-{e}*PI*{cents / 100}.{cents % 100:00}\\".PadRight(80) + "0001" + N(e, 7)).Append('\n');
                    records++;
                }

                records++;
                debits += cents;
                hash += 23138010;
            }

            sb.Append("8225" + N(records, 6) + N(hash % 10_000_000_000, 10) + N(debits, 12) + N(0, 12) + "1231380104" + "".PadRight(25) + "03130001" + N(b, 7)).Append('\n');
            fileDebits += debits;
            fileHash += hash;
            fileRecords += records;
            lines += (int)records + 2;
        }

        sb.Append(("9" + N(batches, 6) + N((lines + 1 + 9) / 10, 6) + N(fileRecords, 8) + N(fileHash % 10_000_000_000, 10) + N(fileDebits, 12) + N(0, 12)).PadRight(94)).Append('\n');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>A BAI2 file with one group and accounts of 1,000 ACH/lockbox credits, each with two 88 continuations.</summary>
    public static byte[] Bai2(int approximateLines)
    {
        var sb = new StringBuilder(approximateLines * 60);
        sb.Append("01,BANK,DUESASSOC,260105,0800,1,,,2/\n02,DUESASSOC,BANK,1,260104,,USD,2/\n");
        var accounts = Math.Max(1, approximateLines / 3002);
        long groupTotal = 0, groupRecords = 2;
        for (var a = 1; a <= accounts; a++)
        {
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"03,{100000 + a},USD,010,500000,,,015,600000,,/\n"));
            long total = 1_100_000, records = 1;
            for (var e = 1; e <= 1000; e++)
            {
                var cents = 10_000 + e;
                sb.Append(string.Create(CultureInfo.InvariantCulture, $"16,{(e % 5 == 0 ? 115 : 165)},{cents},0,B{a}X{e},M-{e},ACH CREDIT DUES 2026/\n88,DBNM: MEMBER NUMBER {e}\n88,REMI: RMR*IV*INV-{a}-{e}\n"));
                total += cents;
                records += 3;
            }

            records++;
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"49,{total},{records}/\n"));
            groupTotal += total;
            groupRecords += records;
        }

        groupRecords++;
        sb.Append(string.Create(CultureInfo.InvariantCulture, $"98,{groupTotal},{accounts},{groupRecords - 1}/\n99,{groupTotal},1,{groupRecords + 1}/\n"));
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
