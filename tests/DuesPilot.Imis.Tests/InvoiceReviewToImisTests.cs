using Dapper;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Invoicing;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Imis.Tests;

/// <summary>
/// A flagged invoice put right from its review item: the action queues an iMIS write in the outbox, the outbox job sends it to the
/// sandbox, the invoice changes there, and the next sync brings the local copy along (docs/decisions/0151).
/// </summary>
/// <remarks>Swaps the process-wide <c>Out.Console</c>: runs in the Console collection, never beside another test that does.</remarks>
[Collection("Console")]
public sealed class InvoiceReviewToImisTests
{
    private static readonly StaffActor Reviewer = new("rita", new HashSet<string> { StaffRoles.Reviewer });

    private static async Task<(string ItemId, string InvoiceId, string? Analysis)> ItemOfAsync(Store store, string findingKind) =>
        await store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<(string, string, string?)>(
            "SELECT item_id, subject_id, analysis FROM review_items WHERE kind = 'invoice' AND analysis LIKE @k ORDER BY subject_id", new { k = $"%\"kind\":\"{findingKind}\"%" }, tx)).First());

    private static Task<ResolveReviewItem.Outcome> ActAsync(Store store, TimeProvider clock, string itemId, ReviewAction action, StaffActor actor, string? note = null, decimal? amount = null) =>
        ResolveReviewItem.HandleAsync(store, clock, new ChartOfAccounts(), new PostingOptions(), new ResolveReviewItem.Request(itemId, action, actor, note, Amount: amount));

    [Fact]
    public async Task CorrectInImis_WrongTierRate_QueuedSentAndReadBack_AuditedOnce()
    {
        await using var host = await Sandbox.StartAsync(members: 400, configure: o => o.PlantedDefects = 1);
        using var client = Sandbox.Client(host);
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero));
        await SyncFromImis.HandleAsync(store, client, clock, LoadBillingPolicy.Example(), maxPages: 100);
        var (itemId, invoiceId, analysis) = await ItemOfAsync(store, "WrongTierRate");
        var billed = (await client.GetInvoiceAsync(new(invoiceId)))!.Invoice.Amount;
        var expected = ResolveReviewItem.ExpectedAmount(billed, analysis);
        Assert.NotEqual(billed, expected);

        var done = await ActAsync(store, clock, itemId, ReviewAction.CorrectInImis, Reviewer, "Retired member billed the regular rate");
        var twice = await ActAsync(store, clock, itemId, ReviewAction.CorrectInImis, Reviewer, "again");
        var sent = await SendImisWrites.HandleAsync(store, client, clock, client.Options);
        await SyncFromImis.HandleAsync(store, client, clock, LoadBillingPolicy.Example(), maxPages: 100);

        Assert.Equal(ResolveReviewItem.Result.Done, done.Result);
        Assert.Equal(ResolveReviewItem.Result.AlreadyResolved, twice.Result);
        Assert.Equal(0, sent.Failed + sent.Retrying + sent.Conflicts);
        Assert.Equal(expected, (await client.GetInvoiceAsync(new(invoiceId)))!.Invoice.Amount);
        var (localAmount, outboxState, actions) = await store.InTransactionAsync(async (c, tx) => (
            await c.ExecuteScalarAsync<long>("SELECT amount_minor FROM invoices WHERE invoice_id = @invoiceId", new { invoiceId }, tx),
            await c.ExecuteScalarAsync<string>("SELECT state FROM imis_outbox WHERE kind = 'invoice-correction'", transaction: tx),
            (await c.QueryAsync<string>("SELECT action FROM audit_events WHERE subject = 'invoice:' || @invoiceId OR subject LIKE 'imis:imis:invoice-correction:%' ORDER BY seq", new { invoiceId }, tx)).ToList()));
        Assert.Equal(expected.MinorUnits, localAmount);
        Assert.Equal("done", outboxState);
        Assert.Single(actions, a => a == "review.resolved");
        Assert.Single(actions, a => a == "imis.invoice-corrected");
    }

    [Fact]
    public async Task VoidInImis_NeedsAReason_ThenTakesWhatIsOwedOff_AndAuditorsMayNot()
    {
        await using var host = await Sandbox.StartAsync(members: 400, configure: o => o.PlantedDefects = 1);
        using var client = Sandbox.Client(host);
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero));
        await SyncFromImis.HandleAsync(store, client, clock, LoadBillingPolicy.Example(), maxPages: 100);
        var (itemId, invoiceId, _) = await ItemOfAsync(store, "ProrationMismatch");

        var auditor = await ActAsync(store, clock, itemId, ReviewAction.VoidInImis, new StaffActor("ann", new HashSet<string> { StaffRoles.Auditor }), "no");
        var noReason = await ActAsync(store, clock, itemId, ReviewAction.VoidInImis, Reviewer);
        var done = await ActAsync(store, clock, itemId, ReviewAction.VoidInImis, Reviewer, "Member cancelled before the year began");
        var sent = await SendImisWrites.HandleAsync(store, client, clock, client.Options);

        Assert.Equal(ResolveReviewItem.Result.NotAllowed, auditor.Result);
        Assert.Equal(ResolveReviewItem.Result.Invalid, noReason.Result);
        Assert.Equal(ResolveReviewItem.Result.Done, done.Result);
        Assert.Equal(0, sent.Failed + sent.Retrying + sent.Conflicts);
        Assert.Equal(0, await host.BalanceCentsAsync(invoiceId));
        var resolution = (await ReviewQueue.FindAsync(store, itemId))!.Resolution;
        Assert.StartsWith("void in iMIS queued", resolution, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_ReviewListThenResolveCorrectInImis_QueuesTheWriteAsTheUiDoes()
    {
        await using var host = await Sandbox.StartAsync(members: 400, configure: o => o.PlantedDefects = 1);
        using var client = Sandbox.Client(host);
        var options = await TestStores.CreateOptionsAsync(StoreEngine.Sqlite);
        string itemId;
        await using (var store = await Store.OpenAsync(options))
        {
            await SyncFromImis.HandleAsync(store, client, TimeProvider.System, LoadBillingPolicy.Example(), maxPages: 100);
            await new DuesPilot.Web.StaffAccounts(store, TimeProvider.System).SaveAsync("rita", "Rita", "long-enough-1", [StaffRoles.Reviewer]);
            itemId = (await ItemOfAsync(store, "ManualOverride")).ItemId;
        }

        var (listExit, listed) = await CliAsync(["review", "list", "--kind", "invoice", "--json", "--data", options.DataDirectory]);
        var (exit, text) = await CliAsync(["review", "resolve", itemId, "--action", "correct-in-imis", "--by", "rita", "--note", "Restore the policy price", "--data", options.DataDirectory]);
        var (againExit, _) = await CliAsync(["review", "resolve", itemId, "--action", "correct-in-imis", "--by", "rita", "--data", options.DataDirectory]);

        Assert.Equal(0, listExit);
        Assert.Contains($"\"id\":\"{itemId}\"", listed, StringComparison.Ordinal);
        Assert.Equal(0, exit);
        Assert.Contains("correction in iMIS queued", text, StringComparison.Ordinal);
        Assert.NotEqual(0, againExit);
        await using var reopened = await Store.OpenAsync(options);
        var payload = await reopened.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<string>("SELECT payload FROM imis_outbox WHERE kind = 'invoice-correction'", transaction: tx));
        Assert.Contains("Restore the policy price", payload, StringComparison.Ordinal);
        Assert.Contains("\"Actor\":\"rita\"", payload, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Text)> CliAsync(string[] args)
    {
        var writer = new StringWriter();
        var previous = DuesPilot.Cli.Out.Console;
        DuesPilot.Cli.Out.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(writer), Ansi = Spectre.Console.AnsiSupport.No, ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
        });
        try
        {
            var root = new System.CommandLine.RootCommand { DuesPilot.Cli.Commands.ReviewCommand.Create() };
            var exit = await root.Parse(args).InvokeAsync();
            return (exit, writer.ToString());
        }
        finally
        {
            DuesPilot.Cli.Out.Console = previous;
        }
    }

    [Fact]
    public async Task CorrectInImis_OnAPaymentItem_IsRefused()
    {
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero));
        await store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            "INSERT INTO review_items (item_id, kind, subject_id, state, priority, created_at, updated_at) VALUES ('r1', 'payment', 'p1', 'open', 50, @now, @now)",
            new { now = DbTime.Format(clock.GetUtcNow()) }, tx));

        var outcome = await ActAsync(store, clock, "r1", ReviewAction.CorrectInImis, Reviewer, "x", 10m);

        Assert.Equal(ResolveReviewItem.Result.Invalid, outcome.Result);
    }
}
