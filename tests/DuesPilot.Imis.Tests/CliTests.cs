using System.CommandLine;
using DuesPilot.Cli;
using DuesPilot.Cli.Commands;
using Spectre.Console;

namespace DuesPilot.Imis.Tests;

/// <remarks>Swaps the process-wide <c>Out.Console</c>: runs in the Console collection, never beside another test that does.</remarks>
[Collection("Console")]
public sealed class CliTests
{
    [Fact]
    public async Task ImisCheck_AgainstTheSandbox_PrintsCountsAndCustomObjects()
    {
        await using var host = await Sandbox.StartAsync(members: 40, configure: o =>
        {
            o.CustomObjects.Clear();
            o.CustomObjects.Add("AI_Review_Queue");
        });
        var writer = new StringWriter();
        var previous = Out.Console;
        Out.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        int exit;
        try
        {
            var root = new RootCommand { ImisCommand.Create() };
            exit = await root.Parse(["imis", "check", "--url", host.BaseUrl, "--user", "admin", "--password", "admin"]).InvokeAsync();
        }
        finally
        {
            Out.Console = previous;
        }

        var text = writer.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("Members (parties)", text, StringComparison.Ordinal);
        Assert.Contains("│ 40 ", text, StringComparison.Ordinal);
        Assert.Contains("Open dues invoices", text, StringComparison.Ordinal);
        Assert.Contains("missing (404)", text, StringComparison.Ordinal);
    }
}
