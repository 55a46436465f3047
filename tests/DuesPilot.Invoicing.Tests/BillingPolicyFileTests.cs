using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;

namespace DuesPilot.Invoicing.Tests;

public sealed class BillingPolicyFileTests
{
    private const string Valid = """
        name: Minimal
        cycle: { kind: calendar_year }
        proration: { method: monthly }
        tiers:
          - { code: REG, product: DUES-REG, prices: [ { effective_from: 2026-01-01, annual_rate: "395.00" } ] }
        """;

    [Fact]
    public void Load_ShippedExample_HasTheIssuesTiersAndRule()
    {
        var repoExample = Path.Combine(FindRepoRoot(), "examples", "billing-policy.yaml");
        var p = LoadBillingPolicy.FromFile(repoExample);
        Assert.Equal(CycleKind.CalendarYear, p.Cycle.Kind);
        Assert.Equal(ProrationMethod.Monthly, p.Proration.Method);
        Assert.True(p.Proration.CountJoinMonth);
        Assert.Equal(Rounding.HalfAwayFromZero, p.Rounding);
        var on = new DateOnly(2027, 3, 15);
        Assert.Equal(["REG 395.00", "STU 95.00", "RET 195.00", "CORP 2500.00"], p.Tiers.Select(t => $"{t.Code} {p.RateOn(t, on).ToPlainString()}"));
        Assert.Equal(["DUES-REG", "DUES-STU", "DUES-RET", "DUES-CORP"], p.Tiers.Select(t => t.Prices.ProductCode));
        Assert.Equal(p, LoadBillingPolicy.Example() with { }, PolicyComparer.Instance);
    }

    [Fact]
    public void Load_MinimalFile_FillsDefaults()
    {
        var p = LoadBillingPolicy.FromYaml(Valid);
        Assert.Equal(Currency.USD, p.Currency);
        Assert.Equal(12, p.Cycle.TermMonths);
        Assert.Equal(DowngradeTreatment.Refund, p.Refunds.Downgrade);
        Assert.Equal(31, p.Invoices.JoinInvoiceWindowDays);
    }

    [Theory]
    [InlineData("annual_rate: \"395.00\"", "annual_rate: \"39x\"", "tiers[0].prices[0].annual_rate: '39x' is not an amount")]
    [InlineData("annual_rate: \"395.00\"", "annual_rate: \"395.001\"", "tiers[0].prices[0].annual_rate")]
    [InlineData("effective_from: 2026-01-01", "effective_from: 2026-13-01", "tiers[0].prices[0].effective_from: '2026-13-01' is not a date")]
    [InlineData("method: monthly", "method: weekly", "proration.method: 'weekly' is not one of")]
    [InlineData("kind: calendar_year", "kind: fiscal_year", "cycle.start_month: required for a fiscal year")]
    [InlineData("name: Minimal", "name: \"\"", "name: required")]
    [InlineData("code: REG, product: DUES-REG,", "code: REG,", "tiers[0].product: required")]
    public void Load_BadField_NamesTheField(string replace, string with, string expected)
    {
        var ex = Assert.Throws<BillingPolicyException>(() => LoadBillingPolicy.FromYaml(Valid.Replace(replace, with, StringComparison.Ordinal), "policy.yaml"));
        Assert.StartsWith("policy.yaml: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeveralProblems_ReportsThemAllAtOnce()
    {
        var yaml = Valid.Replace("method: monthly", "method: weekly", StringComparison.Ordinal).Replace("\"395.00\"", "\"-5\"", StringComparison.Ordinal)
            + "\nmulti_year: [ { years: 1, discount_percent: 150 } ]\ntaxes: [ { product: DUES-XYZ, code: T, rate_percent: 5 } ]\n";
        var ex = Assert.Throws<BillingPolicyException>(() => LoadBillingPolicy.FromYaml(yaml));
        Assert.Equal(5, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.StartsWith("multi_year[0].years", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("multi_year[0].discount_percent", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("taxes[0].product: 'DUES-XYZ' is not the product of any tier", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("tiers[0].prices[0].annual_rate: cannot be negative", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_UnknownField_GivesTheLine()
    {
        var ex = Assert.Throws<BillingPolicyException>(() => LoadBillingPolicy.FromYaml(Valid + "\nprorate_everything: yes\n", "policy.yaml"));
        Assert.Contains("line 6", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_SaysSo()
    {
        var ex = Assert.Throws<BillingPolicyException>(() => LoadBillingPolicy.FromFile("/nonexistent/billing-policy.yaml"));
        Assert.Contains("file not found", ex.Message, StringComparison.Ordinal);
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DuesPilot.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    /// <summary>Compares the parts of two policies that matter for pricing (records hold lists, which compare by reference).</summary>
    private sealed class PolicyComparer : IEqualityComparer<BillingPolicy>
    {
        public static PolicyComparer Instance { get; } = new();

        public bool Equals(BillingPolicy? x, BillingPolicy? y) =>
            x is not null && y is not null && x.Name == y.Name && x.Cycle == y.Cycle && x.Proration == y.Proration && x.Refunds == y.Refunds
            && x.Tiers.Select(t => (t.Code, t.Prices.ProductCode, t.IsOrganizational, string.Join(",", t.Prices.Entries))).SequenceEqual(y.Tiers.Select(t => (t.Code, t.Prices.ProductCode, t.IsOrganizational, string.Join(",", t.Prices.Entries))))
            && x.Taxes.SequenceEqual(y.Taxes) && x.MultiYear.SequenceEqual(y.MultiYear);

        public int GetHashCode(BillingPolicy obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}
