using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using static DuesPilot.Invoicing.Tests.TestPolicies;

namespace DuesPilot.Invoicing.Tests;

/// <summary>Cancellations, downgrades, reinstatements and installments, each computed by hand in the comment.</summary>
public sealed class RefundWorkedExampleTests
{
    [Fact]
    public void Cancel_MidMayWithTwentyFiveDollarFee_RefundsSevenUnusedMonthsLessTheFee()
    {
        // Paid 395.00. Cancelled 10 May: May counts as used (paid through 31 May); Jun..Dec = 7 unused months.
        // 395 × 7/12 = 230.4166 → 230.42; less the 25.00 fee → refund 205.42; kept 395.00 − 205.42 = 189.58.
        // Entry: Dr Deferred 230.42 / Cr Refunds payable 205.42 / Cr Dues revenue 25.00 (the fee is earned now).
        var o = Run(Make(fee: "25.00"), new ProrationRequest(ProrationEvent.Cancel, "REG", D("2027-05-10")));
        Assert.Equal(Usd("205.42"), o.Refund);
        Assert.Equal(Usd("189.58"), o.Retained);
        Assert.Equal(D("2027-05-31"), o.PaidThrough);
        var e = Assert.Single(o.Entries);
        Assert.Equal(23_042, On(e, Accounts.DeferredDues));
        Assert.Equal(-20_542, On(e, Accounts.RefundsPayable));
        Assert.Equal(-2_500, On(e, Accounts.DuesRevenue));
    }

    [Fact]
    public void Cancel_AfterTheCutoff_RefundsNothingAndRecognisesTheUnusedMonths()
    {
        // Cut-off 9 months into the term = 1 October. Cancelled 5 October: no refund.
        // Unused Nov..Dec = 2 months: 395 × 2/12 = 65.8333 → 65.83 moves from deferred to revenue (forfeited).
        var o = Run(Make(cutoffMonths: 9), new ProrationRequest(ProrationEvent.Cancel, "REG", D("2027-10-05")));
        Assert.Equal(Usd("0.00"), o.Refund);
        Assert.Equal(Usd("395.00"), o.Retained);
        var e = Assert.Single(o.Entries);
        Assert.Equal(6_583, On(e, Accounts.DeferredDues));
        Assert.Equal(-6_583, On(e, Accounts.DuesRevenue));
    }

    [Fact]
    public void Cancel_DailyInALeapYear_RefundsTheDaysAfterTheCancellation()
    {
        // 2028 has 366 days. Cancelled 30 June: used through that day; 1 Jul..31 Dec = 184 days unused.
        // 395 × 184/366 = 72,680/366 = 198.5792 → 198.58, no fee.
        var o = Run(Make("daily"), new ProrationRequest(ProrationEvent.Cancel, "REG", D("2028-06-30")));
        Assert.Equal(Usd("198.58"), o.Refund);
        Assert.Equal(D("2028-06-30"), o.PaidThrough);
    }

    [Fact]
    public void Cancel_PartlyPaid_CancelsTheUnpaidInvoiceAndLeavesTheRestDue()
    {
        // Billed 395.00, paid 100.00, cancelled 10 May, fee 25.00.
        // Unused Jun..Dec = 230.42; refundable 230.42 − 25.00 = 205.42; the term now costs 395.00 − 205.42 = 189.58.
        // Paid 100.00 < 189.58: no refund, 89.58 still due. Unpaid 295.00 − 89.58 = 205.42 of the invoice is cancelled.
        // Entry: Dr Deferred 230.42 / Cr AR 205.42 / Cr Revenue 25.00.
        var o = Run(Make(fee: "25.00"), new ProrationRequest(ProrationEvent.Cancel, "REG", D("2027-05-10"), Paid: Usd("100.00"), Billed: Usd("395.00")));
        Assert.Equal(Usd("0.00"), o.Refund);
        Assert.Equal(Usd("89.58"), o.StillDue);
        var e = Assert.Single(o.Entries);
        Assert.Equal(-20_542, On(e, Accounts.Receivable));
        Assert.Equal(-2_500, On(e, Accounts.DuesRevenue));
    }

