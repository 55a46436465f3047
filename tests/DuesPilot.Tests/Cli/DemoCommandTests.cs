namespace DuesPilot.Tests.Cli;

public class DemoCommandTests
{
    [Fact]
    public async Task Demo_OnAFreshFolder_PrintsBalancedLedgerAndCleanAudit()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-demo-").FullName;
        var result = await CliProcess.RunAsync(folder, "demo", "--no-serve");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.True(File.Exists(Path.Combine(folder, ".duespilot", "duespilot.db")));
        Assert.Contains("Ledger audit: clean", result.Stdout);
        Assert.Contains("reconciles", result.Stdout);
        Assert.Matches(@"[1-9]\d* auto-applied and held in GL_AI_Hold", result.Stdout);
        Assert.True(File.Exists(Path.Combine(folder, ".duespilot", "demo", TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "ach-credits.ach")));
    }

    [Fact]
    public async Task InquiriesAsk_RightAfterTheDemo_InTheSameFolder_Answers()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-demo-").FullName;
        var demo = await CliProcess.RunAsync(folder, "demo", "--no-serve");
        Assert.True(demo.ExitCode == 0, demo.Stderr + demo.Stdout);
        var keyFile = Path.Combine(folder, ".duespilot", "secrets", "inquiries-signing.key");
        Assert.True(File.Exists(keyFile));

        var ask = await CliProcess.RunAsync(folder, "inquiries", "ask", "10185", "what do I owe?");
        Assert.True(ask.ExitCode == 0, ask.Stderr + ask.Stdout);
        Assert.DoesNotContain("SigningKey", ask.Stderr + ask.Stdout, StringComparison.Ordinal);

        // A link made from the command line is signed with the data folder's key, as the service's links are.
        var link = await CliProcess.RunAsync(folder, "inquiries", "link", "10185", "--data", Path.Combine(folder, ".duespilot"));
        Assert.True(link.ExitCode == 0, link.Stderr + link.Stdout);
        var token = System.Text.RegularExpressions.Regex.Match(link.Stdout, @"[?&]t=([^&\s]+)").Groups[1].Value;
        Assert.NotEmpty(token);
        var check = new DuesPilot.Features.Inquiries.MemberToken(File.ReadAllText(keyFile).Trim()).Check(Uri.UnescapeDataString(token), TimeProvider.System.GetUtcNow());
        Assert.True(check.IsValid, check.Problem.ToString());
        Assert.Equal("10185", check.MemberId!.Value.Value);
    }

    [Fact]
    public async Task Demo_RunTwice_BooksNothingTwice()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-demo-").FullName;
        var data = Path.Combine(folder, "d");
        Assert.Equal(0, (await CliProcess.RunAsync(folder, "demo", "--data", data, "--no-serve")).ExitCode);
        var before = await CliProcess.RunAsync(folder, "ledger", "balances", "--data", data);
        var second = await CliProcess.RunAsync(folder, "demo", "--data", data, "--no-serve");
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("Matched 0 payment(s)", second.Stdout);
        var after = await CliProcess.RunAsync(folder, "ledger", "balances", "--data", data);
        Assert.Equal(before.Stdout, after.Stdout);
    }

    [Fact]
    public async Task UnknownOption_ExitsNonZeroWithOneClearLine()
    {
        var result = await CliProcess.RunAsync(Path.GetTempPath(), "demo", "--bogus");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--bogus", result.Stderr + result.Stdout);
    }

    [Fact]
    public async Task BadConnectionString_PrintsOneErrorLineWithoutStackTrace()
    {
        var result = await CliProcess.RunAsync(Path.GetTempPath(), "ledger", "balances", "--db", "Host=127.0.0.1;Port=1;Database=x;Username=y;Timeout=2");
        Assert.NotEqual(0, result.ExitCode);
        Assert.StartsWith("duespilot: error:", result.Stderr.Trim());
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Version_PrintsTheVersion()
    {
        var result = await CliProcess.RunAsync(Path.GetTempPath(), "--version");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("0.1.0", result.Stdout);
    }
}
