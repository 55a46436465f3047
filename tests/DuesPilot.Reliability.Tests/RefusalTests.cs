using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using DuesPilot.Cli.Chaos;
using DuesPilot.Features.Inquiries;
using DuesPilot.Features.Intake;

namespace DuesPilot.Reliability.Tests;

/// <summary>Security findings 4–7: every refusal at the webhook door is recorded with its reason and none is a 500; a stalled body is 408; member tokens are checked for range.</summary>
public sealed class RefusalTests
{
    private const string AnetKey = "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210";
    private const string ImisSecret = "imis-secret-for-refusal-tests";

    private static Task<SecurityHost> StartAsync() => SecurityHost.StartAsync(new Dictionary<string, string?>
    {
        ["Intake:AuthorizeNet:SignatureKey"] = AnetKey,
        ["Intake:Imis:SharedSecret"] = ImisSecret,
        ["Intake:BodyTimeoutSeconds"] = "1",
    });

    [Theory]
    [InlineData("{\"notificationId\":{}}")]
    [InlineData("{\"notificationId\":12345}")]
    [InlineData("{\"notificationId\":[\"a\"]}")]
    [InlineData("{}")]
    public async Task AuthorizeNet_SignedBodyWhoseNotificationIdIsNotText_ClearRefusalRecorded(string body)
    {
        await using var host = await StartAsync();
        using var http = host.Client();

        using var response = await PostAsync(http, "/webhooks/authorizenet", body, r => r.Headers.TryAddWithoutValidation("X-ANET-Signature", VerifyAuthorizeNetSignature.Sign(Encoding.UTF8.GetBytes(body), AnetKey)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Not a notification", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(["Not a notification"], await ReasonsAsync(host));
    }

    [Fact]
    public async Task EveryRefusal_RecordedWithItsReason_NoneAs500()
    {
        await using var host = await StartAsync();
        using var http = host.Client();
        var big = new string('x', 2 * 1024 * 1024);
        var statuses = new List<int>();

        // Size.
        using (var r = await PostAsync(http, "/webhooks/stripe", big)) statuses.Add((int)r.StatusCode);
        // Shape: a correctly signed Stripe body that is not an event.
        using (var r = await PostAsync(http, "/webhooks/stripe", "{}", q => q.Headers.Add("Stripe-Signature", VerifyStripeSignature.Sign("{}", ChaosWebhooks.Secret, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds())))) statuses.Add((int)r.StatusCode);
        // Signature.
        using (var r = await PostAsync(http, "/webhooks/authorizenet", "{\"notificationId\":\"n1\"}", q => q.Headers.TryAddWithoutValidation("X-ANET-Signature", "sha512=" + new string('0', 128)))) statuses.Add((int)r.StatusCode);
        // Not an Event Grid delivery (right secret, not JSON; JSON without ids).
        using (var r = await PostAsync(http, "/webhooks/imis", "not json", q => q.Headers.Add("X-DuesPilot-Secret", ImisSecret))) statuses.Add((int)r.StatusCode);
        using (var r = await PostAsync(http, "/webhooks/imis", "[{\"eventType\":\"x\"}]", q => q.Headers.Add("X-DuesPilot-Secret", ImisSecret))) statuses.Add((int)r.StatusCode);

        Assert.Equal([413, 400, 401, 400, 400], statuses);
        var reasons = await ReasonsAsync(host);
        Assert.Equal(5, reasons.Count);
        Assert.Contains("Body too large", reasons);
        Assert.Contains("Not a Stripe event", reasons);
        Assert.Contains("Invalid", reasons);
        Assert.Equal(2, reasons.Count(r => r == "Not an Event Grid delivery"));
        Assert.DoesNotContain(reasons, r => r.StartsWith("Valid", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Conflict_Is409WithAPlainProblemDetailsBody()
    {
        await using var host = await StartAsync();
        using var http = host.Client();
        var e = ChaosWebhooks.Make(1, 77)[0];
        Assert.Equal(200, (await ChaosWebhooks.SendAsync(http, e, TimeProvider.System, CancellationToken.None)).Status);
        var altered = e with { Body = e.Body.Replace("Membership dues", "Changed dues", StringComparison.Ordinal) };

        using var response = await PostAsync(http, "/webhooks/stripe", altered.Body, q => q.Headers.Add("Stripe-Signature", VerifyStripeSignature.Sign(altered.Body, ChaosWebhooks.Secret, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds())));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(409, doc.RootElement.GetProperty("status").GetInt32());
        Assert.False(doc.RootElement.TryGetProperty("problemDetails", out _));
    }

    [Fact]
    public async Task BodyThatStallsMidway_408AndRecorded()
    {
        await using var host = await StartAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host.Url.Host, host.Url.Port);
        var stream = tcp.GetStream();
        var head = $"POST /webhooks/stripe HTTP/1.1\r\nHost: {host.Url.Authority}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nStripe-Signature: t=1,v1=00\r\n\r\n{{\"id\":\"evt_";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.FlushAsync();

        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var statusLine = await reader.ReadLineAsync(timeout.Token);

        Assert.StartsWith("HTTP/1.1 408", statusLine, StringComparison.Ordinal);
        Assert.Equal(["Body stalled"], await ReasonsAsync(host));
    }

    [Fact]
    public async Task MemberToken_ExpiryPastYear9999_RefusedNot500()
    {
        await using var host = await StartAsync();
        var key = host.App.Configuration["Inquiries:SigningKey"]!;
        var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"v1|10231|{long.MaxValue / 2}"));
        var token = B64(payload) + "." + B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), payload));

