using System.CommandLine;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot ledger balances|audit</c> and <c>duespilot ledger holds list|release</c>.</summary>
public static class LedgerCommand
{
    public static Command Create()
    {
        var command = new Command("ledger", "Inspect the ledger: balances, the auditor's check, and holds in GL_AI_Hold.");
        command.Subcommands.Add(Balances());
        command.Subcommands.Add(Audit());
        command.Subcommands.Add(Holds());
        return command;
    }

    private static Command Balances()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var asOf = new Option<string?>("--as-of") { Description = "Balances of the books on this day (yyyy-MM-dd): entries by their effective (accounting) date. Default: every entry." };
        var command = new Command("balances", "Print every account's balance (debits minus credits), computed from the journal lines.") { data, db, asOf };
        command.SetAction(async (parse, ct) =>
        {
            DateOnly? day = null;
            if (parse.GetValue(asOf) is { } text)
            {
                day = DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d)
                    ? d : throw new UserInputException($"--as-of '{text}' is not a date (yyyy-MM-dd).");
            }

            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            await PrintBalancesAsync(new Journal(store), Out.Console, day, ct);
            return 0;
        });
        return command;
    }

    private static Command Audit()
    {
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var command = new Command("audit", "Rebuild every entry from its lines and check balance, payload hashes, resolutions and the hold account; recompute every invoice balance from its standing applications. Exit 3 on any problem.") { data, db };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var audit = await new Journal(store).AuditAsync(ct);
            Out.Console.MarkupLine($"{audit.Entries} entries, {audit.OpenHolds} open hold(s), {audit.Problems.Count} problem(s).");
            foreach (var p in audit.Problems) Out.Console.MarkupLine($"[red]{Markup.Escape(p)}[/]");
            return audit.IsClean ? 0 : 3;
        });
        return command;
    }

    private static Command Holds()
    {
        var holds = new Command("holds", "Payments waiting out the hold window in GL_AI_Hold.");
        var data = CommonOptions.Data();
        var db = CommonOptions.Database();
        var list = new Command("list", "List open holds with their release time.") { data, db };
        list.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data), parse.GetValue(db), ct);
            var open = await new Journal(store).OpenHoldsAsync(ct: ct);
            var table = new Table().AddColumns("Entry", "Key", "Held", "Releases at (UTC)");
            foreach (var h in open)
                table.AddRow(h.Id.ToString(), Markup.Escape(h.IdempotencyKey), h.HeldAmount.ToDisplayString(), DbTime.Format(h.ReleaseAt!.Value));
            Out.Console.Write(table);
            return 0;
        });

        var data2 = CommonOptions.Data();
        var db2 = CommonOptions.Database();
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be posted without posting." };
        var release = new Command("release", "Post every hold whose window has ended to its final accounts.") { data2, db2, dryRun };
        release.SetAction(async (parse, ct) =>
        {
            await using var store = await CommonOptions.OpenStoreAsync(parse.GetValue(data2), parse.GetValue(db2), ct);
            var outcome = await ReleaseExpiredHolds.HandleAsync(store, CommonOptions.Clock(), CommonOptions.Books().Accounts, CommonOptions.Books().Options, dryRun: parse.GetValue(dryRun), ct: ct);
            Out.Console.MarkupLine($"{(parse.GetValue(dryRun) ? "Would post" : "Posted")} {outcome.Posted} hold(s), {Markup.Escape(outcome.TotalPosted.ToDisplayString())}; {outcome.AlreadyResolved} already resolved.");
            return 0;
        });
        holds.Subcommands.Add(list);
        holds.Subcommands.Add(release);
        return holds;
    }

    public static Task PrintBalancesAsync(Journal journal, IAnsiConsole console, CancellationToken ct) => PrintBalancesAsync(journal, console, null, ct);

    public static async Task PrintBalancesAsync(Journal journal, IAnsiConsole console, DateOnly? asOf, CancellationToken ct)
    {
        var balances = await journal.TrialBalanceAsync(asOf, ct);
        var table = new Table().Title("Trial balance").AddColumns(new TableColumn("Account"), new TableColumn("Debit").RightAligned(), new TableColumn("Credit").RightAligned());
        long debits = 0, credits = 0;
        foreach (var b in balances)
        {
            var m = b.Balance;
            if (m.IsPositive) debits += m.MinorUnits; else credits -= m.MinorUnits;
            table.AddRow(b.Account.Value, m.IsPositive ? m.ToDisplayString() : "", m.IsNegative ? (-m).ToDisplayString() : "");
        }

        var currency = balances.Count > 0 ? balances[0].Balance.Currency : CommonOptions.Currency();
        table.AddRow("[bold]Total[/]", $"[bold]{DuesPilot.Domain.Money.FromMinor(debits, currency).ToDisplayString()}[/]", $"[bold]{DuesPilot.Domain.Money.FromMinor(credits, currency).ToDisplayString()}[/]");
        console.Write(table);
    }
}
