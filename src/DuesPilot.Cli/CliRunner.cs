using System.CommandLine;
using Spectre.Console;

namespace DuesPilot.Cli;

/// <summary>Runs the command line: an error prints one clear line and exits non-zero; <c>--verbose</c> adds the stack trace.</summary>
public static class CliRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("duespilot: cancelled");
            return 130;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var inner = ex is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : ex;
            await Console.Error.WriteLineAsync($"duespilot: error: {inner.Message}");
            if (parsed.GetValue(Commands.CommonOptions.Verbose)) await Console.Error.WriteLineAsync(inner.ToString());
            return inner is UserInputException uie ? uie.ExitCode : 1;
        }
    }
}

/// <summary>A problem with what the user asked for (bad file, bad option value): printed as one line, exit code 2.</summary>
public sealed class UserInputException(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Console output helpers shared by commands.</summary>
public static class Out
{
    public static IAnsiConsole Console { get; set; } = AnsiConsole.Console;
}
