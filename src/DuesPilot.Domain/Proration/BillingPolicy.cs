namespace DuesPilot.Domain.Proration;

/// <summary>How a part of a dues term is priced.</summary>
public enum ProrationMethod
{
    /// <summary>Always the full term rate, whatever the join date (iMIS "Do not prorate").</summary>
    None,
    /// <summary>Whole months remaining in the term ÷ months in the term (iMIS "Standard prorating").</summary>
    Monthly,
    /// <summary>Days remaining (join day included) ÷ days in the term; leap years have 366 days.</summary>
    Daily,
    /// <summary>Whole quarters of the term remaining (the join quarter counts when the join month counts).</summary>
    Quarterly,
    /// <summary>Whole halves of the term remaining (the join half counts when the join month counts).</summary>
    SemiAnnual,
}

/// <summary>The association's proration rule.</summary>
/// <param name="CountJoinMonth">
/// Monthly: true counts the join month (join 15 March → March–December, 10 of 12); false is iMIS's
/// "Thru date − join date" reading (April–December, 9 of 12). For quarterly and semi-annual it says
/// whether the period containing the join counts.
/// </param>
/// <param name="FirstMonthCutoffDay">
/// The first-month rule: a join after this day of the month is treated as joining on the 1st of the
/// next month (the rest of the join month is free). Null: no such rule.
/// </param>
/// <param name="ProrateAnniversary">
/// iMIS prorates only annual (calendar or fiscal) cycles; an anniversary term starts at the join month
/// so there is nothing to prorate at join. True allows proration of changes inside an anniversary term.
/// </param>
/// <param name="MinimumCharge">A prorated charge is never below this (nor above the full rate).</param>
public sealed record ProrationRule(
    ProrationMethod Method,
    bool CountJoinMonth = true,
    int? FirstMonthCutoffDay = null,
    bool ProrateAnniversary = false,
    Money? MinimumCharge = null);

/// <summary>A multi-year term and its discount on the total (e.g. 3 years, 10 % off).</summary>
/// <param name="DiscountBasisPoints">Hundredths of a percent: 1000 = 10 %.</param>
public sealed record MultiYearTerm(int Years, int DiscountBasisPoints);

/// <summary>The tax a dues product carries in a jurisdiction.</summary>
/// <param name="Jurisdiction">A region code (e.g. "ON"), or "*" for every jurisdiction without its own rule.</param>
/// <param name="RateMillionths">The rate in millionths: 130000 = 13 %. Zero means the code must be present but no tax is due.</param>
public sealed record TaxRule(string ProductCode, string Jurisdiction, string TaxCode, long RateMillionths)
{
    public const string AnyJurisdiction = "*";
}

/// <summary>What a downgrade's price difference for the unused months becomes.</summary>
public enum DowngradeTreatment
{
    /// <summary>Paid back to the member (refunds payable).</summary>
    Refund,
    /// <summary>Kept as credit on the member's account for the next invoice.</summary>
    Credit,
    /// <summary>Nothing is returned: the new tier applies from the next term.</summary>
    None,
}

/// <summary>Refund rules for cancellations and downgrades.</summary>
/// <param name="ProRataUnused">True: a cancellation refunds the unused periods pro rata (same method as joins). False: no cancellation refunds.</param>
/// <param name="NonRefundableFee">Kept from every cancellation refund (an administration fee).</param>
/// <param name="CutoffMonthsIntoTerm">A cancellation on or after term start + this many months gets no refund. Null: no cut-off.</param>
/// <param name="Downgrade">What the downgrade difference becomes.</param>
public sealed record RefundRule(
    bool ProRataUnused,
    Money NonRefundableFee,
    int? CutoffMonthsIntoTerm,
    DowngradeTreatment Downgrade);

