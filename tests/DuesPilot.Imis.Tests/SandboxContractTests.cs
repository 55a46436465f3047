using System.Text;
using System.Text.Json.Nodes;
using DuesPilot.Domain;
using DuesPilot.Features.ImisSync;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Imis.Tests;

/// <summary>
/// The bundled sandbox against the published contract (the same hand-written fixtures the client is tested with,
/// sources in <c>Wire/SOURCES.md</c>), never against the client's own bodies.
/// </summary>
public sealed class SandboxContractTests
{
    private static JsonNode Wire(string name) => JsonNode.Parse(FixtureSite.Wire(name))!;

    private static async Task<(string InvoiceId, string Party, long Cents)> OpenInvoiceAsync(HttpClient http, string baseUrl)
    {
        var page = JsonNode.Parse(await http.GetStringAsync(baseUrl + "/api/InvoiceSummary?SourceSystem=DUES&Balance=gt:0&limit=1"))!;
        var item = page["Items"]!["$values"]![0]!;
        var cents = (long)Math.Round((decimal)item["Balance"]!["Amount"]! * 100m);
        return ((string)item["InvoiceId"]!, (string)item["SoldToParty"]!["PartyId"]!, cents);
    }

    /// <summary>The fixture ComboOrder with a real invoice of the sandbox as read from it, paying <paramref name="cents"/>.</summary>
    private static async Task<JsonNode> OrderAsync(HttpClient http, string baseUrl, string invoiceId, string party, long cents, string reference)
    {
        var order = Wire("combo_order.request.json");
        var read = JsonNode.Parse(await http.GetStringAsync(baseUrl + "/api/InvoiceSummary/" + Uri.EscapeDataString(invoiceId)))!.AsObject();
        var amount = cents / 100m;
        read["PaymentAmount"] = Money(amount);
        order["Invoices"]!["$values"]![0] = read;
        order["Order"]!["BillToCustomerParty"]!["PartyId"] = party;
        order["Order"]!["SoldToCustomerParty"]!["PartyId"] = party;
        var remittance = order["Payments"]!["$values"]![0]!;
        remittance["Amount"] = Money(amount);
        remittance["PayorParty"]!["PartyId"] = party;
        remittance["ReferenceNumber"] = reference;
        return order;
    }

    private static JsonNode Money(decimal amount)
    {
        var m = Wire("invoice_summary.response.json")["Balance"]!.DeepClone();
        m["Amount"] = amount;
        return m;
    }

    private static StringContent Body(JsonNode json) => new(json.ToJsonString(), Encoding.UTF8, "application/json");

    [Fact]
    public async Task Point1_ValidateOfAnInvalidOrder_Answers200WithIsValidFalse()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var http = await WireFormatTests.AuthorizedAsync(host);
        var (invoice, party, cents) = await OpenInvoiceAsync(http, host.BaseUrl);
        var tooMuch = await OrderAsync(http, host.BaseUrl, invoice, party, cents + 1000, "DP-SB-1");

        using var response = await http.PostAsync(host.BaseUrl + "/api/ComboOrder/_validate", Body(tooMuch));

        Assert.Equal(200, (int)response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        WireFormatTests.Conforms(Wire("combo_validate_invalid.response.json"), json, "$");
        Assert.False((bool)json["IsValid"]!);
        Assert.Contains("exceeds", (string)json["ValidationResults"]!["Errors"]!["$values"]![0]!["Message"]!, StringComparison.Ordinal);
        Assert.Equal(cents, await host.BalanceCentsAsync(invoice));
    }

    [Fact]
    public async Task Point1_ValidateOfAValidOrder_Answers200WithIsValidTrueAndTheEntity()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var http = await WireFormatTests.AuthorizedAsync(host);
        var (invoice, party, _) = await OpenInvoiceAsync(http, host.BaseUrl);