        Assert.Equal(TokenProblem.Malformed, new MemberToken(key).Check(token, TimeProvider.System.GetUtcNow()).Problem);
        using var http = host.Client();
        using var response = await http.PostAsync("/api/inquiries", new StringContent($"{{\"token\":\"{token}\",\"question\":\"What do I owe?\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string body, Action<HttpRequestMessage>? shape = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        shape?.Invoke(request);
        return await http.SendAsync(request);
    }

    private static async Task<List<string>> ReasonsAsync(SecurityHost host)
    {
        await using var c = await host.Store.OpenConnectionAsync();
        return [.. (await c.QueryAsync<string>("SELECT reason FROM inbox_rejections ORDER BY received_at")).Select(r => r.Split(':')[0])];
    }
}

/// <summary>Security finding 8: limits on the assistant, sign-in and /metrics.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task Assistant_OneLinkAskingTwentyTimes_LimitedPerLink()
    {
        await using var host = await SecurityHost.StartAsync();
        var token = new MemberToken(host.App.Configuration["Inquiries:SigningKey"]!).Issue(new DuesPilot.Domain.MemberId("10231"), TimeProvider.System.GetUtcNow().AddDays(1));
        using var http = host.Client();
        var statuses = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            using var r = await http.PostAsync("/api/inquiries", new StringContent($"{{\"token\":\"{token}\",\"question\":\"Why was I charged twice? #{i}\"}}", Encoding.UTF8, "application/json"));
            statuses.Add((int)r.StatusCode);
        }

        Assert.Equal(5, statuses.Count(s => s != 429));
        Assert.Equal(15, statuses.Count(s => s == 429));
        await using var c = await host.Store.OpenConnectionAsync();
        Assert.True(await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inquiries") <= 5);
    }

    [Fact]
    public async Task Assistant_ManyLinksFromOneAddress_LimitedPerAddress()
    {
        await using var host = await SecurityHost.StartAsync(new Dictionary<string, string?> { ["Inquiries:Limits:PerAddressPerMinute"] = "3" });
        var issuer = new MemberToken(host.App.Configuration["Inquiries:SigningKey"]!);
        using var http = host.Client();
        var statuses = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            var token = issuer.Issue(new DuesPilot.Domain.MemberId($"m{i}"), TimeProvider.System.GetUtcNow().AddDays(1));
            using var r = await http.PostAsync("/api/inquiries", new StringContent($"{{\"token\":\"{token}\",\"question\":\"What do I owe?\"}}", Encoding.UTF8, "application/json"));
            statuses.Add((int)r.StatusCode);
        }

