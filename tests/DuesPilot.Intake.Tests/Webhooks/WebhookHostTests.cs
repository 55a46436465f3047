using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using DuesPilot.Features.Intake;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.TestSupport;
using Microsoft.AspNetCore.Builder;
using Xunit.Abstractions;

namespace DuesPilot.Intake.Tests.Webhooks;

/// <summary>The webhook endpoints on a real Kestrel (127.0.0.1, free port) with a real HttpClient, on both engines.</summary>
public abstract class WebhookHostTests(StoreEngine engine, ITestOutputHelper output)
{
    private const string StripeSecret = "whsec_host_test_secret";
    private const string ImisSecret = "imis-shared-secret-value";
    private static readonly string AnetKey = Fixture.Text("authorizenet/authnetjson__webhook.authcapture.created.signature.txt")
        .Split('\n').Single(l => l.StartsWith("signature_key=", StringComparison.Ordinal))["signature_key=".Length..].Trim();

    private async Task<StoreOptions> NewStoreOptionsAsync() => engine == StoreEngine.Sqlite
        ? new StoreOptions(Directory.CreateTempSubdirectory("duespilot-host-").FullName)
        : new StoreOptions("", await TestStores.CreatePostgresDatabaseAsync());

    private static async Task<WebApplication> StartAsync(StoreOptions store, bool worker = false, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Intake:Stripe:WebhookSecret"] = StripeSecret,
            ["Intake:AuthorizeNet:SignatureKey"] = AnetKey,
            ["Intake:Imis:SharedSecret"] = ImisSecret,
            ["Intake:Worker:Enabled"] = worker ? "true" : "false",
            ["Intake:Worker:PollMilliseconds"] = "50",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        var app = await ServerHost.BuildAsync(new ServerHostOptions(store, "http://127.0.0.1:0", settings));
        await app.StartAsync();
        return app;
    }

    private static HttpClient Client(WebApplication app) => new() { BaseAddress = ServerHost.Address(app), Timeout = TimeSpan.FromSeconds(60) };

    private static string StripeEvent(int i)
    {
        var n = i.ToString("00000", CultureInfo.InvariantCulture);
        var amount = (10000 + i).ToString(CultureInfo.InvariantCulture);
        var num = i.ToString(CultureInfo.InvariantCulture);
        return "{\"id\":\"evt_" + n + "\",\"object\":\"event\",\"api_version\":\"2024-06-20\",\"created\":1767614400,\"type\":\"payment_intent.succeeded\",\"livemode\":false,\"pending_webhooks\":1,"
            + "\"data\":{\"object\":{\"id\":\"pi_" + n + "\",\"object\":\"payment_intent\",\"amount\":" + amount + ",\"amount_received\":" + amount
            + ",\"currency\":\"usd\",\"receipt_email\":\"m" + num + "@example.org\",\"metadata\":{\"member_id\":\"M-" + num + "\"}}}}";
    }

    private static HttpRequestMessage StripeRequest(string body, string? secret = StripeSecret, long? at = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (secret is not null) request.Headers.Add("Stripe-Signature", VerifyStripeSignature.Sign(body, secret, at ?? TimeProvider.System.GetUtcNow().ToUnixTimeSeconds()));
        return request;
    }

    private static async Task<long> CountAsync(StoreOptions options, string sql)
    {
        await using var store = Store.Create(options);
        await using var c = await store.OpenConnectionAsync();
        return await c.ExecuteScalarAsync<long>(sql);
    }

