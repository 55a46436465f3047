using System.Net;
using System.Text.RegularExpressions;
using DuesPilot.Domain;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Hosting;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Web.Tests;

/// <summary>The staff UI on Kestrel at 127.0.0.1 with a fresh store, three accounts and one payment in review.</summary>
public sealed class StaffHost : IAsyncDisposable
{
    public const string Password = "correct-horse-42";

    private StaffHost(WebApplication app, Store store, FakeTimeProvider clock, string url, string itemId)
    {
        App = app;
        Store = store;
        Clock = clock;
        Url = url;
        ItemId = itemId;
    }

    public WebApplication App { get; }
    public Store Store { get; }
    public FakeTimeProvider Clock { get; }
    public string Url { get; }

    /// <summary>A payment of $195.00 from "R SMITH" in review, with two candidates: Robert Smith (suggested) and Rachel Smith.</summary>
    public string ItemId { get; }

    public static async Task<StaffHost> StartAsync()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
        var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddDuesPilotCore(builder.Configuration, store, clock);
        builder.Services.AddStaffUi(builder.Configuration);
        var app = builder.Build();
        app.MapStaffUi();
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var accounts = app.Services.GetRequiredService<StaffAccounts>();
        await accounts.SaveAsync("kim", "Kim Reviewer", Password, [StaffRoles.Reviewer]);
        await accounts.SaveAsync("ann", "Ann Auditor", Password, [StaffRoles.Auditor]);
        await accounts.SaveAsync("pat", "Pat Approver", Password, [StaffRoles.Approver]);
        await accounts.SaveAsync("ada", "Ada Administrator", Password, [StaffRoles.Administrator]);

        var itemId = await store.InTransactionAsync(async (c, tx) =>
        {
            var now = clock.GetUtcNow();
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("10388"), PartyKind.Person, "Robert J. Smith", "Robert", "Smith", "rsmith@example.com", "RET", MemberStatus.Active, null, null), now);
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("10412"), PartyKind.Person, "Rachel Smith", "Rachel", "Smith", "rachel.smith@example.net", "RET", MemberStatus.Active, null, null), now);
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("281874"), new MemberId("10388"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), Money.Usd(195m), Money.Usd(195m), "DUES-RET", "2027 Retired dues"), now);
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("281990"), new MemberId("10412"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), Money.Usd(195m), Money.Usd(195m), "DUES-RET", "2027 Retired dues"), now);
            var payment = new Payment(new PaymentId("chk-20451"), PaymentChannel.Check, Money.Usd(195m), now, "R SMITH", null, "20451", "dues");
            await ReceivePayment.HandleAsync(c, tx, clock, new ChartOfAccounts(), payment, "lockbox");
            var analysis = new ReviewAnalysis("two members named R Smith owe $195.00", 0.55m, "apply", [
                new ReviewCandidate("10388", "Robert J. Smith", 0.55m, ["surname matches", "amount equals open balance of INV 281874"], ["first name only an initial"], [new ProposedAllocation("10388", "281874", 195m)]),
                new ReviewCandidate("10412", "Rachel Smith", 0.50m, ["surname matches", "amount equals open balance of INV 281990"], ["first name only an initial"], [new ProposedAllocation("10412", "281990", 195m)]),
            ]);
            var item = await OpenReviewItem.HandleAsync(c, tx, clock, new OpenReviewItem.Request(ReviewKinds.Payment, payment.Id.Value, "10388", 40, 0.55m, "apply", analysis.Reason, analysis, payment.Amount));
            return item.ItemId;
        });
        return new StaffHost(app, store, clock, url, itemId);
    }

    /// <summary>An HttpClient with its own cookie jar that does not follow redirects.</summary>
    public HttpClient Client() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = new Uri(Url) };

    public async Task<HttpClient> SignedInClientAsync(string user)
    {
        var client = Client();
        var token = await AntiforgeryTokenAsync(client, "/Account/Login");
        var response = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = user,
            ["Password"] = Password,
            ["__RequestVerificationToken"] = token,
        }));
        if (response.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"sign-in of {user} failed: {response.StatusCode}");
        return client;
    }

    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(path);
        var match = Regex.Match(html, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"");
        if (!match.Success) throw new InvalidOperationException($"no antiforgery token on {path}");
        return match.Groups[1].Value;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Store.DisposeAsync();
    }
}
