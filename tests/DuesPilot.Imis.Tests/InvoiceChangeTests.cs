using DuesPilot.Domain;

namespace DuesPilot.Imis.Tests;

/// <summary>Correcting and voiding billed invoices through the routes iMIS has (docs/decisions/0151), against the sandbox.</summary>
public sealed class InvoiceChangeTests
{
    private static async Task<ImisInvoice> OpenUnpaidAsync(ImisClient client)
    {
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery(OpenOnly: true)))
            if (i.Invoice.Balance == i.Invoice.Amount && i.Invoice.Amount.MinorUnits > 1000) return i;
        throw new InvalidOperationException("no unpaid invoice in the seed");
    }

    private static async Task<ImisInvoice> PartlyPaidAsync(ImisClient client)
    {
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery(OpenOnly: true)))
            if (i.Invoice.Balance.IsPositive && i.Invoice.Balance < i.Invoice.Amount) return i;
        throw new InvalidOperationException("no partly paid invoice in the seed");
    }

    [Fact]
    public async Task Correct_CashInvoice_MovesBilledAmountBalanceAndLine_OnceOnly()
    {
        await using var host = await Sandbox.StartAsync(members: 120);
        using var client = Sandbox.Client(host);
        var before = await OpenUnpaidAsync(client);
        var expected = before.Invoice.Amount - Money.FromMinor(1500, Currency.USD);

        var first = await client.CorrectInvoiceAsync(new ImisInvoiceCorrection(before.Invoice.Id, expected, "Wrong tier: retired rate"));
        var again = await client.CorrectInvoiceAsync(new ImisInvoiceCorrection(before.Invoice.Id, expected, "Wrong tier: retired rate"));

        Assert.Equal(ImisChangeStatus.Applied, first.Status);
        Assert.Equal(ImisChangeStatus.AlreadyApplied, again.Status);
        var after = (await client.GetInvoiceAsync(before.Invoice.Id))!.Invoice;
        Assert.Equal(expected, after.Amount);
        Assert.Equal(expected, after.Balance);
        Assert.Equal(before.Invoice.Lines[0].Amount - Money.FromMinor(1500, Currency.USD), after.Lines[0].Amount);
        var subscription = (await client.ListSubscriptionsAsync(before.Invoice.MemberId)).Single(s => s.InvoiceId == before.Invoice.Id);
        Assert.Equal(expected, subscription.BilledAmount);
    }

    [Fact]
    public async Task Correct_BelowWhatWasPaid_IsRejectedAndNothingMoves()
    {
        await using var host = await Sandbox.StartAsync(members: 200);
        using var client = Sandbox.Client(host);
        var invoice = await PartlyPaidAsync(client);
        var paid = invoice.Invoice.Amount - invoice.Invoice.Balance;

        var outcome = await client.CorrectInvoiceAsync(new ImisInvoiceCorrection(invoice.Invoice.Id, paid - Money.FromMinor(100, Currency.USD), "too low"));

        Assert.Equal(ImisChangeStatus.Rejected, outcome.Status);
        Assert.Contains("already paid", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(invoice.Invoice.Balance.MinorUnits, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
    }

    [Fact]
    public async Task Void_CashInvoice_TakesWhatIsOwedOffItsSubscription()
    {
        await using var host = await Sandbox.StartAsync(members: 200);
        using var client = Sandbox.Client(host);
        var invoice = await PartlyPaidAsync(client);
        var paid = invoice.Invoice.Amount - invoice.Invoice.Balance;

        var outcome = await client.VoidInvoiceAsync(new ImisInvoiceVoid(invoice.Invoice.Id, "Billed in error", Sandbox.AsOf));
        var again = await client.VoidInvoiceAsync(new ImisInvoiceVoid(invoice.Invoice.Id, "Billed in error", Sandbox.AsOf));

        Assert.Equal(ImisChangeStatus.Applied, outcome.Status);
        Assert.Equal(ImisChangeStatus.AlreadyApplied, again.Status);
        var after = (await client.GetInvoiceAsync(invoice.Invoice.Id))!.Invoice;
        Assert.True(after.Balance.IsZero);
        Assert.Equal(paid, after.Amount);
    }

    [Fact]
    public async Task Void_AccrualInvoice_ChecksThenReverses_AndRefusesASecondReversal()
    {
        await using var host = await Sandbox.StartAsync(members: 120, configure: o => o.AccrualInvoices = true);
        using var client = Sandbox.Client(host);
        var invoice = await OpenUnpaidAsync(client);
        Assert.True(int.TryParse(invoice.Invoice.Id.Value, out _), "an accrual site's invoice ids are Int32s");

        var outcome = await client.VoidInvoiceAsync(new ImisInvoiceVoid(invoice.Invoice.Id, "Duplicate of an earlier invoice", Sandbox.AsOf));
        var again = await client.VoidInvoiceAsync(new ImisInvoiceVoid(invoice.Invoice.Id, "Duplicate of an earlier invoice", Sandbox.AsOf));
        var afterLostAnswer = await client.VoidInvoiceAsync(new ImisInvoiceVoid(invoice.Invoice.Id, "Duplicate of an earlier invoice", Sandbox.AsOf), earlierAttemptMayHaveLanded: true);

        Assert.Equal(ImisChangeStatus.Applied, outcome.Status);
        Assert.Equal(ImisChangeStatus.Rejected, again.Status);
        Assert.Contains("already been reversed", again.Detail, StringComparison.Ordinal);
        Assert.Equal(ImisChangeStatus.AlreadyApplied, afterLostAnswer.Status);
        Assert.Equal(0, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
    }

    [Fact]
    public async Task Void_AccrualInvoiceWithPayments_IsRefusedByCanInvoiceBeReversed()
    {
        await using var host = await Sandbox.StartAsync(members: 200, configure: o => o.AccrualInvoices = true);
        using var client = Sandbox.Client(host);
        var invoice = await PartlyPaidAsync(client);

        var outcome = await client.VoidInvoiceAsync(new ImisInvoiceVoid(invoice.Invoice.Id, "no", Sandbox.AsOf));

        Assert.Equal(ImisChangeStatus.Rejected, outcome.Status);
        Assert.Contains("payments applied", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(invoice.Invoice.Balance.MinorUnits, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
    }

    [Fact]
    public async Task Correct_AccrualInvoice_IsRefusedBySubscriptionRules()
    {
        await using var host = await Sandbox.StartAsync(members: 120, configure: o => o.AccrualInvoices = true);
        using var client = Sandbox.Client(host);
        var invoice = await OpenUnpaidAsync(client);

        var outcome = await client.CorrectInvoiceAsync(new ImisInvoiceCorrection(invoice.Invoice.Id, invoice.Invoice.Amount - Money.FromMinor(100, Currency.USD), "x"));

        Assert.Equal(ImisChangeStatus.Rejected, outcome.Status);
        Assert.Contains("cash-basis", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ExecuteBody_HasTheShapeCommunityCodeSends()
    {
        var body = ImisClient.InvoiceExecuteBody("CanInvoiceBeReversed", new System.Text.Json.Nodes.JsonObject { ["$type"] = "System.Int32", ["$value"] = 10938 }, "System.Int32");

        Assert.Equal("Asi.Soa.Core.DataContracts.GenericExecuteRequest, Asi.Contracts", (string?)body["$type"]);
        Assert.Equal("Invoice", (string?)body["EntityTypeName"]);
        Assert.Equal(10938, (int?)body["Parameters"]!["$values"]![0]!["$value"]);
        Assert.Equal("System.Int32", (string?)body["ParameterTypeName"]!["$values"]![0]);
        Assert.False((bool?)body["UseJson"]);
    }
}
