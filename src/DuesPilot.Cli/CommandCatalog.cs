using System.CommandLine;
using DuesPilot.Cli.Commands;

namespace DuesPilot.Cli;

/// <summary>Every top-level command, in the order <c>--help</c> lists them. Features add one line here.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All() =>
    [
        DemoCommand.Create(),
        LedgerCommand.Create(),
        BenchCommand.Create(),
        MatchCommand.Create(), MatchCommand.Eval(), MatchCommand.Golden(),
    ];
}
