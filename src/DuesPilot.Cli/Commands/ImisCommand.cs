using System.CommandLine;
using System.Globalization;
using DuesPilot.Imis;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot imis check</c>: what the connector can see on an iMIS site, in one command.</summary>
public static class ImisCommand
{
    public static Command Create()
    {
        var command = new Command("imis", "Talk to an iMIS site (or the sandbox) through the DuesPilot connector.");
        command.Subcommands.Add(Check());
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
            var options = new ImisOptions { BaseUrl = parse.GetValue(url)!, Username = parse.GetValue(user)!, Password = secret, MaxRetries = 2 };
            try
            {
                options.Validate();
            }
            catch (InvalidOperationException ex)
            {
                throw new UserInputException(ex.Message);
            }

            using var client = ImisClient.Create(options, TimeProvider.System);
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
