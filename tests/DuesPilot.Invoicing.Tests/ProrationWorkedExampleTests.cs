using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;
using static DuesPilot.Invoicing.Tests.TestPolicies;

namespace DuesPilot.Invoicing.Tests;

/// <summary>Worked examples, each computed by hand in its comment. REG is $395.00 a year unless stated.</summary>
public sealed class ProrationWorkedExampleTests
{
    [Fact]
    public void Join_ExamplePolicyRegOn15March2027_Charges329Point17WithTheIssuesExplanation()
    {
        // Standard monthly proration counting the join month: March..December = 10 of 12 months.
        // 395.00 × 10 / 12 = 329.1666… → 329.17 (half away from zero, once).
        var policy = LoadBillingPolicy.Example();
        var o = Run(policy, new ProrationRequest(ProrationEvent.Join, "REG", D("2027-03-15")));
        Assert.Equal(Usd("329.17"), o.Charge);
        Assert.Equal("Joined 15 March: 10 of 12 months × $395.00 = $329.17", o.Explanation[0]);
        Assert.Equal(D("2027-12-31"), o.PaidThrough);
    }

    [Theory]
    // method, count join month, first-month cutoff, join date, expected — hand arithmetic in each comment.
    [InlineData("monthly", true, null, "2027-03-15", "329.17")]   // Mar..Dec 10/12 × 395 = 329.1666 → 329.17
    [InlineData("monthly", false, null, "2027-03-15", "296.25")]  // Apr..Dec 9/12 × 395 = 296.25 exactly
    [InlineData("monthly", false, null, "2027-03-01", "329.17")]  // joined on the 1st: March is whole, 10/12 → 329.17
    [InlineData("monthly", true, null, "2027-03-01", "329.17")]   // first day of a month, counting the join month: 10/12
    [InlineData("monthly", true, null, "2027-03-31", "329.17")]   // last day of a month still counts March: 10/12
    [InlineData("monthly", false, null, "2027-03-31", "296.25")]  // last day, join month excluded: 9/12 = 296.25
    [InlineData("monthly", true, null, "2027-01-01", "395.00")]   // first day of the term: full rate
    [InlineData("monthly", true, null, "2027-12-31", "32.92")]    // December only: 1/12 × 395 = 32.9166 → 32.92
    [InlineData("monthly", true, 15, "2027-03-15", "329.17")]     // on the cut-off day: March still counts, 10/12
    [InlineData("monthly", true, 15, "2027-03-16", "296.25")]     // after day 15: counts from 1 April, 9/12 = 296.25
    [InlineData("daily", true, null, "2027-03-15", "316.00")]     // 15 Mar..31 Dec 2027 = 17+30+31+30+31+31+30+31+30+31 = 292 days; 395 × 292/365 = 316.00
    [InlineData("daily", true, null, "2028-03-15", "315.14")]     // leap 2028: still 292 days but of 366; 115,340/366 = 315.1366 → 315.14
    [InlineData("daily", true, null, "2028-02-29", "331.33")]     // leap day: 1 + 306 = 307 days; 395 × 307/366 = 121,265/366 = 331.3251 → 331.33
    [InlineData("daily", true, null, "2027-12-31", "1.08")]       // last day of the term: 1/365 × 395 = 1.0822 → 1.08
    [InlineData("daily", true, 20, "2027-03-25", "297.60")]       // after day 20 → from 1 April: 30+31+30+31+31+30+31+30+31 = 275 days; 108,625/365 = 297.6027 → 297.60
    [InlineData("quarterly", true, null, "2027-05-20", "296.25")] // Q2 counts: 3 of 4 quarters × 395 = 296.25
    [InlineData("quarterly", false, null, "2027-05-20", "197.50")] // Q3, Q4 only: 2/4 × 395 = 197.50
    [InlineData("quarterly", false, null, "2027-04-01", "296.25")] // joined on the first day of Q2: Q2 whole, 3/4
    [InlineData("semi_annual", true, null, "2027-08-10", "197.50")] // H2 counts: 1 of 2 = 197.50
    [InlineData("semi_annual", true, null, "2027-03-15", "395.00")] // H1 counts: 2 of 2 = 395.00
    [InlineData("semi_annual", false, null, "2027-03-15", "197.50")] // H1 excluded: 1 of 2 = 197.50
    [InlineData("none", true, null, "2027-11-30", "395.00")]       // no proration: always the full rate
    public void Join_CalendarYearMethods_MatchHandArithmetic(string method, bool countJoinMonth, int? cutoff, string date, string expected)
    {
        var policy = Make(method, countJoinMonth, cutoff);
        var o = Run(policy, new ProrationRequest(ProrationEvent.Join, "REG", D(date)));
        Assert.Equal(Usd(expected), o.Charge);
        Assert.Equal(o.Charge.MinorUnits, o.Periods.Sum(p => p.Amount.MinorUnits));
    }

