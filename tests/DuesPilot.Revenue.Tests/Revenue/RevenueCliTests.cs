using System.CommandLine;
using DuesPilot.Cli;
using DuesPilot.Cli.Commands;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Revenue;
using DuesPilot.Persistence;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console;

namespace DuesPilot.Revenue.Tests.Revenue;

/// <summary>The revenue commands end to end on a SQLite data folder, months in the past so the real clock allows closing them.</summary>
public sealed class RevenueCliTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("duespilot-revenue-cli-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, true);
    }

    private static IAnsiConsole Capture(StringWriter writer) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });

    private static async Task<int> Run(params string[] args)
    {
        var root = new RootCommand("test");
        root.Options.Add(CommonOptions.Verbose);
        root.Subcommands.Add(RevenueCommand.Create());
        return await CliRunner.RunAsync(root, args);
    }

    [Fact]
    public async Task Close_SameMonthTwice_SecondExitsWith3()
    {
        Out.Console = Capture(new StringWriter());
        Assert.Equal(0, await Run("revenue", "record", "--data", _data, "--key", "o1", "--term", "1:2025", "--member", "1", "--start", "2025-03-15", "--end", "2025-12-31",
            "--kind", "join", "--date", "2025-03-15", "--tier", "REG", "--amount", "329.17"));

        Assert.Equal(0, await Run("revenue", "close", "--data", _data, "--month", "2025-03"));
        Assert.Equal(3, await Run("revenue", "close", "--data", _data, "--month", "2025-03"));
        Assert.Equal(3, await Run("revenue", "close", "--data", _data, "--month", "2025-05"));
        Assert.Equal(2, await Run("revenue", "close", "--data", _data, "--month", "March"));
        Assert.Equal(2, await Run("revenue", "close", "--data", _data, "--opening-month", "2025-04"));
        Assert.Equal(3, await Run("revenue", "close", "--data", _data, "--opening-month", "2025-04", "--reason", "books opened before"));
        Assert.Equal(3, await Run("revenue", "reopen", "--data", _data, "--month", "2025-03", "--reason", "correction", "--as", "nobody"));

        var console = new StringWriter();
        Out.Console = Capture(console);
        Assert.Equal(0, await Run("revenue", "schedule", "--data", _data, "--term", "1:2025"));
        Assert.Contains("2025-03", console.ToString(), StringComparison.Ordinal);
        Assert.Contains("$32.92", console.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await Run("revenue", "report", "--data", _data, "--from", "2025-03", "--to", "2025-04", "--out", Path.Combine(_data, "report")));
        Assert.True(File.Exists(Path.Combine(_data, "report", RevenueReportFiles.Html)));
    }

    [Fact]
    public async Task Job_RunOnce_ClosesTheNextEndedMonthOnly()
    {
        await using var store = await Store.OpenAsync(new StoreOptions(Path.Combine(_data, "job")));
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
        await RecordDuesEvent.HandleAsync(store, clock, new ChartOfAccounts(), new RecordDuesEvent.Request("o1", "1:2027", new Domain.MemberId("1"), new(2027, 3, 15), new(2027, 12, 31),
            Domain.Revenue.RecognitionMethod.StraightLineMonths, new Domain.Revenue.DuesEvent(Domain.Revenue.DuesEventKind.Join, new(2027, 3, 15), "REG", Domain.Money.Usd(329.17m))));
        var job = new CloseRevenueMonthJob(store, clock, new ChartOfAccounts(), new RevenueCloseOptions { Enabled = true }, new Features.Jobs.JobRuns(store, clock, new Features.Jobs.JobScheduleOptions()), NullLogger<CloseRevenueMonthJob>.Instance);

        Assert.Null(await job.RunOnceAsync(CancellationToken.None)); // March has not ended
        clock.SetUtcNow(new DateTimeOffset(2027, 5, 2, 9, 0, 0, TimeSpan.Zero));
        Assert.Equal("2027-03", (await job.RunOnceAsync(CancellationToken.None))!.Month.ToString());
        Assert.Equal("2027-04", (await job.RunOnceAsync(CancellationToken.None))!.Month.ToString());
        Assert.Null(await job.RunOnceAsync(CancellationToken.None));
    }
}
