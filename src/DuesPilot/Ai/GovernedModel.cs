using System.ClientModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;
using Microsoft.Extensions.AI;

namespace DuesPilot.Ai;

/// <summary>How one governed model call ended. Every value except <see cref="Succeeded"/> means: use the deterministic path.</summary>
public enum ModelCallOutcome
{
    /// <summary>No model configured (the default).</summary>
    NotConfigured,
    /// <summary>Today's token or cost budget is spent; the call was not made.</summary>
    OverBudget,
    /// <summary>The model answered JSON that fits the prompt's output schema.</summary>
    Succeeded,
    /// <summary>Every attempt ran past the per-attempt timeout.</summary>
    TimedOut,
    /// <summary>The endpoint failed (connection refused, 4xx/5xx) on every attempt.</summary>
    Failed,
    /// <summary>The model answered something that is not JSON or does not fit the schema (or the caller's own checks).</summary>
    Invalid,
}

/// <summary>The result of a governed call. <see cref="Output"/> is still masked: restore strings with the session that masked the inputs.</summary>
public sealed record ModelAnswer(ModelCallOutcome Outcome, JsonElement? Output, string Detail, PromptDefinition Prompt, string? Model)
{
    public bool IsUsable => Outcome == ModelCallOutcome.Succeeded && Output is not null;
}

/// <summary>A prompt call as the gateway runs it: which prompt, the raw inputs (masked here), and who it concerns.</summary>
public sealed record ModelRequest(string PromptId, IReadOnlyDictionary<string, string> Inputs, string Subject, string? MemberId = null);

/// <summary>
/// The one door through which text reaches a language model. It masks every input, checks the daily
/// budget, renders the registered prompt, calls with a timeout and bounded retries, validates the answer
/// against the prompt's output schema, and records the call (prompt id, version, content hash, model,
/// tokens, outcome) in <c>ai_calls</c> and the audit log in one transaction.
/// </summary>
/// <remarks>
/// Nothing here can move money: the gateway returns evidence or wording, and its callers decide with
/// deterministic rules. Timeouts use real elapsed time (a model being slow is a fact about the wall clock);
/// the budget day and audit times come from the injected <see cref="TimeProvider"/>.
/// </remarks>
public sealed class GovernedModel(Store store, TimeProvider clock, AiOptions options, IChatClient? chat, PromptRegistry prompts)
{
    public const string Actor = "duespilot";

    public bool IsConfigured => chat is not null && options.IsEnabled;

    public AiOptions Options => options;

    public PromptRegistry Prompts => prompts;

    /// <summary>A gateway with no model: every call answers <see cref="ModelCallOutcome.NotConfigured"/>.</summary>
    public static GovernedModel Off(Store store, TimeProvider clock) => new(store, clock, AiOptions.Off, null, PromptRegistry.Embedded());

