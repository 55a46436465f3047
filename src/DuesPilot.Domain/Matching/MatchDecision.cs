namespace DuesPilot.Domain.Matching;

/// <summary>What the engine does with a payment.</summary>
public enum MatchAction
{
    /// <summary>Applied automatically (posted to GL_AI_Hold for the review window).</summary>
    Apply,

    /// <summary>Sent to the review queue with ranked suggestions.</summary>
    Review,
}

/// <summary>Thresholds of the matching policy. Configuration, recorded with every decision.</summary>
/// <param name="AutoApplyConfidence">Lowest confidence at which a payment is applied without a human.</param>
/// <param name="VarianceTolerancePercent">Largest over- or underpayment, in percent of the covered balance, that is still applied (DESIGN §2: default 2%).</param>
/// <param name="RunnerUpLogitMargin">A second clean allocation whose log-odds come within this of the first makes the payment ambiguous (2 = the first must be about 7 times as likely).</param>
/// <param name="MaxCandidates">Ranked candidates kept on a review item.</param>
/// <param name="UseEmbeddings">Rank the hard remainder by sentence-embedding similarity too.</param>
public sealed record MatchOptions(
    decimal AutoApplyConfidence = 0.90m,
    decimal VarianceTolerancePercent = 2m,
    decimal RunnerUpLogitMargin = 2.0m,
    int MaxCandidates = 5,
    bool UseEmbeddings = true)
{
    /// <summary>The weights of the engine; their hash with these thresholds is the rule version.</summary>
    public MatchingRules Rules { get; init; } = MatchingRules.Default;

    /// <summary>
    /// Content hash of the reference data the rules read (nickname, title, suffix and legal-form lists, state codes),
    /// set by the engine from the lists it was built with; part of <see cref="RuleVersion"/>.
    /// </summary>
    public string ReferenceData { get; init; } = "";

    /// <summary>The rule version written on every decision: changes whenever a weight, threshold or reference list does.</summary>
    public string RuleVersion => Rules.Version(this);

    public static MatchOptions Default { get; } = new();

    /// <summary>Throws when a threshold is out of range: options are validated when the engine is built.</summary>
    public void Validate()
    {
        if (AutoApplyConfidence is <= 0m or > 1m) throw new ArgumentOutOfRangeException(nameof(AutoApplyConfidence), "must be in (0, 1]");
        if (VarianceTolerancePercent is < 0m or > 50m) throw new ArgumentOutOfRangeException(nameof(VarianceTolerancePercent), "must be in [0, 50]");
        if (RunnerUpLogitMargin is < 0m or > 20m) throw new ArgumentOutOfRangeException(nameof(RunnerUpLogitMargin), "must be in [0, 20]");
        if (MaxCandidates < 1) throw new ArgumentOutOfRangeException(nameof(MaxCandidates), "must be at least 1");
    }
}

/// <summary>One allocation the engine proposes or applied; no invoice means credit on the member's account.</summary>
public sealed record ProposedAllocation(MemberId MemberId, InvoiceId? InvoiceId, Money Amount);

/// <summary>A candidate member for a payment, with what speaks for and against it.</summary>
public sealed record MatchCandidate(
    MemberId MemberId,
    string MemberName,
    decimal Confidence,
    IReadOnlyList<string> EvidenceFor,
    IReadOnlyList<string> EvidenceAgainst,
    IReadOnlyList<ProposedAllocation> Allocations);

/// <summary>
/// The engine's decision on one payment. For <see cref="MatchAction.Apply"/> the allocations sum to
/// the payment; for <see cref="MatchAction.Review"/> they are the top candidate's suggestion (may be empty).
/// </summary>
public sealed record MatchDecision(
    PaymentId PaymentId,
    MatchAction Action,
    decimal Confidence,
    string Reason,
    IReadOnlyList<ProposedAllocation> Allocations,
    IReadOnlyList<MatchCandidate> Candidates,
    string SuggestedAction)
{
    public MemberId? SuggestedMember => Allocations.Count > 0 ? Allocations[0].MemberId : Candidates.Count > 0 ? Candidates[0].MemberId : null;
}
