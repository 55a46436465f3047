using DuesPilot.Domain;

namespace DuesPilot.Imis.Tests;

public sealed class WriteTests
{
    private static readonly ImisPaymentMethod Check = new("CHECK", "Check", "Check");

    private static async Task<ImisInvoice> FirstOpenAsync(ImisClient client, Func<ImisInvoice, bool>? where = null)
    {
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery(OpenOnly: true)))
            if (where is null || where(i)) return i;
        throw new InvalidOperationException("no open invoice in the seed");
    }

    [Fact]
    public async Task ApplyPayment_PartialThenRest_LowersBalanceAndCreatesReceipts()
    {
        await using var host = await Sandbox.StartAsync(members: 80);
        using var client = Sandbox.Client(host);
        var invoice = await FirstOpenAsync(client, i => i.Invoice.Balance.MinorUnits > 100);
        var part = Money.FromMinor(100, Currency.USD);
        var rest = invoice.Invoice.Balance - part;

        var first = await client.ApplyPaymentAsync(new ImisPaymentRequest("DP-T1-a", invoice.BillTo, Check, [new(invoice.Invoice.Id, part)]));
        var second = await client.ApplyPaymentAsync(new ImisPaymentRequest("DP-T1-b", invoice.BillTo, Check, [new(invoice.Invoice.Id, rest)]));

        Assert.Equal(ImisPaymentStatus.Applied, first.Status);
        Assert.Equal(ImisPaymentStatus.Applied, second.Status);
        Assert.Equal(part, first.Payment!.Amount);
        var after = await client.GetInvoiceAsync(invoice.Invoice.Id);
        Assert.True(after!.Invoice.Balance.IsZero);
        var subscription = (await client.ListSubscriptionsAsync(invoice.Invoice.MemberId)).Single();
        Assert.Equal(invoice.Invoice.Lines[0].PeriodEnd, subscription.PaidThrough);
    }

    [Fact]
    public async Task ApplyPayment_SameReferenceTwice_SecondIsAlreadyAppliedAndBalanceMovesOnce()
    {
        await using var host = await Sandbox.StartAsync(members: 80);
        using var client = Sandbox.Client(host);
        var invoice = await FirstOpenAsync(client);
        var request = new ImisPaymentRequest("DP-T2", invoice.BillTo, Check, [new(invoice.Invoice.Id, invoice.Invoice.Balance)]);

        var first = await client.ApplyPaymentAsync(request);
        var again = await client.ApplyPaymentAsync(request);

        Assert.Equal(ImisPaymentStatus.Applied, first.Status);
        Assert.Equal(ImisPaymentStatus.AlreadyApplied, again.Status);
        Assert.Equal(0, again.Attempts);
        Assert.Equal(0, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
    }

    [Fact]
    public async Task ApplyPayment_SameReferenceDifferentAmount_IsConflict()
    {
        await using var host = await Sandbox.StartAsync(members: 80);
        using var client = Sandbox.Client(host);
        var invoice = await FirstOpenAsync(client, i => i.Invoice.Balance.MinorUnits > 200);
        await client.ApplyPaymentAsync(new ImisPaymentRequest("DP-T3", invoice.BillTo, Check, [new(invoice.Invoice.Id, Money.FromMinor(100, Currency.USD))]));

        var outcome = await client.ApplyPaymentAsync(new ImisPaymentRequest("DP-T3", invoice.BillTo, Check, [new(invoice.Invoice.Id, Money.FromMinor(150, Currency.USD))]));

        Assert.Equal(ImisPaymentStatus.Conflict, outcome.Status);
        Assert.Equal(invoice.Invoice.Balance.MinorUnits - 100, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
    }

    [Fact]
    public async Task ApplyPayment_MoreThanTheBalance_IsRejectedWithTheImisMessage()
    {
        await using var host = await Sandbox.StartAsync(members: 80);
        using var client = Sandbox.Client(host);
        var invoice = await FirstOpenAsync(client);

        var outcome = await client.ApplyPaymentAsync(new ImisPaymentRequest("DP-T4", invoice.BillTo, Check,
            [new(invoice.Invoice.Id, invoice.Invoice.Balance + Money.FromMinor(1, Currency.USD))]));

        Assert.Equal(ImisPaymentStatus.Rejected, outcome.Status);
        Assert.Equal(200, outcome.Failure!.StatusCode);
        Assert.Contains("exceeds the balance", outcome.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(invoice.Invoice.Balance.MinorUnits, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
    }

    [Fact]
    public async Task ApplyPayment_OnePaymentForSeveralInvoices_PaysEach()
    {
        await using var host = await Sandbox.StartAsync(members: 150);
        using var client = Sandbox.Client(host);
        var open = new List<ImisInvoice>();
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery(OpenOnly: true)))
            if (open.Count < 3) open.Add(i);
        var payor = open[0].BillTo;

        var outcome = await client.ApplyPaymentAsync(new ImisPaymentRequest("DP-T5", payor, Check, open.Select(i => new ImisInvoicePayment(i.Invoice.Id, i.Invoice.Balance)).ToList()));

        Assert.Equal(ImisPaymentStatus.Applied, outcome.Status);
        Assert.Equal(Money.Sum(open.Select(i => i.Invoice.Balance), Currency.USD), outcome.Payment!.Amount);
        var receipts = new List<ImisReceipt>();
        await foreach (var r in client.ListReceiptsAsync(payor)) receipts.Add(r);
        var lines = receipts.SelectMany(r => r.Lines).Where(l => l.PaymentId == outcome.Payment.PaymentId).ToList();
        Assert.Equal(open.Select(i => i.Invoice.Id.Value).Order(StringComparer.Ordinal), lines.Select(l => l.InvoiceId.Value).Order(StringComparer.Ordinal));
        foreach (var i in open) Assert.Equal(0, await host.BalanceCentsAsync(i.Invoice.Id.Value));
    }

    [Fact]
    public async Task PartyNote_Added_IsListedOnTheMember()
    {
        await using var host = await Sandbox.StartAsync(members: 10);
        using var client = Sandbox.Client(host);
        var party = new MemberId("10003");

        var note = await client.AddPartyNoteAsync(party, "DuesPilot", "Payment CHK-1001 applied to the 2026 renewal.");
        var notes = await client.ListPartyNotesAsync(party);

        Assert.NotNull(note.PartyNoteId);
        Assert.Equal(note, Assert.Single(notes));
    }

    [Fact]
    public async Task PartyNote_UnknownParty_ThrowsTypedFailureWithMessage()
    {
        await using var host = await Sandbox.StartAsync(members: 10);
        using var client = Sandbox.Client(host);

        var ex = await Assert.ThrowsAsync<ImisRequestException>(() => client.AddPartyNoteAsync(new MemberId("4242"), "x", "y"));

        Assert.Equal(ImisFailureKind.Rejected, ex.Failure.Kind);
        Assert.Contains("does not exist", ex.Failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReviewQueue_RowsPerParty_GetNextOrdinalsAndRoundTripTypedValues(bool serverAssigns)
    {
        await using var host = await Sandbox.StartAsync(members: 10);
        using var client = Sandbox.Client(host, configure: o => o.ServerAssignsPanelOrdinal = serverAssigns);
        var party = new MemberId("10004");
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 9, 30, 0, TimeSpan.Zero));
        ImisReviewItem Item(string notes) => new(party, new InvoiceId("CASH:10004:20251201-1"), Money.Usd(75m), true, notes, "CHK-77", "apply", 0.82m, clock.GetUtcNow());

        var first = await client.AddReviewItemAsync(Item("Proration disputed"));
        var second = await client.AddReviewItemAsync(Item("Second look"));
        var other = await client.AddReviewItemAsync(Item("Other party") with { PartyId = new MemberId("10005") });

        Assert.Equal((1, 2, 1), (first.Ordinal, second.Ordinal, other.Ordinal));
        var read = await client.GetPanelRowAsync("AI_Review_Queue", party, 2);
        Assert.NotNull(read);
        Assert.Equal(75.00m, read.Properties["ProposedAmount"]);
        Assert.Equal(true, read.Properties["NeedsHumanReview"]);
        Assert.Equal("Second look", read.Properties["Notes"]);
        Assert.Equal(0.82m, read.Properties["Confidence"]);
        Assert.Equal("2026-06-01T09:30:00", read.Properties["CreatedOn"]);
        var rows = new List<ImisPanelRow>();
        await foreach (var r in client.ListPanelRowsAsync("AI_Review_Queue", party)) rows.Add(r);
        Assert.Equal([1, 2], rows.Select(r => r.Ordinal));
    }

    [Fact]
    public async Task PanelRow_UpdateAndDelete_ByCompositeId()
    {
        await using var host = await Sandbox.StartAsync(members: 10);
        using var client = Sandbox.Client(host);
        var party = new MemberId("10006");
        var row = await client.AddAuditEntryAsync(new ImisAuditEntry(party, new DateTimeOffset(2026, 6, 2, 8, 0, 0, TimeSpan.Zero), "DuesPilot", "ApplyPayment", "CHK-1", "held", "rules-1", "{}"));

        var updated = await client.UpdatePanelRowAsync("AI_Audit_Log", party, row.Ordinal, [new("Outcome", "posted"), new("Actor", "DuesPilot")]);
        var deleted = await client.DeletePanelRowAsync("AI_Audit_Log", party, row.Ordinal);
        var deletedAgain = await client.DeletePanelRowAsync("AI_Audit_Log", party, row.Ordinal);

        Assert.Equal("posted", updated.Properties["Outcome"]);
        Assert.True(deleted);
        Assert.False(deletedAgain);
        Assert.Null(await client.GetPanelRowAsync("AI_Audit_Log", party, row.Ordinal));
    }

    [Fact]
    public async Task PanelRow_UndefinedEntity_IsNotFoundFailure()
    {
        await using var host = await Sandbox.StartAsync(members: 10);
        using var client = Sandbox.Client(host);

        var ex = await Assert.ThrowsAsync<ImisRequestException>(() => client.AddPanelRowAsync("AI_Missing", new MemberId("10002"), [new("Notes", "x")]));

        Assert.Equal(ImisFailureKind.NotFound, ex.Failure.Kind);
    }
}
