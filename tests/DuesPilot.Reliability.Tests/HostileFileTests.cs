using System.CommandLine;
using System.Diagnostics;
using System.Text;
using DuesPilot.Cli;
using DuesPilot.Cli.Commands;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Intake.BankFiles;
using Spectre.Console;

namespace DuesPilot.Reliability.Tests;

/// <summary>Security finding 9: hostile files are refused quickly and without reading them whole; a dry run prints a summary and the first rows.</summary>
public sealed class HostileFileTests
{
    [Fact]
    public void Camt_TwoHundredThousandNestedElements_RefusedForItsDepth()
    {
        var xml = new StringBuilder("<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>");
        for (var i = 0; i < 200_000; i++) xml.Append("<a>");
        for (var i = 0; i < 200_000; i++) xml.Append("</a>");
        xml.Append("</BkToCstmrStmt></Document>");
        var started = Stopwatch.GetTimestamp();

        var ex = Assert.Throws<BankFileException>(() => ParseCamtFile.Parse(Encoding.UTF8.GetBytes(xml.ToString())));

        Assert.Contains("nested deeper than", ex.Message, StringComparison.Ordinal);
        // Not a timing assertion on speed, a guard against the quadratic load coming back: 83 s before.
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Import_DeviceAndFifo_RefusedBeforeReading()
    {
        if (OperatingSystem.IsWindows()) return;
        var folder = Directory.CreateTempSubdirectory("duespilot-fifo-").FullName;
        try
        {
            var fifo = Path.Combine(folder, "pipe.csv");
            using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!) await mkfifo.WaitForExitAsync();
            Assert.True(File.Exists(fifo));

            foreach (var path in new[] { "/dev/zero", fifo })
            {
                var read = Task.Run(() => ImportCommand.OpenBankFile(path));
                var finished = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10)));
                Assert.Same(read, finished);
                var ex = await Assert.ThrowsAsync<UserInputException>(() => read);
                Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ImportDryRun_LargeCsv_PrintsSummaryAndFirstRowsOnly_AllPrintsEvery()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-dry-").FullName;
        try
        {
            var path = Path.Combine(folder, "lockbox.csv");
            var csv = new StringBuilder("Date,Amount,Payer Name,Reference,Memo\n");
            for (var i = 0; i < 500; i++) csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"2027-03-02,{10 + i}.00,Payer Number{i},REF{i:D6},dues\n");
            await File.WriteAllTextAsync(path, csv.ToString());

            var few = await RunAsync(["import", path, "--dry-run", "--rows", "3"]);
            Assert.Contains("500 entries", few, StringComparison.Ordinal);
            Assert.Contains("Payer Number2", few, StringComparison.Ordinal);
            Assert.DoesNotContain("Payer Number3 ", few, StringComparison.Ordinal);
            Assert.Contains("497 more", few, StringComparison.Ordinal);

            var every = await RunAsync(["import", path, "--dry-run", "--all"]);
            Assert.Contains("Payer Number499", every, StringComparison.Ordinal);
            Assert.Contains("Dry run: nothing queued.", every, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<string> RunAsync(string[] args)
    {
        var writer = new StringWriter();
        var previous = Out.Console;
        Out.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        Out.Console.Profile.Width = 250;
        try
        {
            var root = new RootCommand { ImportCommand.Create() };
            Assert.Equal(0, await root.Parse(args).InvokeAsync());
        }
        finally
        {
            Out.Console = previous;
        }

        return writer.ToString();
    }
}
