using System.Text.Json;
using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Persistence;

namespace DuesPilot.Ai.Tests;

/// <summary>Dunning wording by a model, only through the governed gateway: facts unchanged or the template is sent.</summary>
public sealed class DunningRephraseTests
{
    private const string Template = "Hello Dana, invoice INV-26-0412 for $296.25 was due 2026-10-01. Pay at https://pay.example.org/i/0412 — thank you.";

    private static readonly MessageFacts Facts = new("10231", "Dana", "Dana Whitfield", "REG", "INV-26-0412", "$296.25", "$296.25", "2026-10-01", 55, "Example Association", "https://pay.example.org/i/0412");

    private static string Reply(string text) => JsonSerializer.Serialize(new { text });

    [Theory]
    [InlineData("Hi Dana — a friendly reminder: invoice INV-26-0412 for $296.25 was due 2026-10-01. You can pay at https://pay.example.org/i/0412. Thank you!", true)]
    [InlineData("Hi Dana, invoice INV-26-0412 for $196.25 was due 2026-10-01. Pay at https://pay.example.org/i/0412.", false)]
    [InlineData("Hi Dana, please pay $296.25 now or your membership ends on 2026-12-01. https://pay.example.org/i/0412 INV-26-0412 2026-10-01", false)]
    [InlineData("not json at all", false)]
    public async Task Rephrase_KeepsEveryFactOrFallsBackToTheTemplate(string modelText, bool accepted)
    {
        await using var golden = await GoldenStore.CreateAsync(StoreEngine.Sqlite);
        await using var server = await FakeModelServer.StartAsync(_ => new FakeReply(modelText.StartsWith("not", StringComparison.Ordinal) ? modelText : Reply(modelText)));
        var options = server.Options();
        var rephraser = new GovernedRephraser(golden.Model(options, server.Client(options)));
        var text = await rephraser.RephraseAsync(Template, Facts, DunningChannel.Email, CancellationToken.None);
        Assert.Equal(accepted ? modelText : Template, text);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Rephrase_WithoutAModel_IsTheTemplate()
    {
        await using var golden = await GoldenStore.CreateAsync(StoreEngine.Sqlite);
        var rephraser = new GovernedRephraser(DuesPilot.Ai.GovernedModel.Off(golden.Store, golden.Clock));
        Assert.Equal(Template, await rephraser.RephraseAsync(Template, Facts, DunningChannel.Sms, CancellationToken.None));
        Assert.Equal("template", rephraser.Version);
    }
}
