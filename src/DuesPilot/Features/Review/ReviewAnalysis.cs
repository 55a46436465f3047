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
    /// <summary>An overdue account escalated instead of dunned (subject: invoice id and dunning cycle, <c>INV#1</c>).</summary>
    public const string Collections = "collections";

    /// <summary>
    /// Prefix of <c>payment-refund</c>, <c>payment-ach-return</c>, …: a payment already applied to invoices was
    /// then refunded, returned or disputed, so its application must be reversed (subject: payment id).
    /// </summary>
    public const string AppliedPaymentEventPrefix = "payment-";

    /// <summary>
    /// Prefix of <c>unmatched-refund</c>, <c>unmatched-dispute</c>, …: a refund, return or dispute that names no
    /// payment we know, or several (subject: the payment event id).
    /// </summary>
    public const string UnmatchedPaymentEventPrefix = "unmatched-";

    /// <summary>Every kind the code opens, so the staff UI and its tests can cover each one.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        Payment, Invoice, Adjustment, Inquiry, Collections,
        .. Enum.GetValues<Intake.PaymentEventKind>().Select(k => AppliedPaymentEventPrefix + Intake.RecordPaymentEvent.KindCode(k)),
        .. Enum.GetValues<Intake.PaymentEventKind>().Select(k => UnmatchedPaymentEventPrefix + Intake.RecordPaymentEvent.KindCode(k)),
    ];

    /// <summary>The payment event code of an <see cref="AppliedPaymentEventPrefix"/> or <see cref="UnmatchedPaymentEventPrefix"/> kind (e.g. <c>refund</c>), else null.</summary>
    public static string? PaymentEventCode(string kind) =>
        kind.StartsWith(AppliedPaymentEventPrefix, StringComparison.Ordinal) ? kind[AppliedPaymentEventPrefix.Length..]
        : kind.StartsWith(UnmatchedPaymentEventPrefix, StringComparison.Ordinal) ? kind[UnmatchedPaymentEventPrefix.Length..]
        : null;
}

/// <summary>Queue order: money at stake first, so the worst cases are seen first.</summary>
public static class ReviewPriority
{
    /// <summary>
    /// 0–100 by amount on a log scale: $10 ≈ 20, $100 ≈ 40, $1,000 ≈ 60, $10,000 ≈ 80. Every kind of review item ranks on it —
    /// payments by their amount, invoice findings by the money expected at stake (migration 0150, decision 0152).
    /// </summary>
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
            // Other kinds store their own JSON (invoice findings, inquiry drafts): without candidates it is not a payment analysis.
            var analysis = JsonSerializer.Deserialize<ReviewAnalysis>(json, Json);
            return analysis is { Candidates: not null, Reason: not null, SuggestedAction: not null } ? analysis : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
