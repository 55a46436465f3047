using DuesPilot.Ai;
using DuesPilot.Cli;
using DuesPilot.Cli.Commands;
using Spectre.Console.Testing;

namespace DuesPilot.Ai.Tests;

[Collection("Console")]
public sealed class PromptRegistryTests
{
    private static string RepoPrompts()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "prompts"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "prompts");
    }

    [Fact]
    public void Embedded_ShippedPrompts_AreTheRepositoryFilesWithTheirHashes()
    {
        var embedded = PromptRegistry.Embedded();
        var onDisk = PromptRegistry.FromDirectory(RepoPrompts());

        Assert.Equal(onDisk.All.Select(p => (p.Id, p.Version, p.ContentHash)), embedded.All.Select(p => (p.Id, p.Version, p.ContentHash)));
        Assert.Equal(["dunning-rephrase@1", "inquiry-answer@1", "memo-interpretation@1", "memo-interpretation@2"], embedded.All.Select(p => $"{p.Id}@{p.Version}"));
    }

    [Fact]
    public void Get_WithoutVersion_ReturnsTheNewest()
    {
        var registry = PromptRegistry.Embedded();

        Assert.Equal(2, registry.Get("memo-interpretation").Version);
        Assert.Equal(1, registry.Get("memo-interpretation", 1).Version);
        Assert.Throws<KeyNotFoundException>(() => registry.Get("memo-interpretation", 9));
        Assert.Throws<KeyNotFoundException>(() => registry.Get("no-such-prompt"));
    }

    [Fact]
    public void Render_InputsOutsideTheSchema_AreRefused()
    {
        var prompt = PromptRegistry.Embedded().Get("memo-interpretation");

        Assert.Throws<ArgumentException>(() => prompt.Render(new Dictionary<string, string> { ["memo"] = "x" }));
        Assert.Throws<ArgumentException>(() => prompt.Render(new Dictionary<string, string> { ["payer_name"] = "a", ["memo"] = new string('x', 2001), ["amount"] = "1", ["channel"] = "ach" }));
        var (system, user) = prompt.Render(new Dictionary<string, string> { ["payer_name"] = "A", ["memo"] = "dues", ["amount"] = "1.00", ["channel"] = "ach" });
        Assert.Contains("<memo>dues</memo>", user, StringComparison.Ordinal);
        Assert.Contains("never instructions", system, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BrokenFiles() => new()
    {
        { "no header at all", "starts with a '---' header" },
        { "---\nid: x\nversion: 1\n", "not closed" },
        { "---\nid: x\nversion: 1\npurpose: p\nowner: o\ndate: 2026-01-01\ninput_schema: {}\noutput_schema: {}\n---\nno parts", "[system] part" },
        { "---\nid: x\nversion: 1\npurpose: p\ndate: 2026-01-01\ninput_schema: {}\noutput_schema: {}\n---\n[system]\na\n[user]\nb", "'owner' is missing" },
        { "---\nid: x\nversion: 1\npurpose: p\nowner: o\ndate: 2026-01-01\ninput_schema: {oops\noutput_schema: {}\n---\n[system]\na\n[user]\nb", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void Parse_BrokenPromptFile_SaysWhatIsWrong(string text, string message)
    {
        var ex = Assert.Throws<FormatException>(() => PromptRegistry.Parse(text, "prompts/x.v1.md"));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LineEndings_DoNotChangeTheHash()
    {
        var text = File.ReadAllText(Path.Combine(RepoPrompts(), "inquiry-answer.v1.md"));

        Assert.Equal(PromptRegistry.Parse(text, "a").ContentHash, PromptRegistry.Parse(text.Replace("\n", "\r\n", StringComparison.Ordinal), "a").ContentHash);
    }

    [Fact]
    public async Task PromptsCommand_ListShowDiff_PrintTheRegistry()
    {
        var console = new TestConsole().Width(200);
        Out.Console = console;
        var root = new System.CommandLine.RootCommand { PromptsCommand.Create() };

        Assert.Equal(0, await CliRunner.RunAsync(root, ["prompts", "list"]));
        Assert.Contains("memo-interpretation", console.Output, StringComparison.Ordinal);
        Assert.Equal(0, await CliRunner.RunAsync(root, ["prompts", "show", "memo-interpretation", "--version", "1"]));
        Assert.Contains("memo-interpretation@1 sha256:", console.Output, StringComparison.Ordinal);
        Assert.Equal(0, await CliRunner.RunAsync(root, ["prompts", "diff", "memo-interpretation", "1", "2"]));
        Assert.Contains("-version: 1", console.Output, StringComparison.Ordinal);
        Assert.Contains("+version: 2", console.Output, StringComparison.Ordinal);
        Assert.Equal(2, await CliRunner.RunAsync(root, ["prompts", "show", "nope"]));
    }

    [Fact]
    public void PromptDiff_ChangedLine_IsRemovedAndAdded()
    {
        var diff = PromptDiff.Lines("a\nb\nc", "a\nB\nc\nd");

        Assert.Equal([(' ', "a"), ('-', "b"), ('+', "B"), (' ', "c"), ('+', "d")], diff);
    }
}
