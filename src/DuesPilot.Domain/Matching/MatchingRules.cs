using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace DuesPilot.Domain.Matching;

/// <summary>
/// Every weight the matching engine adds to a hypothesis's log-odds, in one place. Its content hash
/// (with the thresholds of <see cref="MatchOptions"/>) is the rule version written on every decision,
/// so a changed weight shows in the audit trail and in <c>eval</c>.
/// </summary>
public sealed record MatchingRules
{
    public static MatchingRules Default { get; } = new();

    /// <summary>Prior log-odds of any hypothesis before evidence (most members did not send a given payment).</summary>
    public double Prior { get; init; } = -4.0;

    /// <summary>Identity evidence: invoice number by label / '#' / member label / bare.</summary>
    public double InvoiceRefLabelled { get; init; } = 6.0;
    public double InvoiceRefHash { get; init; } = 5.0;
    public double InvoiceRefMemberLabel { get; init; } = 4.0;
    public double InvoiceRefBare { get; init; } = 4.5;

    /// <summary>Identity evidence: member id labelled "member" / '#' / "invoice" / bare.</summary>
    public double MemberRefLabelled { get; init; } = 5.0;
    public double MemberRefHash { get; init; } = 4.0;
    public double MemberRefInvoiceLabel { get; init; } = 3.0;
    public double MemberRefBare { get; init; } = 3.5;

    /// <summary>E-mail borne by this member alone / shared by a household.</summary>
    public double EmailUnique { get; init; } = 5.0;
    public double EmailShared { get; init; } = 3.5;

    /// <summary>Name evidence by score band (exact, nickname, middle name, initial, weak, surname only).</summary>
    public double NameExact { get; init; } = 4.0;
    public double NameNickname { get; init; } = 3.4;
    public double NameMiddle { get; init; } = 2.8;
    public double NameInitial { get; init; } = 2.0;
    public double NameWeak { get; init; } = 1.5;
    public double NameSurnameOnly { get; init; } = 0.5;

    /// <summary>Penalty per log(1 + rivals) for a name others bear too.</summary>
    public double NameRivalPenalty { get; init; } = 1.2;

    /// <summary>Named in the memo as the person paid for.</summary>
    public double MemoNamedBonus { get; init; } = 2.0;

    /// <summary>Amount evidence: single invoice or whole set exact / subset exact / single within tolerance / set within tolerance.</summary>
    public double AmountExactNatural { get; init; } = 3.0;
    public double AmountExactSubset { get; init; } = 2.0;
    public double AmountTolerantSingle { get; init; } = 2.5;
    public double AmountTolerantSet { get; init; } = 2.0;

    /// <summary>Identity log-odds at which the amount's bonus counts in full (below, it is scaled down, never under <see cref="AmountWeightFloor"/>).</summary>
    public double AmountFullWeightIdentity { get; init; } = 3.4;
    public double AmountWeightFloor { get; init; } = 0.25;

    /// <summary>No plan fits the amount.</summary>
    public double NoPlanPenalty { get; init; } = 3.0;

    /// <summary>Another set of invoices fits the same amount.</summary>
    public double AmbiguousPlanPenalty { get; init; } = 2.0;

    /// <summary>References of a member unrelated to the clear payer; memo references another's invoice.</summary>
    public double ConflictPenalty { get; init; } = 5.0;
    public double OtherInvoicePenalty { get; init; } = 3.0;

    /// <summary>Memo names other members that this allocation leaves unpaid.</summary>
    public double NamedElsewherePenalty { get; init; } = 3.0;

    /// <summary>Paying a household member's invoice the memo does not mention.</summary>
    public double UnmentionedHouseholdPenalty { get; init; } = 2.0;

    /// <summary>Group payments: members named in the memo / referenced by number / a chapter named by code.</summary>
    public double GroupNamedBonus { get; init; } = 1.5;
    public double GroupReferencedIdentity { get; init; } = 5.0;
    public double ChapterCodeIdentity { get; init; } = 3.0;

    /// <summary>Duplicate of a payment settled earlier in the run (raises the hypothesis so the review names the member).</summary>
    public double DuplicateBonus { get; init; } = 2.0;

    /// <summary>A referenced invoice with nothing open (raises the hypothesis so the review names its owner).</summary>
    public double ReferencedSettledBonus { get; init; } = 1.0;

    /// <summary>Identity log-odds a candidate needs to count as the payer (who may pay for others).</summary>
    public double PayerIdentityMinimum { get; init; } = 2.0;

    /// <summary>Lowest name score at which namesakes owing nothing of the amount are set aside.</summary>
    public double NamesakeMinNameScore { get; init; } = 0.85;

    /// <summary>
    /// Name score given to a loosely fitting given name (an unlisted pet form, a nickname that is a name of its own)
    /// when the member is the only bearer of the surname who owes the amount: a nickname-level fit.
    /// </summary>
    public double CorroboratedNameScore { get; init; } = 0.9;

    /// <summary>Weight of the sentence-embedding similarity when reordering the hard remainder.</summary>
    public double EmbeddingWeight { get; init; } = 2.0;

    /// <summary>
    /// "matching-" and the first 12 hex digits of the SHA-256 of every weight here, every threshold of
    /// <paramref name="options"/> and the hash of its reference data, by name: the same numbers and lists always give the same version.
    /// </summary>
    public string Version(MatchOptions options)
    {
        var sb = new StringBuilder();
        foreach (var p in typeof(MatchingRules).GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
            if (p.PropertyType == typeof(double)) sb.Append(p.Name).Append('=').Append(((double)p.GetValue(this)!).ToString("R", CultureInfo.InvariantCulture)).Append(';');
        sb.Append("AutoApplyConfidence=").Append(options.AutoApplyConfidence.ToString(CultureInfo.InvariantCulture)).Append(';')
          .Append("VarianceTolerancePercent=").Append(options.VarianceTolerancePercent.ToString(CultureInfo.InvariantCulture)).Append(';')
          .Append("RunnerUpLogitMargin=").Append(options.RunnerUpLogitMargin.ToString(CultureInfo.InvariantCulture)).Append(';')
          .Append("ReferenceData=").Append(options.ReferenceData).Append(';');
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
        return "matching-" + Convert.ToHexStringLower(hash)[..12];
    }
}
