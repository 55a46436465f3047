using System.CommandLine;
using System.Text.Json.Nodes;
using Dapper;
using DuesPilot.Cli;
using DuesPilot.Cli.Commands;
using DuesPilot.Domain;
using DuesPilot.Features.ImisSync;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console;

namespace DuesPilot.Imis.Tests;

/// <summary><c>imis probe</c>: read-only checks of each UNCONFIRMED assumption, stored, and obeyed by the payment writer.</summary>
/// <remarks>Swaps the process-wide <c>Out.Console</c>: runs in the Console collection, never beside another test that does.</remarks>
[Collection("Console")]
public sealed class ProbeTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Probe_Sandbox_SettlesEveryPointAndWritesNothing()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var client = Sandbox.Client(host);
        var open = (await client.ReadInvoicesPageAsync(new InvoiceQuery(OpenOnly: true), 0)).Items;
        var balances = new Dictionary<string, long>();
        foreach (var i in open) balances[i.Invoice.Id.Value] = await host.BalanceCentsAsync(i.Invoice.Id.Value);
        var payments = await client.CountAsync("Payment");

        var findings = (await ImisProbe.RunAsync(client, Clock)).ToDictionary(f => f.Point);

        var points = typeof(ImisProbePoints).GetFields().Select(f => (string)f.GetValue(null)!).ToList();
        Assert.Equal(points.Order(StringComparer.Ordinal), findings.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ImisVerdict.Confirmed, findings[ImisProbePoints.ValidateAnswer].Verdict);
        Assert.Equal(ImisVerdict.Confirmed, findings[ImisProbePoints.PaymentAmountField].Verdict);
        Assert.Equal(ImisVerdict.Confirmed, findings[ImisProbePoints.PaymentReference].Verdict);
        Assert.Equal(ImisVerdict.Confirmed, findings[ImisProbePoints.ReceiptShape].Verdict);
        Assert.Equal(ImisVerdict.Confirmed, findings[ImisProbePoints.InvoiceSummaryShape].Verdict);
        Assert.Equal(ImisVerdict.Contradicted, findings[ImisProbePoints.InvoiceChangeFilter].Verdict);
        Assert.Equal(ImisVerdict.Unknown, findings[ImisProbePoints.ReviewPanel].Verdict);
        Assert.Equal(ImisVerdict.Confirmed, findings[ImisProbePoints.PageSize].Verdict);
        Assert.All(findings.Values, f => Assert.False(string.IsNullOrWhiteSpace(f.Evidence)));
        Assert.Equal(payments, await client.CountAsync("Payment"));
        foreach (var (id, cents) in balances) Assert.Equal(cents, await host.BalanceCentsAsync(id));
    }

    [Fact]
    public async Task Probe_PaymentsWithoutTheReference_IsContradictedWithEvidence()
    {
        var receipts = FixtureSite.Wire("receipt_page.response.json");
        var payment = JsonNode.Parse(FixtureSite.Wire("payment_page.response.json"))!["Items"]!["$values"]![0]!.AsObject();
        payment.Remove("ReferenceNumber");
        await using var site = await FixtureSite.StartAsync(r => r.Method == "GET" && r.Path == "/api/Receipt" ? (200, receipts)
            : r.Method == "GET" && r.Path == "/api/Payment/9001" ? (200, payment.ToJsonString()) : null);
        using var client = site.Client();

        var findings = (await ImisProbe.RunAsync(client, Clock)).ToDictionary(f => f.Point);

        var finding = findings[ImisProbePoints.PaymentReference];
        Assert.Equal(ImisVerdict.Contradicted, finding.Verdict);
        Assert.True(finding.WritePath);
        Assert.Contains("payment 9001 of a receipt line has no ReferenceNumber", finding.Evidence, StringComparison.Ordinal);
        Assert.Equal(ImisVerdict.Confirmed, findings[ImisProbePoints.ReceiptShape].Verdict);
        Assert.DoesNotContain(site.Seen, r => r.Method == "POST" && r.Path == "/api/ComboOrder");
    }

    [Fact]
    public async Task PaymentWrites_WhileAWritePathPointIsContradicted_WaitWithTheReasonAndGoOutOnceCleared()
    {
        await using var host = await Sandbox.StartAsync(members: 60);
        using var client = Sandbox.Client(host);
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var invoice = (await client.ReadInvoicesPageAsync(new InvoiceQuery(OpenOnly: true), 0)).Items[0];
        var before = await host.BalanceCentsAsync(invoice.Invoice.Id.Value);
        await store.InTransactionAsync(async (c, tx) => await ImisOutbox.EnqueueAsync(c, tx, Clock, ImisWriteKinds.ApplyPayment, "imis:payment:probe-1",
            new PaymentWrite("probe-1", invoice.BillTo.Value, "USD", 100, "check", "CHK-1", "1000", [new PaymentWriteLine(invoice.Invoice.Id.Value, 100)], 0)));
        await ImisProbeFindings.SaveAsync(store, host.BaseUrl,
            [new ImisFinding(ImisProbePoints.PaymentReference, "payments carry ReferenceNumber", ImisVerdict.Contradicted, true, "payment 9 has no ReferenceNumber")], Clock);

        var paused = await SendImisWrites.HandleAsync(store, client, Clock, client.Options);

        Assert.Equal(1, paused.Paused);
        Assert.Equal(0, paused.Sent);
        Assert.Equal(before, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
        await using (var c = await store.OpenConnectionAsync())
        {
            var row = await c.QuerySingleAsync<(string State, long Attempts, string Error)>("SELECT state, attempts, last_error FROM imis_outbox WHERE idempotency_key = 'imis:payment:probe-1'");
            Assert.Equal(("pending", 0L), (row.State, row.Attempts));
            Assert.Contains("payment writes paused", row.Error, StringComparison.Ordinal);
            Assert.Contains("payment-reference contradicted (payment 9 has no ReferenceNumber)", row.Error, StringComparison.Ordinal);
        }

        await ImisProbeFindings.SaveAsync(store, host.BaseUrl, await ImisProbe.RunAsync(client, Clock), Clock);
        Clock.Advance(TimeSpan.FromMinutes(16));
        var sent = await SendImisWrites.HandleAsync(store, client, Clock, client.Options);

        Assert.Equal(1, sent.Sent);
        Assert.Equal(before - 100, await host.BalanceCentsAsync(invoice.Invoice.Id.Value));
    }

    [Fact]
    public async Task ImisProbe_Cli_PrintsEachPointWithItsVerdictAndStoresTheFindings()
    {
        await using var host = await Sandbox.StartAsync(members: 40);
        var data = Directory.CreateTempSubdirectory("duespilot-probe-").FullName;
        var writer = new StringWriter();
        var previous = Out.Console;
        Out.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        Out.Console.Profile.Width = 1000;
        int exit;
        try
        {
            var root = new RootCommand { ImisCommand.Create() };
            exit = await root.Parse(["imis", "probe", "--url", host.BaseUrl, "--user", "admin", "--password", "admin", "--data", data]).InvokeAsync();
        }
        finally
        {
            Out.Console = previous;
        }

        var text = writer.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("payment-reference (payment writes)", text, StringComparison.Ordinal);
        Assert.Contains("contradicted", text, StringComparison.Ordinal);
        Assert.Contains("could not tell", text, StringComparison.Ordinal);
        Assert.Contains("Findings stored.", text, StringComparison.Ordinal);
        await using var store = await Store.OpenAsync(new StoreOptions(data));
        var stored = await ImisProbeFindings.LoadAsync(store);
        Assert.Equal(typeof(ImisProbePoints).GetFields().Length, stored.Count);
        Assert.Equal("contradicted", stored.Single(f => f.Point == ImisProbePoints.InvoiceChangeFilter).Verdict);
    }
}
