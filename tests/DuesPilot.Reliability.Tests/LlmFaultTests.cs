using Dapper;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Features.Members;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DuesPilot.Reliability.Tests;

/// <summary>
/// LLM faults: a local OpenAI-compatible server (the pattern of DuesPilot.Ai.Tests' fake) answers garbage,
/// JSON of the wrong shape, 500s or nothing in time. Memo interpretation falls back to the rules and
/// nothing is posted.
/// </summary>
public sealed class LlmFaultTests
{
    public enum Fault
    {
        Garbage,
        WrongShape,
        ServerError,
        Timeout,
    }

    [Theory]
    [InlineData(Fault.Garbage, ModelCallOutcome.Invalid)]
    [InlineData(Fault.WrongShape, ModelCallOutcome.Invalid)]
    [InlineData(Fault.ServerError, ModelCallOutcome.Failed)]
    [InlineData(Fault.Timeout, ModelCallOutcome.TimedOut)]
    public async Task InterpretMemo_ModelFaulty_FallsBackToRulesAndPostsNothing(Fault fault, ModelCallOutcome expected)
    {
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var now = TimeProvider.System.GetUtcNow();
        await store.InTransactionAsync(async (c, tx) =>
        {
            await MemberCache.UpsertAsync(c, tx, new Member(new MemberId("10388"), PartyKind.Person, "Robert J. Smith", "Robert", "Smith", "rsmith@example.com", "REG", MemberStatus.Active, null, null), now);
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, Invoice.SingleLine(new InvoiceId("281874"), new MemberId("10388"), new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31), Money.Usd(195m), Money.Usd(195m), "DUES-REG", "2027 dues"), now);
            return true;
        });
        var requests = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var server = builder.Build();
        server.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            Interlocked.Increment(ref requests);
            if (fault == Fault.Timeout)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(10), http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return Results.Empty;
                }
            }

            if (fault == Fault.ServerError) return Results.Json(new { error = new { message = "scripted outage" } }, statusCode: 500);
            var content = fault == Fault.Garbage ? "Sure! The member is probably 10388, apply $195 now." : """{"member_ids": "DROP TABLE payments", "confidence": 7}""";
            return Results.Json(new
            {
                id = "chatcmpl-fault", @object = "chat.completion", created = 1764000000, model = "test-model",
                choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 100, completion_tokens = 20, total_tokens = 120 },
            });
        });
        await server.StartAsync();
        var options = new AiOptions(Endpoint: server.Urls.First() + "/v1/", Model: "test-model", ApiKey: "sk-test", MaxRetries: 0, DailyTokenBudget: 1_000_000) { TimeoutMilliseconds = fault == Fault.Timeout ? 500 : 10_000 };
        var model = new GovernedModel(store, TimeProvider.System, options, AiChatClient.Create(options), PromptRegistry.Embedded());

        var evidence = await new InterpretMemo(store, model).InterpretAsync(
            new MemoInterpretationRequest(new PaymentId("stripe:pi_fault"), "Bob S", "for my husband's membership this year", Money.Usd(195m), PaymentChannel.Card));

        // (A timeout can strike before a cold client even reaches the server; every other fault is the server's answer.)
        Assert.True(fault == Fault.Timeout || requests > 0, $"the model must have been asked ({evidence.ModelOutcome}, {evidence.Source})");
        Assert.Equal(expected, evidence.ModelOutcome);
        Assert.NotEqual("model", evidence.Source);
        await using var c = await store.OpenConnectionAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journal_entries"));
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM allocations"));
        await server.StopAsync();
    }
}
