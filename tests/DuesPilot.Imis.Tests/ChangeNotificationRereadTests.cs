using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Imis.Tests;

/// <summary>
/// End to end with the iMIS sandbox: the service answers Event Grid's handshake on <c>/webhooks/imis</c>, queues
/// each change notice, and its inbox worker re-reads the changed invoice or member from iMIS into the cache. An
/// invoice corrected in iMIS shows its new amount and balance after the notice; nothing in the notice's data is used.
/// </summary>
public sealed class ChangeNotificationRereadTests
{
    private const string Secret = "imis-change-secret";

    [Fact]
    public async Task Notices_RereadTheChangedInvoiceAndMember_FromTheSandbox()
    {
        await using var sandbox = await Sandbox.StartAsync(members: 80);
        using var client = Sandbox.Client(sandbox);
        ImisInvoice? target = null;
        await foreach (var i in client.ListInvoicesAsync(new InvoiceQuery(OpenOnly: true)))
        {
            if (i.Invoice.Balance == i.Invoice.Amount && i.Invoice.Amount.MinorUnits > 5000)
            {
                target = i;
                break;
            }
        }

        Assert.NotNull(target);
        var invoiceId = target.Invoice.Id;
        Member? other = null;
        await foreach (var m in client.ListMembersAsync())
        {
            if (m.Member.Id != target.Invoice.MemberId)
            {
                other = m.Member;
                break;
            }
        }

        Assert.NotNull(other);

        var settings = new Dictionary<string, string?>
        {
            ["Imis:BaseUrl"] = sandbox.BaseUrl,
            ["Imis:Username"] = "admin",
            ["Imis:Password"] = "admin",
            ["Intake:Imis:SharedSecret"] = Secret,
            ["Intake:Worker:PollMilliseconds"] = "50",
            ["Staff:InitialAdminPassword"] = "correct-horse-battery",
            ["Jobs:Schedules:imis-sync"] = "",
            ["Jobs:Schedules:imis-writes"] = "",
            ["Jobs:Schedules:match-payments"] = "",
            ["Jobs:Schedules:hold-release"] = "",
            ["Jobs:Schedules:nightly-reconciliation"] = "",
        };
        await using var app = await ServerHost.BuildAsync(new ServerHostOptions(await TestStores.CreateOptionsAsync(StoreEngine.Sqlite), "http://127.0.0.1:0", settings));
        await app.StartAsync();
        var store = app.Services.GetRequiredService<Store>();
        using var http = new HttpClient { BaseAddress = ServerHost.Address(app) };

        // Event Grid's handshake, answered by the same reading of the delivery as the notices.
        using (var handshake = await PostAsync(http, """[{"id":"v1","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"CODE-1"}}]"""))
        {
            Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
            using var doc = JsonDocument.Parse(await handshake.Content.ReadAsStringAsync());
            Assert.Equal("CODE-1", doc.RootElement.GetProperty("validationResponse").GetString());
        }

        Assert.Null(await CachedBalanceAsync(store, invoiceId));

        // A new invoice: read from iMIS (the notice carries no figures), with its member.
        using (var created = await PostAsync(http, $$$"""[{"id":"n1","eventType":"Invoice.Created","subject":"Invoice","data":{"InvoiceId":"{{{invoiceId.Value}}}"}}]"""))
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var first = await ProcessedAsync(store, "imis:n1");
        Assert.Equal("processed", first.State);
        Assert.Contains("invoice re-read from iMIS (new", first.Outcome, StringComparison.Ordinal);
        Assert.Equal(target.Invoice.Balance.MinorUnits, await CachedBalanceAsync(store, invoiceId));
        Assert.NotNull(await CachedMemberNameAsync(store, target.Invoice.MemberId));

        // Corrected in iMIS: the next notice brings the new amount and balance.
        var corrected = target.Invoice.Amount - Money.FromMinor(1500, target.Invoice.Amount.Currency);
        Assert.Equal(ImisChangeStatus.Applied, (await client.CorrectInvoiceAsync(new ImisInvoiceCorrection(invoiceId, corrected, "Wrong tier"))).Status);
        using (var updated = await PostAsync(http, $$$"""{"id":"n2","eventType":"Invoice.Updated","subject":"Invoice","data":{"InvoiceId":"{{{invoiceId.Value}}}","Balance":999999}}"""))
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var second = await ProcessedAsync(store, "imis:n2");
        Assert.Contains("updated", second.Outcome, StringComparison.Ordinal);
        Assert.Equal(corrected.MinorUnits, await CachedBalanceAsync(store, invoiceId));

        // A member changed in iMIS: re-read by id from the subject.
        Assert.Null(await CachedMemberNameAsync(store, other.Id));
        using (var party = await PostAsync(http, $$$"""[{"id":"n3","eventType":"Party.Updated","subject":"Party/{{{other.Id.Value}}}","data":{}}]"""))
            Assert.Equal(HttpStatusCode.OK, party.StatusCode);
        Assert.Contains("member re-read from iMIS", (await ProcessedAsync(store, "imis:n3")).Outcome, StringComparison.Ordinal);
        Assert.Equal(other.FullName, await CachedMemberNameAsync(store, other.Id));

        await app.StopAsync();
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/imis") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-DuesPilot-Secret", Secret);
        return http.SendAsync(request);
    }

    private static async Task<(string State, string Outcome)> ProcessedAsync(Store store, string key)
    {
        for (var i = 0; i < 600; i++)
        {
            await using var c = await store.OpenConnectionAsync();
            var row = await c.QuerySingleOrDefaultAsync<(string State, string? Outcome, string? Error)>(
                "SELECT state, outcome, last_error FROM inbox WHERE idempotency_key = @key", new { key });
            if (row.State is "processed" or "dead") return (row.State, row.Outcome ?? row.Error ?? "");
            await Task.Delay(50);
        }

        throw new TimeoutException($"{key} was not processed");
    }

    private static async Task<long?> CachedBalanceAsync(Store store, InvoiceId id)
    {
        await using var c = await store.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<long?>("SELECT balance_minor FROM invoices WHERE invoice_id = @id", new { id = id.Value });
    }

    private static async Task<string?> CachedMemberNameAsync(Store store, MemberId id)
    {
        await using var c = await store.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<string?>("SELECT full_name FROM members WHERE member_id = @id", new { id = id.Value });
    }
}
