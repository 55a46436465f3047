using DuesPilot.Hosting;
using Microsoft.Extensions.Configuration;

namespace DuesPilot.Ai;

/// <summary>
/// How DuesPilot reaches a language model, read from the <c>Ai</c> configuration section
/// (<c>Ai:Endpoint</c>, <c>Ai:Model</c>, <c>Ai:ApiKey</c>; environment <c>Ai__ApiKey</c> or user secrets for the key).
/// No endpoint or no model means no model: every feature then runs its deterministic path.
/// </summary>
/// <param name="Endpoint">Base URL of an OpenAI-compatible API, including <c>/v1</c> (e.g. <c>http://127.0.0.1:11434/v1</c> for Ollama).</param>
/// <param name="TimeoutSeconds">Limit on one attempt; a slower model is treated as down and the deterministic path answers.</param>
/// <param name="MaxRetries">Further attempts after a failed or timed-out one (not after an invalid answer: that is the model's answer).</param>
/// <param name="DailyTokenBudget">Input plus output tokens allowed per UTC day, across all instances sharing the store.</param>
/// <param name="DailyCostBudgetUsd">Spend allowed per UTC day, priced with the two per-million rates.</param>
/// <param name="StructuredOutput"><c>json_schema</c> (send the output schema), <c>json_object</c> or <c>none</c>; answers are validated against the schema either way.</param>
/// <param name="MaskMemberIds">Replace iMIS member ids with tokens before text leaves the process.</param>
public sealed record AiOptions(
    string? Endpoint = null,
    string? Model = null,
    string? ApiKey = null,
    int TimeoutSeconds = 20,
    int MaxRetries = 1,
    long DailyTokenBudget = 200_000,
    decimal DailyCostBudgetUsd = 5m,
    decimal InputCostPerMillionTokensUsd = 0.15m,
    decimal OutputCostPerMillionTokensUsd = 0.60m,
    string StructuredOutput = "json_schema",
    bool MaskMemberIds = true)
{
    /// <summary>The default: no model.</summary>
    public static AiOptions Off { get; } = new();

    public bool IsEnabled => !string.IsNullOrWhiteSpace(Endpoint) && !string.IsNullOrWhiteSpace(Model);

    /// <summary>The per-attempt timeout; TimeoutMilliseconds (tests) wins over TimeoutSeconds when set.</summary>
    public TimeSpan AttemptTimeout => TimeoutMilliseconds is > 0 ? TimeSpan.FromMilliseconds(TimeoutMilliseconds.Value) : TimeSpan.FromSeconds(TimeoutSeconds);

    /// <summary>A finer timeout for tests against a local server; unset in production.</summary>
    public int? TimeoutMilliseconds { get; init; }

    /// <summary>Cost of one call in micro-dollars, rounded up so the budget is never understated.</summary>
    public long CostMicroUsd(long inputTokens, long outputTokens)
    {
        var micro = (inputTokens * InputCostPerMillionTokensUsd) + (outputTokens * OutputCostPerMillionTokensUsd);
        return (long)decimal.Ceiling(micro);
    }

    public long DailyCostBudgetMicroUsd => (long)decimal.Floor(DailyCostBudgetUsd * 1_000_000m);

    /// <summary>Reads the <c>Ai</c> section; throws a clear message for values that cannot be right.</summary>
    public static AiOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var s = configuration.GetSection("Ai");
        Settings.RequireKnownKeys(s, typeof(AiOptions));
        var o = new AiOptions(
            Endpoint: Blank(s["Endpoint"]),
            Model: Blank(s["Model"]),
            ApiKey: Blank(s["ApiKey"]),
            TimeoutSeconds: Settings.Int(configuration, "Ai:TimeoutSeconds", 20),
            MaxRetries: Settings.Int(configuration, "Ai:MaxRetries", 1),
            DailyTokenBudget: Settings.Long(configuration, "Ai:DailyTokenBudget", 200_000),
            DailyCostBudgetUsd: Settings.Decimal(configuration, "Ai:DailyCostBudgetUsd", 5m),
            InputCostPerMillionTokensUsd: Settings.Decimal(configuration, "Ai:InputCostPerMillionTokensUsd", 0.15m),
            OutputCostPerMillionTokensUsd: Settings.Decimal(configuration, "Ai:OutputCostPerMillionTokensUsd", 0.60m),
            StructuredOutput: Blank(s["StructuredOutput"]) ?? "json_schema",
            MaskMemberIds: Settings.Bool(configuration, "Ai:MaskMemberIds", true));
        o.Validate();
        return o;
    }

    public void Validate()
    {
        if (TimeoutSeconds is < 1 or > 600) throw new InvalidOperationException("Ai:TimeoutSeconds must be 1-600.");
        if (MaxRetries is < 0 or > 5) throw new InvalidOperationException("Ai:MaxRetries must be 0-5.");
        if (DailyTokenBudget < 0) throw new InvalidOperationException("Ai:DailyTokenBudget must not be negative.");
        if (DailyCostBudgetUsd < 0) throw new InvalidOperationException("Ai:DailyCostBudgetUsd must not be negative.");
        if (StructuredOutput is not ("json_schema" or "json_object" or "none")) throw new InvalidOperationException("Ai:StructuredOutput must be json_schema, json_object or none.");
        if (Endpoint is not null && !Uri.TryCreate(Endpoint, UriKind.Absolute, out _)) throw new InvalidOperationException($"Ai:Endpoint '{Endpoint}' is not an absolute URL.");
    }

    private static string? Blank(string? v) => string.IsNullOrWhiteSpace(v) ? null : v.Trim();
}
