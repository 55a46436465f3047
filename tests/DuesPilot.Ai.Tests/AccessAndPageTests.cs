using DuesPilot.Domain;
using DuesPilot.Features.Inquiries;

namespace DuesPilot.Ai.Tests;

/// <summary>Who may ask: signed, unexpired member tokens only; household visibility by policy; the member page and embed.</summary>
public sealed class AccessAndPageTests
{
    private const string Key = "test-signing-key-that-is-long-enough-0123456789";

    [Fact]
    public void MemberToken_IssuedAndChecked_NamesTheMemberUntilItExpires()
    {
        var tokens = new MemberToken(Key);
        var now = new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero);
        var token = tokens.Issue(new MemberId("10231"), now.AddDays(30));

        Assert.Equal(new MemberId("10231"), tokens.Check(token, now).MemberId);
        Assert.True(tokens.Check(token, now.AddDays(30).AddSeconds(-1)).IsValid);
        Assert.Equal(TokenProblem.Expired, tokens.Check(token, now.AddDays(30)).Problem);
    }

    public static TheoryData<string, TokenProblem> BadTokens()
    {
        var now = new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero);
        var good = new MemberToken(Key).Issue(new MemberId("10231"), now.AddDays(1));
        var otherKey = new MemberToken(Key + "-rotated").Issue(new MemberId("10231"), now.AddDays(1));
        var payload = Convert.ToBase64String("v1|10620|1900000000"u8.ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return new()
        {
            { "", TokenProblem.Malformed },
            { "not-a-token", TokenProblem.Malformed },
            { good + "x", TokenProblem.BadSignature },
            { payload + good[good.IndexOf('.', StringComparison.Ordinal)..], TokenProblem.BadSignature },
            { otherKey, TokenProblem.BadSignature },
            { "!!!.???", TokenProblem.Malformed },
        };
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public void MemberToken_TamperedOrForeign_IsRefused(string token, TokenProblem problem)
    {
        var check = new MemberToken(Key).Check(token, new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero));

        Assert.False(check.IsValid);
        Assert.Equal(problem, check.Problem);
    }

    [Fact]
    public void MemberToken_ShortKey_IsRejectedAtStart()
    {
        Assert.Throws<InvalidOperationException>(() => new MemberToken("short"));
    }

    [Fact]
    public async Task AnswerInquiry_ExpiredToken_IsUnauthorizedAndShowsNothing()
    {
        await using var golden = await GoldenStore.CreateAsync();
        var token = golden.TokenFor("10231");
        golden.Clock.Advance(TimeSpan.FromDays(31));

        var outcome = await golden.Assistant().HandleAsync(new AnswerInquiry.Request(token, "How much do I owe?"));

        Assert.Equal(InquiryStatus.Unauthorized, outcome.Status);
        Assert.DoesNotContain("$", outcome.Answer, StringComparison.Ordinal);
        Assert.Empty(outcome.Citations);
    }

    [Fact]
    public async Task AnswerInquiry_TokenForUnknownMember_IsUnauthorized()
    {
        await using var golden = await GoldenStore.CreateAsync();

        var outcome = await golden.AskAsync("99999", "How much do I owe?");

        Assert.Equal(InquiryStatus.Unauthorized, outcome.Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task AnswerInquiry_EmptyQuestion_IsRejected(string question)
    {
        await using var golden = await GoldenStore.CreateAsync();

        var outcome = await golden.AskAsync("10231", question);

        Assert.Equal(InquiryStatus.Rejected, outcome.Status);
    }

    [Fact]
    public async Task AnswerInquiry_HouseholdNotAllowed_ShowsOnlyTheMembersOwnInvoices()
    {
        await using var golden = await GoldenStore.CreateAsync();
        var assistant = golden.Assistant(options: new InquiryOptions(golden.SigningKey, IncludeHousehold: false));

        var outcome = await assistant.HandleAsync(new AnswerInquiry.Request(golden.TokenFor("10403"), "How much do I owe?"));

        Assert.Contains("INV-27-1004", outcome.Answer, StringComparison.Ordinal);
        Assert.Contains("$180.00", outcome.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain("INV-27-1003", outcome.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain("Priya", outcome.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderInquiryPage_ValidToken_ServesThePageWithTheTokenEncoded()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero));
        var options = new InquiryOptions(Key);
        var link = new IssueMemberLink(options, clock).Handle(new IssueMemberLink.Request(new MemberId("10231"), new Uri("https://dues.example.org/")));

        var page = new RenderInquiryPage(options, clock).Handle(new RenderInquiryPage.Request(link.Token));

        Assert.Equal(RenderInquiryPage.PageStatus.Page, page.Status);
        Assert.Contains($"content=\"{link.Token}\"", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("__TOKEN__", page.Body, StringComparison.Ordinal);
        Assert.Contains("/api/inquiries", page.Body, StringComparison.Ordinal);
        Assert.StartsWith("https://dues.example.org/members/inquiries?t=", link.PageUrl.ToString(), StringComparison.Ordinal);
        Assert.Contains("src=\"https://dues.example.org/members/inquiries/embed.js\"", link.Snippet, StringComparison.Ordinal);
        Assert.Equal(clock.GetUtcNow().AddDays(30), link.ExpiresAt);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("forged.token")]
    [InlineData("\"><script>alert(1)</script>")]
    public void RenderInquiryPage_BadToken_ServesTheExpiredLinkPage(string? token)
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero));

        var page = new RenderInquiryPage(new InquiryOptions(Key), clock).Handle(new RenderInquiryPage.Request(token));

        Assert.Equal(RenderInquiryPage.PageStatus.Unauthorized, page.Status);
        Assert.DoesNotContain("<script>", page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void EmbedScript_Served_CreatesAnIframeFromTheScriptsOrigin()
    {
        var script = RenderInquiryPage.EmbedScript();

        Assert.Equal("text/javascript; charset=utf-8", script.ContentType);
        Assert.Contains("createElement('iframe')", script.Body, StringComparison.Ordinal);
        Assert.Contains("/members/inquiries?t=", script.Body, StringComparison.Ordinal);
    }
}

public sealed class InquiryResponseTests
{
    private static readonly System.Text.Json.JsonSerializerOptions Web = new(System.Text.Json.JsonSerializerDefaults.Web);

    [Fact]
    public async Task ToResponse_Serialized_HasTheShapeTheMemberPageReads()
    {
        await using var golden = await GoldenStore.CreateAsync();
        var outcome = await golden.AskAsync("10231", "How much do I owe?");

        var json = System.Text.Json.JsonSerializer.Serialize(outcome.ToResponse(), Web);

        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("answered", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal("balance", doc.RootElement.GetProperty("intent").GetString());
        Assert.Equal("invoice:INV-27-1001", doc.RootElement.GetProperty("citations")[0].GetProperty("id").GetString());
        Assert.False(doc.RootElement.TryGetProperty("finding", out _));
    }
}