    [Fact]
    public void Cancel_QuarterlyMethod_CountsTheCancellationQuarterAsUsed()
    {
        // Quarterly: cancelled 20 May (Q2) → Q3, Q4 unused = 2/4 × 395 = 197.50; paid through 30 June.
        var o = Run(Make("quarterly"), new ProrationRequest(ProrationEvent.Cancel, "REG", D("2027-05-20")));
        Assert.Equal(Usd("197.50"), o.Refund);
        Assert.Equal(D("2027-06-30"), o.PaidThrough);
    }

    [Theory]
    [InlineData("refund", "150.00", "0.00")] // REG→RET 15 April: Apr..Dec 9/12 × (395 − 195) = 150.00 back as a refund
    [InlineData("credit", "0.00", "150.00")] // same, kept as credit on account
    [InlineData("none", "0.00", "0.00")]     // the policy returns nothing
    public void Downgrade_RegularToRetired_ReturnsTheDifferenceAsThePolicySays(string treatment, string refund, string credit)
    {
        var o = Run(Make(downgrade: treatment), new ProrationRequest(ProrationEvent.Downgrade, "REG", D("2027-04-15"), ToTier: "RET"));
        Assert.Equal(Usd(refund), o.Refund);
        Assert.Equal(Usd(credit), o.Credit);
        Assert.Equal(Usd("395.00") - o.Refund - o.Credit, o.Retained);
    }

    [Fact]
    public void DowngradeThenCancel_InOneTerm_RefundsEachStepAndKeepsExactlyTheMonthsUsed()
    {
        // Paid 395.00 for REG on 1 January.
        // 1 July downgrade to STU: Jul..Dec 6/12 × (395 − 95) = 150.00 refunded. Net paid 245.00.
        // 1 October cancellation at STU: Oct is used; Nov..Dec 2/12 × 95 = 15.8333 → 15.83 refunded.
        // Kept: 245.00 − 15.83 = 229.17 = REG Jan..Jun 197.50 + STU Jul..Oct 4/12 × 95 = 31.67 (197.50 + 31.67 = 229.17).
        var policy = Make();
        var down = Run(policy, new ProrationRequest(ProrationEvent.Downgrade, "REG", D("2027-07-01"), ToTier: "STU"));
        Assert.Equal(Usd("150.00"), down.Refund);
        var netPaid = Usd("395.00") - down.Refund;
        var cancel = Run(policy, new ProrationRequest(ProrationEvent.Cancel, "STU", D("2027-10-01"), Paid: netPaid));
        Assert.Equal(Usd("15.83"), cancel.Refund);
        Assert.Equal(Usd("229.17"), cancel.Retained);
        Assert.Equal(Usd("395.00"), down.Refund + cancel.Refund + cancel.Retained);
    }

    [Theory]
    [InlineData(true, "20.00", "151.67")]  // 15 Sep, prorated: Sep..Dec 4/12 × 395 = 131.6666 → 131.67, + 20.00 fee = 151.67
    [InlineData(false, "0.00", "395.00")]  // not prorated: the full rate, as iMIS charges re-joining members
    public void Reinstate_InSeptember_ChargesAsThePolicySays(bool prorate, string fee, string expected)
    {
        var o = Run(Make(reinstateProrated: prorate, reinstatementFee: fee), new ProrationRequest(ProrationEvent.Reinstate, "REG", D("2027-09-15")));
        Assert.Equal(Usd(expected), o.Charge);
        var e = Assert.Single(o.Entries);
        Assert.Equal(o.Charge.MinorUnits, On(e, Accounts.Receivable));
        Assert.Equal(-Usd(fee).MinorUnits, On(e, Accounts.DuesRevenue));
    }

