using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DuesPilot.Features.Intake;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot inbox list|show|retry|process</c>: look at what came in and what became of it.</summary>
public static class InboxCommand
{
    public static Command Create()
    {
        var command = new Command("inbox", "The intake inbox: every webhook and bank-file entry received, with its state (pending, processed, dead).");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Retry());
        command.Subcommands.Add(Process());
        return command;
    }

    private static Command List()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var json = new Option<bool>("--json") { Description = "One JSON object per line (source, key, state, amount, …)." };
        var state = new Option<string?>("--state") { Description = "Only items in this state: pending, processed or dead." };
        var limit = new Option<int>("--limit") { Description = "At most this many items, newest first.", DefaultValueFactory = _ => 1000 };
        var command = new Command("list", "List inbox items, newest first.") { json, state, limit, data, db };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var items = await ListInbox.RunAsync(store, parse.GetValue(state), parse.GetValue(limit), ct);
            if (parse.GetValue(json))
            {
                var writer = Out.Console.Profile.Out.Writer;
                foreach (var i in items)
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(new
                    {
                        id = i.ItemId, source = i.Source, key = i.IdempotencyKey, state = i.State, amount = Amount(i), amount_minor = i.AmountMinor, currency = i.Currency,
                        attempts = i.Attempts, received_at = i.ReceivedAt, processed_at = i.ProcessedAt, last_error = i.LastError, outcome = i.Outcome,
                    }));
                }

                await writer.FlushAsync(ct);
                return 0;
            }

            var table = new Table().AddColumns("Id", "Source", "Key", "State", "Tries", "Amount", "Received (UTC)", "Outcome / error");
            foreach (var i in items)
            {
                var stateText = i.State switch { InboxStates.Dead => "[red]dead[/]", InboxStates.Pending => "[yellow]pending[/]", _ => Markup.Escape(i.State) };
                table.AddRow(i.ItemId, i.Source, Markup.Escape(Short(i.IdempotencyKey, 48)), stateText, i.Attempts.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(Amount(i) is { } a ? $"{a} {i.Currency}" : ""), i.ReceivedAt[..19], Markup.Escape(Short(i.LastError ?? i.Outcome ?? "", 60)));
            }

            Out.Console.Write(table);
            Out.Console.MarkupLine($"{items.Count} item(s).");
            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var id = new Argument<string>("ID") { Description = "Item id or idempotency key." };
        var command = new Command("show", "Show one item: state, attempts, error, headers and body.") { id, data, db };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var detail = await ShowInboxItem.RunAsync(store, parse.GetValue(id)!, ct) ?? throw new UserInputException($"no inbox item {parse.GetValue(id)}");
            var i = detail.Item;
            var grid = new Grid().AddColumn().AddColumn();
            void Row(string k, string? v) => grid.AddRow(new Text(k), new Text(v ?? ""));
            Row("Id", i.ItemId);
            Row("Source", i.Source);
            Row("Key", i.IdempotencyKey);
            Row("State", i.State);
            Row("Attempts", i.Attempts.ToString(CultureInfo.InvariantCulture));
            Row("Amount", Amount(i) is { } a ? $"{a} {i.Currency}" : null);
            Row("Received", i.ReceivedAt);
            Row("Processed", i.ProcessedAt);
            Row("Next attempt", detail.NextAttemptAt);
            Row("Outcome", i.Outcome);
            Row("Last error", i.LastError);
            Row("Payload hash", detail.PayloadHash);
            Row("Headers", detail.Headers);
            Out.Console.Write(grid);
            Out.Console.WriteLine();
            Out.Console.WriteLine(Encoding.UTF8.GetString(detail.Body));
            return 0;
        });
        return command;
    }

    private static Command Retry()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var id = new Argument<string>("ID") { Description = "Item id or idempotency key of a dead-lettered item." };
        var command = new Command("retry", "Put a dead-lettered item back in the queue (after fixing its cause).") { id, data, db };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var outcome = await RetryInboxItem.RunAsync(store, CommonOptions.Clock(), parse.GetValue(id)!, Environment.UserName, ct);
            switch (outcome)
            {
                case RetryOutcome.NotFound: throw new UserInputException($"no inbox item {parse.GetValue(id)}");
                case RetryOutcome.AlreadyProcessed: throw new UserInputException($"{parse.GetValue(id)} was processed; processing it again would book it twice");
                case RetryOutcome.AlreadyPending: Out.Console.MarkupLine("Already pending: the worker will pick it up."); break;
                default: Out.Console.MarkupLine("Requeued: the worker (or `duespilot inbox process`) will pick it up."); break;
            }

            return 0;
        });
        return command;
    }

    private static Command Process()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Failed attempts before an item is dead-lettered. Default: Intake:Worker:MaxAttempts (5)." };
        var command = new Command("process", "Process every due inbox item now (what the server's worker does on its timer).") { maxAttempts, data, db };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            // The intake settings the service uses (Intake:Worker:*, Intake:AuthorizeNet:* for the transaction details), bound the same way.
            var intake = CommonOptions.Bound<IntakeOptions>();
            var options = intake.Worker;
            if (parse.GetValue(maxAttempts) is { } max)
            {
                if (max < 1) throw new UserInputException("--max-attempts must be at least 1");
                options.MaxAttempts = max;
            }

            var anet = intake.AuthorizeNet;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            // iMIS change notifications re-read the changed record through the configured iMIS (Imis:*), as the service does.
            var configuration = CommonOptions.Configuration();
            var clock = CommonOptions.Clock();
            using var imis = string.IsNullOrWhiteSpace(configuration["Imis:BaseUrl"]) ? null : DuesPilot.Imis.ImisClient.Create(ValidImis(), clock);
            var reread = imis is null ? null : new DuesPilot.Features.ImisSync.RereadImisChange(store, imis, clock, DuesPilot.Features.Invoicing.LoadBillingPolicy.FromConfiguration(configuration));
            var handler = new ProcessInbox(store, clock, options, CommonOptions.Books(), anet.CanFetchDetails ? new FetchAuthorizeNetTransaction(http, anet) : null, $"cli:{Environment.ProcessId}", reread);
            var r = await handler.DrainAsync(ct);
            Out.Console.MarkupLine($"Processed {r.Processed}, failed {r.Failed} (will retry), dead-lettered {r.DeadLettered}.");
            return r.DeadLettered > 0 ? 3 : 0;
        });
        return command;
    }

    private static DuesPilot.Imis.ImisOptions ValidImis()
    {
        var options = CommonOptions.Imis();
        options.Validate();
        return options;
    }

    private static string? Amount(InboxSummary i) =>
        i.AmountMinor is { } m && i.Currency is { } c && Domain.Currency.TryParse(c, out var cur) ? Domain.Money.FromMinor(m, cur).ToPlainString() : null;

    private static string Short(string s, int n) => s.Length <= n ? s : s[..(n - 3)] + "...";
}