    [Theory]
    // Fiscal year July–June (start month 7), standard monthly counting the join month.
    [InlineData("2027-03-15", "131.67", "2027-06-30")] // Mar..Jun = 4 of 12: 395 × 4/12 = 131.6666 → 131.67, term 2026-07-01..2027-06-30
    [InlineData("2027-07-01", "395.00", "2028-06-30")] // first day of the fiscal year: full rate
    [InlineData("2027-06-30", "32.92", "2027-06-30")]  // last day of the fiscal year: June only, 1/12 → 32.92
    [InlineData("2027-10-15", "296.25", "2028-06-30")] // Oct..Jun = 9 of 12 = 296.25
    public void Join_FiscalYearStartingJuly_MatchesHandArithmetic(string date, string expected, string paidThrough)
    {
        var policy = Make(cycle: "fiscal_year", startMonth: 7);
        var o = Run(policy, new ProrationRequest(ProrationEvent.Join, "REG", D(date)));
        Assert.Equal(Usd(expected), o.Charge);
        Assert.Equal(D(paidThrough), o.PaidThrough);
    }

    [Fact]
    public void Join_AnniversaryCycle_ChargesFullRateAndTermEndsOnTheLeapDay()
    {
        // Anniversary: the term starts 1 March 2027 and ends 29 February 2028 (begin + 12 months − 1 day, 2028 is leap).
        // iMIS prorates annual cycles only, so the charge is the full $395.00.
        var policy = Make(cycle: "anniversary");
        var o = Run(policy, new ProrationRequest(ProrationEvent.Join, "REG", D("2027-03-15")));
        Assert.Equal(Usd("395.00"), o.Charge);
        Assert.Equal(D("2028-02-29"), o.PaidThrough);
        Assert.Contains(o.Explanation, l => l.Contains("Anniversary", StringComparison.Ordinal));
    }

    [Fact]
    public void Join_BelowMinimumCharge_IsRaisedToTheMinimum()
    {
        // STU $95, join 10 December: 1/12 × 95 = 7.9166 → 7.92, below the $50.00 minimum → 50.00.
        var policy = Make(minimumCharge: "50.00");
        var o = Run(policy, new ProrationRequest(ProrationEvent.Join, "STU", D("2027-12-10")));
        Assert.Equal(Usd("50.00"), o.Charge);
        Assert.Contains(o.Explanation, l => l.Contains("minimum charge", StringComparison.Ordinal));
    }

    [Fact]
    public void Join_TwoYearTerm_AppliesFivePercentOnceOnTheWhole()
    {
        // (10 of 12 months + 12 months) = 22/12 × 395 = 724.1666…; × 0.95 = 687.9583 → 687.96, rounded once.
        // Paid through 31 December 2028.
        var o = Run(Make(), new ProrationRequest(ProrationEvent.Join, "REG", D("2027-03-15"), Years: 2));
        Assert.Equal(Usd("687.96"), o.Charge);
        Assert.Equal(D("2028-12-31"), o.PaidThrough);
        Assert.Equal(11, o.Periods.Count); // 10 months + one full term
        Assert.Equal(o.Charge.MinorUnits, o.Periods.Sum(p => p.Amount.MinorUnits));
    }

    [Fact]
    public void Extend_ThreeYears_TenPercentOffAndPaidThroughMovesThreeTerms()
    {
        // 3 × 395 = 1,185.00; × 0.90 = 1,066.50. Current term ends 2027-12-31; extension to 2030-12-31.
        var o = Run(Make(), new ProrationRequest(ProrationEvent.Extend, "REG", D("2027-06-01"), Years: 3));
        Assert.Equal(Usd("1066.50"), o.Charge);
        Assert.Equal(D("2030-12-31"), o.PaidThrough);
        Assert.Equal([Usd("355.50"), Usd("355.50"), Usd("355.50")], o.Periods.Select(p => p.Amount));
        var e = Assert.Single(o.Entries);
        Assert.Equal(106_650, On(e, Accounts.Receivable));
        Assert.Equal(-106_650, On(e, Accounts.DeferredDues));
    }

    [Theory]
    [InlineData("monthly", "2027-07-10", "150.00")] // STU→REG: Jul..Dec 6/12 × (395 − 95) = 150.00
    [InlineData("daily", "2027-07-10", "143.84")]   // 10 Jul..31 Dec = 22+31+30+31+30+31 = 175 days; 30,000¢ × 175/365 = 14,383.56¢ → 143.84
    public void Upgrade_StudentToRegular_ChargesTheDifferenceForTheRestOfTheTerm(string method, string date, string expected)
    {
        var o = Run(Make(method), new ProrationRequest(ProrationEvent.Upgrade, "STU", D(date), ToTier: "REG"));
        Assert.Equal(Usd(expected), o.Charge);
        var e = Assert.Single(o.Entries);
        Assert.Equal(o.Charge.MinorUnits, On(e, Accounts.Receivable));
        Assert.Equal(-o.Charge.MinorUnits, On(e, Accounts.DeferredDues));
    }
}