        Assert.Equal(3, statuses.Count(s => s == 429));
    }

    [Fact]
    public async Task Assistant_LargeBody_413()
    {
        await using var host = await SecurityHost.StartAsync();
        using var http = host.Client();
        using var r = await http.PostAsync("/api/inquiries", new StringContent($"{{\"token\":\"x\",\"question\":\"{new string('a', 100_000)}\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
    }

    [Fact]
    public async Task SignIn_TwentyWrongPasswords_ThenTheRightOneRefusedAndLockoutAudited()
    {
        await using var host = await SecurityHost.StartAsync(new Dictionary<string, string?> { ["Staff:SignIn:MaxFailuresPerAddress"] = "50" });
        using var client = host.Client();
        var token = await SecurityHost.AntiforgeryTokenAsync(client, "/Account/Login");
        for (var i = 0; i < 20; i++)
        {
            using var wrong = await client.PostAsync("/Account/Login", Form("kim", "wrong-password-" + i, token));
            Assert.NotEqual(HttpStatusCode.Redirect, wrong.StatusCode);
        }

        using var right = await client.PostAsync("/Account/Login", Form("kim", SecurityHost.Password, token));
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        await using var c = await host.Store.OpenConnectionAsync();
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'staff.sign-in-locked' AND subject = 'staff:kim'"));
        // Another user is not locked out by kim's attempts.
        using var other = await host.SignedInClientAsync("ada");
    }

    [Fact]
    public async Task SignIn_WrongPasswordsSplitOverTwoHostsOnOnePostgres_LockTheAccountOnBoth()
    {
        // Two instances of the service behind one load balancer share one PostgreSQL: five wrong passwords, three
        // on one and two on the other, lock the account on both (with counts per instance neither would reach five).
        var database = await DuesPilot.TestSupport.TestStores.CreatePostgresDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["Staff:SignIn:MaxFailuresPerAddress"] = "50", ["Staff:SignIn:MaxFailuresPerUser"] = "5" };
        await using var first = await SecurityHost.StartAsync(settings, database);
        await using var second = await SecurityHost.StartAsync(settings, database);
        using var toFirst = first.Client();
        using var toSecond = second.Client();
        var firstToken = await SecurityHost.AntiforgeryTokenAsync(toFirst, "/Account/Login");
        var secondToken = await SecurityHost.AntiforgeryTokenAsync(toSecond, "/Account/Login");
        for (var i = 0; i < 5; i++)
        {
            using var wrong = i % 2 == 0
                ? await toFirst.PostAsync("/Account/Login", Form("kim", "wrong-password-" + i, firstToken))
                : await toSecond.PostAsync("/Account/Login", Form("kim", "wrong-password-" + i, secondToken));
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        using (var right = await toSecond.PostAsync("/Account/Login", Form("KIM", SecurityHost.Password, secondToken)))
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        using (var right = await toFirst.PostAsync("/Account/Login", Form("kim", SecurityHost.Password, firstToken)))
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        await using var c = await first.Store.OpenConnectionAsync();
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'staff.sign-in-locked' AND subject = 'staff:kim'"));
        // Another user signs in on either host.
        using var ada = await second.SignedInClientAsync("ada");
    }

    [Fact]
    public async Task Metrics_AnonymousFromElsewhere_NeedsTheSetting()
    {
        await using (var host = await SecurityHost.StartAsync(new Dictionary<string, string?> { ["Metrics:Access"] = "token", ["Metrics:Token"] = "metrics-token-123" }))
        {
            using var http = host.Client();
            using var anonymous = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "metrics-token-123");
            using var withToken = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        }

        // The default is loopback only; the tests connect over loopback.
        await using (var host = await SecurityHost.StartAsync())
        {
            using var http = host.Client();
            using var local = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        }
    }

    private static FormUrlEncodedContent Form(string user, string password, string token) => new(new Dictionary<string, string>
    {
        ["UserName"] = user, ["Password"] = password, ["__RequestVerificationToken"] = token,
    });
}
