using System.Drawing;
using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace DuesPilot.Web.Tests;

/// <summary>
/// Staff UI as each role uses it, on the demo's data: sign in, follow every link from the navigation and every
/// link those pages lead to (so every review item in the queue), and check each page answers 200, fits a
/// 1366 px laptop screen without horizontal scrolling, and has no serious or critical axe-core violation.
/// Pages and item kinds are discovered by crawling, so a new one is covered without editing this test.
/// </summary>
public sealed class CrawlTests(DemoHost host, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<DemoHost>, IDisposable
{
    private const int LaptopWidth = 1366;
    private const int LaptopHeight = 768;
    private readonly ChromeDriver _driver = Axe.Preloaded(HeadlessChromium.Start());

    public void Dispose()
    {
        _driver.Quit();
        _driver.Dispose();
    }

    /// <summary>Every staff role the product has (<see cref="Features.Review.StaffRoles.All"/>), so a new role is crawled too.</summary>
    public static TheoryData<string> Roles => new(Features.Review.StaffRoles.All);

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task EveryLinkedPage_AsEachRole_Answers200_FitsTheScreen_AndHasNoSeriousAccessibilityProblem(string role)
    {
        _driver.Manage().Window.Size = new Size(LaptopWidth, LaptopHeight);
        var openItems = await host.Store.InTransactionAsync(async (c, tx) =>
            (await Dapper.SqlMapper.QueryAsync<string>(c, "SELECT item_id FROM review_items WHERE state <> 'resolved'", transaction: tx)).ToHashSet(StringComparer.Ordinal));
        Assert.True(openItems.Count > 0, "the demo's data has no open review item to crawl");
        SignIn(DemoHost.Accounts[role]);
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>(_driver.FindElements(By.CssSelector("header nav a[href]")).Select(a => PathOf(a.GetAttribute("href")!)).Where(p => p is not null).Select(p => p!));
        Assert.True(queue.Count >= 5, $"the navigation shows {queue.Count} link(s)");
        var itemPages = 0;
        var axeRuns = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (queue.Count > 0)
        {
            var path = queue.Dequeue();
            if (!seen.Add(Key(path))) continue;
            // One request per page: the browser's own navigation, its status read from the navigation timing entry.
            _driver.Navigate().GoToUrl(host.Url + path);
            var status = NavigationStatus(path);
            if (status != 200)
            {
                problems.Add($"{path}: HTTP {status}");
                continue;
            }

            if (path.StartsWith("/Review/Item/", StringComparison.Ordinal)) itemPages++;
            var (scrollWidth, innerWidth) = Widths();
            if (scrollWidth > innerWidth) problems.Add($"{path}: {scrollWidth} px wide in a {innerWidth} px window ({Widest()})");
            // axe on every page for every role: what a role may do changes the controls on the page.
            foreach (var v in Axe.Violations(_driver)) problems.Add($"{path}: axe {v}");
            axeRuns++;
            foreach (var href in _driver.FindElements(By.CssSelector("main a[href], header nav a[href]")).Select(a => a.GetAttribute("href")))
            {
                if (PathOf(href) is { } next && !seen.Contains(Key(next))) queue.Enqueue(next);
            }
        }

        output.WriteLine($"crawl as {role}: {seen.Count} page(s), {itemPages} item page(s), axe on {axeRuns}, {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(seen.Count - problems.Count(p => p.Contains(": HTTP ", StringComparison.Ordinal)), axeRuns);
        var missed = openItems.Where(id => !seen.Contains("/Review/Item/" + id)).ToList();
        Assert.True(missed.Count == 0, $"{role} opened {itemPages} item page(s); {missed.Count} of the {openItems.Count} open item(s) were not reached from the navigation: {string.Join(", ", missed)}");
        Assert.True(problems.Count == 0, $"{role}: {problems.Count} problem(s) on {seen.Count} page(s):\n" + string.Join("\n", problems));
    }

    [Fact]
    public void ReviewQueueAndItemPage_Screenshots_AreSavedForTheReadme()
    {
        _driver.Manage().Window.Size = new Size(LaptopWidth, LaptopHeight);
        SignIn(DemoHost.Accounts["reviewer"]);
        var folder = Path.Combine(RepositoryRoot(), "docs", "images");
        Directory.CreateDirectory(folder);
        _driver.Navigate().GoToUrl(host.Url + "/Review");
        Assert.NotEmpty(_driver.FindElements(By.CssSelector("#queue tbody tr")));
        // People, not keys: a dispute of an applied payment is listed under the member it was applied to.
        var dispute = _driver.FindElement(By.CssSelector("#queue tbody tr[data-kind='payment-dispute']"));
        Assert.NotEqual("", dispute.FindElement(By.CssSelector("td:nth-child(4)")).Text.Trim());
        Assert.DoesNotContain("stripe:", dispute.Text, StringComparison.Ordinal);
        ((ITakesScreenshot)_driver).GetScreenshot().SaveAsFile(Path.Combine(folder, "review-queue.png"));
        _driver.Navigate().GoToUrl(host.Url + "/Review/Item/" + host.ItemPerKind[Features.Review.ReviewKinds.Invoice]);
        Assert.NotEmpty(_driver.FindElements(By.Id("invoice-lines")));
        ((ITakesScreenshot)_driver).GetScreenshot().SaveAsFile(Path.Combine(folder, "review-item-invoice.png"));
        _driver.Navigate().GoToUrl(host.Url + "/Review/Item/" + host.ItemPerKind[Features.Review.ReviewKinds.Payment]);
        Assert.NotEmpty(_driver.FindElements(By.Id("payment")));
        ((ITakesScreenshot)_driver).GetScreenshot().SaveAsFile(Path.Combine(folder, "review-item-payment.png"));
    }

    [Fact]
    public void DailySummaryEmail_InA600PixelReadingPane_FitsWithoutScrolling_AndNamesPayersNotKeys()
    {
        SignIn(DemoHost.Accounts["auditor"]);
        _driver.Manage().Window.Size = new Size(600, 900);
        _driver.Navigate().GoToUrl(host.Url + "/Summary?handler=Html");
        var (scrollWidth, innerWidth) = Widths();
        Assert.True(scrollWidth <= innerWidth, $"the e-mail is {scrollWidth} px wide in a {innerWidth} px pane ({Widest()})");
        var text = _driver.FindElement(By.TagName("body")).Text;
        Assert.DoesNotContain("sha256:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("stripe:", text, StringComparison.Ordinal);
        Assert.Empty(Axe.Violations(_driver));
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DuesPilot.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("DuesPilot.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The page path to crawl: same site, not an action, a download or the sign-in pages; queue filters collapse to one visit per filter set.</summary>
    private string? PathOf(string? href)
    {
        if (href is null || !href.StartsWith(host.Url + "/", StringComparison.Ordinal)) return null;
        var path = href[host.Url.Length..];
        if (path.Contains("handler=", StringComparison.OrdinalIgnoreCase) || path.StartsWith("/Account/", StringComparison.Ordinal)) return null;
        var hash = path.IndexOf('#', StringComparison.Ordinal);
        return hash >= 0 ? path[..hash] : path;
    }

    /// <summary>Item pages by id, other pages by path without the query (a filter or date is the same page).</summary>
    private static string Key(string path) => path.Split('?')[0];

    private void SignIn(string user)
    {
        _driver.Navigate().GoToUrl(host.Url + "/Review");
        _driver.FindElement(By.Id("username")).SendKeys(user);
        _driver.FindElement(By.Id("password")).SendKeys(DemoHost.Password);
        HeadlessChromium.SubmitSignIn(_driver);
        Assert.Empty(_driver.FindElements(By.Id("login-error")));
    }

    /// <summary>
    /// The HTTP status of the page the browser just loaded (<c>PerformanceNavigationTiming.responseStatus</c>); a page that ended
    /// somewhere else (a redirect, e.g. to sign-in) counts as 302. Falls back to fetching the path when the browser does not say.
    /// </summary>
    private long NavigationStatus(string path)
    {
        var landed = PathOf(_driver.Url) ?? _driver.Url;
        if (!string.Equals(Key(landed), Key(path), StringComparison.Ordinal)) return 302;
        var status = _driver.ExecuteScript("const n = performance.getEntriesByType('navigation')[0]; return n && n.responseStatus ? n.responseStatus : 0;");
        var code = Convert.ToInt64(status ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
        return code > 0 ? code : StatusOf(path);
    }

    /// <summary>The status the signed-in browser gets for a path, redirects not followed (a redirect to sign-in is a failure too).</summary>
    private long StatusOf(string path) =>
        (long)(_driver.ExecuteAsyncScript(
            "const done = arguments[arguments.length - 1]; fetch(arguments[0], { redirect: 'manual', credentials: 'same-origin' }).then(r => done(r.type === 'opaqueredirect' ? 302 : r.status)).catch(() => done(-1));",
            host.Url + path) ?? -1L);

    private (long Scroll, long Inner) Widths()
    {
        var w = (IReadOnlyList<object>?)_driver.ExecuteScript("return [document.documentElement.scrollWidth, window.innerWidth];")
            ?? throw new InvalidOperationException("no widths from the page");
        return (Convert.ToInt64(w[0], System.Globalization.CultureInfo.InvariantCulture), Convert.ToInt64(w[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The element that sticks out furthest on the right, to say what overflows.</summary>
    private string Widest() => (string?)_driver.ExecuteScript(
        """
        let worst = null, right = 0;
        for (const e of document.querySelectorAll('body *')) { const r = e.getBoundingClientRect().right; if (r > right) { right = r; worst = e; } }
        return worst ? worst.tagName.toLowerCase() + (worst.id ? '#' + worst.id : '') + (worst.className ? '.' + String(worst.className).split(' ').join('.') : '') + ' to ' + Math.round(right) + ' px' : 'nothing';
        """) ?? "unknown";
}

/// <summary>axe-core as shipped in NuGet <c>Deque.AxeCore.Commons</c>, injected into the page and run there.</summary>
public static class Axe
{
    private static readonly Lazy<string> Source = new(() =>
    {
        using var stream = typeof(Deque.AxeCore.Commons.AxeResult).Assembly.GetManifestResourceStream("Deque.AxeCore.Commons.Resources.axe.min.js")
            ?? throw new InvalidOperationException("axe.min.js is not in Deque.AxeCore.Commons");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>
    /// Has Chromium evaluate axe.js in every new document (DevTools <c>Page.addScriptToEvaluateOnNewDocument</c>), so the half
    /// megabyte of script is sent to the browser once per session instead of once per page.
    /// </summary>
    public static ChromeDriver Preloaded(ChromeDriver driver)
    {
        driver.ExecuteCdpCommand("Page.enable", []);
        driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["source"] = Source.Value });
        return driver;
    }

    /// <summary>Serious and critical violations on the current page, one line each (rule, impact, help, first elements).</summary>
    public static IReadOnlyList<string> Violations(ChromeDriver driver)
    {
        driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(60);
        if (driver.ExecuteScript("return typeof axe === 'undefined';") is true) driver.ExecuteScript(Source.Value);
        var json = (string?)driver.ExecuteAsyncScript(
            """
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(JSON.stringify(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))))
              .catch(e => done(JSON.stringify(['axe failed: ' + e])));
            """);
        return json is null ? ["axe returned nothing"] : JsonSerializer.Deserialize<List<string>>(json) ?? [];
    }
}
