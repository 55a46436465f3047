using Microsoft.Extensions.Configuration;
using System.Text.Json;
using Dapper;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Features.Inquiries;
using DuesPilot.Persistence;

namespace DuesPilot.Ai.Tests;

/// <summary>With a model configured, against the local OpenAI-compatible test server: logging, validation, fallback, budget, phrasing.</summary>
public sealed class ModelGatewayTests
{
    private const string Question = "Why was I charged $296.25?";

    private static string Answer(string text, params string[] citations) => JsonSerializer.Serialize(new { answer = text, citations });

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task AnswerInquiry_ModelAnswersWithinTheFacts_UsesTheModelWordingAndLogsThePrompt(StoreEngine engine)
    {
        await using var golden = await GoldenStore.CreateAsync(engine);
        await using var server = await FakeModelServer.StartAsync(_ => new FakeReply(Answer("Hi Dana! The $296.25 on invoice INV-26-0412 is your prorated 2026 dues, paid by check no. 1187.", "invoice:INV-26-0412")));
        var options = server.Options();
        var model = golden.Model(options, server.Client(options));

        var outcome = await golden.AskAsync("10231", Question, model);

        Assert.Equal(InquiryStatus.Answered, outcome.Status);
        Assert.StartsWith("model test-model prompt inquiry-answer@1", outcome.PhrasedBy, StringComparison.Ordinal);
        Assert.StartsWith("Hi Dana! The $296.25", outcome.Answer, StringComparison.Ordinal);
        var prompt = PromptRegistry.Embedded().Get("inquiry-answer");
        var audit = (await new Features.Audit.AuditTrail(golden.Store, golden.Clock).ListAsync()).Where(r => r.Event.Action == "ai.model-call").ToList();
        var call = Assert.Single(audit);
        Assert.Equal($"prompt inquiry-answer@1 sha256:{prompt.ContentHash} model test-model", call.Event.RuleVersion);
        Assert.Equal("succeeded", call.Event.Outcome);
        var row = await golden.Store.InTransactionAsync((c, tx) => c.QuerySingleAsync<(string, long, string, string, long)>(
            "SELECT prompt_id, prompt_version, prompt_hash, model, input_tokens + output_tokens FROM ai_calls", transaction: tx));
        Assert.Equal(("inquiry-answer", 1L, prompt.ContentHash, "test-model", 160L), row);
        Assert.True((await new Features.Audit.AuditTrail(golden.Store, golden.Clock).VerifyAsync()).IsIntact);
    }

    public static TheoryData<string, string> BadAnswers() => new()
    {
        { "Sure! Your charge covers your dues.", "invalid" },
        { """{"answer": "Your dues."}""", "invalid" },
        { """{"answer": "Your dues.", "citations": [], "mood": "happy"}""", "invalid" },
        { """{"answer": 42, "citations": []}""", "invalid" },
        { """{"answer": "You were charged $500.00 by mistake, refund coming.", "citations": []}""", "invalid" },
        { """{"answer": "Your dues, like Tom's invoice INV-27-1006.", "citations": []}""", "invalid" },
        { """{"answer": "Your dues.", "citations": ["policies/secret.md#x¶1"]}""", "invalid" },
        { "```json\n{\"answer\": \"\", \"citations\": []}\n```", "invalid" },
    };

    [Theory]
    [MemberData(nameof(BadAnswers))]
    public async Task AnswerInquiry_ModelAnswerFailsValidation_FallsBackToTheTemplate(string reply, string expectedOutcome)
    {
        await using var golden = await GoldenStore.CreateAsync();
        await using var server = await FakeModelServer.StartAsync(_ => new FakeReply(reply));
        var options = server.Options();
        var without = await golden.AskAsync("10231", Question);

        var outcome = await golden.AskAsync("10231", Question, golden.Model(options, server.Client(options)));

        Assert.Equal("template", outcome.PhrasedBy);
        Assert.Equal(without.Answer, outcome.Answer);
        Assert.Contains("$395.00 × 9 months", outcome.Answer, StringComparison.Ordinal);
        var logged = await golden.Store.InTransactionAsync((c, tx) => c.QuerySingleAsync<string>("SELECT outcome FROM ai_calls", transaction: tx));
        Assert.Equal(expectedOutcome, logged);
    }