    [Fact]
    public async Task Host_ConfigurationFiles_ReadOnceNotWatched()
    {
        await using var app = await ServerHost.BuildAsync(new ServerHostOptions(await NewStoreOptionsAsync(), "http://127.0.0.1:0"));
        var files = ((Microsoft.Extensions.Configuration.IConfigurationRoot)app.Configuration).Providers.OfType<Microsoft.Extensions.Configuration.FileConfigurationProvider>().ToList();
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.False(f.Source.ReloadOnChange, $"{f.Source.Path} is watched for changes"));
    }

    [Fact]
    public async Task ThousandWebhooks_EachSentOneToThreeTimesShuffled_ExactlyThousandItems()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var deliveries = Enumerable.Range(1, 1000).SelectMany(i => Enumerable.Repeat(i, random.Next(1, 4))).OrderBy(_ => random.Next()).ToList();
        var options = await NewStoreOptionsAsync();
        await using var app = await StartAsync(options);
        using var http = Client(app);
        var statuses = new ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var response = await http.SendAsync(StripeRequest(StripeEvent(i)), ct);
            statuses.Add(response.StatusCode);
        });
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(deliveries.Count, statuses.Count);
        Assert.Equal(1000L, await CountAsync(options, "SELECT COUNT(*) FROM inbox WHERE source = 'stripe'"));
        Assert.Equal(0L, await CountAsync(options, "SELECT COUNT(*) FROM inbox_alerts"));
    }

    [Fact]
    public async Task HostRestartedMidStream_NothingAcknowledgedIsLost()
    {
        var options = await NewStoreOptionsAsync();
        var current = await StartAsync(options);
        var address = ServerHost.Address(current);
        var acknowledged = new ConcurrentDictionary<int, bool>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var restarted = false;

        var senders = Task.Run(() => Parallel.ForEachAsync(Enumerable.Range(1, 400), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, ct) =>
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                try
                {
                    using var request = StripeRequest(StripeEvent(i));
                    request.RequestUri = new Uri(Volatile.Read(ref address), "/webhooks/stripe");
                    using var response = await http.SendAsync(request, ct);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged[i] = true;
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // The host is restarting: like Stripe, try again.
                }
                catch (TaskCanceledException) when (!ct.IsCancellationRequested)
                {
                    // A request cut by the shutdown.
                }

                await Task.Delay(25, ct);
            }

            throw new InvalidOperationException($"webhook {i} never acknowledged");
        }));

        while (acknowledged.Count < 120 && !senders.IsCompleted) await Task.Delay(5);
        var acknowledgedBeforeRestart = acknowledged.Count;
        await current.StopAsync();
        await current.DisposeAsync();
        var second = await StartAsync(options);
        Volatile.Write(ref address, ServerHost.Address(second));
        restarted = true;
        await senders;
        await using (second)
        {
            Assert.True(restarted);
            Assert.InRange(acknowledgedBeforeRestart, 120, 399);
            Assert.Equal(400, acknowledged.Count);
            Assert.Equal(400L, await CountAsync(options, "SELECT COUNT(*) FROM inbox WHERE source = 'stripe'"));
            await using var store = Store.Create(options);
            await using var c = await store.OpenConnectionAsync();
            var keys = (await c.QueryAsync<string>("SELECT idempotency_key FROM inbox")).ToHashSet();
            Assert.All(acknowledged.Keys, i => Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"stripe:evt_{i:00000}"), keys));
        }
    }

    [Fact]
    public async Task FiftyMegabyteBody_Refused413_NothingStored()
    {
        var options = await NewStoreOptionsAsync();
        await using var app = await StartAsync(options);
        using var http = Client(app);
        using var big = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new ByteArrayContent(new byte[50 * 1024 * 1024]) };
        big.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        big.Headers.ExpectContinue = true;
        using var response = await http.SendAsync(big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);

        // Without a Content-Length (chunked), the limit is enforced while reading.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/webhooks/authorizenet") { Content = new StreamContent(new MemoryStream(new byte[2 * 1024 * 1024])) };
        chunked.Headers.TransferEncodingChunked = true;
        using var second = await http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, second.StatusCode);
        Assert.Equal(0L, await CountAsync(options, "SELECT COUNT(*) FROM inbox"));
    }

    [Fact]
    public async Task ForgedOrStale_RefusedRecordedWithoutSecretsNeverQueued()
    {
        var options = await NewStoreOptionsAsync();
        await using var app = await StartAsync(options);
        using var http = Client(app);
        using var forged = await http.SendAsync(StripeRequest(StripeEvent(1), secret: "whsec_attacker"));
        using var unsigned = await http.SendAsync(StripeRequest(StripeEvent(2), secret: null));
        using var stale = await http.SendAsync(StripeRequest(StripeEvent(3), at: TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - 3600));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);

        var anetBody = Fixture.Bytes("authorizenet/authnetjson__webhook.authcapture.created.body.json");
        using var anetForged = new HttpRequestMessage(HttpMethod.Post, "/webhooks/authorizenet") { Content = new ByteArrayContent(anetBody) };
        anetForged.Headers.Add("X-ANET-Signature", VerifyAuthorizeNetSignature.Sign(anetBody, "wrong-key"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(anetForged)).StatusCode);

        Assert.Equal(0L, await CountAsync(options, "SELECT COUNT(*) FROM inbox"));
        Assert.Equal(4L, await CountAsync(options, "SELECT COUNT(*) FROM inbox_rejections"));
        await using var store = Store.Create(options);
        await using var c = await store.OpenConnectionAsync();
        var rows = (await c.QueryAsync<(string Reason, string? Headers)>("SELECT reason, headers FROM inbox_rejections")).ToList();
        Assert.All(rows, r => Assert.DoesNotContain(StripeSecret, r.Headers ?? "", StringComparison.Ordinal));
        Assert.All(rows, r => Assert.DoesNotContain(AnetKey, r.Headers ?? "", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Reason.StartsWith("Stale", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SameIdDifferentPayload_409AndAlert()
    {
        var options = await NewStoreOptionsAsync();
        await using var app = await StartAsync(options);
        using var http = Client(app);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(StripeRequest(StripeEvent(7)))).StatusCode);
        var changed = StripeEvent(7).Replace("\"amount\":10007", "\"amount\":99999", StringComparison.Ordinal);
        using var conflict = await http.SendAsync(StripeRequest(changed));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        // A redelivery that differs only in pending_webhooks is the same event.
        var redelivery = StripeEvent(7).Replace("\"pending_webhooks\":1", "\"pending_webhooks\":0", StringComparison.Ordinal);
        using var again = await http.SendAsync(StripeRequest(redelivery));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("duplicate", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1L, await CountAsync(options, "SELECT COUNT(*) FROM inbox"));
        Assert.Equal(1L, await CountAsync(options, "SELECT COUNT(*) FROM inbox_alerts"));
    }

    [Fact]
    public async Task AuthorizeNetFixture_SignedDelivery_QueuedUnderNotificationId()
    {
        var options = await NewStoreOptionsAsync();
        await using var app = await StartAsync(options);
        using var http = Client(app);
        var body = Fixture.Bytes("authorizenet/authnetjson__webhook.authcapture.created.body.json");
        var header = Fixture.Text("authorizenet/authnetjson__webhook.authcapture.created.signature.txt").Split('\n')
            .Single(l => l.StartsWith("x_anet_signature=", StringComparison.Ordinal))["x_anet_signature=".Length..].Trim();
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/authorizenet") { Content = new ByteArrayContent(body) };
            request.Headers.Add("X-Anet-Signature", header);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1L, await CountAsync(options, "SELECT COUNT(*) FROM inbox WHERE idempotency_key = 'authorizenet:182cbbff-cab2-4080-931d-80e5d818f23a'"));
    }

    [Fact]
    public async Task Imis_EventGridHandshakeThenEvents()
    {
        var options = await NewStoreOptionsAsync();
        await using var app = await StartAsync(options);
        using var http = Client(app);
        const string validation = """[{"id":"v1","topic":"t","subject":"s","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2026-01-05T12:00:00Z","data":{"validationCode":"ABC-123","validationUrl":"https://example.invalid"},"dataVersion":"1"}]""";
        using var handshake = new HttpRequestMessage(HttpMethod.Post, "/webhooks/imis") { Content = new StringContent(validation, Encoding.UTF8, "application/json") };
        handshake.Headers.Add("X-DuesPilot-Secret", ImisSecret);
        handshake.Headers.Add("aeg-event-type", "SubscriptionValidation");
        using var answer = await http.SendAsync(handshake);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using (var doc = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()))
            Assert.Equal("ABC-123", doc.RootElement.GetProperty("validationResponse").GetString());

        const string events = """[{"id":"e1","eventType":"Party.Updated","subject":"Party/101","eventTime":"2026-01-05T12:00:00Z","data":{"Id":"101"},"dataVersion":"1"},{"id":"e2","eventType":"Party.Updated","subject":"Party/102","eventTime":"2026-01-05T12:00:01Z","data":{"Id":"102"},"dataVersion":"1"}]""";
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/webhooks/imis?code=nope") { Content = new StringContent(events, Encoding.UTF8, "application/json") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Post, "/webhooks/imis?code=" + ImisSecret) { Content = new StringContent(events, Encoding.UTF8, "application/json") };
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(right)).StatusCode);
        Assert.Equal(2L, await CountAsync(options, "SELECT COUNT(*) FROM inbox WHERE source = 'imis'"));
    }

    [Fact]
    public async Task EndpointWithoutSecret_OffWith404Problem()
    {
        var options = await NewStoreOptionsAsync();
        await using var app = await StartAsync(options, extra: new() { ["Intake:Stripe:WebhookSecret"] = "", ["Intake:Imis:SharedSecret"] = null });
        using var http = Client(app);
        using var response = await http.SendAsync(StripeRequest(StripeEvent(1)));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Intake:Stripe:WebhookSecret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var healthJson = System.Text.Json.JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
        Assert.True(healthJson.GetProperty("schemaVersion").GetInt32() >= 2, "every migration up to intake's is applied");
    }

    [Fact]
    public async Task Worker_ProcessesAcknowledgedWebhookIntoPayment()
    {
        var options = await NewStoreOptionsAsync();
        await using var app = await StartAsync(options, worker: true);
        using var http = Client(app);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(StripeRequest(StripeEvent(42)))).StatusCode);
        for (var i = 0; i < 400 && await CountAsync(options, "SELECT COUNT(*) FROM payments") == 0; i++) await Task.Delay(50);
        await using var store = Store.Create(options);
        await using var c = await store.OpenConnectionAsync();
        var p = await c.QuerySingleAsync<(string Id, long Amount, string Email, string Memo)>("SELECT payment_id, amount_minor, payer_email, memo FROM payments");
        Assert.Equal(("stripe:pi_00042", 10042L, "m42@example.org", "member_id=M-42"), p);
    }
}

public sealed class SqliteWebhookHostTests(ITestOutputHelper output) : WebhookHostTests(StoreEngine.Sqlite, output);

public sealed class PostgresWebhookHostTests(ITestOutputHelper output) : WebhookHostTests(StoreEngine.Postgres, output);
