using System.CommandLine;
using System.Text.Json;
using DuesPilot.Cli;
using DuesPilot.Cli.Commands;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace DuesPilot.Invoicing.Tests;

/// <summary>The commands end to end, through the same runner as the executable. One class: they share <see cref="Out.Console"/>.</summary>
public sealed class CliTests
{
    private static readonly string Example = Path.Combine(RepoRoot(), "examples", "billing-policy.yaml");

    private static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No });
        console.Profile.Width = 240;
        var previous = Out.Console;
        Out.Console = console;
        try
        {
            var root = new RootCommand("test");
            root.Options.Add(CommonOptions.Verbose);
            foreach (var c in CommandCatalog.All()) root.Subcommands.Add(c);
            var exit = await CliRunner.RunAsync(root, args);
            return (exit, writer.ToString());
        }
        finally
        {
            Out.Console = previous;
        }
    }

    [Fact]
    public async Task InvoicesValidate_NoDataNoImisUrl_ValidatesTheBundledSandboxAndWritesItsPlantedDefects()
    {
        var csv = Path.Combine(Directory.CreateTempSubdirectory("duespilot-validate-imis-").FullName, "findings.csv");

        var (exit, output) = await RunAsync("invoices", "validate", "--sandbox-members", "400", "--no-record", "--out", csv);

        Assert.Equal(0, exit);
        Assert.Contains("bundled iMIS sandbox", output, StringComparison.Ordinal);
        var kinds = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')[3]).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(["CorporateBilledAsIndividual", "DuplicateInvoice", "ManualOverride", "MissingTax", "ProrationMismatch", "WrongTierRate"], kinds);
    }

    [Fact]
    public async Task Prorate_JoinRegOn15March_PrintsTheBreakdownEntriesAndExplanation()
    {
        var (exit, output) = await RunAsync("prorate", "--policy", Example, "--tier", "REG", "--event", "join", "--date", "2027-03-15");
        Assert.Equal(0, exit);
        Assert.Contains("Joined 15 March: 10 of 12 months × $395.00 = $329.17", output, StringComparison.Ordinal);
        Assert.Contains("1200-Dues-Receivable", output, StringComparison.Ordinal);
        Assert.Contains("2400-Deferred-Dues", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prorate_WithoutPolicy_UsesTheShippedExample()
    {
        var (exit, output) = await RunAsync("prorate", "--tier", "REG", "--event", "join", "--date", "2027-03-15");
        Assert.Equal(0, exit);
        Assert.Contains("Joined 15 March: 10 of 12 months × $395.00 = $329.17", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ProratePolicy_WithoutOption_IsTheConfiguredPolicyFile()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("duespilot-policy-").FullName, "billing-policy.yaml");
        File.WriteAllText(file, File.ReadAllText(Example).Replace("annual_rate: \"395.00\"", "annual_rate: \"410.00\"", StringComparison.Ordinal));
        var configured = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Billing:PolicyFile"] = file }).Build();
        var none = new ConfigurationBuilder().Build();
        var day = new DateOnly(2027, 3, 15);

        var policy = ProrateCommand.ConfiguredPolicy(null, configured);
        Assert.Equal(Domain.Money.Usd(410m), policy.RateOn(policy.RequireTier("REG"), day));
        var example = ProrateCommand.ConfiguredPolicy(null, none);
        Assert.Equal(Domain.Money.Usd(395m), example.RateOn(example.RequireTier("REG"), day));
        var explicitOne = ProrateCommand.ConfiguredPolicy(Example, configured);
        Assert.Equal(Domain.Money.Usd(395m), explicitOne.RateOn(explicitOne.RequireTier("REG"), day));
    }

    [Fact]
    public async Task Prorate_CancelAsJson_RefundPlusRetainedIsPaid()
    {
        // Example policy: fee 25.00. Cancelled 10 May: Jun..Dec 7/12 × 395 = 230.42 − 25.00 = 205.42 refunded, 189.58 kept.
        var (exit, output) = await RunAsync("prorate", "--policy", Example, "--tier", "REG", "--event", "cancel", "--date", "2027-05-10", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("205.42", doc.RootElement.GetProperty("refund").GetString());
        Assert.Equal("189.58", doc.RootElement.GetProperty("retained").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("entries")[0].GetProperty("lines").GetArrayLength());
    }

    [Fact]
    public async Task Prorate_UnknownTier_IsOneLineUserError()
    {
        var (exit, _) = await RunAsync("prorate", "--policy", Example, "--tier", "GOLD", "--event", "join", "--date", "2027-03-15");
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task InvoicesValidate_GeneratedFolderWithPlantedDefects_WritesEveryPlantedInvoiceToTheCsv()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-cli-").FullName;
        var data = Path.Combine(folder, "ds");
        var csv = Path.Combine(folder, "findings.csv");
        var (genExit, _) = await RunAsync("invoices", "generate", "--out", data, "--count", "600", "--plant", "1", "--seed", "3");
        Assert.Equal(0, genExit);
        var (exit, output) = await RunAsync("invoices", "validate", "--data", data, "--policy", Example, "--out", csv, "--store", Path.Combine(folder, "store"));
        Assert.Equal(0, exit);
        Assert.Contains("6 flagged", output, StringComparison.Ordinal);
        Assert.Contains("Review items: 6 created", output, StringComparison.Ordinal);
        var planted = File.ReadAllLines(Path.Combine(data, "planted.csv")).Skip(1).Select(l => l.Split(',')[0]).Order(StringComparer.Ordinal);
        var flagged = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')[0]).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(planted, flagged);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DuesPilot.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
