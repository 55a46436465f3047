using System.CommandLine;
using System.Text.Json;
using DuesPilot.Cli;
using Spectre.Console;
using Spectre.Console.Testing;

namespace DuesPilot.Intake.Tests.Cli;

/// <summary><c>duespilot import</c> and <c>duespilot inbox</c> run in-process against a temporary data folder.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class IntakeCommandTests
{
    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole { EmitAnsiSequences = false };
        console.Profile.Width = 250;
        var previous = Out.Console;
        Out.Console = console;
        try
        {
            var root = new RootCommand();
            foreach (var c in CommandCatalog.All()) root.Subcommands.Add(c);
            var code = await CliRunner.RunAsync(root, args);
            return (code, console.Output);
        }
        finally
        {
            Out.Console = previous;
        }
    }

    [Fact]
    public async Task Import_SameFileTwice_SecondQueuesNothing_ListJsonHasAmounts()
    {
        var data = Directory.CreateTempSubdirectory("duespilot-cli-").FullName;
        var file = Fixture.PathOf("nacha/moov-ach__ccd-debit.ach");
        var (code1, out1) = await RunAsync("import", file, "--data", data);
        Assert.Equal(0, code1);
        Assert.Contains("Queued 2 new inbox item(s)", out1, StringComparison.Ordinal);
        Assert.Contains("Best Co. #123456789012", out1, StringComparison.Ordinal);
        Assert.Contains("file total debits = 500125", out1, StringComparison.Ordinal);

        var (code2, out2) = await RunAsync("import", file, "--data", data, "--format", "nacha");
        Assert.Equal(0, code2);
        Assert.Contains("Queued 0 new inbox item(s); 2 already queued (this file was imported before)", out2, StringComparison.Ordinal);

        var (code3, out3) = await RunAsync("inbox", "list", "--json", "--data", data);
        Assert.Equal(0, code3);
        var lines = out3.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var items = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(items, i => Assert.Equal("nacha", i.GetProperty("source").GetString()));
        Assert.All(items, i => Assert.Equal("pending", i.GetProperty("state").GetString()));
        Assert.Contains(items, i => i.GetProperty("amount").GetString() == "5000.00");
        Assert.Contains(items, i => i.GetProperty("key").GetString()!.EndsWith(":L4", StringComparison.Ordinal));

        var (code4, out4) = await RunAsync("inbox", "process", "--data", data);
        Assert.Equal(0, code4);
        Assert.Contains("Processed 2", out4, StringComparison.Ordinal);
        var key = items[0].GetProperty("key").GetString()!;
        var (code5, out5) = await RunAsync("inbox", "show", key, "--data", data);
        Assert.Equal(0, code5);
        Assert.Contains("processed", out5, StringComparison.Ordinal);
        var (code6, _) = await RunAsync("inbox", "retry", key, "--data", data);
        Assert.Equal(2, code6);
    }

    [Fact]
    public async Task Import_MalformedFiles_OneLineErrorNothingQueued()
    {
        var data = Directory.CreateTempSubdirectory("duespilot-cli-").FullName;
        var bad = Path.Combine(data, "bad.bai2");
        await File.WriteAllTextAsync(bad, "01,A,B,260105,1459,1,,,2/\n02,B,A,1,260105,,USD,2/\n03,1,USD,010,100,,/\n16,165,395,,REF1,M-1,DUES/\n49,496,3/\n98,496,1,5/\n99,496,1,7/\n");
        var (code, _) = await RunAsync("import", bad, "--data", data);
        Assert.Equal(2, code);
        var (_, list) = await RunAsync("inbox", "list", "--json", "--data", data);
        Assert.Equal("", list.Trim());
    }

    [Fact]
    public async Task Import_DryRunCamt_ShowsWithoutQueueing()
    {
        var data = Directory.CreateTempSubdirectory("duespilot-cli-").FullName;
        var (code, output) = await RunAsync("import", Fixture.PathOf("camt/genkgo-camt__camt053.v2.multi.statement.xml"), "--dry-run", "--data", data);
        Assert.Equal(0, code);
        Assert.Contains("Dry run: nothing queued.", output, StringComparison.Ordinal);
        Assert.Contains("Transaction Description 1", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data, "duespilot.db")));
    }
}

[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;
