using System.Net;
using System.Reflection;
using System.Text;
using Dapper;
using DuesPilot.Cli.Chaos;
using DuesPilot.Features.Intake;
using DuesPilot.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.Reliability.Tests;

/// <summary>Hostile webhooks, role checks on every staff route, CSRF on forms — through the real service host.</summary>
public sealed class SecurityTests
{
    public enum Attack
    {
        Forged,
        Replayed,
        Altered,
        Unsigned,
    }

    [Theory]
    [InlineData(Attack.Forged, HttpStatusCode.Unauthorized)]
    [InlineData(Attack.Replayed, HttpStatusCode.BadRequest)]
    [InlineData(Attack.Altered, HttpStatusCode.Unauthorized)]
    [InlineData(Attack.Unsigned, HttpStatusCode.Unauthorized)]
    public async Task StripeWebhook_Hostile_RefusedRecordedAndNeverQueued(Attack attack, HttpStatusCode expected)
    {
        await using var host = await SecurityHost.StartAsync();
        using var http = host.Client();
        var e = ChaosWebhooks.Make(1, 99)[0];
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var body = e.Body;
        string? signature = attack switch
        {
            Attack.Forged => VerifyStripeSignature.Sign(body, "whsec_not_the_secret", now),
            Attack.Replayed => VerifyStripeSignature.Sign(body, ChaosWebhooks.Secret, now - 3600),
            Attack.Altered => VerifyStripeSignature.Sign(body, ChaosWebhooks.Secret, now),
            _ => null,
        };
        if (attack == Attack.Altered) body = body.Replace($"\"amount\":{e.AmountMinor}", "\"amount\":1", StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null) request.Headers.Add("Stripe-Signature", signature);

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        await using var c = await host.Store.OpenConnectionAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox"));
        var reason = await c.QuerySingleAsync<string>("SELECT reason FROM inbox_rejections WHERE source = 'stripe'");
        Assert.StartsWith(attack switch { Attack.Replayed => "Stale", Attack.Unsigned => "Missing", _ => "Invalid" }, reason, StringComparison.Ordinal);
    }

    private static readonly string[] StaffPrefixes = ["/Review", "/Holds", "/Audit", "/Jobs", "/Rollout", "/Summary", "/api"];