/// <summary>What a reinstatement (re-joining in the term after a cancellation or lapse) costs.</summary>
/// <param name="Prorate">True: prorated like a join from the reinstatement date. False: the full term rate (iMIS: re-joining members pay the full fee).</param>
/// <param name="Fee">A one-off reinstatement fee, never prorated.</param>
public sealed record ReinstatementRule(bool Prorate, Money Fee);

/// <summary>How invoices are read when their lines carry no period: which term an invoice is for.</summary>
/// <param name="JoinInvoiceWindowDays">An invoice dated within this many days of the member's join date is the join invoice (prorated).</param>
/// <param name="RenewalLeadDays">An invoice dated within this many days before a term starts is that term's renewal.</param>
/// <param name="TaxLineProduct">The product code of tax lines on an invoice.</param>
/// <param name="DefaultJurisdiction">The jurisdiction of members whose own is not known.</param>
public sealed record InvoiceReading(int JoinInvoiceWindowDays, int RenewalLeadDays, string TaxLineProduct, string DefaultJurisdiction);

/// <summary>One association's billing policy: everything proration and invoice validation need, as data.</summary>
/// <remarks>Loaded from <c>billing-policy.yaml</c> and validated once at load; the engine trusts it afterwards.</remarks>
public sealed record BillingPolicy(
    string Name,
    Currency Currency,
    BillingCalendar Cycle,
    ProrationRule Proration,
    IReadOnlyList<MembershipTier> Tiers,
    IReadOnlyList<MultiYearTerm> MultiYear,
    IReadOnlyList<TaxRule> Taxes,
    RefundRule Refunds,
    ReinstatementRule Reinstatement,
    InvoiceReading Invoices,
    Rounding Rounding = Rounding.HalfAwayFromZero)
{
    public MembershipTier? FindTier(string code)
    {
        foreach (var t in Tiers)
            if (string.Equals(t.Code, code, StringComparison.OrdinalIgnoreCase)) return t;
        return null;
    }

    public MembershipTier? FindTierByProduct(string productCode)
    {
        foreach (var t in Tiers)
            if (string.Equals(t.Prices.ProductCode, productCode, StringComparison.OrdinalIgnoreCase)) return t;
        return null;
    }

    public MembershipTier RequireTier(string code) =>
        FindTier(code) ?? throw new ProrationException($"Tier '{code}' is not in the billing policy (known: {string.Join(", ", Tiers.Select(t => t.Code))}).");

    /// <summary>The annual rate of <paramref name="tier"/> in force on <paramref name="date"/>.</summary>
    public Money RateOn(MembershipTier tier, DateOnly date) =>
        tier.Prices.RateOn(date) ?? throw new ProrationException($"Tier {tier.Code} ({tier.Prices.ProductCode}) has no price in force on {date:yyyy-MM-dd}.");

    /// <summary>The discount of an n-year term in basis points (0 when none is configured).</summary>
    public int DiscountBasisPointsFor(int years)
    {
        foreach (var m in MultiYear)
            if (m.Years == years) return m.DiscountBasisPoints;
        return 0;
    }

    /// <summary>The tax rule of a product in a jurisdiction: its own rule first, then the "*" rule.</summary>
    public TaxRule? TaxFor(string productCode, string jurisdiction)
    {
        TaxRule? fallback = null;
        foreach (var t in Taxes)
        {
            if (!string.Equals(t.ProductCode, productCode, StringComparison.OrdinalIgnoreCase)) continue;
            if (string.Equals(t.Jurisdiction, jurisdiction, StringComparison.OrdinalIgnoreCase)) return t;
            if (t.Jurisdiction == TaxRule.AnyJurisdiction) fallback = t;
        }

        return fallback;
    }

    /// <summary>Whether joins inside a term are prorated under this policy's cycle.</summary>
    public bool ProratesJoins => Proration.Method != ProrationMethod.None && (Cycle.Kind != CycleKind.Anniversary || Proration.ProrateAnniversary);
}

/// <summary>A request the policy cannot price (unknown tier, no price on the date, an event that does not apply).</summary>
public sealed class ProrationException(string message) : ArgumentException(message);
