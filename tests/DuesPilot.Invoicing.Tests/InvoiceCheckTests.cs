using DuesPilot.Domain;
using DuesPilot.Features.Invoicing;
using static DuesPilot.Invoicing.Tests.TestPolicies;

namespace DuesPilot.Invoicing.Tests;

/// <summary>Single invoices built by hand, one discrepancy each, under the shipped example policy.</summary>
public sealed class InvoiceCheckTests
{
    private static Member Person(string id, string tier, string joined) =>
        new(new MemberId(id), PartyKind.Person, "Jane Doe", "Jane", "Doe", null, tier, MemberStatus.Active, D(joined), null);

    private static Member Organization(string id, string joined) =>
        new(new MemberId(id), PartyKind.Organization, "Acme Widgets, Inc.", null, null, null, "CORP", MemberStatus.Active, D(joined), null);

    private static Invoice Bill(string id, Member m, string date, params InvoiceLine[] lines)
    {
        var total = Money.Sum(lines.Select(l => l.Amount), Currency.USD);
        return new Invoice(new InvoiceId(id), m.Id, D(date), D(date).AddDays(30), total, total, lines[0].ProductCode, lines[0].Description, lines);
    }

    private static InvoiceLine Line(string product, string amount, string? tax = null, string? from = null, string? to = null) =>
        new(product, "dues", Usd(amount), 1, tax, from is null ? null : D(from), to is null ? null : D(to));

    private static ValidationReport Check(InvoiceBatch batch) => ValidateInvoices.Run(LoadBillingPolicy.Example(), batch);

    private static InvoiceBatch Batch(Member[] members, Invoice[] invoices, Dictionary<MemberId, string>? jurisdictions = null, LineOverride[]? overrides = null) =>
        new(members, invoices, jurisdictions ?? [], overrides ?? []);

    [Fact]
    public void Validate_RenewalAtTheRightRate_IsSilent()
    {
        // Renewal for 2027 billed 15 November 2026 (within 90 days of the term): REG $395.00.
        var m = Person("1", "REG", "2015-04-02");
        Assert.Empty(Check(Batch([m], [Bill("A", m, "2026-11-15", Line("DUES-REG", "395.00"))])).Flagged);
    }

    [Fact]
    public void Validate_OrganizationBilledRegular_IsCorporateBilledAsIndividual()
    {
        // CORP is $2,500.00; billed DUES-REG $395.00 → 2,105.00 at stake × 0.95 = 1,999.75 priority.
        var m = Organization("9", "2010-01-01");
        var review = Assert.Single(Check(Batch([m], [Bill("B", m, "2026-11-15", Line("DUES-REG", "395.00"))])).Flagged);
        var f = Assert.Single(review.Findings);
        Assert.Equal(FindingKind.CorporateBilledAsIndividual, f.Kind);
        Assert.Equal(Usd("2500.00"), f.Expected);
        Assert.Equal(Usd("395.00"), f.Actual);
        Assert.Equal(199_975, review.PriorityCents);
        Assert.Equal(66, review.QueuePriority); // 20 × log10(1,999.75): where a $2,000 payment would sort, not above every payment
        Assert.Equal(Features.Review.ReviewPriority.ForAmount(Usd("1999.75")), review.QueuePriority);
    }

