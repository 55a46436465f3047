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
        ReportCommand.Create(),
        AuditCommand.Create(),
        ImisSandboxCommand.Create(),
        ImisCommand.Create(),
        BenchCommand.Create(),
        ProrateCommand.Create(),
        InvoicesCommand.Create(),
        PromptsCommand.Create(),
        AiCommand.Create(),
        InquiriesCommand.Create(),
        ImportCommand.Create(),
        InboxCommand.Create(),
        ServeCommand.Create(),
        StaffCommand.Create(),
        ReviewCommand.Create(),
        JobsCommand.Create(),
        RevenueCommand.Create(),
        CollectionsCommand.Create(),
        ReconcileCommand.Create(),
        BillingSetupCommand.Create(),
        MatchCommand.Create(), MatchCommand.Eval(), MatchCommand.Golden(),
        ChaosCommand.Create(),
    ];
}
