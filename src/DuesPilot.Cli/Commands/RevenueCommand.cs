using System.CommandLine;
using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Revenue;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot revenue record|close|reopen|report</c>: deferred dues recognition and the board's statements.</summary>
public static class RevenueCommand
{
    public static Command Create()
    {
        var command = new Command("revenue", "Deferred dues: record term events, close a month (recognise revenue), report the roll-forward and revenue by tier.");
        command.Subcommands.Add(Record());
        command.Subcommands.Add(Close());
        command.Subcommands.Add(Reopen());
        command.Subcommands.Add(Report());
        command.Subcommands.Add(Schedule());
        return command;
    }

    private static Command Schedule()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var term = new Option<string>("--term") { Description = "Term id, e.g. 23179:2027.", Required = true };
        var command = new Command("schedule", "Show a term's events and its month-by-month recognition schedule.") { data, db, term };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var outcome = await ShowTermSchedule.HandleAsync(store, parse.GetValue(term)!, ct);
            if (outcome.Term is not { } t) throw new UserInputException($"No term '{parse.GetValue(term)}'.", 3);
            Out.Console.MarkupLine(Markup.Escape($"Term {t.TermId}: member {t.MemberId}, {t.ServiceStart:yyyy-MM-dd}..{t.ServiceEnd:yyyy-MM-dd}, {t.Method}"));
            foreach (var e in outcome.Events) Out.Console.MarkupLine(Markup.Escape($"  {e.EffectiveDate:yyyy-MM-dd} {e.Kind} {e.Tier} {e.Amount.ToDisplayString()}"));
            var table = new Table().AddColumns("Month", "Tier", "Billed", "Refunded", "Recognised", "Deferred at month end", "Closed");
            foreach (var r in outcome.Rows)
                table.AddRow(r.Planned.Month.ToString(), Markup.Escape(r.Planned.Tier), r.Planned.Billed.ToDisplayString(), r.Planned.Refunded.ToDisplayString(),
                    r.Planned.Recognised.ToDisplayString(), r.Planned.DeferredAtMonthEnd.ToDisplayString(), r.Closed ? "yes" : "");
            Out.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static Command Record()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var key = new Option<string>("--key") { Description = "Idempotency key of the outside event (order id, proration id).", Required = true };
        var term = new Option<string>("--term") { Description = "Term id, e.g. 23179:2027.", Required = true };
        var member = new Option<string>("--member") { Description = "iMIS member id.", Required = true };
        var start = new Option<string>("--start") { Description = "First day of service (yyyy-MM-dd).", Required = true };
        var end = new Option<string>("--end") { Description = "Last day of service, inclusive (yyyy-MM-dd).", Required = true };
        var method = new Option<string>("--method") { Description = "months (straight line by months) or days.", DefaultValueFactory = _ => "months" };
        method.AcceptOnlyFromAmong("months", "days");
        var kind = new Option<string>("--kind") { Description = "join, renew, upgrade, downgrade, refund or cancel.", Required = true };
        kind.AcceptOnlyFromAmong("join", "renew", "upgrade", "downgrade", "refund", "cancel");
        var date = new Option<string>("--date") { Description = "Effective date (yyyy-MM-dd).", Required = true };
        var tier = new Option<string>("--tier") { Description = "The member's tier from this event on.", Required = true };
        var amount = new Option<string>("--amount") { Description = "Amount billed, credited or refunded (e.g. 329.17).", Required = true };
        var currency = new Option<string>("--currency") { Description = "ISO currency.", DefaultValueFactory = _ => "USD" };
        var command = new Command("record", "Record a term event (join, renew, upgrade, downgrade, refund, cancel) and book it to deferred dues.")
            { data, db, key, term, member, start, end, method, kind, date, tier, amount, currency };
        command.SetAction(async (parse, ct) =>
        {
            var cur = Currency.Parse(parse.GetValue(currency)!);
            if (!Money.TryParse(parse.GetValue(amount), cur, out var money) || money.IsNegative)
                throw new UserInputException($"--amount '{parse.GetValue(amount)}' is not a non-negative amount of {cur.Code}.");
            var request = new RecordDuesEvent.Request(parse.GetValue(key)!, parse.GetValue(term)!, new MemberId(parse.GetValue(member)!),
                Date(parse.GetValue(start)!, "--start"), Date(parse.GetValue(end)!, "--end"),
                parse.GetValue(method) == "days" ? RecognitionMethod.Days : RecognitionMethod.StraightLineMonths,
                new DuesEvent(Enum.Parse<DuesEventKind>(parse.GetValue(kind)!, ignoreCase: true), Date(parse.GetValue(date)!, "--date"), parse.GetValue(tier)!, money),
                Environment.UserName,
                // A downgrade's difference goes where the association's billing policy says (refunds.downgrade).
                DuesPilot.Features.Invoicing.LoadBillingPolicy.FromConfiguration(CommonOptions.Configuration()).Refunds.Downgrade);
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct, create: true);
            var outcome = await RecordDuesEvent.HandleAsync(store, CommonOptions.Clock(), CommonOptions.Books().Accounts, request, ct);
            Out.Console.MarkupLine($"{outcome.Result}{(outcome.Detail is null ? "" : ": " + Markup.Escape(outcome.Detail))}");
            return outcome.IsRecorded ? 0 : 3;
        });
        return command;
    }

    private static Command Close()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var month = new Option<string>("--month") { Description = "The month to close (yyyy-MM). Default: the next month to close.", };
        var opening = new Option<string?>("--opening-month") { Description = "First close of a book whose earlier months were closed elsewhere (yyyy-MM); needs --reason, audited." };
        var reason = new Option<string?>("--reason") { Description = "With --opening-month: why the books start there (kept in the audit log)." };
        var command = new Command("close", "Recognise the month's deferred dues (Dr 2400-Deferred-Dues, Cr 4100-Dues-Revenue). Once per month, in order; the first close is the earliest term's month or --opening-month.")
            { data, db, month, opening, reason };
        command.SetAction(async (parse, ct) =>
        {
            var openingText = parse.GetValue(opening);
            var why = parse.GetValue(reason);
            if (openingText is null && why is not null) throw new UserInputException("--reason goes with --opening-month (or 'revenue reopen').");
            if (openingText is not null && string.IsNullOrWhiteSpace(why)) throw new UserInputException("--opening-month needs --reason: why the books start there (it is audited).");
            if (openingText is not null && parse.GetValue(month) is { } m && m != openingText) throw new UserInputException("Give --opening-month or --month, not two different months.");
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var text = openingText ?? parse.GetValue(month);
            BillingMonth target;
            if (string.IsNullOrWhiteSpace(text))
                target = await CloseRevenueMonth.NextMonthToCloseAsync(store, ct) ?? throw new UserInputException("Nothing to close: no dues terms are recorded; give --month.");
            else if (!BillingMonth.TryParse(text, out target))
                throw new UserInputException($"{(openingText is null ? "--month" : "--opening-month")} '{text}' is not a month (expected yyyy-MM, e.g. 2027-03).");
            var outcome = await CloseRevenueMonth.HandleAsync(store, CommonOptions.Clock(), CommonOptions.Books().Accounts,
                new CloseRevenueMonth.Request(target, Environment.UserName, OpeningReason: openingText is null ? null : why), ct);
            switch (outcome.Result)
            {
                case CloseRevenueMonth.Result.Closed:
                    Out.Console.MarkupLine($"Closed {target}{(openingText is null ? "" : " (opening month)")}: recognised {Markup.Escape(outcome.Recognised.ToDisplayString())} over {outcome.Terms} term(s){(outcome.EntryId is { } id ? $", entry {id}" : "")}.");
                    return 0;
                case CloseRevenueMonth.Result.AlreadyClosed:
                    throw new UserInputException($"{target} is already closed ({outcome.Recognised.ToDisplayString()} recognised); a month closes once (an administrator can 'revenue reopen' it).", 3);
                default:
                    throw new UserInputException($"Cannot close {target}: {outcome.Detail}", 3);
            }
        });
        return command;
    }

    private static Command Reopen()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var month = new Option<string>("--month") { Description = "The closed month to reopen (yyyy-MM); later closed months reopen with it.", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log and on the reversal entry).", Required = true };
        var actor = new Option<string>("--as") { Description = "Staff user reopening it; must hold the administrator role (duespilot staff add).", Required = true };
        var currency = new Option<string?>("--currency") { Description = "Reopen only this currency's books. Default: every currency closed in that month." };
        var command = new Command("reopen", "Reopen a closed month (administrator only): reverse its recognition entry, dated the month's last day; close it again in order.")
            { data, db, month, reason, actor, currency };
        command.SetAction(async (parse, ct) =>
        {
            if (!BillingMonth.TryParse(parse.GetValue(month), out var target)) throw new UserInputException($"--month '{parse.GetValue(month)}' is not a month (expected yyyy-MM).");
            var only = parse.GetValue(currency) is { } code ? Currency.Parse(code) : (Currency?)null;
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var outcome = await ReopenRevenueMonth.HandleAsync(store, CommonOptions.Clock(), new ReopenRevenueMonth.Request(target, parse.GetValue(reason)!, parse.GetValue(actor)!, only), ct);
            if (outcome.Result != ReopenRevenueMonth.Result.Reopened) throw new UserInputException($"Cannot reopen {target}: {outcome.Detail}", 3);
            Out.Console.MarkupLine(Markup.Escape($"Reopened: {outcome.Detail}."));
            return 0;
        });
        return command;
    }

    private static Command Report()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var from = new Option<string>("--from") { Description = "First month (yyyy-MM).", Required = true };
        var to = new Option<string>("--to") { Description = "Last month (yyyy-MM).", Required = true };
        var outDir = new Option<string>("--out") { Description = "Folder for revenue-report.html, deferred-rollforward.csv and revenue-by-tier.csv.", Required = true };
        var currency = new Option<string>("--currency") { Description = "ISO currency.", DefaultValueFactory = _ => "USD" };
        var command = new Command("report", "Deferred dues roll-forward and revenue by month and tier, as HTML (with a chart) and CSV.") { data, db, from, to, outDir, currency };
        command.SetAction(async (parse, ct) =>
        {
            if (!BillingMonth.TryParse(parse.GetValue(from), out var f)) throw new UserInputException($"--from '{parse.GetValue(from)}' is not a month (yyyy-MM).");
            if (!BillingMonth.TryParse(parse.GetValue(to), out var t)) throw new UserInputException($"--to '{parse.GetValue(to)}' is not a month (yyyy-MM).");
            if (t < f) throw new UserInputException($"--to {t} is before --from {f}.");
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var report = await BuildRevenueReport.HandleAsync(store, new BuildRevenueReport.Request(f, t, Currency.Parse(parse.GetValue(currency)!)), ct);
            var table = new Table().Title("Deferred dues roll-forward").AddColumns("Month", "Opening", "Billed", "Recognised", "Refunded", "Closing", "Closed");
            foreach (var r in report.RollForward)
                table.AddRow(r.Month.ToString(), r.Opening.ToDisplayString(), r.Billed.ToDisplayString(), r.Recognised.ToDisplayString(), r.Refunded.ToDisplayString(), r.Closing.ToDisplayString(), r.Closed ? "yes" : "no");
            Out.Console.Write(table);
            foreach (var file in await RevenueReportFiles.WriteAsync(report, Path.GetFullPath(parse.GetValue(outDir)!), ct))
                Out.Console.MarkupLine($"wrote {Markup.Escape(file)}");
            return 0;
        });
        return command;
    }

    private static DateOnly Date(string text, string option) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d)
            ? d
            : throw new UserInputException($"{option} '{text}' is not a date (yyyy-MM-dd).");
}
