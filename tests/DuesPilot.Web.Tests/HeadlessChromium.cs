using OpenQA.Selenium.Chrome;

namespace DuesPilot.Web.Tests;

/// <summary>Debian's Chromium and ChromeDriver, headless, offline and as root (see shared notes/browser-tests.md).</summary>
public static class HeadlessChromium
{
    public static ChromeDriver Start()
    {
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000",
            $"--user-data-dir={Directory.CreateTempSubdirectory("duespilot-chrome-").FullName}");
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().ImplicitWait = TimeSpan.FromSeconds(5);
        return driver;
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
