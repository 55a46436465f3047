using System.Text;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Matching;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Rollout;
using DuesPilot.Imis;
using DuesPilot.ImisSandbox;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace DuesPilot.Web.Tests;

/// <summary>
/// The whole product in one process: the iMIS sandbox, the service as <c>duespilot serve</c> builds it
/// (ServerHost), a sync from iMIS, a name-only check through the lockbox door, matching, and a person
/// resolving the review item in the browser by choosing another candidate; then the iMIS write goes out.
/// </summary>
public sealed class FullHostTests : IAsyncLifetime
{
    private const string Password = "full-host-42";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 6, 20, 10, 0, 0, TimeSpan.Zero));
    private ImisSandboxHost _sandbox = null!;
    private WebApplication _app = null!;
    private ChromeDriver _driver = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await ImisSandboxHost.StartAsync(new ImisSandboxOptions { Members = 600, Seed = 1, AsOf = new DateOnly(2026, 6, 15), Clock = _clock });
        var settings = new Dictionary<string, string?>
        {
            ["Imis:BaseUrl"] = _sandbox.BaseUrl,
            ["Imis:Username"] = "admin",
            ["Imis:Password"] = "admin",
            ["Staff:InitialAdminPassword"] = Password,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Rollout:DefaultPhase"] = "Guarded",
        };
        _app = await ServerHost.BuildAsync(new ServerHostOptions(await TestStores.CreateOptionsAsync(StoreEngine.Sqlite), "http://127.0.0.1:0", settings, _clock));
        await _app.StartAsync();
        _driver = HeadlessChromium.Start();
    }

    public async Task DisposeAsync()
    {
        // Null when Chromium is missing and InitializeAsync failed with the line saying so.
        _driver?.Quit();
        _driver?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task ServeWithSandbox_NameOnlyCheckResolvedToAnotherCandidate_LedgerImisBalanceAndAuditChange()
    {
        var services = _app.Services;
        var store = services.GetRequiredService<Store>();
        var client = services.GetRequiredService<IImisClient>();
        var accounts = services.GetRequiredService<ChartOfAccounts>();
        var url = ServerHost.Address(_app).ToString().TrimEnd('/');

        var sync = await SyncFromImis.HandleAsync(store, client, _clock, services.GetRequiredService<Domain.Proration.BillingPolicy>(), maxPages: 100);
        Assert.Equal((await _sandbox.PlantedDefectsAsync()).Count, sync.Flagged);

        // Two members with one surname, each owing the same amount on one open invoice: a check naming only the surname is ambiguous.
        var (members, open) = await store.InTransactionAsync(async (c, tx) => (await MemberCache.AllMembersAsync(c, tx), await MemberCache.AllInvoicesAsync(c, tx, openOnly: true)));
        var single = open.GroupBy(i => i.MemberId).Where(g => g.Count() == 1).ToDictionary(g => g.Key, g => g.Single());
        var pair = members.Where(m => m.Kind == PartyKind.Person && m.LastName is not null && single.ContainsKey(m.Id))
            .GroupBy(m => (m.LastName!, single[m.Id].Balance)).First(g => g.Count() >= 2).ToList();
        var amount = single[pair[0].Id].Balance;
        var csv = $"Deposit Date,Check Number,Amount,Payer Name,Memo\n2026-06-20,77123,{amount.ToPlainString()},\"{pair[0].LastName!.ToUpperInvariant()}\",\"dues\"\n";
        await ImportBankFile.RunAsync(store, _clock, new ImportRequest("lockbox-20260620.csv", Encoding.UTF8.GetBytes(csv)));
        var worker = new ProcessInbox(store, _clock, new InboxWorkerOptions(), services.GetRequiredService<PostingBooks>(), null, "test");
        while ((await worker.RunOnceAsync(CancellationToken.None)).Leased > 0)
        {
        }

        var matched = await MatchReceivedPayments.HandleAsync(store, _clock, accounts, services.GetRequiredService<PostingOptions>(), services.GetRequiredService<RolloutPhases>(),
            services.GetRequiredService<MatchOptions>(), embedder: null);
        Assert.Equal(1, matched.ToReview);
        var paymentId = await store.InTransactionAsync((c, tx) => c.QuerySingleAsync<string>("SELECT subject_id FROM review_items WHERE kind = 'payment'", transaction: tx));
        var receivableBefore = await new Journal(store).BalanceAsync(accounts.DuesReceivable, Currency.USD);
        var imisBefore = new Dictionary<MemberId, Money>();
        foreach (var m in pair) imisBefore[m.Id] = (await client.GetInvoiceAsync(single[m.Id].Id))!.Invoice.Balance;

        // HTTP: anonymous requests get the sign-in page; the queue (signed in) lists the flagged invoices too.
        using (var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }))
            Assert.Contains("/Account/Login", (await http.GetAsync(url + "/Review")).Headers.Location!.ToString(), StringComparison.Ordinal);

        string chosenMember;
        try
        {
            _driver.Navigate().GoToUrl(url + "/Review");
            _driver.FindElement(By.Id("username")).SendKeys("admin");
            _driver.FindElement(By.Id("password")).SendKeys(Password);
            HeadlessChromium.SubmitSignIn(_driver);
            _driver.FindElement(By.Id("sign-out")); // signed in
            _driver.Navigate().GoToUrl(url + "/Review?Kind=invoice");
            Assert.NotEmpty(_driver.FindElements(By.CssSelector($"tr[data-subject='{(await _sandbox.PlantedDefectsAsync())[0].InvoiceId}']")));
            _driver.Navigate().GoToUrl(url + "/Review");
            _driver.FindElement(By.CssSelector($"tr[data-subject='{paymentId}']")).FindElement(By.TagName("a")).Click();
            var candidates = _driver.FindElements(By.CssSelector(".candidate"));
            Assert.True(candidates.Count >= 2, "the check is ambiguous between the two members");
            var other = candidates.Skip(1).First(c => pair.Any(m => m.Id.Value == c.GetAttribute("data-member")));
            chosenMember = other.GetAttribute("data-member")!;
            other.FindElement(By.CssSelector("button.pick")).Click();
            Assert.Contains("Done:", _driver.FindElement(By.Id("flash")).Text);
            Assert.Equal("resolved", _driver.FindElement(By.Id("item-state")).Text);
        }
        catch
        {
            ((ITakesScreenshot)_driver).GetScreenshot().SaveAsFile(Path.Combine(AppContext.BaseDirectory, "browser-failure-full-host.png"));
            throw;
        }

        var invoice = single[new MemberId(chosenMember)];
        await SendImisWrites.HandleAsync(store, client, _clock, services.GetRequiredService<IOptions<ImisOptions>>().Value);

        Assert.Equal(receivableBefore - amount, await new Journal(store).BalanceAsync(accounts.DuesReceivable, Currency.USD));
        Assert.Equal(imisBefore[invoice.MemberId] - amount, (await client.GetInvoiceAsync(invoice.Id))!.Invoice.Balance);
        var passedOver = pair.First(m => m.Id.Value != chosenMember).Id;
        Assert.Equal(imisBefore[passedOver], (await client.GetInvoiceAsync(single[passedOver].Id))!.Invoice.Balance);
        Assert.Equal(0, await store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM imis_outbox WHERE kind = 'apply-payment' AND state <> 'done'", transaction: tx)));
        _driver.Navigate().GoToUrl(url + "/Audit?Subject=payment:" + paymentId);
        Assert.Contains("payment.applied", _driver.FindElement(By.Id("audit")).Text);
        Assert.Contains("Hash chain intact", _driver.FindElement(By.Id("chain")).Text);
    }
}
