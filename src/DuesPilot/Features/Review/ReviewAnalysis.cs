using System.Text.Json;
using System.Text.Json.Serialization;
using DuesPilot.Domain;

namespace DuesPilot.Features.Review;

/// <summary>The kinds of review item; each names what its subject id is.</summary>
public static class ReviewKinds
{
    /// <summary>A payment the engine would not apply alone (subject: payment id).</summary>
    public const string Payment = "payment";
    /// <summary>An invoice with validation findings (subject: invoice id).</summary>
    public const string Invoice = "invoice";
    /// <summary>A proration or adjustment that needs an approver (subject: adjustment id).</summary>
    public const string Adjustment = "adjustment";
    /// <summary>A member's billing question that needs staff (subject: inquiry id).</summary>
    public const string Inquiry = "inquiry";
    /// <summary>An overdue account escalated instead of dunned (subject: member id).</summary>
    public const string Collections = "collections";
}

/// <summary>Queue order: money at stake first, so the worst cases are seen first.</summary>
public static class ReviewPriority
{
    /// <summary>0–100 by amount on a log scale: $10 ≈ 20, $100 ≈ 40, $1,000 ≈ 60, $10,000 ≈ 80.</summary>
    public static int ForAmount(Money amount)
    {
        var dollars = Math.Max(1m, Math.Abs(amount.Amount));
        var score = 20 * Math.Log10((double)dollars);
        return (int)Math.Clamp(Math.Round(score), 0, 100);
    }
}

/// <summary>One allocation the engine proposes: member, invoice (none = credit on account) and amount.</summary>
public sealed record ProposedAllocation(string MemberId, string? InvoiceId, decimal Amount);

/// <summary>A candidate member with the evidence for and against it, best first.</summary>
public sealed record ReviewCandidate(
    string MemberId,
    string Name,
    decimal Score,
    IReadOnlyList<string> EvidenceFor,
    IReadOnlyList<string> EvidenceAgainst,
    IReadOnlyList<ProposedAllocation> Allocations);

/// <summary>What the engine saw and suggests, stored as JSON on the review item and shown on the item page.</summary>
public sealed record ReviewAnalysis(
    string Reason,
    decimal Confidence,
    string SuggestedAction,
    IReadOnlyList<ReviewCandidate> Candidates,
    IReadOnlyDictionary<string, string>? Facts = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads the stored analysis; text that is not an analysis (older rows, free notes) reads as none.</summary>
    public static ReviewAnalysis? FromJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json) || !json.TrimStart().StartsWith('{')) return null;
        try
        {
            return JsonSerializer.Deserialize<ReviewAnalysis>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
