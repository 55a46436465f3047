using DuesPilot.Ai;
using DuesPilot.Features.Inquiries;
using DuesPilot.Tooling.Ai;

namespace DuesPilot.Ai.Tests;

/// <summary>The 31 golden questions (Data/inquiries.json) answered with no model: amounts, dates and invoice ids must be right.</summary>
public sealed class InquiryGoldenTests
{
    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        var count = InquiryCase.Load(Path.Combine(GoldenStore.DataDirectory, "inquiries.json")).Count;
        for (var i = 0; i < count; i++) data.Add(i);
        return data;
    }

    [Fact]
    public void GoldenSet_HasAtLeastThirtyQuestions_ForEveryTemplatedIntent()
    {
        var cases = InquiryCase.Load(Path.Combine(GoldenStore.DataDirectory, "inquiries.json"));
        Assert.True(cases.Count >= 30, $"{cases.Count} questions");
        foreach (var intent in Enum.GetValues<InquiryIntent>())
            Assert.Contains(cases, c => c.Intent == intent);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AnswerInquiry_GoldenQuestionWithoutModel_AnswersWithTheRightFacts(int index)
    {
        var c = InquiryCase.Load(Path.Combine(GoldenStore.DataDirectory, "inquiries.json"))[index];
        await using var golden = await GoldenStore.CreateAsync();

        var outcome = await golden.AskAsync(c.Member, c.Question);

        var problems = c.Check(outcome);
        Assert.True(problems.Count == 0, $"\"{c.Question}\" → {outcome.Intent}/{outcome.Status}: {outcome.Answer}\nProblems: {string.Join("; ", problems)}");
        Assert.Equal("template", outcome.PhrasedBy);
        if (c.Status == InquiryStatus.Answered) Assert.NotEmpty(outcome.Citations);
    }
}