    [Fact]
    public void Validate_JoinInvoiceNineMonthsInsteadOfTen_IsProrationMismatch()
    {
        // Joined 15 March 2027: March..December = 10/12 × 395 = 329.17; billed 296.25 (9 months).
        var m = Person("2", "REG", "2027-03-15");
        var f = Assert.Single(Assert.Single(Check(Batch([m], [Bill("C", m, "2027-03-15", Line("DUES-REG", "296.25"))])).Flagged).Findings);
        Assert.Equal(FindingKind.ProrationMismatch, f.Kind);
        Assert.Equal(Usd("329.17"), f.Expected);
        Assert.Contains("10 of 12 months × $395.00 = $329.17", f.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RenewalAtLastYearsRate_IsOutdatedPrice()
    {
        // The example's REG rate was $375.00 until 31 December 2025 and is $395.00 from 1 January 2026.
        var m = Person("3", "REG", "2015-04-02");
        var f = Assert.Single(Assert.Single(Check(Batch([m], [Bill("D", m, "2026-11-15", Line("DUES-REG", "375.00"))])).Flagged).Findings);
        Assert.Equal(FindingKind.OutdatedPrice, f.Kind);
        Assert.Equal(Usd("395.00"), f.Expected);
    }

    [Fact]
    public void Validate_StudentBilledRegularProduct_IsWrongTierRate()
    {
        var m = Person("4", "STU", "2020-09-01");
        var f = Assert.Single(Assert.Single(Check(Batch([m], [Bill("E", m, "2026-11-15", Line("DUES-REG", "395.00"))])).Flagged).Findings);
        Assert.Equal(FindingKind.WrongTierRate, f.Kind);
        Assert.Equal(Usd("95.00"), f.Expected);
    }

    [Fact]
    public void Validate_OntarioMemberWithoutTaxCode_IsMissingTax()
    {
        // Ontario: HST-ON 13 % on DUES-REG; 395.00 × 13 % = 51.35 due.
        var m = Person("5", "REG", "2015-04-02");
        var report = Check(Batch([m], [Bill("F", m, "2026-11-15", Line("DUES-REG", "395.00"))], new() { [m.Id] = "ON" }));
        var f = Assert.Single(Assert.Single(report.Flagged).Findings);
        Assert.Equal(FindingKind.MissingTax, f.Kind);
        Assert.Equal(Usd("51.35"), f.Expected);
    }

    [Fact]
    public void Validate_OntarioTaxLineWrongAmount_IsTaxMismatch()
    {
        var m = Person("6", "REG", "2015-04-02");
        var invoice = Bill("G", m, "2026-11-15", Line("DUES-REG", "395.00", "HST-ON"), Line("TAX", "50.00", "HST-ON"));
        var f = Assert.Single(Assert.Single(Check(Batch([m], [invoice], new() { [m.Id] = "ON" })).Flagged).Findings);
        Assert.Equal(FindingKind.TaxMismatch, f.Kind);
        Assert.Equal(Usd("51.35"), f.Expected);
        Assert.Equal(Usd("50.00"), f.Actual);
    }

    [Fact]
    public void Validate_OntarioTaxedCorrectly_IsSilent()
    {
        var m = Person("7", "REG", "2015-04-02");
        var invoice = Bill("H", m, "2026-11-15", Line("DUES-REG", "395.00", "HST-ON"), Line("TAX", "51.35", "HST-ON"));
        Assert.Empty(Check(Batch([m], [invoice], new() { [m.Id] = "ON" })).Flagged);
    }

    [Fact]
    public void Validate_TaxChargedToAnExemptMember_IsUnexpectedTax()
    {
        var m = Person("8", "REG", "2015-04-02");
        var invoice = Bill("I", m, "2026-11-15", Line("DUES-REG", "395.00"), Line("TAX", "51.35", "HST-ON"));
        Assert.Equal(FindingKind.UnexpectedTax, Assert.Single(Assert.Single(Check(Batch([m], [invoice])).Flagged).Findings).Kind);
    }

    [Theory]
    [InlineData("750.50", null)]                                   // 2 × 395 × 0.95 = 750.50: right
    [InlineData("790.00", FindingKind.MultiYearDiscountMismatch)] // no discount given
    public void Validate_TwoYearTerm_ChecksTheDiscount(string amount, FindingKind? expected)
    {
        var m = Person("10", "REG", "2015-04-02");
        var invoice = Bill("J", m, "2026-11-15", Line("DUES-REG", amount, from: "2027-01-01", to: "2028-12-31"));
        var findings = Check(Batch([m], [invoice])).Flagged.SelectMany(r => r.Findings).Select(f => f.Kind).ToArray();
        Assert.Equal(expected is { } k ? [k] : [], findings);
    }

    [Theory]
    [InlineData("Loyalty discount", 0.3)]
    [InlineData("", 0.6)] // no reason given: more likely a mistake
    public void Validate_ManualOverride_IsReportedWithLikelihoodByReason(string reason, double likelihood)
    {
        var m = Person("11", "REG", "2015-04-02");
        var invoice = Bill("K", m, "2026-11-15", Line("DUES-REG", "355.50"));
        var f = Assert.Single(Assert.Single(Check(Batch([m], [invoice], overrides: [new LineOverride(invoice.Id, 0, reason)])).Flagged).Findings);
        Assert.Equal(FindingKind.ManualOverride, f.Kind);
        Assert.Equal((decimal)likelihood, f.Likelihood);
    }

    [Fact]
    public void Validate_SecondInvoiceForTheSameTerm_IsDuplicateAndTheFirstStaysClean()
    {
        var m = Person("12", "REG", "2015-04-02");
        var report = Check(Batch([m], [Bill("L2", m, "2026-11-20", Line("DUES-REG", "395.00")), Bill("L1", m, "2026-11-15", Line("DUES-REG", "395.00"))]));
        var review = Assert.Single(report.Flagged);
        Assert.Equal("L2", review.Invoice.Id.Value);
        Assert.Equal(FindingKind.DuplicateInvoice, Assert.Single(review.Findings).Kind);
    }

    [Fact]
    public void Validate_RenewalAndJoinInvoiceOfDifferentTerms_AreNotDuplicates()
    {
        // Joined 10 March 2026 (10/12 × 395 = 329.17), renewed for 2027 on 15 November 2026.
        var m = Person("13", "REG", "2026-03-10");
        Assert.Empty(Check(Batch([m], [Bill("M1", m, "2026-03-10", Line("DUES-REG", "329.17")), Bill("M2", m, "2026-11-15", Line("DUES-REG", "395.00"))])).Flagged);
    }

    [Fact]
    public void Validate_TotalNotSumOfLines_IsTotalMismatch()
    {
        var m = Person("14", "REG", "2015-04-02");
        var invoice = Bill("N", m, "2026-11-15", Line("DUES-REG", "395.00")) with { Amount = Usd("400.00"), Balance = Usd("400.00") };
        Assert.Equal(FindingKind.TotalMismatch, Assert.Single(Assert.Single(Check(Batch([m], [invoice])).Flagged).Findings).Kind);
    }

    [Fact]
    public void Validate_UnknownMemberAndTier_AreReportedNotThrown()
    {
        var known = Person("15", "GOLD", "2015-04-02");
        var stranger = Person("16", "REG", "2015-04-02");
        var report = Check(Batch([known], [Bill("O", known, "2026-11-15", Line("DUES-REG", "395.00")), Bill("P", stranger, "2026-11-15", Line("DUES-REG", "395.00"))]));
        Assert.Equal([FindingKind.UnknownTier, FindingKind.UnknownMember], report.Flagged.OrderBy(r => r.Invoice.Id.Value, StringComparer.Ordinal).Select(r => r.Findings[0].Kind));
    }

    [Fact]
    public void Validate_NonDuesLine_IsOutsideTheCheck()
    {
        var m = Person("17", "REG", "2015-04-02");
        Assert.Empty(Check(Batch([m], [Bill("Q", m, "2026-11-15", Line("DUES-REG", "395.00"), Line("CHAPTER-NYC", "40.00"))])).Flagged);
    }
}

public sealed class CheckNewInvoiceTests
{
    [Fact]
    public void CheckNew_CopyOfAnExistingInvoiceDatedEarlier_IsStillTheDuplicate()
    {
        // The connector sees the new invoice after the old one exists, whatever dates they carry.
        var m = new Member(new MemberId("1"), PartyKind.Person, "Jane Doe", "Jane", "Doe", null, "REG", MemberStatus.Active, TestPolicies.D("2015-04-02"), null);
        var old = Invoice.SingleLine(new InvoiceId("OLD"), m.Id, TestPolicies.D("2026-11-20"), TestPolicies.D("2026-12-20"), TestPolicies.Usd("395.00"), TestPolicies.Usd("395.00"), "DUES-REG", "2027 dues");
        var fresh = old with { Id = new InvoiceId("NEW"), InvoiceDate = TestPolicies.D("2026-11-15") };
        var review = ValidateInvoices.CheckNew(LoadBillingPolicy.Example(), fresh, m, [old]);
        Assert.NotNull(review);
        Assert.Equal(FindingKind.DuplicateInvoice, Assert.Single(review.Findings).Kind);
        Assert.Null(ValidateInvoices.CheckNew(LoadBillingPolicy.Example(), old, m, []));
    }
}
