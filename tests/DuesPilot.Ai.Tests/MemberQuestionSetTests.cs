using Dapper;
using DuesPilot.Features.Inquiries;
using DuesPilot.Tooling.Ai;
using Spectre.Console.Testing;

namespace DuesPilot.Ai.Tests;

/// <summary>The member-question set of tests/golden/inquiries (written apart from the intent rules): complete labels, and no confident wrong answer.</summary>
[Collection("Console")]
public sealed class MemberQuestionSetTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "GoldenInquiries");

    [Fact]
    public void EverySetCase_IsLabelledCompletely()
    {
        var cases = MemberInquiryCase.Load(Path.Combine(Folder, "cases.json"));
        var association = GoldenAssociation.Load(Path.Combine(Folder, "association.json"));
        Assert.True(cases.Count >= 100, $"{cases.Count} cases; the set must have at least 100");
        Assert.Equal(cases.Count, cases.Select(c => c.Id).Distinct().Count());
        foreach (var c in cases)
        {
            Assert.True(c.Expect is "answer" or "staff", $"{c.Id}: expect '{c.Expect}'");
            Assert.True(c.Channel is "email" or "portal", $"{c.Id}: channel '{c.Channel}'");
            Assert.False(string.IsNullOrWhiteSpace(c.Why) && c.Expect == "staff", $"{c.Id}: a hand-off needs the clerk's reason");
            if (c.Channel == "email") Assert.False(string.IsNullOrWhiteSpace(c.From), $"{c.Id}: an e-mail needs a sender");
            else Assert.NotNull(c.Member);
            if (c.Expect == "answer") Assert.True(c.Facts is { Count: > 0 }, $"{c.Id}: an answer case needs the facts a right answer contains");
            if (c.Member is not null) Assert.Contains(association.Members, m => m.Id == c.Member);
        }
    }

    [Fact]
    public async Task DeterministicPath_NoConfidentWrongAnswer()
    {
        var work = Directory.CreateTempSubdirectory("duespilot-member-eval-").FullName;
        var score = (await MemberInquiryEvaluation.RunAsync(Folder, AiOptions.FromConfiguration(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()), null, work)).Single();
        Assert.True(score.ConfidentWrong == 0, string.Join("\n", score.Misses));
        Assert.True(score.Accuracy >= 0.95m, $"accuracy {score.Accuracy}:\n{string.Join("\n", score.Misses)}");
    }

    [Fact]
    public async Task AiEvalCommand_ReportsAccuracyAndConfidentWrongOnTheMemberSet()
    {
        var console = new TestConsole().Width(200);
        Cli.Out.Console = console;
        var root = new System.CommandLine.RootCommand { Cli.Commands.AiCommand.Create() };

        var exit = await Cli.CliRunner.RunAsync(root, ["ai", "eval", "--data", GoldenStore.DataDirectory, "--inquiries", Folder]);

        var total = MemberInquiryCase.Load(Path.Combine(Folder, "cases.json")).Count;
        Assert.Equal(0, exit);
        Assert.Contains("Confident wrong", console.Output, StringComparison.Ordinal);
        Assert.Matches($@"GoldenInquiries\s*│\s*deterministic\s*│\s*\d+/{total}\s*│[^│]*│\s*0\s*│", console.Output);
    }

    [Fact]
    public async Task PaidTwice_WithARealDuplicate_OpensADiscrepancyItemNamingBothPayments()
    {
        await using var golden = await GoldenStore.CreateAsync();
        var before = await golden.MoneySnapshotAsync();
        var o = await golden.AskAsync("10733", "I paid twice, please refund");
        Assert.Equal(InquiryStatus.HandedToStaff, o.Status);
        Assert.Equal("duplicate-payment", o.Finding?.Kind);
        var item = await golden.Store.InTransactionAsync((c, tx) => c.QuerySingleAsync<(string Kind, string Action, string Member)>(
            "SELECT kind, suggested_action, member_id FROM review_items WHERE item_id = @id", new { id = o.ReviewItemId }, tx));
        Assert.Equal(("inquiry", "10733"), (item.Kind, item.Member));
        Assert.Contains("ch_3Pk2aL2Vb7mGrc01", item.Action, StringComparison.Ordinal);
        Assert.Contains("ch_3Pk9bL2Vb7mGrc02", item.Action, StringComparison.Ordinal);
        Assert.Contains("March 26, 2026", o.Answer, StringComparison.Ordinal);
        Assert.Contains("March 27, 2026", o.Answer, StringComparison.Ordinal);
        Assert.Equal(before, await golden.MoneySnapshotAsync());

        // Asking again joins the same item.
        Assert.Equal(o.ReviewItemId, (await golden.AskAsync("10733", "you charged me twice!!")).ReviewItemId);
    }

    [Fact]
    public async Task PaidTwice_WithoutADuplicate_ExplainsWhatWasReceived()
    {
        await using var golden = await GoldenStore.CreateAsync();
        var o = await golden.AskAsync("10348", "I think I was charged twice");
        Assert.Equal(InquiryStatus.Answered, o.Status);
        Assert.Null(o.Finding);
        Assert.Contains("no duplicate", o.Answer, StringComparison.Ordinal);
        Assert.Contains("$95.00", o.Answer, StringComparison.Ordinal);
        Assert.Contains("January 12, 2026", o.Answer, StringComparison.Ordinal);
        Assert.Contains(o.Citations, c => c.Id == "payment:ch_3QhX0sL2Vb7mPq01");
    }
}