        using var response = await http.PostAsync(host.BaseUrl + "/api/ComboOrder/_validate", Body(await OrderAsync(http, host.BaseUrl, invoice, party, 100, "DP-SB-2")));

        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(200, (int)response.StatusCode);
        WireFormatTests.Conforms(Wire("combo_validate_valid.response.json"), json, "$");
        Assert.True((bool)json["IsValid"]!);
    }

    [Fact]
    public async Task Point2And3_OrderInTheFixtureShape_PaysPaymentAmountAndShowsRealReceiptsAndThePayment()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var http = await WireFormatTests.AuthorizedAsync(host);
        var (invoice, party, cents) = await OpenInvoiceAsync(http, host.BaseUrl);

        using var posted = await http.PostAsync(host.BaseUrl + "/api/ComboOrder", Body(await OrderAsync(http, host.BaseUrl, invoice, party, 100, "DP-SB-3")));

        Assert.Equal(201, (int)posted.StatusCode);
        Assert.Equal(cents - 100, await host.BalanceCentsAsync(invoice));
        var payments = JsonNode.Parse(await http.GetStringAsync(host.BaseUrl + "/api/Payment?ReferenceNumber=DP-SB-3"))!;
        var payment = Assert.Single(payments["Items"]!["$values"]!.AsArray());
        WireFormatTests.Conforms(Wire("payment_page.response.json")["Items"]!["$values"]![0], payment, "$.payment");
        var receipts = JsonNode.Parse(await http.GetStringAsync($"{host.BaseUrl}/api/Receipt?IssuedToPartyId={party}&limit=100"))!;
        Assert.DoesNotContain("ReferenceNumber", receipts.ToJsonString(), StringComparison.Ordinal);
        var receipt = receipts["Items"]!["$values"]!.AsArray().Single(r => r!["ReceiptLines"]!["$values"]!.AsArray().Any(l => (string?)l!["PaymentId"] == (string?)payment!["PaymentId"]));
        WireFormatTests.Conforms(Wire("receipt_page.response.json")["Items"]!["$values"]![0], receipt, "$.receipt");
        Assert.Equal(invoice, (string?)receipt!["ReceiptLines"]!["$values"]![0]!["InvoiceId"]);
    }

    [Fact]
    public async Task Point3_AmountOnlyInBalanceWithoutCurrency_IsNotValid()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var http = await WireFormatTests.AuthorizedAsync(host);
        var (invoice, party, cents) = await OpenInvoiceAsync(http, host.BaseUrl);
        var section85 = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "section8_5.json"))!)!;
        section85["Invoices"]!["$values"]![0]!["InvoiceId"] = invoice;
        section85["Payments"]!["$values"]![0]!["PayorParty"]!["PartyId"] = party;

        using var response = await http.PostAsync(host.BaseUrl + "/api/ComboOrder/_validate", Body(section85));

        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.False((bool)json["IsValid"]!);
        Assert.Equal(cents, await host.BalanceCentsAsync(invoice));
    }

    [Fact]
    public async Task Point4_InvoiceSummary_HasPaymentAmountsAndNoUpdateInformation()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var http = await WireFormatTests.AuthorizedAsync(host);
        var (invoice, _, _) = await OpenInvoiceAsync(http, host.BaseUrl);

        var summary = JsonNode.Parse(await http.GetStringAsync(host.BaseUrl + "/api/InvoiceSummary/" + Uri.EscapeDataString(invoice)))!.AsObject();

        WireFormatTests.Conforms(Wire("invoice_summary.response.json"), summary, "$");
        Assert.False(summary.ContainsKey("UpdateInformation"));
        using var filtered = await http.GetAsync(host.BaseUrl + "/api/InvoiceSummary?UpdatedOn=ge:2020-01-01");
        Assert.Equal(400, (int)filtered.StatusCode);
    }

    [Fact]
    public async Task Point5_PanelRowWithoutIdentity_GetsTheNextOrdinalFromTheSite()
    {
        await using var host = await Sandbox.StartAsync(members: 5);
        using var http = await WireFormatTests.AuthorizedAsync(host);
        var body = FixtureSite.Wire("panel_row.request.json").Replace("23179", "10002", StringComparison.Ordinal);

        using var first = await http.PostAsync(host.BaseUrl + "/api/AI_Review_Queue", new StringContent(body, Encoding.UTF8, "application/json"));
        using var second = await http.PostAsync(host.BaseUrl + "/api/AI_Review_Queue", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(201, (int)first.StatusCode);
        var row = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
        WireFormatTests.Conforms(Wire("panel_row.response.json"), row, "$");
        Assert.Equal(["10002", "1"], row["Identity"]!["IdentityElements"]!["$values"]!.AsArray().Select(v => (string)v!));
        var next = JsonNode.Parse(await second.Content.ReadAsStringAsync())!;
        Assert.Equal("2", (string?)next["Identity"]!["IdentityElements"]!["$values"]![1]);
    }

    [Fact]
    public async Task Point5_PanelRowWithAOneElementIdentity_IsRefusedAsIMisDoes()
    {
        await using var host = await Sandbox.StartAsync(members: 5);
        using var http = await WireFormatTests.AuthorizedAsync(host);
        var body = Wire("panel_row.request.json");
        body["Identity"] = Wire("panel_row.response.json")["PrimaryParentIdentity"]!.DeepClone();
        body["Identity"]!["EntityTypeName"] = "AI_Review_Queue";
        var text = body.ToJsonString().Replace("23179", "10002", StringComparison.Ordinal);

        using var response = await http.PostAsync(host.BaseUrl + "/api/AI_Review_Queue", new StringContent(text, Encoding.UTF8, "application/json"));

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("Incorrect number of identity element", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>The duplicate guard end to end: the sandbox carries out the ComboOrder and drops the answer; the client finds it again by the reference on the payment and posts nothing twice.</summary>
    [Fact]
    public async Task LostAnswer_SandboxDropsTheAnswerAfterWriting_FoundAgainAndAppliedOnce()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var client = Sandbox.Client(host);
        var open = (await client.ReadInvoicesPageAsync(new InvoiceQuery(OpenOnly: true), 0)).Items[0];
        var before = await host.BalanceCentsAsync(open.Invoice.Id.Value);
        var request = new ImisPaymentRequest("DP-LOST-1", open.BillTo, new ImisPaymentMethod("CHECK", "Check", "Check"), [new(open.Invoice.Id, Domain.Money.FromMinor(100, Currency.USD))]);
        host.Faults = new ImisSandbox.SandboxFaults { TimeoutAfterWriteRate = 1.0 };

        var outcome = await client.ApplyPaymentAsync(request);
        host.Faults = new ImisSandbox.SandboxFaults();
        var again = await client.ApplyPaymentAsync(request);

        Assert.Equal(1, host.WritesDropped);
        Assert.Equal(ImisPaymentStatus.Applied, outcome.Status);
        Assert.Equal(1, outcome.Attempts);
        Assert.Equal(ImisPaymentStatus.AlreadyApplied, again.Status);
        Assert.Equal(before - 100, await host.BalanceCentsAsync(open.Invoice.Id.Value));
    }

    /// <summary>The demo's review and audit rows in the sandbox carry the time the event happened, not 1970-01-01.</summary>
    [Fact]
    public async Task Outbox_ReviewAndAuditRows_CarryTheRealEventTimes()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero));
        await using var host = await Sandbox.StartAsync(members: 5);
        using var client = Sandbox.Client(host);
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        await store.InTransactionAsync(async (c, tx) =>
        {
            await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.ReviewQueueRow, "imis:review:t1", new ReviewQueueRow("R-1", "10002", null, 1500, true, "check the memo", "open"));
            await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.AuditLogRow, "imis:audit:t1", new AuditLogRow(7, "10002", "payment.hold", "duespilot", "held", "abc"));
        });
        clock.Advance(TimeSpan.FromHours(3));

        var sent = await SendImisWrites.HandleAsync(store, client, clock, client.Options);

        Assert.Equal(2, sent.Sent);
        var review = new List<ImisPanelRow>();
        await foreach (var r in client.ListPanelRowsAsync("AI_Review_Queue", new MemberId("10002"))) review.Add(r);
        var audit = new List<ImisPanelRow>();
        await foreach (var r in client.ListPanelRowsAsync("AI_Audit_Log", new MemberId("10002"))) audit.Add(r);
        Assert.Equal("2026-06-20T10:00:00", Assert.Single(review).Properties["CreatedOn"]);
        Assert.Equal("2026-06-20T10:00:00", Assert.Single(audit).Properties["EventTime"]);
    }
}
