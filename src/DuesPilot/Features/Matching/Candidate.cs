using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Features.Matching;

/// <summary>What the payment says about one member as the payer or the person paid for.</summary>
internal sealed class Candidate(Party party, MatchingRules rules)
{
    public Party Party { get; } = party;
    public List<(OpenInvoice Invoice, ReferenceLabel Label)> InvoiceRefs { get; } = [];
    public ReferenceLabel? MemberRef { get; set; }
    public int EmailShare { get; set; }
    public double NameScore { get; set; }
    public string NameKind { get; set; } = "";
    public int NameRivals { get; set; }
    public bool MemoNamed { get; set; }

    /// <summary>Namesakes set aside because none of them owes the amount (the name alone would not have told).</summary>
    public int ResolvedByAmount { get; set; }

    /// <summary>
    /// The memo names this member by a number that can hardly be chance: labelled, in an invoice number's
    /// own shape, or five characters or more (a bare member id or invoice number).
    /// </summary>
    public bool ExplicitReference =>
        InvoiceRefs.Any(r => r.Label is ReferenceLabel.Invoice or ReferenceLabel.Hash || PaymentEvidence.NormalizeReference(r.Invoice.Id.Value).Length >= 5)
        || (MemberRef is { } m && (m is ReferenceLabel.Member or ReferenceLabel.Hash || Party.Id.Length >= 5));

    /// <summary>Log-odds that this member is who the payment is from or for, before the amount is considered.</summary>
    public double IdentityLogit
    {
        get
        {
            var l = 0.0;
            if (InvoiceRefs.Count > 0)
                l += InvoiceRefs.Min(r => r.Label) switch { ReferenceLabel.Invoice => rules.InvoiceRefLabelled, ReferenceLabel.Hash => rules.InvoiceRefHash, ReferenceLabel.Member => rules.InvoiceRefMemberLabel, _ => rules.InvoiceRefBare };
            if (MemberRef is { } m) l += m switch { ReferenceLabel.Member => rules.MemberRefLabelled, ReferenceLabel.Hash => rules.MemberRefHash, ReferenceLabel.Invoice => rules.MemberRefInvoiceLabel, _ => rules.MemberRefBare };
            if (EmailShare > 0) l += EmailShare == 1 ? rules.EmailUnique : rules.EmailShared;
            if (NameScore > 0)
            {
                var name = NameScore switch { >= 0.99 => rules.NameExact, >= 0.89 => rules.NameNickname, >= 0.84 => rules.NameMiddle, >= 0.69 => rules.NameInitial, >= 0.5 => rules.NameWeak, _ => rules.NameSurnameOnly };
                if (NameScore < 0.99 && NameScore >= 0.5) name = Math.Max(name, rules.NameExact * NameScore - 0.6);
                l += name - rules.NameRivalPenalty * Math.Log(1 + NameRivals);
            }

            return l;
        }
    }

    public void Describe(List<string> into)
    {
        if (InvoiceRefs.Count > 0) into.Add($"memo references {string.Join(", ", InvoiceRefs.Select(r => "INV " + r.Invoice.Id.Value).Distinct())}");
        if (MemberRef is not null) into.Add($"memo references member id {Party.Id}");
        if (EmailShare == 1) into.Add("e-mail exact");
        else if (EmailShare > 1) into.Add($"e-mail shared by {EmailShare} members");
        if (NameScore > 0) into.Add($"{NameKind} ({NameScore.ToString("0.00", CultureInfo.InvariantCulture)})" + (NameRivals > 0 ? $", {NameRivals} other member(s) fit the name" : "")
            + (ResolvedByAmount > 0 ? $", {ResolvedByAmount} namesake(s) owe no such amount" : ""));
    }
}
