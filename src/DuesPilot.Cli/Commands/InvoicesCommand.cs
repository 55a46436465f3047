using System.CommandLine;
using System.Globalization;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;
using DuesPilot.Imis;
using DuesPilot.ImisSandbox;
using DuesPilot.Persistence;
using DuesPilot.Tooling.Invoicing;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot invoices validate|generate</c>: check dues invoices against the billing policy.</summary>
public static class InvoicesCommand
{
    public static Command Create()
    {
        var command = new Command("invoices", "Validate dues invoices against the billing policy; generate test batches.");
        command.Subcommands.Add(Validate());
        command.Subcommands.Add(Generate());
        return command;
    }

    private static Option<string?> PolicyOption() => new("--policy")
    {
        Description = "The association's billing-policy.yaml. Default: billing-policy.yaml in the --data folder, else the shipped example.",
    };

    internal static BillingPolicy ResolvePolicy(string? path, string? folder)
    {
        if (path is not null) return ProrateCommand.LoadPolicy(path);
        if (folder is not null && File.Exists(Path.Combine(folder, "billing-policy.yaml"))) return ProrateCommand.LoadPolicy(Path.Combine(folder, "billing-policy.yaml"));
        return LoadBillingPolicy.Example();
    }

    private static Command Validate()
    {
        var data = new Option<string?>("--data") { Description = "Golden-dataset folder with members.csv and invoices.csv (invoice_lines.csv optional). Without it (and without --imis-url), the bundled iMIS sandbox is started and validated." };
        var imisUrl = new Option<string?>("--imis-url") { Description = "Validate the dues invoices of this iMIS site (URL including any virtual directory)." };
        var imisUser = new Option<string?>("--imis-user") { Description = "iMIS service user (with --imis-url)." };
        var imisPassword = new Option<string?>("--imis-password") { Description = "iMIS password (with --imis-url); default: the IMIS_PASSWORD environment variable." };
        var members = new Option<int>("--sandbox-members") { Description = "Members of the bundled iMIS sandbox when neither --data nor --imis-url is given.", DefaultValueFactory = _ => 2000 };
        var policy = PolicyOption();
        var output = new Option<string?>("--out") { Description = "Write every finding to this CSV file." };
        var store = new Option<string?>("--store") { Description = "Store folder for review items (default .duespilot/)." };
        var db = CommonOptions.Database();
        var noRecord = new Option<bool>("--no-record") { Description = "Do not write review items; report only." };
        var top = new Option<int>("--top") { Description = "Flagged invoices listed on screen, worst first.", DefaultValueFactory = _ => 10 };
        var command = new Command("validate", "Check every dues invoice (from iMIS, the bundled sandbox by default, or a --data folder) against tier, organization status, price schedule, proration, tax, multi-year discounts and overrides; flagged invoices become review items.")
        {
            data, imisUrl, imisUser, imisPassword, members, policy, output, store, db, noRecord, top,
        };
        command.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(data);
            var url = parse.GetValue(imisUrl);
            if (folder is not null && url is not null) throw new UserInputException("Give either --data or --imis-url, not both.");
            var p = ResolvePolicy(parse.GetValue(policy), folder);
            var console = Out.Console;
            InvoiceBatch batch;
            ValidationReport report = null!;
            await using var sandbox = folder is null && url is null
                ? await ImisSandboxHost.StartAsync(new ImisSandboxOptions { Members = parse.GetValue(members) }, ct)
                : null;
            if (sandbox is not null) console.MarkupLine($"Started the bundled iMIS sandbox at [blue]{sandbox.BaseUrl}[/] (admin/admin).");
            using var client = folder is null ? ImisClient.Create(ImisOptionsFrom(url ?? sandbox!.BaseUrl, url is null ? "admin" : parse.GetValue(imisUser),
                url is null ? "admin" : parse.GetValue(imisPassword) ?? Environment.GetEnvironmentVariable("IMIS_PASSWORD"), site: url is not null), CommonOptions.Clock()) : null;

            batch = null!;
            var started = System.Diagnostics.Stopwatch.StartNew();
            await console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    try
                    {
                        if (client is null)
                        {
                            batch = await new GoldenDatasetInvoices(folder!).LoadAsync(ct);
                        }
                        else
                        {
                            var reading = ctx.AddTask("Reading members from iMIS", maxValue: 1);
                            var readingInvoices = ctx.AddTask("Reading dues invoices from iMIS", maxValue: 1);
                            var source = new ImisInvoiceSource(client, p, url is null ? "the bundled iMIS sandbox" : "iMIS " + url, new SyncProgress<ImisReadProgress>(r =>
                            {
                                var task = r.Phase == "members" ? reading : readingInvoices;
                                task.MaxValue = Math.Max(1, r.Total);
                                task.Value = r.Done;
                            }));
                            batch = await source.LoadAsync(ct);
                            reading.Value = reading.MaxValue;
                            readingInvoices.Value = readingInvoices.MaxValue;
                        }
                    }
                    catch (DatasetException ex)
                    {
                        throw new UserInputException(ex.Message);
                    }
                    catch (ImisRequestException ex)
                    {
                        throw new UserInputException("iMIS: " + ex.Message);
                    }

                    var task = ctx.AddTask("Validating invoices", maxValue: Math.Max(1, batch.Invoices.Count));
                    report = await Task.Run(() => ValidateInvoices.Run(p, batch, new Progress<int>(n => task.Value = n)), ct);
                    task.Value = task.MaxValue;
                });

            PrintSummary(report, p, console, parse.GetValue(top));
            console.MarkupLine($"Read and validated in {started.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s.");
            if (parse.GetValue(output) is { } csv)
            {
                await using (var writer = new StreamWriter(csv)) RecordInvoiceFindings.WriteCsv(writer, report.Flagged);
                console.MarkupLine($"Findings written to [blue]{Markup.Escape(csv)}[/].");
            }

            if (!parse.GetValue(noRecord) && report.Flagged.Count > 0)
            {
                await using var s = await CommonOptions.OpenStoreAsync(parse.GetValue(store), parse.GetValue(db), ct, create: true);
                var recorded = await RecordInvoiceFindings.HandleAsync(s, CommonOptions.Clock(), p.Name, report.Flagged, ct);
                console.MarkupLine($"Review items: {recorded.Created} created, {recorded.Updated} updated, {recorded.Unchanged} unchanged ({Markup.Escape(s.Description)}).");
            }

            return 0;
        });
        return command;
    }

    /// <param name="site">A real site (<c>--imis-url</c>): the configured <c>Imis:*</c> names apply; the bundled sandbox speaks the defaults.</param>
    private static ImisOptions ImisOptionsFrom(string url, string? user, string? password, bool site)
    {
        if (string.IsNullOrWhiteSpace(user)) throw new UserInputException("Give --imis-user with --imis-url.");
        if (string.IsNullOrEmpty(password)) throw new UserInputException("Give --imis-password or set IMIS_PASSWORD.");
        // On a real site the configured Imis:* (attribute and entity names, limits), pointed at the site given here.
        var options = site ? CommonOptions.Imis() : new ImisOptions();
        options.BaseUrl = url;
        options.Username = user;
        options.Password = password;
        options.MaxRetries = 2;
        try
        {
            options.Validate();
        }
        catch (InvalidOperationException ex)
        {
            throw new UserInputException(ex.Message);
        }

        return options;
    }

    /// <summary>Reports on the caller's thread, in order (<see cref="Progress{T}"/> posts to the thread pool).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    public static void PrintSummary(ValidationReport report, BillingPolicy policy, IAnsiConsole console, int top)
    {
        console.MarkupLine($"[bold]{report.InvoicesChecked:N0}[/] invoices ({report.LinesChecked:N0} lines) checked against [blue]{Markup.Escape(policy.Name)}[/]: {report.Clean:N0} clean, [yellow]{report.Flagged.Count:N0}[/] flagged.");
        var kinds = new Table().Title("Findings by kind").AddColumns(new TableColumn("Kind"), new TableColumn("Findings").RightAligned(), new TableColumn("Money at stake").RightAligned());
        var all = report.Flagged.SelectMany(r => r.Findings).ToArray();
        foreach (var g in all.GroupBy(f => f.Kind).OrderBy(g => g.Key))
            kinds.AddRow(g.Key.ToString(), g.Count().ToString("N0", CultureInfo.InvariantCulture), DuesPilot.Domain.Money.Sum(g.Select(f => f.AtStake), policy.Currency).ToDisplayString());
        if (all.Length > 0) console.Write(kinds);
        if (top <= 0 || report.Flagged.Count == 0) return;
        var worst = new Table().Title($"Worst {Math.Min(top, report.Flagged.Count)} invoices").AddColumns(new TableColumn("Invoice"), new TableColumn("Member"), new TableColumn("Priority").RightAligned(), new TableColumn("Findings"));
        foreach (var r in report.Flagged.Take(top))
            worst.AddRow(Markup.Escape(r.Invoice.Id.Value), Markup.Escape(r.Invoice.MemberId.Value), DuesPilot.Domain.Money.FromMinor(r.PriorityCents, policy.Currency).ToDisplayString(),
                Markup.Escape(string.Join("\n", r.Findings.Select(f => $"{f.Kind}: {f.Explanation}"))));
        console.Write(worst);
    }

    private static Command Generate()
    {
        var output = new Option<string>("--out") { Description = "Folder to write members.csv, invoices.csv, invoice_lines.csv (and planted.csv).", Required = true };
        var policy = PolicyOption();
        var count = new Option<int>("--count") { Description = "Members (one invoice each).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same batch.", DefaultValueFactory = _ => 1 };
        var year = new Option<int>("--year") { Description = "Renewals are for the term starting in this year.", DefaultValueFactory = _ => 2027 };
        var plant = new Option<int>("--plant") { Description = "Plant this many defects of each kind and write planted.csv.", DefaultValueFactory = _ => 0 };
        var command = new Command("generate", "Write a clean, policy-priced golden-dataset batch of dues invoices, optionally with planted defects.") { output, policy, count, seed, year, plant };
        command.SetAction(parse =>
        {
            var p = ResolvePolicy(parse.GetValue(policy), null);
            var batch = GenerateInvoiceBatch.Create(p, parse.GetValue(count), parse.GetValue(seed), parse.GetValue(year));
            var folder = parse.GetValue(output)!;
            IReadOnlyList<PlantedDefect> manifest = [];
            if (parse.GetValue(plant) > 0)
            {
                var planted = PlantInvoiceDefects.Plant(p, batch, parse.GetValue(plant), parse.GetValue(seed));
                batch = planted.Batch;
                manifest = planted.Manifest;
            }

            WriteInvoiceDataset.ToFolder(batch, folder);
            if (manifest.Count > 0)
            {
                using var w = new StreamWriter(Path.Combine(folder, "planted.csv"));
                w.WriteLine("invoice_id,kind,description");
                foreach (var d in manifest) w.WriteLine(CsvTable.Line(d.InvoiceId.Value, d.Kind.ToString(), d.Description));
            }

            Out.Console.MarkupLine($"Wrote {batch.Members.Count:N0} members and {batch.Invoices.Count:N0} invoices to [blue]{Markup.Escape(folder)}[/]{(manifest.Count > 0 ? $" with {manifest.Count} planted defects (planted.csv)" : "")}.");
            return 0;
        });
        return command;
    }
}