    /// <summary>Tokens and micro-dollars spent on the current UTC day.</summary>
    public Task<(long Tokens, long CostMicroUsd)> UsageTodayAsync(CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var day = DbTime.Format(Domain.BusinessClock.Of(clock).Today);
            var row = await c.QuerySingleAsync<(long, long)>(
                "SELECT CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(cost_micro_usd), 0) AS BIGINT) FROM ai_calls WHERE usage_day = @day",
                new { day }, tx);
            return row;
        }, ct);

    /// <summary>
    /// Runs one prompt. <paramref name="accept"/> is the caller's own check of the (masked) output beyond the
    /// schema, e.g. "every citation is one we gave"; a non-null message rejects the answer as invalid.
    /// </summary>
    public async Task<ModelAnswer> AskAsync(ModelRequest request, MaskingSession mask, Func<JsonElement, string?>? accept = null, CancellationToken ct = default)
    {
        var prompt = prompts.Get(request.PromptId);
        if (!IsConfigured) return new ModelAnswer(ModelCallOutcome.NotConfigured, null, "no model configured", prompt, null);

        var (tokens, cost) = await UsageTodayAsync(ct);
        if (tokens >= options.DailyTokenBudget || cost >= options.DailyCostBudgetMicroUsd)
        {
            var over = new ModelAnswer(ModelCallOutcome.OverBudget, null, $"daily budget spent ({tokens} tokens, {cost} micro-USD)", prompt, options.Model);
            await RecordAsync(request, over, 0, 0, 0, TimeSpan.Zero, "", ct);
            return over;
        }

        var masked = request.Inputs.ToDictionary(kv => kv.Key, kv => mask.Mask(kv.Value), StringComparer.Ordinal);
        var (system, user) = prompt.Render(masked);
        var messages = new List<ChatMessage> { new(ChatRole.System, system), new(ChatRole.User, user) };
        var chatOptions = new ChatOptions { ModelId = options.Model, Temperature = 0f, MaxOutputTokens = 800 };
        chatOptions.ResponseFormat = options.StructuredOutput switch
        {
            "json_schema" => ChatResponseFormat.ForJsonSchema(prompt.OutputSchemaElement, prompt.Id.Replace('-', '_')),
            "json_object" => ChatResponseFormat.Json,
            _ => null,
        };
        var sentHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(system + "\n\n" + user)));

        var started = clock.GetTimestamp();
        long inTokens = 0, outTokens = 0;
        var attempts = 0;
        ModelAnswer answer = new(ModelCallOutcome.Failed, null, "not attempted", prompt, options.Model);
        for (var attempt = 0; attempt <= options.MaxRetries; attempt++)
        {
            attempts++;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.AttemptTimeout);
            try
            {
                var response = await chat!.GetResponseAsync(messages, chatOptions, timeout.Token);
                inTokens += response.Usage?.InputTokenCount ?? EstimateTokens(system + user);
                outTokens += response.Usage?.OutputTokenCount ?? EstimateTokens(response.Text);
                answer = Check(prompt, response.Text, accept);
                break;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                answer = new ModelAnswer(ModelCallOutcome.TimedOut, null, $"no answer within {options.AttemptTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms", prompt, options.Model);
            }
            catch (Exception ex) when (ex is HttpRequestException or ClientResultException or IOException or JsonException or InvalidOperationException)
            {
                answer = new ModelAnswer(ModelCallOutcome.Failed, null, $"{ex.GetType().Name}: {FirstLine(ex.Message)}", prompt, options.Model);
            }
        }

        await RecordAsync(request, answer, attempts, inTokens, outTokens, clock.GetElapsedTime(started), sentHash, ct);
        return answer;
    }

    /// <summary>Parses and validates the model's text; strips a Markdown code fence some models add.</summary>
    internal static ModelAnswer Check(PromptDefinition prompt, string? text, Func<JsonElement, string?>? accept)
    {
        var body = (text ?? "").Trim();
        if (body.StartsWith("```", StringComparison.Ordinal))
        {
            var firstNewline = body.IndexOf('\n', StringComparison.Ordinal);
            var lastFence = body.LastIndexOf("```", StringComparison.Ordinal);
            if (firstNewline > 0 && lastFence > firstNewline) body = body[(firstNewline + 1)..lastFence].Trim();
        }

        JsonElement output;
        try
        {
            using var doc = JsonDocument.Parse(body);
            output = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return new ModelAnswer(ModelCallOutcome.Invalid, null, "answer is not JSON", prompt, null);
        }

        var problems = JsonSchemaCheck.Validate(prompt.OutputSchemaElement, output);
        if (problems.Count > 0) return new ModelAnswer(ModelCallOutcome.Invalid, null, "answer does not fit the output schema: " + string.Join("; ", problems.Take(3)), prompt, null);
        var rejected = accept?.Invoke(output);
        if (rejected is not null) return new ModelAnswer(ModelCallOutcome.Invalid, null, "answer rejected: " + rejected, prompt, null);
        return new ModelAnswer(ModelCallOutcome.Succeeded, output, "ok", prompt, null);
    }

    private async Task RecordAsync(ModelRequest request, ModelAnswer answer, int attempts, long inTokens, long outTokens, TimeSpan elapsed, string sentHash, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var prompt = answer.Prompt;
        var costMicro = options.CostMicroUsd(inTokens, outTokens);
        var outcome = Code(answer.Outcome);
        await store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(
                """
                INSERT INTO ai_calls (call_id, occurred_at, usage_day, prompt_id, prompt_version, prompt_hash, model, subject, outcome, attempts, input_tokens, output_tokens, cost_micro_usd, elapsed_ms)
                VALUES (@id, @at, @day, @pid, @pver, @phash, @model, @subject, @outcome, @attempts, @inTokens, @outTokens, @costMicro, @ms)
                """,
                new
                {
                    id = Guid.CreateVersion7(now).ToString("D"), at = DbTime.Format(now), day = DbTime.Format(Domain.BusinessClock.Of(clock).DateOf(now)),
                    pid = prompt.Id, pver = prompt.Version, phash = prompt.ContentHash, model = options.Model ?? "", subject = request.Subject, outcome, attempts,
                    inTokens, outTokens, costMicro, ms = (long)elapsed.TotalMilliseconds,
                }, tx);
            var inputs = JsonSerializer.Serialize(new { sent_sha256 = sentHash, input_tokens = inTokens, output_tokens = outTokens, attempts, detail = answer.Detail });
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(
                Actor, "ai.model-call", request.Subject, outcome, request.MemberId, inputs,
                RuleVersion: $"prompt {prompt.Id}@{prompt.Version} sha256:{prompt.ContentHash} model {options.Model}"));
        }, ct);
    }

    public static string Code(ModelCallOutcome outcome) => outcome switch
    {
        ModelCallOutcome.NotConfigured => "not-configured",
        ModelCallOutcome.OverBudget => "over-budget",
        ModelCallOutcome.Succeeded => "succeeded",
        ModelCallOutcome.TimedOut => "timed-out",
        ModelCallOutcome.Failed => "failed",
        ModelCallOutcome.Invalid => "invalid",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };

    /// <summary>Four characters a token, for endpoints that report no usage; rounded up.</summary>
    private static long EstimateTokens(string? text) => ((text?.Length ?? 0) + 3) / 4;

    private static string FirstLine(string message)
    {
        var i = message.IndexOf('\n', StringComparison.Ordinal);
        return i < 0 ? message : message[..i];
    }
}
