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
}
