using System.Text.Json;
using DuesPilot.Ai;
using DuesPilot.Cli;
using DuesPilot.Cli.Commands;
using DuesPilot.Tooling.Ai;
using Spectre.Console.Testing;

namespace DuesPilot.Ai.Tests;

[Collection("Console")]
public sealed class MemoAndEvalTests
{
    public static TheoryData<string> MemoCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in MemoCase.Load(Path.Combine(GoldenStore.DataDirectory, "memos.json"))) data.Add(c.Payment);
        return data;
    }

    [Theory]
    [InlineData("G-002")]
    [InlineData("G-003")]
    [InlineData("G-005")]
    [InlineData("G-006")]
    [InlineData("G-008")]
    [InlineData("G-009")]
    [InlineData("G-010")]
    public async Task InterpretMemo_WithoutModel_ReadsIdsAndNamesTheStoreKnows(string payment)
    {
        var c = MemoCase.Load(Path.Combine(GoldenStore.DataDirectory, "memos.json")).Single(m => m.Payment == payment);
        await using var golden = await GoldenStore.CreateAsync();

        var evidence = await new InterpretMemo(golden.Store, golden.Model()).InterpretAsync(c.ToRequest());

        Assert.True(c.IsRight(evidence), $"{payment}: members [{string.Join(",", evidence.MemberIds)}] invoices [{string.Join(",", evidence.InvoiceIds)}]");
        Assert.Equal("rules", evidence.Source);
        Assert.Equal(ModelCallOutcome.NotConfigured, evidence.ModelOutcome);
    }

    [Fact]
    public async Task AiEvaluation_WithAModel_ReportsBothPathsSideBySide()
    {
        var cases = MemoCase.Load(Path.Combine(GoldenStore.DataDirectory, "memos.json")).ToDictionary(c => c.Memo);
        await using var server = await FakeModelServer.StartAsync(request =>
        {
            var user = FakeModelServer.UserMessage(request);
            if (!user.Contains("<memo>", StringComparison.Ordinal)) return new FakeReply("not json at all");
            var memo = user[(user.IndexOf("<memo>", StringComparison.Ordinal) + 6)..user.IndexOf("</memo>", StringComparison.Ordinal)];
            var expected = cases.Values.FirstOrDefault(c => new MaskingSession().Mask(c.Memo) == memo || memo.Contains(c.Memo[..Math.Min(12, c.Memo.Length)], StringComparison.Ordinal));
            return new FakeReply(JsonSerializer.Serialize(new { member_ids = expected?.Members ?? [], invoice_ids = expected?.Invoices ?? [], names = Array.Empty<string>(), confidence = "medium" }));
        });
        var options = server.Options();
        var work = Directory.CreateTempSubdirectory("duespilot-eval-test-").FullName;

        var scores = await AiEvaluation.RunAsync(GoldenStore.DataDirectory, options, server.Client(options), work, CancellationToken.None);

        Assert.Equal(["memo-interpretation/deterministic", "inquiry/deterministic", "memo-interpretation/model", "inquiry/model"], scores.Select(s => $"{s.Task}/{s.Path}"));
        var inquiryDeterministic = scores.Single(s => s.Task == "inquiry" && s.Path == "deterministic");
        Assert.Equal(inquiryDeterministic.Total, inquiryDeterministic.Right);
        var inquiryModel = scores.Single(s => s.Task == "inquiry" && s.Path == "model");
        Assert.Equal(inquiryModel.Total, inquiryModel.Right);
        Assert.Equal(inquiryModel.Total, inquiryModel.ModelOutcomes["template"]);
        var memoModel = scores.Single(s => s.Task == "memo-interpretation" && s.Path == "model");
        Assert.Equal(memoModel.Total, memoModel.ModelOutcomes["succeeded"]);
        Assert.True(memoModel.Right >= scores.Single(s => s.Task == "memo-interpretation" && s.Path == "deterministic").Right);
    }

    [Fact]
    public async Task AiEvalCommand_NoModel_PrintsTheDeterministicAccuracy()
    {
        var console = new TestConsole().Width(200);
        Out.Console = console;
        var root = new System.CommandLine.RootCommand { AiCommand.Create() };

        var exit = await CliRunner.RunAsync(root, ["ai", "eval", "--data", GoldenStore.DataDirectory]);

        Assert.Equal(0, exit);
        Assert.Contains("inquiry", console.Output, StringComparison.Ordinal);
        var total = InquiryCase.Load(Path.Combine(GoldenStore.DataDirectory, "inquiries.json")).Count;
        Assert.Contains($"{total}/{total}", console.Output, StringComparison.Ordinal);
        Assert.Contains("No model configured", console.Output, StringComparison.Ordinal);
    }
}