    /// <summary>Every staff route of the built host (method, concrete path), found through its endpoint data sources.</summary>
    private static List<(string Method, string Path)> StaffRoutes(SecurityHost host)
    {
        var routes = new List<(string, string)>();
        foreach (var endpoint in host.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (path != "/" && path != "/Index" && !StaffPrefixes.Any(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase))) continue;
            path = System.Text.RegularExpressions.Regex.Replace(path, "\\{[^}]+\\}", "x").TrimEnd('/');
            if (path.Length == 0) path = "/";
            // The member assistant's API is for members, authorised by a signed member link, not a staff role.
            if (path.StartsWith("/api/inquiries", StringComparison.Ordinal)) continue;
            // A Razor page without method metadata answers GET; its POSTs are its handlers, walked below.
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var m in methods) routes.Add((m, path));
        }

        // Razor Pages POST handlers (?handler=Name) of every staff page model.
        foreach (var model in typeof(StaffUi).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(PageModel)) && t.Namespace?.Contains(".Pages.", StringComparison.Ordinal) == true && !t.Namespace.EndsWith(".Account", StringComparison.Ordinal)))
        {
            var folder = model.Namespace![(model.Namespace!.IndexOf(".Pages.", StringComparison.Ordinal) + ".Pages".Length)..].Replace('.', '/');
            var page = model.Name[..^"Model".Length];
            var path = page == "Index" ? folder : $"{folder}/{page}";
            // The page's own route, with its parameters filled in (e.g. /Review/Item/x).
            path = routes.Select(r => r.Item2).Where(p => p.StartsWith(path + "/", StringComparison.OrdinalIgnoreCase) && !p.EndsWith("/Index", StringComparison.Ordinal)).DefaultIfEmpty(path).First();
            foreach (var handler in model.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.Name.StartsWith("OnPost", StringComparison.Ordinal)))
            {
                var name = handler.Name["OnPost".Length..].Replace("Async", "", StringComparison.Ordinal);
                routes.Add(("POST", name.Length == 0 ? path : $"{path}?handler={name}"));
            }
        }

        return [.. routes.Distinct()];
    }

    [Fact]
    public async Task StaffRoutes_EveryRouteAsAnonymousAuditorAndReviewer_RoleDecidesAccess()
    {
        await using var host = await SecurityHost.StartAsync();
        var routes = StaffRoutes(host);
        Assert.Contains(routes, r => r.Path.StartsWith("/api", StringComparison.Ordinal) && r.Method == "POST");
        foreach (var prefix in StaffPrefixes) Assert.Contains(routes, r => r.Path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

        using var anonymous = host.Client();
        using var auditor = await host.SignedInClientAsync("ann");
        using var reviewer = await host.SignedInClientAsync("kim");
        var auditorToken = await SecurityHost.AntiforgeryTokenAsync(auditor, "/Holds");
        var failures = new List<string>();
        foreach (var (method, path) in routes)
        {
            var api = path.StartsWith("/api", StringComparison.Ordinal);

            using (var r = await SendAsync(anonymous, method, path, null))
            {
                var toLogin = r.StatusCode == HttpStatusCode.Redirect && r.Headers.Location?.OriginalString.Contains("/Account/Login", StringComparison.Ordinal) == true;
                if (!(api ? r.StatusCode == HttpStatusCode.Unauthorized : toLogin)) failures.Add($"anonymous {method} {path}: {(int)r.StatusCode}");
            }

            using (var r = await SendAsync(auditor, method, path, auditorToken))
            {
                var denied = r.StatusCode == HttpStatusCode.Forbidden || (r.StatusCode == HttpStatusCode.Redirect && r.Headers.Location?.OriginalString.Contains("/Account/Denied", StringComparison.Ordinal) == true);
                if (method == "GET" && (denied || r.StatusCode is HttpStatusCode.Unauthorized || (int)r.StatusCode >= 500)) failures.Add($"auditor GET {path}: {(int)r.StatusCode}");
                if (method == "POST" && !denied) failures.Add($"auditor POST {path}: {(int)r.StatusCode}, not refused");
            }

            if (method == "GET")
            {
                using var r = await SendAsync(reviewer, method, path, null);
                var refused = r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || r.Headers.Location?.OriginalString.Contains("/Account/", StringComparison.Ordinal) == true;
                if (refused || (int)r.StatusCode >= 500) failures.Add($"reviewer GET {path}: {(int)r.StatusCode}");
            }
            else if (api)
            {
                using var r = await SendAsync(reviewer, method, path, null);
                if (r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) failures.Add($"reviewer POST {path}: {(int)r.StatusCode}");
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task FormPost_WithoutAntiforgeryToken_Refused()
    {
        await using var host = await SecurityHost.StartAsync();
        using var admin = await host.SignedInClientAsync("ada");

        using var withoutToken = await admin.PostAsync("/Rollout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["channel"] = "card", ["segment"] = "REG", ["phase"] = "guarded", ["reason"] = "cross-site",
        }));

        Assert.Equal(HttpStatusCode.Forbidden, withoutToken.StatusCode);
        await using var c = await host.Store.OpenConnectionAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action LIKE 'rollout%'"));
    }

    /// <summary>
    /// Security finding 2: a page on another port of the same host (or a sibling subdomain) posts with the
    /// signed-in administrator's cookies. Every state-changing route of the built host (its endpoint data
    /// sources, so a new route is covered) refuses: another Origin even with a valid token, Sec-Fetch-Site
    /// same-site even as JSON, and a simple content type without the token. Routes that allow cross-site
    /// posts must be anonymous (they never act on the cookie).
    /// </summary>
    [Fact]
    public async Task EveryStateChangingRoute_CrossSitePostWithStaffCookie_Refused()
    {
        await using var host = await SecurityHost.StartAsync();
        using var admin = await host.SignedInClientAsync("ada");
        var token = await SecurityHost.AntiforgeryTokenAsync(admin, "/Holds");
        var evil = new UriBuilder(host.Url) { Port = host.Url.Port == 1 ? 2 : host.Url.Port - 1 }.Uri.GetLeftPart(UriPartial.Authority);
        var failures = new List<string>();
        var guarded = 0;
        foreach (var endpoint in host.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            // A Razor page has no method metadata: it takes POST for its handlers.
            var methods = (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["POST"]).Where(m => !CrossSiteGuard.IsSafe(m)).ToList();
            if (methods.Count == 0) continue;
            var path = "/" + System.Text.RegularExpressions.Regex.Replace(endpoint.RoutePattern.RawText ?? "", "\\{[^}]+\\}", "x").Trim('/');
            if (endpoint.Metadata.GetMetadata<CrossSiteAllowedAttribute>() is not null)
            {
                if (endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is null || endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>() is not null)
                    failures.Add($"{path} allows cross-site posts but is authorised by the staff cookie");
                continue;
            }

            guarded++;
            foreach (var method in methods)
            {
                var attempts = new (string What, Action<HttpRequestMessage> Shape)[]
                {
                    ("Origin on another port, with a token", r =>
                    {
                        r.Headers.Add("Origin", evil);
                        r.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token, ["reason"] = "csrf" });
                    }),
                    ("Sec-Fetch-Site same-site, JSON", r =>
                    {
                        r.Headers.Add("Sec-Fetch-Site", "same-site");
                        r.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                    }),
                    ("no body, no token", _ => { }),
                    ("text/plain, no token", r => r.Content = new StringContent("{}", Encoding.UTF8, "text/plain")),
                };
                foreach (var (what, shape) in attempts)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path + "?reason=csrf");
                    shape(request);
                    using var response = await admin.SendAsync(request);
                    if (response.StatusCode != HttpStatusCode.Forbidden) failures.Add($"{method} {path} ({what}): {(int)response.StatusCode}");
                }
            }
        }

        Assert.True(guarded >= 5, $"only {guarded} guarded routes found");
        Assert.Empty(failures);

        // The same request from the service's own page or a script (JSON, no Origin from elsewhere) still works.
        using var own = new HttpRequestMessage(HttpMethod.Post, "/api/holds/none/override?reason=test") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        own.Headers.Add("Origin", host.Url.GetLeftPart(UriPartial.Authority));
        own.Headers.Add("Sec-Fetch-Site", "same-origin");
        using var ok = await admin.SendAsync(own);
        Assert.NotEqual(HttpStatusCode.Forbidden, ok.StatusCode);
        using var withHeaderToken = new HttpRequestMessage(HttpMethod.Post, "/api/holds/none/override?reason=test");
        withHeaderToken.Headers.Add(CrossSiteGuard.TokenHeader, token);
        using var ok2 = await admin.SendAsync(withHeaderToken);
        Assert.NotEqual(HttpStatusCode.Forbidden, ok2.StatusCode);
    }

    /// <summary>Staff pages may not be framed by another site (clickjacking).</summary>
    [Fact]
    public async Task StaffPages_SendFrameAncestorsNone()
    {
        await using var host = await SecurityHost.StartAsync();
        using var admin = await host.SignedInClientAsync("ada");
        foreach (var path in new[] { "/", "/Holds", "/Review", "/Account/Login" })
        {
            using var response = await admin.GetAsync(path);
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? token)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = path.StartsWith("/api", StringComparison.Ordinal)
                ? new StringContent("{}", Encoding.UTF8, "application/json")
                : new FormUrlEncodedContent(token is null ? [] : new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
        }

        return await client.SendAsync(request);
    }
}

