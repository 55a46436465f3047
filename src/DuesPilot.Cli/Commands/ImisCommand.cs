using System.CommandLine;
using System.Globalization;
using DuesPilot.Imis;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot imis check</c>: what the connector can see on an iMIS site; <c>imis probe</c>: which wire assumptions hold there.</summary>
public static class ImisCommand
{
    public static Command Create()
    {
        var command = new Command("imis", "Talk to an iMIS site (or the sandbox) through the DuesPilot connector.");
        command.Subcommands.Add(Check());
        command.Subcommands.Add(Probe());
        return command;
    }

    private static Command Probe()
    {
        var url = new Option<string>("--url") { Description = "Site URL including any virtual directory.", Required = true };
        var user = new Option<string>("--user") { Description = "iMIS service user.", Required = true };
        var password = new Option<string?>("--password") { Description = "Password; default: the IMIS_PASSWORD environment variable." };
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var command = new Command("probe",
            "Read-only checks of every UNCONFIRMED wire assumption on the site (GETs and a ComboOrder _validate, nothing written); prints confirmed / contradicted / could not tell " +
            "with the evidence and stores the findings, which the connector obeys: payments wait while a point their write depends on is contradicted (exit 3).")
        { url, user, password, data, db };
        command.SetAction(async (parse, ct) =>
        {
            var secret = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("IMIS_PASSWORD");
            if (string.IsNullOrEmpty(secret)) throw new UserInputException("Give --password or set IMIS_PASSWORD.");
            // The configured Imis:* settings (attribute and entity names, limits), pointed at the site given here.
            var options = CommonOptions.Imis();
            options.BaseUrl = parse.GetValue(url)!;
            options.Username = parse.GetValue(user)!;
            options.Password = secret;
            options.MaxRetries = 2;
            try
            {
                options.Validate();
            }
            catch (InvalidOperationException ex)
            {
                throw new UserInputException(ex.Message);
            }

            using var client = ImisClient.Create(options, CommonOptions.Clock());
            IReadOnlyList<ImisFinding> findings;
            try
            {
                findings = await ImisProbe.RunAsync(client, CommonOptions.Clock(), ct);
            }
            catch (ImisRequestException ex)
            {
                throw new UserInputException($"iMIS at {options.BaseUrl}: {ex.Failure}", 3);
            }

            await using var store = await Store.OpenAsync(CommonOptions.StoreOptionsFrom(parse.GetValue(data), parse.GetValue(db)), ct);
            await ImisProbeFindings.SaveAsync(store, options.BaseUrl, findings, CommonOptions.Clock(), ct);
            var table = new Table().AddColumns("Point", "Assumption", "Verdict", "Evidence");
            foreach (var f in findings)
            {
                var verdict = f.Verdict switch
                {
                    ImisVerdict.Confirmed => "[green]confirmed[/]",
                    ImisVerdict.Contradicted => "[red]contradicted[/]",
                    _ => "[yellow]could not tell[/]",
                };
                table.AddRow(Markup.Escape(f.Point + (f.WritePath ? " (payment writes)" : "")), Markup.Escape(f.Assumption), verdict, Markup.Escape(f.Evidence));
            }

            Out.Console.Write(table);
            var blocking = findings.Where(f => f.WritePath && f.Verdict == ImisVerdict.Contradicted).ToList();
            if (blocking.Count == 0)
            {
                Out.Console.MarkupLine("Findings stored. No point payment writes depend on is contradicted.");
                return 0;
            }

            Out.Console.MarkupLine($"[red]Payment writes are paused[/] until a new probe clears: {Markup.Escape(string.Join(", ", blocking.Select(b => b.Point)))}.");
            return 3;
        });
        return command;
    }

    private static Command Check()
    {
        var url = new Option<string>("--url") { Description = "Site URL including any virtual directory, e.g. https://example.imiscloud.com/Asi.Scheduler_Site.", Required = true };
        var user = new Option<string>("--user") { Description = "iMIS service user.", Required = true };
        var password = new Option<string?>("--password") { Description = "Password; default: the IMIS_PASSWORD environment variable." };
        var command = new Command("check", "Sign in and print what the connector can see: members, open dues invoices, dues products and the DuesPilot custom objects.") { url, user, password };
        command.SetAction(async (parse, ct) =>
        {
            var secret = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("IMIS_PASSWORD");
            if (string.IsNullOrEmpty(secret)) throw new UserInputException("Give --password or set IMIS_PASSWORD.");
            // The configured Imis:* settings (attribute and entity names, limits), pointed at the site given here.
            var options = CommonOptions.Imis();
            options.BaseUrl = parse.GetValue(url)!;
            options.Username = parse.GetValue(user)!;
            options.Password = secret;
            options.MaxRetries = 2;
            try
            {
                options.Validate();
            }
            catch (InvalidOperationException ex)
            {
                throw new UserInputException(ex.Message);
            }

            using var client = ImisClient.Create(options, CommonOptions.Clock());
            var table = new Table().AddColumns("What", "Query", "Count");
            try
            {
                await AddAsync(table, client, "Members (parties)", "Party", [], ct);
                await AddAsync(table, client, "Dues invoices", "InvoiceSummary", [new("SourceSystem", options.DuesSourceSystem)], ct);
                await AddAsync(table, client, "Open dues invoices", "InvoiceSummary", [new("SourceSystem", options.DuesSourceSystem), new("Balance", "gt:0")], ct);
                await AddAsync(table, client, "Dues products", "Item", [new("ItemClassId", "DUES")], ct);
                await AddAsync(table, client, "Custom object " + options.ReviewQueueEntity, options.ReviewQueueEntity, [], ct);
                await AddAsync(table, client, "Custom object " + options.AuditLogEntity, options.AuditLogEntity, [], ct);
            }
            catch (ImisRequestException ex)
            {
                throw new UserInputException($"iMIS at {options.BaseUrl}: {ex.Failure}", 3);
            }

            Out.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static async Task AddAsync(Table table, ImisClient client, string what, string entity, List<KeyValuePair<string, string>> filters, CancellationToken ct)
    {
        var count = await client.CountAsync(entity, filters, ct);
        var query = "/api/" + entity + (filters.Count == 0 ? "" : "?" + string.Join("&", filters.Select(f => f.Key + "=" + f.Value)));
        table.AddRow(Markup.Escape(what), Markup.Escape(query), count is { } n ? n.ToString(CultureInfo.InvariantCulture) : "[red]missing (404): create it in Panel Designer[/]");
    }
}
