using System.CommandLine;
using DuesPilot.Ai;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot prompts list|show|diff</c>: the versioned prompt registry.</summary>
public static class PromptsCommand
{
    public static Command Create()
    {
        var command = new Command("prompts", "The versioned prompts the model may be sent (built in; --dir reads a working copy of prompts/).");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Diff());
        return command;
    }

    private static Option<string?> Dir() => new("--dir") { Description = "Read prompts from this folder instead of the ones built into this version." };

    private static PromptRegistry Registry(string? dir)
    {
        if (dir is null) return PromptRegistry.Embedded();
        if (!Directory.Exists(dir)) throw new UserInputException($"prompt folder '{dir}' does not exist");
        try
        {
            return PromptRegistry.FromDirectory(dir);
        }
        catch (FormatException ex)
        {
            throw new UserInputException(ex.Message);
        }
    }

    private static PromptDefinition Get(PromptRegistry registry, string id, int? version)
    {
        try
        {
            return registry.Get(id, version);
        }
        catch (KeyNotFoundException ex)
        {
            throw new UserInputException(ex.Message);
        }
    }

    private static Command List()
    {
        var dir = Dir();
        var command = new Command("list", "Every prompt version with its owner, date and content hash.") { dir };
        command.SetAction(parse =>
        {
            var table = new Table().AddColumns("Id", "Version", "Date", "Owner", "SHA-256", "Purpose");
            foreach (var p in Registry(parse.GetValue(dir)).All)
                table.AddRow(Markup.Escape(p.Id), p.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(p.Owner), p.ContentHash[..12], Markup.Escape(p.Purpose.Length > 60 ? p.Purpose[..59] + "…" : p.Purpose));
            Out.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var dir = Dir();
        var id = new Argument<string>("id") { Description = "Prompt id, e.g. memo-interpretation." };
        var version = new Option<int?>("--version") { Description = "Version to show (default: the newest)." };
        var command = new Command("show", "Print one prompt file: header, schemas and template.") { id, version, dir };
        command.SetAction(parse =>
        {
            var p = Get(Registry(parse.GetValue(dir)), parse.GetValue(id)!, parse.GetValue(version));
            Out.Console.MarkupLine($"[bold]{Markup.Escape(p.Reference)}[/]  ({Markup.Escape(p.Source)})");
            Out.Console.WriteLine(p.Text);
            return 0;
        });
        return command;
    }

    private static Command Diff()
    {
        var dir = Dir();
        var id = new Argument<string>("id") { Description = "Prompt id." };
        var from = new Argument<int>("v1") { Description = "Older version." };
        var to = new Argument<int>("v2") { Description = "Newer version." };
        var command = new Command("diff", "Line diff between two versions of a prompt.") { id, from, to, dir };
        command.SetAction(parse =>
        {
            var registry = Registry(parse.GetValue(dir));
            var a = Get(registry, parse.GetValue(id)!, parse.GetValue(from));
            var b = Get(registry, parse.GetValue(id)!, parse.GetValue(to));
            Out.Console.MarkupLine($"[bold]--- {Markup.Escape(a.Reference)}[/]");
            Out.Console.MarkupLine($"[bold]+++ {Markup.Escape(b.Reference)}[/]");
            foreach (var (op, line) in PromptDiff.Lines(a.Text, b.Text))
            {
                var text = Markup.Escape(line);
                Out.Console.MarkupLine(op switch { '-' => $"[red]-{text}[/]", '+' => $"[green]+{text}[/]", _ => $" {text}" });
            }

            return 0;
        });
        return command;
    }
}

/// <summary>A longest-common-subsequence line diff; prompts are a few dozen lines, so the quadratic table is fine.</summary>
public static class PromptDiff
{
    public static IReadOnlyList<(char Op, string Line)> Lines(string oldText, string newText)
    {
        var a = oldText.Split('\n');
        var b = newText.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var result = new List<(char, string)>();
        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y]) { result.Add((' ', a[x])); x++; y++; }
            else if (lcs[x + 1, y] >= lcs[x, y + 1]) result.Add(('-', a[x++]));
            else result.Add(('+', b[y++]));
        }

        while (x < a.Length) result.Add(('-', a[x++]));
        while (y < b.Length) result.Add(('+', b[y++]));
        return result;
    }
}