/// <summary>Security finding 3: files readable by the service's user only, Data Protection keys wrapped at rest.</summary>
public sealed class DataAtRestTests
{
    [Fact]
    public async Task FreshDataFolder_OwnerOnlyModes_AndDataProtectionKeysWrapped()
    {
        if (OperatingSystem.IsWindows()) return;
        var root = Directory.CreateTempSubdirectory("duespilot-modes-").FullName;
        var data = Path.Combine(root, "data");
        try
        {
            var app = await ChaosHost.StartAsync(new DuesPilot.Persistence.StoreOptions(data));
            await using (app)
            {
                using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = DuesPilot.Server.ServerHost.Address(app) };
                var token = await SecurityHost.AntiforgeryTokenAsync(client, "/Account/Login");
                using var login = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["UserName"] = "admin", ["Password"] = "chaos-admin-password", ["__RequestVerificationToken"] = token,
                }));
                Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
                using var holds = await client.GetAsync("/Holds");
                Assert.Equal(HttpStatusCode.OK, holds.StatusCode);

                const UnixFileMode folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
                const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                Assert.Equal(folder, File.GetUnixFileMode(data));
                Assert.Equal(folder, File.GetUnixFileMode(Path.Combine(data, "secrets")));
                foreach (var name in new[] { "duespilot.db", "duespilot.db-wal", "duespilot.db-shm" })
                    Assert.True(File.GetUnixFileMode(Path.Combine(data, name)) == file, $"{name}: {File.GetUnixFileMode(Path.Combine(data, name))}");
                foreach (var secret in Directory.GetFiles(Path.Combine(data, "secrets")))
                    Assert.True(File.GetUnixFileMode(secret) == file, $"{secret}: {File.GetUnixFileMode(secret)}");

                await using var c = await app.Services.GetRequiredService<DuesPilot.Persistence.Store>().OpenConnectionAsync();
                var keys = (await c.QueryAsync<string>("SELECT xml FROM data_protection_keys")).ToList();
                Assert.NotEmpty(keys);
                Assert.All(keys, k =>
                {
                    Assert.DoesNotContain("<masterKey", k, StringComparison.Ordinal);
                    Assert.Contains("wrappedKey", k, StringComparison.Ordinal);
                });
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Two <c>serve</c> processes on one data folder start at once (the chaos run on PostgreSQL does): each must
    /// read the whole secret the first one published, never a file created but not yet written (CI saw a serve
    /// refuse to start with "KeyEncryptionKey must be at least 32 characters" from exactly that).
    /// </summary>
    [Fact]
    public async Task SecretCreatedByManyAtOnce_EveryoneReadsTheSameWholeSecret()
    {
        var root = Directory.CreateTempSubdirectory("duespilot-secret-race-").FullName;
        try
        {
            for (var round = 0; round < 40; round++)
            {
                var folder = Path.Combine(root, $"secrets{round}");
                const int contenders = 8;
                using var start = new Barrier(contenders);
                var read = await Task.WhenAll(Enumerable.Range(0, contenders).Select(i => Task.Factory.StartNew(() =>
                {
                    start.SignalAndWait();
                    return DuesPilot.Persistence.SecureFiles.ReadOrCreateSecret(folder, "shared.key", () =>
                    {
                        Thread.Sleep(2); // a generator that takes a moment, as a real one may
                        return $"contender-{i:D2}-" + new string((char)('a' + i), 40);
                    });
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

                Assert.All(read, secret => Assert.Equal(53, secret.Length));
                Assert.Single(read.Distinct());
                Assert.Equal(["shared.key"], Directory.GetFiles(folder).Select(Path.GetFileName));
                if (!OperatingSystem.IsWindows())
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "shared.key")));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