    [Theory]
    [InlineData("2027-03-15", 3, new[] { "109.73", "109.72", "109.72" })]          // 329.17 = 3 × 109.72 + 1¢; the cent goes to the first
    [InlineData("2027-01-01", 12, new[] { "32.92", "32.92", "32.92", "32.92", "32.92", "32.92", "32.92", "32.92", "32.91", "32.91", "32.91", "32.91" })] // 39,500¢ = 12 × 3,291¢ + 8¢: the first 8 get 32.92
    [InlineData("2027-07-01", 4, new[] { "49.38", "49.38", "49.37", "49.37" })]    // Jul..Dec 6/12 × 395 = 197.50 = 4 × 49.37 + 2¢
    public void Join_Installments_GiveRemainderCentsToTheFirstInstallments(string date, int count, string[] expected)
    {
        var o = Run(Make(), new ProrationRequest(ProrationEvent.Join, "REG", D(date), Installments: count));
        Assert.Equal(expected.Select(Usd), o.Installments);
        Assert.Equal(o.Charge, Money.Sum(o.Installments, Currency.USD));
        Assert.Contains(o.Explanation, l => l.StartsWith($"Split into {count} installments", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ProrationEvent.Upgrade, "REG", "STU")]
    [InlineData(ProrationEvent.Downgrade, "STU", "REG")]
    public void Change_InTheWrongDirection_IsRefusedWithAReason(ProrationEvent kind, string from, string to)
    {
        var ex = Assert.Throws<ProrationException>(() => Run(Make(), new ProrationRequest(kind, from, D("2027-05-01"), ToTier: to)));
        Assert.Contains("not a", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancel_AnniversaryWithoutAnchor_AsksForTheJoinDate()
    {
        var ex = Assert.Throws<ProrationException>(() => Run(Make(cycle: "anniversary"), new ProrationRequest(ProrationEvent.Cancel, "REG", D("2027-05-01"))));
        Assert.Contains("--anchor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancel_AnniversaryWithAnchor_CountsMonthsFromTheAnniversary()
    {
        // Anniversary in March: term 1 Mar 2027..29 Feb 2028. Cancelled 10 May: Jun..Feb = 9 unused months.
        // 395 × 9/12 = 296.25.
        var o = Run(Make(cycle: "anniversary"), new ProrationRequest(ProrationEvent.Cancel, "REG", D("2027-05-10"), TermAnchor: D("2019-03-20")));
        Assert.Equal(Usd("296.25"), o.Refund);
        Assert.Equal(D("2028-02-29"), o.TermEnd);
    }

    [Theory]
    [InlineData("semi_annual", "calendar_year", 1, "2027-03-10", "197.50", "2027-06-30")] // H1 used; H2 unused: 1/2 × 395 = 197.50
    [InlineData("none", "calendar_year", 1, "2027-03-10", "296.25", "2027-03-31")]        // "do not prorate" still refunds in months: Apr..Dec 9/12 = 296.25
    [InlineData("monthly", "fiscal_year", 7, "2027-03-10", "98.75", "2027-03-31")]        // fiscal Jul–Jun: Apr..Jun 3/12 × 395 = 98.75
    [InlineData("monthly", "calendar_year", 1, "2027-12-31", "0.00", "2027-12-31")]       // last day of the term: nothing unused
    [InlineData("monthly", "calendar_year", 1, "2027-01-01", "362.08", "2027-01-31")]     // first day: January used, 11/12 × 395 = 362.0833 → 362.08
    public void Cancel_MethodsAndCycles_MatchHandArithmetic(string method, string cycle, int startMonth, string date, string refund, string paidThrough)
    {
        var o = Run(Make(method, cycle: cycle, startMonth: startMonth), new ProrationRequest(ProrationEvent.Cancel, "REG", D(date)));
        Assert.Equal(Usd(refund), o.Refund);
        Assert.Equal(D(paidThrough), o.PaidThrough);
        Assert.Equal(Usd("395.00"), o.Refund + o.Retained);
    }

    [Fact]
    public void Upgrade_Quarterly_ChargesTheDifferenceForTheChangeQuarterOn()
    {
        // Quarterly counting the change quarter: 20 May is in Q2 → Q2..Q4 = 3/4 × (2,500 − 395) = 1,578.75.
        var o = Run(Make("quarterly"), new ProrationRequest(ProrationEvent.Upgrade, "REG", D("2027-05-20"), ToTier: "CORP"));
        Assert.Equal(Usd("1578.75"), o.Charge);
    }

    [Fact]
    public void Reinstate_AnniversaryCycle_PaysTheFullRateForANewTerm()
    {
        // Anniversary: reinstating 15 September starts a term 1 Sep 2027..31 Aug 2028 at the full rate.
        var o = Run(Make(cycle: "anniversary"), new ProrationRequest(ProrationEvent.Reinstate, "REG", D("2027-09-15")));
        Assert.Equal(Usd("395.00"), o.Charge);
        Assert.Equal(D("2028-08-31"), o.PaidThrough);
    }
}
