using DuesPilot.Hosting;
using DuesPilot.Persistence;
using DuesPilot.Server;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Options;

namespace DuesPilot.Tests.Configuration;

/// <summary>
/// Every section the service reads is bound one way (issue 18): a key its options do not have, or a value that does not
/// parse, stops the start with one line naming the key — never a silent default. Each case below used to start
/// quietly on the default (a misspelt webhook secret left the endpoint off; <c>Revenue:Close:Enabled=yes</c> left
/// the close off; <c>Ai:MaskMemberIds=ja</c> turned masking off).
/// </summary>
public class MisspeltSettingsTests
{
    [Theory]
    [InlineData("Intake:Stripe:WebhookSecert", "whsec_x", "Intake:Stripe:WebhookSecert is not a setting (did you mean Intake:Stripe:WebhookSecret?")]
    [InlineData("Intake:Worker:MaxAtempts", "3", "Intake:Worker:MaxAtempts is not a setting (did you mean Intake:Worker:MaxAttempts?")]
    [InlineData("Staff:SesionHours", "4", "Staff:SesionHours is not a setting (did you mean Staff:SessionHours?")]
    [InlineData("Staff:SignIn:MaxFailuresPerUsr", "3", "Staff:SignIn:MaxFailuresPerUsr is not a setting (did you mean Staff:SignIn:MaxFailuresPerUser?")]
    [InlineData("Staff:Oidc:Authorty", "https://login.example.org", "Staff:Oidc:Authorty is not a setting (did you mean Staff:Oidc:Authority?")]
    [InlineData("Metrics:Acess", "open", "Metrics:Acess is not a setting (did you mean Metrics:Access?")]
    [InlineData("Inquiries:Limits:PerLinkPerMinite", "9", "Inquiries:Limits:PerLinkPerMinite is not a setting (did you mean Inquiries:Limits:PerLinkPerMinute?")]
    [InlineData("Inquiries:IncludeHousehld", "false", "Inquiries:IncludeHousehld is not a setting (did you mean Inquiries:IncludeHousehold?")]
    [InlineData("Inquiries:IncludeHousehold", "nope", "Inquiries:IncludeHousehold: 'nope' is not true or false")]
    [InlineData("Inquiries:Mailbox:Prot", "993", "Inquiries:Mailbox:Prot is not a setting (did you mean Inquiries:Mailbox:Port?")]
    [InlineData("Ai:MaskMemberIds", "ja", "Ai:MaskMemberIds: 'ja' is not true or false")]
    [InlineData("Ai:Modle", "gpt", "Ai:Modle is not a setting (did you mean Ai:Model?")]
    [InlineData("Matching:AutoApplyConfidance", "0.8", "Matching:AutoApplyConfidance is not a setting (did you mean Matching:AutoApplyConfidence?")]
    [InlineData("Smtp:Prot", "2525", "Smtp:Prot is not a setting (did you mean Smtp:Port?")]
    [InlineData("Smtp:Port", "twenty-five", "Smtp:Port: 'twenty-five' is not a whole number")]
    [InlineData("Revenue:Close:Enabled", "yes", "Failed to convert configuration value")]
    [InlineData("Revenue:Close:Enabeld", "true", "Revenue:Close:Enabeld is not a setting (did you mean Revenue:Close:Enabled?")]
    [InlineData("Collections:Dunning:IntervalMinuts", "30", "Collections:Dunning:IntervalMinuts is not a setting (did you mean Collections:Dunning:IntervalMinutes?")]
    [InlineData("Jobs:LeaseSecs", "60", "Jobs:LeaseSecs is not a setting (did you mean Jobs:LeaseSeconds?")]
    [InlineData("Jobs:LeaseSeconds", "1", "Jobs:LeaseSeconds: The field LeaseSeconds must be between 3 and 3600.")]
    [InlineData("Rollout:DefaultPhaze", "Guarded", "Rollout:DefaultPhaze is not a setting (did you mean Rollout:DefaultPhase?")]
    [InlineData("Imis:PageSise", "50", "Imis:PageSise is not a setting (did you mean Imis:PageSize?")]
    [InlineData("Posting:HoldWindowHuors", "12", "Posting:HoldWindowHuors is not a setting (did you mean Posting:HoldWindowHours?")]
    public async Task BadSetting_StopsTheServiceWithOneLineNamingIt(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Intake:Worker:Enabled"] = "false",
            ["Matching:UseEmbeddings"] = "false",
            ["Staff:InitialAdminPassword"] = "correct-horse-battery",
            // iMIS on, so its section is bound too (nothing is called: the test never gets past the start).
            ["Imis:BaseUrl"] = "http://127.0.0.1:9",
            ["Imis:Username"] = "svc",
            ["Imis:Password"] = "secret",
            [key] = value,
        };
        var store = await TestStores.CreateOptionsAsync(StoreEngine.Sqlite);
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var app = await ServerHost.BuildAsync(new ServerHostOptions(store, "http://127.0.0.1:0", settings));
            await app.StartAsync();
            await app.StopAsync();
        });
        Assert.True(ex is SettingsException or OptionsValidationException, $"{ex.GetType().Name}: {ex.Message}");
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task EveryDocumentedSectionWellSpelt_Starts()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Intake:Worker:Enabled"] = "false",
            ["Intake:Stripe:WebhookSecrets:0"] = "whsec_a",
            ["Matching:UseEmbeddings"] = "false",
            ["Staff:InitialAdminPassword"] = "correct-horse-battery",
            ["Staff:SignIn:MaxFailuresPerUser"] = "3",
            ["Inquiries:FrameAncestors"] = "https://members.example.org",
            ["Inquiries:Limits:PerLinkPerMinute"] = "9",
            ["Metrics:Access"] = "open",
            ["Revenue:Close:Enabled"] = "false",
            ["Collections:Dunning:Enabled"] = "false",
            ["Ai:MaskMemberIds"] = "true",
            ["Jobs:Schedules:hold-release"] = "*/10 * * * *",
            ["Rollout:Segments:0:Channel"] = "wire",
            ["Rollout:Segments:0:Segment"] = "*",
            ["Rollout:Segments:0:Phase"] = "Shadow",
            ["Imis:BaseUrl"] = "http://127.0.0.1:9",
            ["Imis:Username"] = "svc",
            ["Imis:Password"] = "secret",
            ["Imis:Writes:BatchSize"] = "100",
        };
        await using var app = await ServerHost.BuildAsync(new ServerHostOptions(await TestStores.CreateOptionsAsync(StoreEngine.Sqlite), "http://127.0.0.1:0", settings));
        await app.StartAsync();
        await app.StopAsync();
    }
}
