using OpenQA.Selenium.Chrome;

namespace DuesPilot.Web.Tests;

/// <summary>Debian's Chromium and ChromeDriver, headless, offline and as root (see shared notes/browser-tests.md).</summary>
public static class HeadlessChromium
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string ChromeDriverPath = "/usr/bin/chromedriver";

    public static ChromeDriver Start()
    {
        RequireInstalled(ChromiumPath, ChromeDriverPath);
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000",
            $"--user-data-dir={Directory.CreateTempSubdirectory("duespilot-chrome-").FullName}");
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().ImplicitWait = TimeSpan.FromSeconds(5);
        return driver;
    }

    /// <summary>
    /// Without Debian's Chromium the browser tests fail with one line saying what to install, not with
    /// the <c>Win32Exception</c> that starting a missing chromedriver throws.
    /// </summary>
    public static void RequireInstalled(string chromium, string chromeDriver)
    {
        var missing = new[] { (chromium, "chromium"), (chromeDriver, "chromium-driver") }.Where(p => !File.Exists(p.Item1)).ToList();
        if (missing.Count == 0) return;
        throw new BrowserNotInstalledException(
            $"browser tests need Debian's {string.Join(" and ", missing.Select(m => m.Item2))} ({string.Join(", ", missing.Select(m => m.Item1))} not found): run ./test.sh, which installs them, or apt-get install -y chromium chromium-driver");
    }

    /// <summary>Clicks sign-in and waits until the browser has left the sign-in page (a click returns before the redirect lands).</summary>
    public static void SubmitSignIn(ChromeDriver driver)
    {
        driver.FindElement(OpenQA.Selenium.By.Id("sign-in")).Click();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (driver.Url.Contains("/Account/Login", StringComparison.Ordinal) && driver.FindElements(OpenQA.Selenium.By.Id("login-error")).Count == 0)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(15)) throw new TimeoutException("still on the sign-in page after 15 s");
            Thread.Sleep(50);
        }
    }
}

/// <summary>Chromium or its driver is not installed: the message names the packages.</summary>
public sealed class BrowserNotInstalledException(string message) : Exception(message);