    [Fact]
    public async Task AnswerInquiry_ModelSlowerThanTheTimeout_RetriesThenAnswersFromTheTemplate()
    {
        await using var golden = await GoldenStore.CreateAsync();
        await using var server = await FakeModelServer.StartAsync(_ => new FakeReply(Answer("late"), Delay: TimeSpan.FromSeconds(30)));
        // 1.5 s, not less: on a loaded machine a shorter timeout can expire before the retry's body has reached the
        // fake server, which then counts one request while the gateway rightly logs two attempts.
        var options = server.Options(timeoutMs: 1500, retries: 1);

        var outcome = await golden.AskAsync("10231", Question, golden.Model(options, server.Client(options)));

        Assert.Equal("template", outcome.PhrasedBy);
        Assert.Contains("INV-26-0412", outcome.Answer, StringComparison.Ordinal);
        var (logged, attempts) = await golden.Store.InTransactionAsync((c, tx) => c.QuerySingleAsync<(string, long)>("SELECT outcome, attempts FROM ai_calls", transaction: tx));
        Assert.Equal(("timed-out", 2L), (logged, attempts));
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task AnswerInquiry_ModelEndpointDown_AnswersFromTheTemplate()
    {
        await using var golden = await GoldenStore.CreateAsync();
        await using var server = await FakeModelServer.StartAsync(_ => new FakeReply("", Status: 503));
        var options = server.Options(retries: 2);

        var outcome = await golden.AskAsync("10231", "Can I split my invoice?", golden.Model(options, server.Client(options)));

        Assert.Equal("template", outcome.PhrasedBy);
        Assert.Contains("$105.00 due January 31, 2027", outcome.Answer, StringComparison.Ordinal);
        var (logged, attempts) = await golden.Store.InTransactionAsync((c, tx) => c.QuerySingleAsync<(string, long)>("SELECT outcome, attempts FROM ai_calls", transaction: tx));
        Assert.Equal(("failed", 3L), (logged, attempts));
    }

    [Fact]
    public async Task AnswerInquiry_DailyTokenBudgetSpent_DoesNotCallTheModel()
    {
        await using var golden = await GoldenStore.CreateAsync();
        await using var server = await FakeModelServer.StartAsync(_ => new FakeReply(Answer("Your invoice INV-26-0412 is $296.25.", "invoice:INV-26-0412"), PromptTokens: 900, CompletionTokens: 200));
        var options = server.Options(tokenBudget: 1000);
        var model = golden.Model(options, server.Client(options));

        var first = await golden.AskAsync("10231", Question, model);
        golden.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await golden.AskAsync("10231", Question, model);
        golden.Clock.Advance(TimeSpan.FromDays(1));
        var nextDay = await golden.AskAsync("10231", Question, model);

        Assert.StartsWith("model", first.PhrasedBy, StringComparison.Ordinal);
        Assert.Equal("template", second.PhrasedBy);
        Assert.StartsWith("model", nextDay.PhrasedBy, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count);
        var outcomes = await golden.Store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<string>("SELECT outcome FROM ai_calls ORDER BY occurred_at, call_id", transaction: tx)).ToList());
        Assert.Equal(["succeeded", "over-budget", "succeeded"], outcomes);
    }

    [Fact]
    public async Task AnswerInquiry_DailyCostBudgetSpent_DoesNotCallTheModel()
    {
        await using var golden = await GoldenStore.CreateAsync();
        await using var server = await FakeModelServer.StartAsync(_ => new FakeReply(Answer("Your invoice INV-26-0412 is $296.25.", "invoice:INV-26-0412"), PromptTokens: 100_000, CompletionTokens: 10_000));
        var options = server.Options() with { DailyCostBudgetUsd = 0.02m };
        var model = golden.Model(options, server.Client(options));

        await golden.AskAsync("10231", Question, model);
        var second = await golden.AskAsync("10231", Question, model);

        Assert.Equal("template", second.PhrasedBy);
        Assert.Single(server.Requests);
        Assert.Equal((110_000L, 21_000L), await model.UsageTodayAsync());
    }

    [Fact]
    public async Task GovernedModel_StructuredOutput_SendsTheOutputSchemaAsResponseFormat()
    {
        await using var golden = await GoldenStore.CreateAsync();
        JsonElement? sent = null;
        await using var server = await FakeModelServer.StartAsync(r =>
        {
            sent = r;
            return new FakeReply("""{"member_ids": [], "invoice_ids": [], "names": [], "confidence": "low"}""");
        });
        var options = server.Options();

        var evidence = await new InterpretMemo(golden.Store, golden.Model(options, server.Client(options)))
            .InterpretAsync(new MemoInterpretationRequest(new PaymentId("P-1"), "X", "dues", Money.Usd(10m), PaymentChannel.Check));

        Assert.Equal(ModelCallOutcome.Succeeded, evidence.ModelOutcome);
        var format = sent!.Value.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal(0.0, sent.Value.GetProperty("temperature").GetDouble());
        Assert.Equal("test-model", sent.Value.GetProperty("model").GetString());
    }

    [Fact]
    public void AiOptions_NoEndpoint_IsOffAndCreatesNoClient()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ai:Model"] = "gpt-4o-mini" }).Build();

        var options = AiOptions.FromConfiguration(config);

        Assert.False(options.IsEnabled);
        Assert.Null(AiChatClient.Create(options));
    }

    [Fact]
    public void AiOptions_FromConfiguration_ReadsEndpointModelKeyAndBudget()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ai:Endpoint"] = "http://127.0.0.1:11434/v1", ["Ai:Model"] = "llama3.1:8b", ["Ai:ApiKey"] = "k", ["Ai:DailyTokenBudget"] = "5000", ["Ai:DailyCostBudgetUsd"] = "0.50",
        }).Build();

        var options = AiOptions.FromConfiguration(config);

        Assert.True(options.IsEnabled);
        Assert.Equal(5000, options.DailyTokenBudget);
        Assert.Equal(500_000, options.DailyCostBudgetMicroUsd);
        Assert.Equal(150 + 600, options.CostMicroUsd(1000, 1000));
        Assert.NotNull(AiChatClient.Create(options));
    }
}
