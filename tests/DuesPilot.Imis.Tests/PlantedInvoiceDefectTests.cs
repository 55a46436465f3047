using System.Net.Http.Json;
using Dapper;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Invoicing;
using DuesPilot.ImisSandbox;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Imis.Tests;

/// <summary>The sandbox's planted billing defects, found by invoice validation over the connector, in batch and as invoices arrive.</summary>
public sealed class PlantedInvoiceDefectTests
{
    private static readonly string[] Kinds = ["WrongTierRate", "CorporateBilledAsIndividual", "ProrationMismatch", "MissingTax", "DuplicateInvoice", "ManualOverride"];

    [Fact]
    public async Task ValidateFromImis_SandboxWithPlantedDefects_FindsEachPlantedKindAndNothingElse()
    {
        await using var host = await Sandbox.StartAsync(members: 600, configure: o => o.PlantedDefects = 2);
        using var client = Sandbox.Client(host);
        var planted = await host.PlantedDefectsAsync();
        var policy = LoadBillingPolicy.Example();

        var batch = await new ImisInvoiceSource(client, policy, "sandbox").LoadAsync(CancellationToken.None);
        var report = ValidateInvoices.Run(policy, batch);

        Assert.Equal(Kinds.Order(StringComparer.Ordinal), planted.GroupBy(p => p.Kind).Where(g => g.Count() == 2).Select(g => g.Key).Order(StringComparer.Ordinal));
        Assert.Contains(batch.Invoices, i => i.Lines.Any(l => l.ProductCode == "TAX")); // the clean batch has taxed invoices too
        var found = report.Flagged.ToDictionary(r => r.Invoice.Id.Value, r => r.Findings.Select(f => f.Kind.ToString()).ToHashSet());
        Assert.All(planted, p => Assert.Contains(p.Kind, found.GetValueOrDefault(p.InvoiceId, [])));
        Assert.Equal(planted.Select(p => p.InvoiceId).Order(StringComparer.Ordinal), found.Keys.Order(StringComparer.Ordinal)); // no findings on clean invoices
    }

    [Fact]
    public async Task PlantedDefectsEndpoint_Requested_ListsTheManifestOutsideTheApi()
    {
        await using var host = await Sandbox.StartAsync(members: 300, configure: o => o.PlantedDefects = 1);
        using var http = new HttpClient();
        var manifest = await http.GetFromJsonAsync<List<PlantedInvoiceDefect>>(host.BaseUrl + "/sandbox/planted-defects");
        Assert.Equal(await host.PlantedDefectsAsync(), manifest);
    }

    [Fact]
    public async Task SyncFromImis_FirstSync_FlagsEveryPlantedInvoiceAsAReviewItemAndNoOther()
    {
        await using var host = await Sandbox.StartAsync(members: 400, configure: o => o.PlantedDefects = 1);
        using var client = Sandbox.Client(host);
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero));

        var outcome = await SyncFromImis.HandleAsync(store, client, clock, LoadBillingPolicy.Example(), maxPages: 100);

        var planted = await host.PlantedDefectsAsync();
        var items = await store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<(string Subject, string Analysis)>(
            "SELECT subject_id, analysis FROM review_items WHERE kind = 'invoice'", transaction: tx)).ToList());
        Assert.Equal(planted.Count, outcome.Flagged);
        Assert.Equal(planted.Select(p => p.InvoiceId).Order(StringComparer.Ordinal), items.Select(i => i.Subject).Order(StringComparer.Ordinal));
        Assert.All(planted, p => Assert.Contains($"\"kind\":\"{p.Kind}\"", items.Single(i => i.Subject == p.InvoiceId).Analysis, StringComparison.Ordinal));
    }
}
