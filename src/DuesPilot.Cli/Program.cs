using System.CommandLine;
using DuesPilot.Cli;
using DuesPilot.Cli.Commands;

var root = new RootCommand("DuesPilot: a governed assistant for association dues processing on iMIS. Matches payments to members and invoices, holds auto-applied money in GL_AI_Hold, and explains every decision.");
root.Options.Add(CommonOptions.Verbose);
foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);

return await CliRunner.RunAsync(root, args);
