using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;
using DuesPilot.Features.Posting;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Invoicing.Tests;

/// <summary>Builds billing policies for tests through the YAML loader (so the loader is exercised too), with the example's tiers.</summary>
internal static class TestPolicies
{
    public static BillingPolicy Make(
        string method = "monthly",
        bool countJoinMonth = true,
        int? firstMonthCutoffDay = null,
        string cycle = "calendar_year",
        int startMonth = 1,
        string minimumCharge = "0.00",
        string fee = "0.00",
        int? cutoffMonths = null,
        string downgrade = "refund",
        bool reinstateProrated = true,
        string reinstatementFee = "0.00",
        bool proRataUnused = true)
    {
        var yaml = string.Create(CultureInfo.InvariantCulture, $"""
            name: Test Association
            currency: USD
            cycle:
              kind: {cycle}
              start_month: {startMonth}
              term_months: 12
            proration:
              method: {method}
              count_join_month: {(countJoinMonth ? "true" : "false")}
            {(firstMonthCutoffDay is { } d ? $"  first_month_cutoff_day: {d}" : "")}
              minimum_charge: "{minimumCharge}"
            tiers:
              - {"{"} code: REG, product: DUES-REG, prices: [ {"{"} effective_from: 2020-01-01, annual_rate: "395.00" {"}"} ] {"}"}
              - {"{"} code: STU, product: DUES-STU, prices: [ {"{"} effective_from: 2020-01-01, annual_rate: "95.00" {"}"} ] {"}"}
              - {"{"} code: RET, product: DUES-RET, prices: [ {"{"} effective_from: 2020-01-01, annual_rate: "195.00" {"}"} ] {"}"}
              - {"{"} code: CORP, product: DUES-CORP, organizational: true, prices: [ {"{"} effective_from: 2020-01-01, annual_rate: "2500.00" {"}"} ] {"}"}
            multi_year:
              - {"{"} years: 2, discount_percent: 5 {"}"}
              - {"{"} years: 3, discount_percent: 10 {"}"}
            taxes:
              - {"{"} product: DUES-REG, jurisdiction: "ON", code: HST-ON, rate_percent: 13 {"}"}
              - {"{"} product: DUES-CORP, jurisdiction: "ON", code: HST-ON, rate_percent: 13 {"}"}
            refunds:
              pro_rata_unused: {(proRataUnused ? "true" : "false")}
              non_refundable_fee: "{fee}"
            {(cutoffMonths is { } c ? $"  cutoff_months_into_term: {c}" : "")}
              downgrade: {downgrade}
            reinstatement:
              prorate: {(reinstateProrated ? "true" : "false")}
              fee: "{reinstatementFee}"
            """);
        return LoadBillingPolicy.FromYaml(yaml, "test-policy.yaml");
    }

    public static ProrationAccounts Accounts { get; } = PriceMembershipEvent.AccountsFrom(new ChartOfAccounts());

    public static ProrationOutcome Run(BillingPolicy policy, ProrationRequest request) =>
        Prorate.Compute(policy, request, Accounts, new FakeTimeProvider(new DateTimeOffset(2027, 3, 15, 12, 0, 0, TimeSpan.Zero)));

    public static DateOnly D(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static Money Usd(string text) => Money.Parse(text, Currency.USD);

    /// <summary>The signed sum of an entry's lines on one account (debit positive).</summary>
    public static long On(JournalEntry e, AccountCode account) => e.Lines.Where(l => l.Account == account).Sum(l => l.Amount.MinorUnits);
}
