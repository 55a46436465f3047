using System.CommandLine;
using System.Text.RegularExpressions;
using DuesPilot.Cli;

namespace DuesPilot.Tests.Cli;

/// <summary>
/// README's command table and the command tree (what <c>--help</c> prints) tell the same story. The tree
/// is enumerated, so a new command or subcommand fails here until the README names it; an option the
/// README shows must exist on the command it is shown with, and one it shows only as optional
/// (<c>[--x]</c>) must not be required there.
/// </summary>
public sealed partial class ReadmeCommandTableTests
{
    /// <summary>One <c>`duespilot …`</c> span of the table: the commands it names and the options it shows.</summary>
    private sealed record Span(string Text, Command Top, IReadOnlyList<Command> Commands, HashSet<string> Words, HashSet<string> Options, HashSet<string> OnlyOptional);

    private static readonly HashSet<string> Global = ["--help", "-h", "-?", "--verbose", "-v", "--version"];

    private static List<Span> Spans()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DuesPilot.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var lines = File.ReadAllLines(Path.Combine(dir.FullName, "README.md"));
        var start = Array.FindIndex(lines, l => l.StartsWith("## What it does, by command", StringComparison.Ordinal));
        Assert.True(start >= 0, "README has no '## What it does, by command' section");
        var tops = CommandCatalog.All().ToDictionary(c => c.Name, StringComparer.Ordinal);
        var spans = new List<Span>();
        for (var i = start + 1; i < lines.Length && !lines[i].StartsWith("## ", StringComparison.Ordinal); i++)
        {
            if (!lines[i].StartsWith("| `duespilot", StringComparison.Ordinal)) continue;
            var firstCell = lines[i][1..].Replace("\\|", " ", StringComparison.Ordinal).Split('|')[0];
            foreach (Match m in SpanText().Matches(firstCell))
            {
                var text = m.Groups[1].Value;
                var topName = text.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                Assert.True(tops.TryGetValue(topName, out var top), $"README names 'duespilot {topName}', which is not a command");
                var words = Word().Matches(text).Select(w => w.Value).ToList();
                IReadOnlyList<Command> current = [top];
                IReadOnlyList<Command> parent = [];
                foreach (var w in words.Skip(1).Where(w => !w.StartsWith('-')))
                {
                    var kids = current.SelectMany(c => c.Subcommands).Where(c => c.Name == w).ToList();
                    if (kids.Count > 0)
                    {
                        (parent, current) = (current, kids);
                        continue;
                    }

                    var siblings = parent.SelectMany(c => c.Subcommands).Where(c => c.Name == w).ToList();
                    if (siblings.Count > 0) current = [.. current, .. siblings];
                }

                var options = words.Where(w => w.StartsWith("--", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
                var outside = Word().Matches(Bracketed().Replace(text, " ")).Select(w => w.Value).Where(w => w.StartsWith("--", StringComparison.Ordinal));
                spans.Add(new Span(text, top, current, words.ToHashSet(StringComparer.Ordinal), options, options.Except(outside).ToHashSet(StringComparer.Ordinal)));
            }
        }

        Assert.NotEmpty(spans);
        return spans;
    }

    [GeneratedRegex("`duespilot ([^`]+)`")]
    private static partial Regex SpanText();

    [GeneratedRegex(@"--?[a-z][a-z0-9-]*|[a-z][a-z0-9-]*")]
    private static partial Regex Word();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Bracketed();

    private static IEnumerable<Command> Descendants(Command c) => c.Subcommands.SelectMany(s => Descendants(s).Prepend(s));

    private static IEnumerable<string> OptionNames(Command c) => c.Options.SelectMany(o => o.Aliases.Prepend(o.Name));

    [Fact]
    public void EveryCommandAndSubcommand_IsNamedInTheReadmeTable()
    {
        var spans = Spans();
        var missing = new List<string>();
        foreach (var top in CommandCatalog.All())
        {
            var mine = spans.Where(s => s.Top.Name == top.Name).ToList();
            if (mine.Count == 0)
            {
                missing.Add($"duespilot {top.Name}");
                continue;
            }

            var words = mine.SelectMany(s => s.Words).ToHashSet(StringComparer.Ordinal);
            missing.AddRange(Descendants(top).Where(s => !words.Contains(s.Name)).Select(s => $"duespilot {top.Name} … {s.Name}"));
        }

        Assert.True(missing.Count == 0, "README's command table does not name: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryOptionTheReadmeShows_ExistsOnTheCommandItIsShownWith()
    {
        var wrong = new List<string>();
        foreach (var span in Spans())
        {
            var known = span.Commands.SelectMany(OptionNames).ToHashSet(StringComparer.Ordinal);
            wrong.AddRange(span.Options.Where(o => !known.Contains(o) && !Global.Contains(o)).Select(o => $"duespilot {span.Text}: {o}"));
        }

        Assert.True(wrong.Count == 0, "README shows options the command does not have: " + string.Join("; ", wrong));
    }

    [Fact]
    public void OptionsTheReadmeShowsAsOptional_AreNotRequired()
    {
        var wrong = new List<string>();
        foreach (var span in Spans())
        {
            var required = span.Commands.SelectMany(c => c.Options).Where(o => o.Required).Select(o => o.Name);
            wrong.AddRange(required.Where(span.OnlyOptional.Contains).Select(o => $"duespilot {span.Text}: [{o}]"));
        }

        Assert.True(wrong.Count == 0, "README shows as optional what the command requires: " + string.Join("; ", wrong));
    }
}
