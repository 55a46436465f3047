using DuesPilot.Features.Collections.Dunning;

namespace DuesPilot.Revenue.Tests.Dunning;

public sealed class DunningPolicyTests
{
    [Fact]
    public void Parse_DefaultPolicy_IsValid()
    {
        var policy = DunningPolicy.Parse(DunningPolicy.DefaultJson);

        Assert.Equal(["reminder", "second-notice", "sms-nudge", "final-notice"], policy.Stages.Select(s => s.Name));
        Assert.Equal(DunningChannel.Sms, policy.Stages[2].Channel);
    }

    [Theory]
    [InlineData("{{ member.first_name ", "not valid Liquid")]
    [InlineData("ok", "")]
    public void Parse_StageTemplate_IsCheckedAtLoad(string template, string expectedError)
    {
        var json = DunningPolicy.DefaultJson.Replace("Reply STOP to opt out.", template.Replace("\"", "\\\"", StringComparison.Ordinal), StringComparison.Ordinal);
        if (expectedError.Length == 0)
        {
            Assert.NotNull(DunningPolicy.Parse(json));
            return;
        }

        var ex = Assert.Throws<FormatException>(() => DunningPolicy.Parse(json));
        Assert.Contains(expectedError, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("20:00", "08:00", "21:30", true)]
    [InlineData("20:00", "08:00", "07:59", true)]
    [InlineData("20:00", "08:00", "08:00", false)]
    [InlineData("12:00", "13:00", "12:30", true)]
    [InlineData("12:00", "13:00", "13:30", false)]
    public void QuietHours_Contains_WrapsMidnight(string start, string end, string time, bool expected) =>
        Assert.Equal(expected, new QuietHours(TimeOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture), TimeOnly.Parse(end, System.Globalization.CultureInfo.InvariantCulture))
            .Contains(TimeOnly.Parse(time, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Render_MemberFacts_FillTheTemplate()
    {
        var text = MessageTemplates.Render("Dear {{ member.first_name }}, {{ invoice.balance }} is {{ days_overdue }} days overdue.",
            new MessageFacts("1", "Ana", "Ana Ruiz", "REG", "INV-1", "$395.00", "$95.00", "March 1, 2027", 12, "APA", "https://x.test/pay"));

        Assert.Equal("Dear Ana, $95.00 is 12 days overdue.", text);
    }

    [Fact]
    public void DefaultPolicy_OneDayOverdue_SaysOneDay_InEveryStage()
    {
        var policy = DunningPolicy.Parse(DunningPolicy.DefaultJson);
        var facts = new MessageFacts("1", "Ana", "Ana Ruiz", "REG", "INV-1", "$395.00", "$95.00", "March 1, 2027", 1, "APA", "https://x.test/pay");
        var texts = policy.Stages.SelectMany(s => new[] { s.Subject, s.Template }).Where(t => !string.IsNullOrEmpty(t)).Select(t => MessageTemplates.Render(t, facts)).ToList();
        Assert.Contains(texts, t => t.Contains("1 day overdue", StringComparison.Ordinal));
        Assert.DoesNotContain(texts, t => t.Contains("1 days", StringComparison.Ordinal));
    }
}
