using System.CommandLine;
using System.Globalization;
using System.Text;
using DuesPilot.Cli.Chaos;
using DuesPilot.Domain;
using DuesPilot.Tooling.Demo;
using DuesPilot.Tooling.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary>
/// <c>duespilot chaos …</c>: the reliability suite in full. Each scenario prints its figures (lost,
/// duplicated, applied twice, latency) and exits 1 when a payment was lost or booked twice. The tests run
/// the same handlers in a short form.
/// </summary>
public static class ChaosCommand
{
    public static Command Create()
    {
        var command = new Command("chaos", "Reliability scenarios that print their figures: pipeline (crash run), duplicates, two-instances, imis, load, fuzz.");
        command.Subcommands.Add(Pipeline());
        command.Subcommands.Add(Duplicates());
        command.Subcommands.Add(TwoInstances());
        command.Subcommands.Add(Imis());
        command.Subcommands.Add(Load());
        command.Subcommands.Add(Fuzz());
        return command;
    }

    private static Option<int> SeedOption() => new("--seed") { Description = "Random seed (printed; rerun with it to repeat a run).", DefaultValueFactory = _ => Environment.TickCount & 0xFFFF };

    private static string Folder(string? data, string scenario, int seed)
    {
        var folder = string.IsNullOrWhiteSpace(data)
            ? Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"duespilot-chaos-{scenario}-{seed}-{Guid.NewGuid():N}"))
            : Path.GetFullPath(data);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any()) throw new UserInputException($"--data {folder} is not empty: a chaos run needs a fresh folder");
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static Command Pipeline()
    {
        var payments = new Option<int>("--payments") { Description = "Payments (signed Stripe webhooks matching the sandbox's members and open invoices).", DefaultValueFactory = _ => 2_000 };
        var serveKills = new Option<int>("--serve-kills") { Description = "SIGKILLs of a serve process at random moments.", DefaultValueFactory = _ => 10 };
        var sandboxKills = new Option<int>("--sandbox-kills") { Description = "SIGKILLs of the iMIS sandbox process (0: the first mode, serve kills only).", DefaultValueFactory = _ => 3 };
        var instances = new Option<int>("--instances") { Description = "Serve processes: 1, or 2 on one PostgreSQL database.", DefaultValueFactory = _ => 1 };
        var hold = new Option<double>("--hold-seconds") { Description = "The hold window of the run (Posting:HoldWindowHours, shortened).", DefaultValueFactory = _ => 3 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds the pipeline may take to finish after the last kill.", DefaultValueFactory = _ => 900 };
        var seed = SeedOption();
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        db.Description = "An empty PostgreSQL database (Host=…). Default: SQLite for one instance; a throwaway PostgreSQL server for two.";
        var command = new Command("pipeline",
            "Crash run over the whole pipeline: payments received, matched, held, released and written to iMIS while serve (and the iMIS sandbox) are SIGKILLed; then check exactly-once end to end.")
        {
            payments, serveKills, sandboxKills, instances, hold, timeout, seed, data, db,
        };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(payments);
            var k = parse.GetValue(serveKills);
            var sk = parse.GetValue(sandboxKills);
            var i = parse.GetValue(instances);
            var h = parse.GetValue(hold);
            if (n < 1 || k < 0 || sk < 0 || i is < 1 or > 2 || h is < 0 or > 3600 || parse.GetValue(timeout) < 10)
                throw new UserInputException("--payments must be at least 1, --serve-kills and --sandbox-kills at least 0, --instances 1 or 2, --hold-seconds 0–3600, --timeout at least 10.");
            var s = parse.GetValue(seed);
            var connection = parse.GetValue(db);
            using var server = connection is null && i > 1 ? TemporaryPostgres.Start(durable: true) : null;
            if (server is not null)
            {
                await using var admin = new Npgsql.NpgsqlConnection(server.ConnectionString());
                await admin.OpenAsync(ct);
                await using var create = new Npgsql.NpgsqlCommand("CREATE DATABASE chaos", admin);
                await create.ExecuteNonQueryAsync(ct);
                connection = server.ConnectionString("chaos");
            }

            var folder = Folder(parse.GetValue(data), "pipeline", s);
            Out.Console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"chaos pipeline: seed {s}, {n} payments, {i} serve instance(s) on {(connection is null ? "SQLite" : "PostgreSQL")}, {k} serve kills, {sk} sandbox kills, hold window {h} s, data {folder}")));
            var o = await ChaosPipeline.RunAsync(new ChaosPipeline.Request(n, k, sk, s, folder, connection, i, HoldSeconds: h, TimeoutSeconds: parse.GetValue(timeout)), line => Out.Console.WriteLine(line), ct);
            Out.Console.WriteLine(o.Describe());
            Out.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{o.Elapsed.TotalSeconds:F1} s"));
            foreach (var p in o.Problems) Out.Console.WriteLine("problem: " + p);
            Out.Console.MarkupLine(o.Passed ? "[green]exactly once end to end[/]" : "[red]NOT exactly once[/]");
            return o.Passed ? 0 : 1;
        });
        return command;
    }

    private static Command Duplicates()
    {
        var events = new Option<int>("--events") { Description = "Distinct webhooks; each is delivered 1–3 times.", DefaultValueFactory = _ => 2_000 };
        var delay = new Option<int>("--late-seconds") { Description = "How long after processing the late redeliveries arrive.", DefaultValueFactory = _ => 10 };
        var seed = SeedOption();
        var data = CommonOptions.Data();
        var command = new Command("duplicates", "Deliver every webhook 1–3 times, shuffled, a tenth late; then check one payment each.") { events, delay, seed, data };
        command.SetAction(async (parse, ct) =>
        {
            var s = parse.GetValue(seed);
            var folder = Folder(parse.GetValue(data), "duplicates", s);
            var o = await ChaosDuplicates.RunAsync(new ChaosDuplicates.Request(parse.GetValue(events), s, folder, TimeSpan.FromSeconds(parse.GetValue(delay))), ct);
            Out.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {o.Seed}: {o.Deliveries} deliveries ({o.Late} late), {o.NotAcknowledged} not acknowledged, {o.Elapsed.TotalSeconds:F1} s"));
            return Report(o.Figures);
        });
        return command;
    }

    private static Command TwoInstances()
    {
        var events = new Option<int>("--events") { Description = "Distinct webhooks, spread over both instances (a third to both).", DefaultValueFactory = _ => 2_000 };
        var seed = SeedOption();
        var db = CommonOptions.Database();
        db.Description = "An empty PostgreSQL database (Host=…). Default: a throwaway server started for the run.";
        var command = new Command("two-instances", "Two service instances on one PostgreSQL share the inbox and match concurrently: nothing processed or applied twice.") { events, seed, db };
        command.SetAction(async (parse, ct) =>
        {
            var s = parse.GetValue(seed);
            var connection = parse.GetValue(db);
            using var server = connection is null ? TemporaryPostgres.Start() : null;
            if (server is not null)
            {
                await using var admin = new Npgsql.NpgsqlConnection(server.ConnectionString());
                await admin.OpenAsync(ct);
                await using var create = new Npgsql.NpgsqlCommand("CREATE DATABASE chaos", admin);
                await create.ExecuteNonQueryAsync(ct);
                connection = server.ConnectionString("chaos");
            }

            var o = await ChaosTwoInstances.RunAsync(new ChaosTwoInstances.Request(parse.GetValue(events), s, new Persistence.StoreOptions(Folder(null, "two-instances", s), connection)), ct);
            Out.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seed {o.Seed}: {o.Deliveries} deliveries over two instances, {o.NotAcknowledged} not acknowledged; {o.MatchRuns} concurrent match runs decided {o.Decided} payment(s), {o.Applied} applied to invoices; payments decided twice {o.PaymentsDecidedTwice}; {o.Elapsed.TotalSeconds:F1} s"));
            var code = Report(o.Figures);
            return o.PaymentsDecidedTwice > 0 ? 1 : code;
        });
        return command;
    }

    private static Command Imis()
    {
        var payments = new Option<int>("--payments") { Description = "Payment applications in the outbox.", DefaultValueFactory = _ => 300 };
        var errors = new Option<double>("--error-rate") { Description = "Share of requests answered 500/503/429.", DefaultValueFactory = _ => 0.30 };
        var seed = SeedOption();
        var command = new Command("imis", "Drain an outbox of payment applications into the iMIS sandbox under 5xx/429, timeouts after write and token expiry: balances exact, no receipt twice.") { payments, errors, seed };
        command.SetAction(async (parse, ct) =>
        {
            var s = parse.GetValue(seed);
            var o = await ChaosImis.RunAsync(new ChaosImis.Request(parse.GetValue(payments), s, Folder(null, "imis", s), parse.GetValue(errors)), ct);
            Out.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seed {o.Seed}: {o.Payments} applications in {o.Rounds} outbox round(s); sandbox injected {o.FaultsInjected} fault(s), dropped {o.WritesDropped} answer(s) after writing, issued {o.TokensIssued} token(s); done {o.Done}, not done {o.NotDone}, wrong balances {o.WrongBalances}; {o.Elapsed.TotalSeconds:F1} s"));
            foreach (var problem in o.Problems) Out.Console.WriteLine("  " + problem);
            Out.Console.MarkupLine(o.Exact ? "[green]balances exact: every application once[/]" : "[red]NOT exact[/]");
            return o.Exact ? 0 : 1;
        });
        return command;
    }

    private static Command Load()
    {
        var rate = new Option<int>("--rate") { Description = "Webhooks per second.", DefaultValueFactory = _ => 200 };
        var seconds = new Option<int>("--seconds") { Description = "How long to send.", DefaultValueFactory = _ => 60 };
        var seed = SeedOption();
        var data = CommonOptions.Data();
        var command = new Command("load", "Signed webhooks at a fixed rate to the in-process service on loopback: p50/p99 latency, errors, acknowledged/s.") { rate, seconds, seed, data };
        command.SetAction(async (parse, ct) =>
        {
            var r = parse.GetValue(rate);
            var sec = parse.GetValue(seconds);
            if (r < 1 || sec < 1) throw new UserInputException("--rate and --seconds must be at least 1");
            var s = parse.GetValue(seed);
            var o = await ChaosLoad.RunAsync(new ChaosLoad.Request(r, sec, s, Folder(parse.GetValue(data), "load", s)), ct);
            Out.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seed {s}: {o.Rate}/s for {o.Seconds} s: sent {o.Sent}, acknowledged {o.Acknowledged} ({o.AcknowledgedPerSecond:F1}/s), errors {o.Errors}, skipped (over {512} in flight) {o.Skipped}; latency p50 {o.P50.TotalMilliseconds:F1} ms, p99 {o.P99.TotalMilliseconds:F1} ms, max {o.Max.TotalMilliseconds:F1} ms"));
            var code = Report(o.Figures);
            return o.Errors > 0 || o.Skipped > 0 ? 1 : code;
        });
        return command;
    }

    private static Command Fuzz()
    {
        var seconds = new Option<int>("--seconds") { Description = "Time per parser.", DefaultValueFactory = _ => 60 };
        var fixtures = new Option<string?>("--fixtures") { Description = "Folder of seed files by format (nacha/, bai2/, camt/, csv/, stripe/, authorizenet/), e.g. tests/DuesPilot.Intake.Tests/Fixtures. The demo day's files are always used." };
        var seed = SeedOption();
        var command = new Command("fuzz", "Mutated and random inputs to every parser (NACHA, BAI2, camt, CSV, Stripe and Authorize.Net JSON): clear errors, no crash, no hang.") { seconds, fixtures, seed };
        command.SetAction((parse, ct) =>
        {
            var s = parse.GetValue(seed);
            var folder = parse.GetValue(fixtures);
            if (folder is not null && !Directory.Exists(folder)) throw new UserInputException($"--fixtures {folder} does not exist");
            var seeds = ChaosFuzz.SeedsFrom(folder, BuiltInSeeds());
            Out.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chaos fuzz: seed {s}, {parse.GetValue(seconds)} s per parser"));
            var failed = false;
            foreach (var target in ChaosFuzz.Targets())
            {
                if (!seeds.TryGetValue(target.Name, out var list) || list.Count == 0)
                {
                    Out.Console.WriteLine($"{target.Name}: no seed inputs (pass --fixtures)");
                    continue;
                }

                var o = ChaosFuzz.Run(target, list, s, long.MaxValue, TimeSpan.FromSeconds(parse.GetValue(seconds)), ct);
                Out.Console.WriteLine(ChaosFuzz.Describe(o));
                foreach (var crash in o.Crashes) Out.Console.WriteLine($"  input {crash.Iteration}: {crash.Exception} (base64 {crash.InputBase64[..Math.Min(80, crash.InputBase64.Length)]}…)");
                failed |= o.Crashes.Count > 0 || o.Hung;
            }

            return Task.FromResult(failed ? 1 : 0);
        });
        return command;
    }

    /// <summary>The demo day's NACHA file, lockbox CSV and Stripe events, over a small made-up membership.</summary>
    public static Dictionary<string, List<byte[]>> BuiltInSeeds()
    {
        var members = Enumerable.Range(1, 40).Select(i => new Member(new MemberId(string.Create(CultureInfo.InvariantCulture, $"{10000 + i}")), i % 8 == 0 ? PartyKind.Organization : PartyKind.Person,
            string.Create(CultureInfo.InvariantCulture, $"First{i} Last{i}"), $"First{i}", $"Last{i}", string.Create(CultureInfo.InvariantCulture, $"m{i}@example.org"), "REG", MemberStatus.Active, null, null)).ToList();
        var date = new DateOnly(2027, 3, 1);
        var invoices = members.Select((m, i) => Invoice.SingleLine(new InvoiceId(string.Create(CultureInfo.InvariantCulture, $"{280000 + i}")), m.Id, date.AddDays(-30), date, Money.Usd(195m + i), Money.Usd(195m + i), "DUES", "Dues")).ToList();
        var day = GenerateDemoDay.Create(members, invoices, date, seed: 3, cardPayments: 10, checks: 10);
        return new Dictionary<string, List<byte[]>>(StringComparer.Ordinal)
        {
            ["nacha"] = [day.AchFile],
            ["csv"] = [day.LockboxCsv],
            ["stripe"] = [.. day.StripeEvents.Take(5).Select(Encoding.UTF8.GetBytes)],
        };
    }

    private static int Report(ExactlyOnceFigures f)
    {
        Out.Console.WriteLine(f.Describe());
        foreach (var problem in f.Problems.Take(20)) Out.Console.WriteLine("  " + problem);
        Out.Console.MarkupLine(f.ExactlyOnce ? "[green]exactly once: zero lost, zero duplicated[/]" : "[red]NOT exactly once[/]");
        return f.ExactlyOnce ? 0 : 1;
    }
}
