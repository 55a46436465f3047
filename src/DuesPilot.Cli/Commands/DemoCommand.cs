using System.CommandLine;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot demo</c>: the README's first command. Runs the main job on embedded defaults.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var noServe = new Option<bool>("--no-serve") { Description = "Exit after the run instead of leaving the service running." };
        var command = new Command("demo", "Run a realistic demo on embedded defaults (SQLite, sample association, no LLM) and print the results.")
        {
            data, noServe,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = CommonOptions.StoreOptionsFrom(parse.GetValue(data), null);
            await RunAsync(options, TimeProvider.System, Out.Console, ct);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Creates the demo store, receives three dues payments, holds them in GL_AI_Hold, lets the hold
    /// window pass for two of them and posts those, then prints the trial balance and the ledger audit.
    /// Rerunning it is safe: every step has an idempotency key, so nothing is booked twice.
    /// </summary>
    public static async Task RunAsync(StoreOptions options, TimeProvider clock, IAnsiConsole console, CancellationToken ct)
    {
        await using var store = await Store.OpenAsync(options, ct);
        console.MarkupLine($"[bold]DuesPilot demo[/] — store: [blue]{Markup.Escape(store.Description)}[/] ({store.Engine})");
        var accounts = new ChartOfAccounts();
        var now = clock.GetUtcNow();

        var members = new[]
        {
            new Member(new MemberId("10231"), PartyKind.Person, "Jane Doe", "Jane", "Doe", "jane.doe@example.org", "REG", MemberStatus.Active, new DateOnly(2019, 3, 15), new DateOnly(2026, 12, 31)),
            new Member(new MemberId("10388"), PartyKind.Person, "Robert J. Smith", "Robert", "Smith", "rsmith@example.com", "RET", MemberStatus.Active, new DateOnly(2004, 6, 1), new DateOnly(2026, 12, 31)),
            new Member(new MemberId("20017"), PartyKind.Organization, "Acme Widgets, Inc.", null, null, "ap@acmewidgets.example", "CORP", MemberStatus.Active, new DateOnly(2015, 1, 1), new DateOnly(2026, 12, 31)),
        };
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var invoices = new[]
        {
            Invoice.SingleLine(new InvoiceId("281873"), members[0].Id, today.AddDays(-20), today.AddDays(10), Money.Usd(395m), Money.Usd(395m), "DUES-REG", "2027 Regular membership dues"),
            Invoice.SingleLine(new InvoiceId("281874"), members[1].Id, today.AddDays(-20), today.AddDays(10), Money.Usd(195m), Money.Usd(195m), "DUES-RET", "2027 Retired membership dues"),
            Invoice.SingleLine(new InvoiceId("281875"), members[2].Id, today.AddDays(-20), today.AddDays(10), Money.Usd(2500m), Money.Usd(2500m), "DUES-CORP", "2027 Corporate membership dues"),
        };
        await store.InTransactionAsync(async (c, tx) =>
        {
            foreach (var m in members) await MemberCache.UpsertAsync(c, tx, m, now);
            foreach (var i in invoices) await MemberCache.UpsertInvoiceIfNewAsync(c, tx, i, now);
        }, ct);

        var payments = new[]
        {
            (new Payment(new PaymentId("ch_3PdemoJane"), PaymentChannel.Card, Money.Usd(395m), now, "Jane Doe", "jane.doe@example.org", "ch_3PdemoJane", "2027 dues"), invoices[0], TimeSpan.FromHours(1)),
            (new Payment(new PaymentId("chk-10045"), PaymentChannel.Check, Money.Usd(195m), now, "ROBERT J SMITH", null, "10045", "dues inv 281874"), invoices[1], TimeSpan.FromHours(1)),
            (new Payment(new PaymentId("ach-091000019000123"), PaymentChannel.Ach, Money.Usd(2500m), now, "ACME WIDGETS INC", null, "091000019000123", "RMR*IV*281875"), invoices[2], TimeSpan.FromHours(24)),
        };

        var table = new Table().Title("Payments received and held").AddColumns("Payment", "Channel", "Amount", "Invoice", "Outcome", "Posts at (UTC)");
        var posting = new PostingOptions();
        foreach (var (payment, invoice, window) in payments)
        {
            var allocation = new Allocation(payment.Id, invoice.MemberId, invoice.Id, payment.Amount);
            var outcome = await store.InTransactionAsync(async (c, tx) =>
            {
                await ReceivePayment.HandleAsync(c, tx, clock, accounts, payment, "demo");
                return await ApplyPayment.HandleAsync(c, tx, clock, accounts, posting, new ApplyPayment.Request(
                    payment.Id, [allocation], ApplyPayment.Mode.Hold, window, "duespilot", $"demo: amount equals open balance of INV {invoice.Id}"));
            }, ct);
            var release = outcome.ReleaseAt ?? await HoldReleaseAsync(store, payment.Id, ct);
            table.AddRow(payment.Id.Value, Payment.ChannelCode(payment.Channel), payment.Amount.ToDisplayString(), invoice.Id.Value,
                outcome.Result == ApplyPayment.Result.AlreadyApplied ? "already applied (retry)" : outcome.Result.ToString(),
                release?.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "-");
        }

        console.Write(table);

        // Two hours later the short hold windows have ended; the corporate payment still waits its 24 hours.
        var later = new ShiftedClock(clock, TimeSpan.FromHours(2));
        var released = await ReleaseExpiredHolds.HandleAsync(store, later, accounts, posting, ct: ct);
        console.MarkupLine($"Two hours later: posted [green]{released.Posted}[/] hold(s) totalling [green]{Markup.Escape(released.TotalPosted.ToDisplayString())}[/]; {released.AlreadyResolved} already resolved.");

        var journal = new Journal(store);
        await LedgerCommand.PrintBalancesAsync(journal, console, ct);
        var audit = await journal.AuditAsync(ct);
        console.MarkupLine(audit.IsClean
            ? $"Ledger audit: [green]clean[/] — {audit.Entries} entries, {audit.OpenHolds} open hold(s), every entry balanced."
            : $"Ledger audit: [red]{audit.Problems.Count} problem(s)[/]: {Markup.Escape(string.Join("; ", audit.Problems))}");
    }

    private static Task<DateTimeOffset?> HoldReleaseAsync(Store store, PaymentId id, CancellationToken ct) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var text = await c.ExecuteScalarAsync<string?>("SELECT release_at FROM journal_entries WHERE idempotency_key = @k", new { k = $"payment:{id}:hold" }, tx);
            return DbTime.ParseInstantOrNull(text);
        }, ct);

    /// <summary>A clock moved forward, for showing the hold window pass in the demo.</summary>
    private sealed class ShiftedClock(TimeProvider inner, TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + shift;
    }
}
