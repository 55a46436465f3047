namespace DuesPilot.Web.Tests;

/// <summary>A machine without Chromium gets one line naming the Debian packages, not a process-start exception.</summary>
public sealed class BrowserPrerequisiteTests
{
    [Fact]
    public void MissingChromiumAndDriver_OneLineNamingThePackages()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-nochrome-").FullName;
        var ex = Assert.Throws<BrowserNotInstalledException>(() =>
            HeadlessChromium.RequireInstalled(Path.Combine(folder, "chromium"), Path.Combine(folder, "chromedriver")));
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Contains("chromium and chromium-driver", ex.Message, StringComparison.Ordinal);
        Assert.Contains("./test.sh", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingDriverOnly_NamesOnlyTheDriver()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-nochrome-").FullName;
        var chromium = Path.Combine(folder, "chromium");
        File.WriteAllText(chromium, "");
        var ex = Assert.Throws<BrowserNotInstalledException>(() => HeadlessChromium.RequireInstalled(chromium, Path.Combine(folder, "chromedriver")));
        Assert.StartsWith("browser tests need Debian's chromium-driver (", ex.Message, StringComparison.Ordinal);
    }
}
