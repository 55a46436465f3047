using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;
using DuesPilot.Features.Posting;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot prorate</c>: prices one membership event under a billing policy and explains it.</summary>
public static class ProrateCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var policy = new Option<string?>("--policy") { Description = "The association's billing-policy.yaml. Default: the configured Billing:PolicyFile, else the shipped example." };
        var tier = new Option<string>("--tier") { Description = "The member's tier (for upgrade/downgrade: the tier they leave).", Required = true };
        var kind = new Option<string>("--event") { Description = "join, upgrade, downgrade, cancel, reinstate or extend.", Required = true };
        kind.AcceptOnlyFromAmong("join", "upgrade", "downgrade", "cancel", "reinstate", "extend");
        var date = new Option<string>("--date") { Description = "The day of the event (yyyy-MM-dd).", Required = true };
        var toTier = new Option<string?>("--to-tier") { Description = "Upgrade/downgrade: the new tier." };
        var paid = new Option<string?>("--paid") { Description = "Cancel/downgrade: what the member paid for the current term (default: the full rate)." };
        var billed = new Option<string?>("--billed") { Description = "Cancel/downgrade: what the current term was billed (default: --paid)." };
        var anchor = new Option<string?>("--anchor") { Description = "Anniversary cycles: the member's join date (yyyy-MM-dd)." };
        var years = new Option<int>("--years") { Description = "Join/extend: terms bought (multi-year discount from 2).", DefaultValueFactory = _ => 1 };
        var installments = new Option<int>("--installments") { Description = "Split the charge into this many installments.", DefaultValueFactory = _ => 1 };
        var member = new Option<string>("--member") { Description = "Member id used in the entries' idempotency keys.", DefaultValueFactory = _ => "member" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of tables." };
        var command = new Command("prorate", "Price a join, upgrade, downgrade, cancellation, reinstatement or term extension: breakdown, journal entries and the explanation.")
        {
            policy, tier, kind, date, toTier, paid, billed, anchor, years, installments, member, json,
        };
        command.SetAction(parse =>
        {
            var p = ConfiguredPolicy(parse.GetValue(policy), AiCommand.Configuration());
            var request = new ProrationRequest(
                Enum.Parse<ProrationEvent>(parse.GetValue(kind)!, ignoreCase: true),
                parse.GetValue(tier)!,
                ParseDate(parse.GetValue(date)!, "--date"),
                parse.GetValue(toTier),
                ParseMoney(parse.GetValue(paid), p.Currency, "--paid"),
                ParseMoney(parse.GetValue(billed), p.Currency, "--billed"),
                parse.GetValue(anchor) is { } a ? ParseDate(a, "--anchor") : null,
                parse.GetValue(years),
                parse.GetValue(installments),
                parse.GetValue(member)!);
            ProrationOutcome outcome;
            try
            {
                outcome = PriceMembershipEvent.Handle(p, request, CommonOptions.Books().Accounts, CommonOptions.Clock());
            }
            catch (ProrationException ex)
            {
                throw new UserInputException(ex.Message);
            }

            if (parse.GetValue(json)) Out.Console.Profile.Out.Writer.WriteLine(ToJson(outcome));
            else Print(outcome, Out.Console);
            return 0;
        });
        return command;
    }

    /// <summary>The policy the service would use: <c>--policy</c>, else <c>Billing:PolicyFile</c> (as the service reads it), else the shipped example.</summary>
    public static BillingPolicy ConfiguredPolicy(string? path, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(path)) return LoadPolicy(path);
        var configured = configuration["Billing:PolicyFile"];
        return string.IsNullOrWhiteSpace(configured) ? LoadBillingPolicy.Example() : LoadPolicy(configured);
    }

    internal static BillingPolicy LoadPolicy(string path)
    {
        try
        {
            return LoadBillingPolicy.FromFile(path);
        }
        catch (BillingPolicyException ex)
        {
            throw new UserInputException(ex.Message);
        }
    }

    private static DateOnly ParseDate(string text, string option) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d : throw new UserInputException($"{option}: '{text}' is not a date (yyyy-MM-dd).");

    private static Money? ParseMoney(string? text, Currency currency, string option) =>
        text is null ? null : Money.TryParse(text, currency, out var m) ? m : throw new UserInputException($"{option}: '{text}' is not an amount such as 395.00.");

    public static void Print(ProrationOutcome o, IAnsiConsole console)
    {
        console.MarkupLine($"[bold]{o.Event}[/] {Markup.Escape(o.Tier)}{(o.ToTier is null ? "" : " → " + Markup.Escape(o.ToTier))} on {o.Date:yyyy-MM-dd}");
        var summary = new Table().AddColumns(new TableColumn("Item"), new TableColumn("Value").RightAligned());
        summary.AddRow("Term", $"{o.TermStart:yyyy-MM-dd} – {o.TermEnd:yyyy-MM-dd}");
        summary.AddRow("Paid through", o.PaidThrough.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        summary.AddRow("Charge", o.Charge.ToDisplayString());
        if (o.Event is ProrationEvent.Cancel or ProrationEvent.Downgrade)
        {
            summary.AddRow("Refund", o.Refund.ToDisplayString());
            summary.AddRow("Credit on account", o.Credit.ToDisplayString());
            summary.AddRow("Kept (used + fees)", o.Retained.ToDisplayString());
            if (o.StillDue.IsPositive) summary.AddRow("Still due", o.StillDue.ToDisplayString());
        }

        console.Write(summary);
        if (o.Periods.Count > 0)
        {
            var periods = new Table().Title("Per period").AddColumns(new TableColumn("From"), new TableColumn("To"), new TableColumn("Amount").RightAligned());
            foreach (var p in o.Periods) periods.AddRow(p.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), p.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), p.Amount.ToDisplayString());
            console.Write(periods);
        }

        if (o.Installments.Count > 1)
            console.MarkupLine("Installments: " + string.Join(", ", o.Installments.Select(i => i.ToDisplayString())));
        var entries = new Table().Title("Journal entries").AddColumns(new TableColumn("Entry"), new TableColumn("Account"), new TableColumn("Debit").RightAligned(), new TableColumn("Credit").RightAligned());
        foreach (var e in o.Entries)
            foreach (var l in e.Lines)
                entries.AddRow(Markup.Escape(e.Memo), Markup.Escape(l.Account.Value), l.IsDebit ? l.Amount.ToDisplayString() : "", l.IsDebit ? "" : (-l.Amount).ToDisplayString());
        if (o.Entries.Count > 0) console.Write(entries);
        else console.MarkupLine("No journal entry: nothing changes hands.");
        console.MarkupLine("[bold]Explanation[/]");
        foreach (var line in o.Explanation) console.MarkupLine("  " + Markup.Escape(line));
    }

    public static string ToJson(ProrationOutcome o) => JsonSerializer.Serialize(new
    {
        @event = o.Event.ToString().ToLowerInvariant(),
        tier = o.Tier,
        to_tier = o.ToTier,
        date = D(o.Date),
        term_start = D(o.TermStart),
        term_end = D(o.TermEnd),
        paid_through = D(o.PaidThrough),
        currency = o.Charge.Currency.Code,
        charge = o.Charge.ToPlainString(),
        refund = o.Refund.ToPlainString(),
        credit = o.Credit.ToPlainString(),
        retained = o.Retained.ToPlainString(),
        still_due = o.StillDue.ToPlainString(),
        periods = o.Periods.Select(p => new { start = D(p.Start), end = D(p.End), amount = p.Amount.ToPlainString() }),
        installments = o.Installments.Select(i => i.ToPlainString()),
        entries = o.Entries.Select(e => new
        {
            id = e.Id.ToString(),
            idempotency_key = e.IdempotencyKey,
            memo = e.Memo,
            lines = e.Lines.Select(l => new { account = l.Account.Value, debit = l.IsDebit ? l.Amount.ToPlainString() : null, credit = l.IsDebit ? null : (-l.Amount).ToPlainString() }),
        }),
        explanation = o.Explanation,
    }, Indented);

    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
