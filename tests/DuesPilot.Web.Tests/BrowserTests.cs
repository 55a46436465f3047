using DuesPilot.Domain;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Members;
using DuesPilot.Features.Posting;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace DuesPilot.Web.Tests;

/// <summary>
/// A person's path through the staff UI in headless Debian Chromium: sign in, open the queue, open an
/// item, choose the other candidate, and see ledger, invoice balance and audit trail change. A failing
/// test saves a screenshot into the test output folder.
/// </summary>
public sealed class BrowserTests : IAsyncLifetime
{
    private StaffHost _host = null!;
    private ChromeDriver _driver = null!;

    public async Task InitializeAsync()
    {
        _host = await StaffHost.StartAsync();
        _driver = HeadlessChromium.Start();
    }

    public async Task DisposeAsync()
    {
        // Null when Chromium is missing and InitializeAsync failed with the line saying so.
        _driver?.Quit();
        _driver?.Dispose();
        await _host.DisposeAsync();
    }

    private void SignIn(string user)
    {
        _driver.Navigate().GoToUrl(_host.Url + "/Review");
        Assert.Contains("/Account/Login", _driver.Url);
        _driver.FindElement(By.Id("username")).SendKeys(user);
        _driver.FindElement(By.Id("password")).SendKeys(StaffHost.Password);
        HeadlessChromium.SubmitSignIn(_driver);
    }

    private async Task Step(Func<Task> body, string name)
    {
        try
        {
            await body();
        }
        catch
        {
            var file = Path.Combine(AppContext.BaseDirectory, $"browser-failure-{name}.png");
            ((ITakesScreenshot)_driver).GetScreenshot().SaveAsFile(file);
            throw;
        }
    }

    [Fact]
    public Task Reviewer_ResolvesItemByChoosingAnotherCandidate_LedgerInvoiceAndAuditChange() => Step(async () =>
    {
        SignIn("kim");
        Assert.EndsWith("/Review", _driver.Url, StringComparison.Ordinal);
        var row = _driver.FindElement(By.CssSelector("tr[data-subject='chk-20451']"));
        row.FindElement(By.TagName("a")).Click();

        var rachel = _driver.FindElement(By.CssSelector(".candidate[data-member='10412']"));
        Assert.Contains("Rachel Smith", rachel.Text);
        rachel.FindElement(By.CssSelector("button.pick")).Click();

        Assert.Contains("Done:", _driver.FindElement(By.Id("flash")).Text);
        Assert.Equal("resolved", _driver.FindElement(By.Id("item-state")).Text);
        Assert.Equal("applied", _driver.FindElement(By.Id("payment-state")).Text);

        Assert.Equal(Money.Usd(-195m), await new Journal(_host.Store).BalanceAsync(new ChartOfAccounts().DuesReceivable, Currency.USD));
        Assert.Equal(Money.Usd(0m), await _host.Store.InTransactionAsync((c, tx) => MemberCache.InvoiceBalanceAsync(c, tx, new InvoiceId("281990"))));

        _driver.Navigate().GoToUrl(_host.Url + "/Audit?Subject=payment:chk-20451");
        Assert.Contains("payment.applied", _driver.FindElement(By.Id("audit")).Text);
        Assert.Contains("Hash chain intact", _driver.FindElement(By.Id("chain")).Text);
    }, "resolve");

    [Fact]
    public Task Auditor_SeesTheItemButCannotResolveIt() => Step(() =>
    {
        SignIn("ann");
        _driver.Navigate().GoToUrl(_host.Url + "/Review/Item/" + _host.ItemId);
        Assert.Contains("Read-only", _driver.FindElement(By.Id("read-only")).Text);
        Assert.Empty(_driver.FindElements(By.Id("approve")));
        Assert.Empty(_driver.FindElements(By.CssSelector("button.pick")));
        return Task.CompletedTask;
    }, "auditor");

    [Fact]
    public Task Anonymous_GetsTheSignInPage() => Step(() =>
    {
        _driver.Navigate().GoToUrl(_host.Url + "/Holds");
        Assert.Contains("/Account/Login", _driver.Url);
        Assert.NotEmpty(_driver.FindElements(By.Id("sign-in")));
        return Task.CompletedTask;
    }, "anonymous");
}
