using System.Text.Json.Nodes;
using DuesPilot.Domain;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Imis.Tests;

/// <summary>
/// The client against the published contract (hand-written fixtures in <c>Wire/</c>, sources in <c>Wire/SOURCES.md</c>),
/// one test per point of issue 14 where the client and the old sandbox agreed with each other and not with iMIS.
/// </summary>
public sealed class ClientContractTests
{
    private const string InvoiceId = "CASH:23373:20220615-1";
    private static readonly ImisPaymentRequest Payment = new("DP-CHK-10045", new MemberId("23373"), new ImisPaymentMethod("CASH", "Main Checking Account", "Cash"),
        [new ImisInvoicePayment(new InvoiceId(InvoiceId), Money.Usd(100m))]);

    private static string EmptyPage(string type) => $$"""
        {"$type":"Asi.Soa.Core.DataContracts.PagedResult`1[[{{type}}, Asi.Contracts]], Asi.Contracts","Items":{"$type":"System.Collections.Generic.List`1[[{{type}}, Asi.Contracts]], mscorlib","$values":[]},"Offset":0,"Limit":100,"Count":0,"TotalCount":0,"NextPageLink":null,"HasNext":false,"NextOffset":0}
        """;

    private static string Minify(string json) => JsonNode.Parse(json)!.ToJsonString();

    private static bool Is(SeenRequest r, string method, string path) =>
        r.Method == method && string.Equals(r.Path, path, StringComparison.OrdinalIgnoreCase);

    /// <summary>A site on which nothing has been paid yet: reads of payments and receipts are empty.</summary>
    private static (int, string?)? Unpaid(SeenRequest r, string validate) => r switch
    {
        _ when Is(r, "GET", "/api/InvoiceSummary/" + InvoiceId) => (200, FixtureSite.Wire("invoice_summary.response.json")),
        _ when Is(r, "GET", "/api/Payment") => (200, EmptyPage("Asi.Soa.Commerce.DataContracts.PaymentData")),
        _ when Is(r, "GET", "/api/Receipt") => (200, EmptyPage("Asi.Soa.Commerce.DataContracts.ReceiptData")),
        _ when Is(r, "POST", "/api/ComboOrder/_validate") => (200, validate),
        _ when Is(r, "POST", "/api/ComboOrder") => (201, r.Body),
        _ => null,
    };

    [Fact]
    public async Task Point1_ValidateAnswers200WithIsValidFalse_RejectedAndNothingPosted()
    {
        await using var site = await FixtureSite.StartAsync(r => Unpaid(r, FixtureSite.Wire("combo_validate_invalid.response.json")));
        using var client = site.Client();

        var outcome = await client.ApplyPaymentAsync(Payment);

        Assert.Equal(ImisPaymentStatus.Rejected, outcome.Status);
        Assert.Contains("Payment amount exceeds the invoice balance.", outcome.Failure!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(site.Seen, r => Is(r, "POST", "/api/ComboOrder"));
    }

    [Fact]
    public async Task Point2_EarlierWriteOnARealSite_FoundThroughThePaymentThatCarriesTheReference()
    {
        await using var site = await FixtureSite.StartAsync(r => r switch
        {
            _ when Is(r, "GET", "/api/Receipt") => (200, FixtureSite.Wire("receipt_page.response.json")),
            _ when Is(r, "GET", "/api/Payment") && r.Query["ReferenceNumber"] == "DP-CHK-10045" => (200, FixtureSite.Wire("payment_page.response.json")),
            _ when Is(r, "GET", "/api/Payment") => (200, EmptyPage("Asi.Soa.Commerce.DataContracts.PaymentData")),
            _ => Unpaid(r, FixtureSite.Wire("combo_validate_valid.response.json")),
        });
        using var client = site.Client();

        var outcome = await client.ApplyPaymentAsync(Payment);

        Assert.Equal(ImisPaymentStatus.AlreadyApplied, outcome.Status);
        Assert.DoesNotContain(site.Seen, r => r.Method == "POST");
    }

    [Fact]
    public async Task Point2_RealReceipts_AreReadWithTheirLinesAndPayments()
    {
        await using var site = await FixtureSite.StartAsync(r => Is(r, "GET", "/api/Receipt") ? (200, FixtureSite.Wire("receipt_page.response.json")) : null);
        using var client = site.Client();

        var receipts = new List<ImisReceipt>();
        await foreach (var r in client.ListReceiptsAsync()) receipts.Add(r);

        var receipt = Assert.Single(receipts);
        var line = Assert.Single(receipt.Lines);
        Assert.Equal(new InvoiceId(InvoiceId), line.InvoiceId);
        Assert.Equal(Money.Usd(100m), line.Amount);
    }

    [Fact]
    public async Task Point3_ComboOrder_SendsTheInvoiceAsReadWithPaymentAmountAnOrderAndCurrencies()
    {
        await using var site = await FixtureSite.StartAsync(r => Unpaid(r, FixtureSite.Wire("combo_validate_valid.response.json")));
        using var client = site.Client();

        await client.ApplyPaymentAsync(Payment);

        var sent = Assert.Single(site.Seen, r => Is(r, "POST", "/api/ComboOrder/_validate"));
        Assert.Equal(Minify(FixtureSite.Wire("combo_order.request.json")), Minify(sent.Body));
    }

    [Fact]
    public async Task Point4_InvoicePolling_NeverFiltersAnUpdatedOnInvoiceSummaryDoesNotHave()
    {
        var invoice = JsonNode.Parse(FixtureSite.Wire("invoice_summary.response.json"))!.AsObject();
        invoice["$type"] = "Asi.Soa.Commerce.DataContracts.InvoiceData, Asi.Contracts";
        var page = JsonNode.Parse(EmptyPage("Asi.Soa.Commerce.DataContracts.InvoiceData"))!;
        page["Items"]!["$values"]!.AsArray().Add(invoice);
        page["Count"] = 1;
        page["TotalCount"] = 1;
        await using var site = await FixtureSite.StartAsync(r => Is(r, "GET", "/api/Invoice") ? (200, page.ToJsonString()) : null);
        using var client = site.Client();
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero));
        var seen = new List<ImisInvoice>();

