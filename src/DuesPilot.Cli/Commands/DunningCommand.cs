using System.CommandLine;
using DuesPilot.Features.Collections;
using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Features.Collections.Risk;
using DuesPilot.Persistence;
using DuesPilot.Tooling.Mail;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot collections policy</c> and <c>duespilot collections dunning</c>.</summary>
public static class DunningCommand
{
    public static Command Policy()
    {
        var output = new Option<string>("--out") { Description = "Where to write the default dunning policy (JSON) for editing.", Required = true };
        var command = new Command("policy", "Write the default dunning policy, to edit and pass to 'collections dunning --policy'.") { output };
        command.SetAction(async (parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetValue(output)!);
            if (File.Exists(path)) throw new UserInputException($"{path} exists; choose another file.");
            await File.WriteAllTextAsync(path, DunningPolicy.DefaultJson, ct);
            Out.Console.MarkupLine($"wrote {Markup.Escape(path)}");
            return 0;
        });
        return command;
    }

    public static Command Run()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var policy = new Option<string?>("--policy") { Description = "Dunning policy JSON. Default: the built-in default policy." };
        var model = new Option<string?>("--model") { Description = "Risk model. Default: <data>/models/risk-model.zip, or the rules fallback." };
        var smtpHost = new Option<string?>("--smtp-host") { Description = "SMTP server for e-mail. Default: the service's Smtp:* settings; with neither (nor --sink) e-mail stages are skipped." };
        var smtpPort = new Option<int>("--smtp-port") { Description = "SMTP port.", DefaultValueFactory = _ => 25 };
        var from = new Option<string>("--from") { Description = "Sender address.", DefaultValueFactory = _ => "dues@association.example.org" };
        var smsUrl = new Option<string?>("--sms-url") { Description = "HTTP SMS provider endpoint (POST JSON {to, from, body, reference})." };
        var sink = new Option<bool>("--sink") { Description = "Send e-mail to an in-process SMTP sink on 127.0.0.1 and print what it received (demo)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Preview: list what would be sent or escalated (and which plans would default); send, escalate and record nothing." };
        var asOf = new Option<string?>("--as-of") { Description = "With --dry-run: preview the run as on this day (yyyy-MM-dd), at midday in the association's time zone. Default: now." };
        var command = new Command("dunning", "Run one dunning pass: end defaulted payment plans, then message or escalate every overdue account as the policy says.")
            { data, db, policy, model, smtpHost, smtpPort, from, smsUrl, sink, dryRun, asOf };
        command.SetAction(async (parse, ct) =>
        {
            DunningPolicy rules;
            try
            {
                rules = parse.GetValue(policy) is { } file ? DunningPolicy.Load(file) : DunningPolicy.Parse(DunningPolicy.DefaultJson);
            }
            catch (Exception ex) when (ex is FormatException or IOException or System.Text.Json.JsonException)
            {
                throw new UserInputException(ex.Message);
            }

            var preview = parse.GetValue(dryRun);
            var clock = CommonOptions.Clock();
            if (parse.GetValue(asOf) is { } day)
            {
                if (!preview) throw new UserInputException("--as-of previews a run on another day: add --dry-run (a real run sends today).");
                var local = CollectionsCommand.Date(day, "--as-of").ToDateTime(new TimeOnly(12, 0));
                clock = new DuesPilot.Domain.BusinessClock(new FixedTime(new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, clock.Zone), TimeSpan.Zero)), clock.Zone);
            }

            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            await using var localSink = parse.GetValue(sink) ? LocalSmtpSink.Start() : null;
            using var http = new HttpClient();
            var senders = new List<IMessageSender>();
            if (localSink is not null) senders.Add(new SmtpEmailSender(localSink.Options(parse.GetValue(from)!)));
            else if (parse.GetValue(smtpHost) is { } host)
            {
                var smtp = new SmtpOptions(host, parse.GetValue(smtpPort), parse.GetValue(from)!, rules.AssociationName);
                smtp.Validate();
                senders.Add(new SmtpEmailSender(smtp));
            }
            else if (SmtpOptions.FromConfiguration(CommonOptions.Configuration(), rules.AssociationName) is { } configured)
            {
                // The SMTP server the service's dunning job sends through (Smtp:*), read the same way.
                senders.Add(new SmtpEmailSender(configured));
            }

            if (parse.GetValue(smsUrl) is { } url)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) throw new UserInputException($"--sms-url '{url}' is not a URL.");
                senders.Add(new HttpSmsSender(http, new SmsProviderOptions(uri)));
            }

            var scorer = ScoreOverdueAccounts.ScorerFrom(CollectionsCommand.ModelPath(parse.GetValue(data), parse.GetValue(model)));
            var defaulted = await DetectMissedInstallments.HandleAsync(store, clock, ct: ct, dryRun: preview);
            // Wording by a model only when one is configured (Ai:*), and only through the governed gateway.
            var ai = DuesPilot.Ai.AiOptions.FromConfiguration(AiCommand.Configuration());
            IMessageRephraser rephraser = ai.IsEnabled
                ? new GovernedRephraser(new DuesPilot.Ai.GovernedModel(store, clock, ai, DuesPilot.Ai.AiChatClient.Create(ai), DuesPilot.Ai.PromptRegistry.Embedded()))
                : new TemplateTextAsIs();
            var outcome = await RunDunning.HandleAsync(store, clock, new RunDunning.Context(rules, scorer, senders, rephraser), ct: ct, dryRun: preview);
            var on = DuesPilot.Domain.BusinessClock.Of(clock).Today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            Out.Console.MarkupLine(Markup.Escape(preview
                ? $"Dry run for {on}: nothing sent, escalated or recorded. {defaulted.Count} payment plan(s) would default (their invoices are shown as still in a plan). Risk by {outcome.ScoredBy}; policy {rules.Version}."
                : $"{defaulted.Count} payment plan(s) defaulted. Risk by {outcome.ScoredBy}; policy {rules.Version}."));
            var table = new Table().AddColumns("Outcome", "Invoices");
            foreach (var group in outcome.Actions.GroupBy(a => a.Kind).OrderBy(g => g.Key))
                table.AddRow(preview && group.Key is RunDunning.ActionKind.Sent or RunDunning.ActionKind.Escalated ? $"Would be {group.Key}" : group.Key.ToString(), group.Count().ToString(System.Globalization.CultureInfo.InvariantCulture));
            Out.Console.Write(table);
            if (preview)
            {
                var would = new Table().AddColumns("Invoice", "Member", "Stage", "Risk", "What");
                foreach (var a in outcome.Actions.Where(a => a.Kind is RunDunning.ActionKind.Sent or RunDunning.ActionKind.Escalated))
                    would.AddRow(Markup.Escape(a.InvoiceId), Markup.Escape(a.MemberId), Markup.Escape(a.Stage ?? ""), a.Risk is { } r ? $"{r.Probability * 100:F0}% {r.Segment}" : "", Markup.Escape(a.Detail));
                Out.Console.Write(would);
            }
            if (localSink is not null)
            {
                foreach (var m in localSink.Messages.Take(3))
                    Out.Console.Write(new Panel(Markup.Escape($"To: {m.To}\nSubject: {m.Subject}\n\n{m.TextBody}")).Header("message in the local sink"));
                Out.Console.MarkupLine($"{localSink.Messages.Count} message(s) reached the local sink (127.0.0.1:{localSink.Port}); none left the machine.");
            }

            return 0;
        });
        return command;
    }
}

/// <summary>A clock stopped at one instant: <c>--as-of</c> previews.</summary>
internal sealed class FixedTime(DateTimeOffset at) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => at;
}