        await PollImisChanges.InvoicesAsync(store, client, clock, (batch, _) =>
        {
            seen.AddRange(batch);
            return Task.CompletedTask;
        });
        await PollImisChanges.InvoicesAsync(store, client, clock, (batch, _) =>
        {
            seen.AddRange(batch);
            return Task.CompletedTask;
        });

        Assert.Single(seen);
        Assert.All(site.Seen, r => Assert.DoesNotContain(r.Query.Keys, k => k.Contains("UpdatedOn", StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task Point4_ChangeFilterConfirmedByTheProbe_IsTheOnlyFilterUsed()
    {
        var invoice = JsonNode.Parse(FixtureSite.Wire("invoice_summary.response.json"))!.AsObject();
        invoice["$type"] = "Asi.Soa.Commerce.DataContracts.InvoiceData, Asi.Contracts";
        invoice["UpdateInformation"] = new JsonObject { ["UpdatedOn"] = "2026-06-19T08:00:00" };
        var page = JsonNode.Parse(EmptyPage("Asi.Soa.Commerce.DataContracts.InvoiceData"))!;
        page["Items"]!["$values"]!.AsArray().Add(invoice);
        await using var site = await FixtureSite.StartAsync(r => Is(r, "GET", "/api/Invoice") ? (200, page.ToJsonString()) : null);
        using var client = site.Client();
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero));
        await ImisProbeFindings.SaveAsync(store, site.BaseUrl,
            [new ImisFinding(ImisProbePoints.InvoiceChangeFilter, "change filter", ImisVerdict.Confirmed, false, "test", "UpdateInformation.UpdatedOn")], clock);

        var outcome = await PollImisChanges.InvoicesAsync(store, client, clock, (_, _) => Task.CompletedTask);

        Assert.Equal(new DateTime(2026, 6, 19, 8, 0, 0), outcome.Mark);
        Assert.All(site.Seen.Where(r => r.Path == "/api/Invoice"), r => Assert.Equal("ge:1900-01-01T00:00:00.0000000", r.Query["UpdateInformation.UpdatedOn"]));
        Assert.DoesNotContain(site.Seen, r => r.Query.ContainsKey("UpdatedOn"));
    }

    [Fact]
    public async Task Point5_NewPanelRow_LeavesIdentityOutForIMisToAssignTheOrdinal()
    {
        await using var site = await FixtureSite.StartAsync(r => Is(r, "POST", "/api/AI_Review_Queue") ? (201, FixtureSite.Wire("panel_row.response.json")) : null);
        using var client = site.Client();

        var row = await client.AddPanelRowAsync("AI_Review_Queue", new MemberId("23179"),
        [
            new("InvoiceId", "CASH:23179:20250601-1"),
            new("NeedsHumanReview", true),
            new("Notes", "Proration disputed"),
            new("CreatedOn", new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero)),
        ]);

        var sent = Assert.Single(site.Seen, r => Is(r, "POST", "/api/AI_Review_Queue"));
        Assert.Equal(Minify(FixtureSite.Wire("panel_row.request.json")), Minify(sent.Body));
        Assert.Equal(1, row.Ordinal);
    }
}
