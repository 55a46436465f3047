using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using FsCheck;
using FsCheck.Fluent;
using static DuesPilot.Invoicing.Tests.TestPolicies;

namespace DuesPilot.Invoicing.Tests;

/// <summary>Laws that hold for every date and policy variant. FsCheck prints the seed of any failure so it replays.</summary>
public sealed class ProrationPropertyTests
{
    private static readonly string[] TierCodes = ["REG", "STU", "RET", "CORP"];

    private static BillingPolicy[] Variants() =>
    [
        Make(),
        Make(countJoinMonth: false),
        Make("monthly", true, 15),
        Make("daily"),
        Make("daily", true, 20),
        Make("quarterly"),
        Make("quarterly", false),
        Make("semi_annual"),
        Make("none"),
        Make(cycle: "fiscal_year", startMonth: 7),
        Make(cycle: "fiscal_year", startMonth: 4, method: "daily"),
        Make(minimumCharge: "50.00"),
        Make(cycle: "anniversary"),
    ];

    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(400);

    private static Gen<(int Day, int Policy, string Tier)> Cases(int policies) =>
        from day in Gen.Choose(0, 365 * 6)
        from p in Gen.Choose(0, policies - 1)
        from t in Gen.Elements(TierCodes)
        select (day, p, t);

    [Fact]
    public void Join_AnyDate_RestOfCyclePlusRenewalNeverExceedsTwoFullYears()
    {
        var policies = Variants();
        var start = new DateOnly(2024, 1, 1);
        Check.One(Runs, Prop.ForAll(Cases(policies.Length).ToArbitrary(), c =>
        {
            var policy = policies[c.Policy];
            var tier = policy.RequireTier(c.Tier);
            var join = start.AddDays(c.Day);
            var price = Prorate.PriceJoin(policy, tier, join);
            var renewal = Prorate.PriceJoin(policy, tier, price.TermEnd.AddDays(1));
            return price.Charge + renewal.Charge <= price.Rate + renewal.Rate && price.Charge <= price.Rate && !price.Charge.IsNegative;
        }));
    }

    [Fact]
    public void Join_FirstMonthRuleOrExcludedJoinMonth_OnlyEverLowerTheCharge()
    {
        // Against the same method counting from the join day itself (join period counted, no first-month rule):
        // the first-month rule may make the start of coverage free, it never adds to the charge.
        var policies = Variants();
        var start = new DateOnly(2024, 1, 1);
        Check.One(Runs, Prop.ForAll(Cases(policies.Length).ToArbitrary(), c =>
        {
            var policy = policies[c.Policy];
            var plain = policy with { Proration = policy.Proration with { CountJoinMonth = true, FirstMonthCutoffDay = null } };
            var tier = policy.RequireTier(c.Tier);
            var join = start.AddDays(c.Day);
            var price = Prorate.PriceJoin(policy, tier, join);
            if (price.TermStart != Prorate.PriceJoin(plain, tier, join).TermStart) return true; // the rule moved coverage into the next term
            return price.Charge <= Prorate.PriceJoin(plain, tier, join).Charge;
        }));
    }

    [Fact]
    public void Join_LaterDateInTheSameTerm_NeverCostsMore()
    {
        var policies = Variants();
        var start = new DateOnly(2024, 1, 1);
        Check.One(Runs, Prop.ForAll(Cases(policies.Length).ToArbitrary(), c =>
        {
            var policy = policies[c.Policy];
            var tier = policy.RequireTier(c.Tier);
            var a = Prorate.PriceJoin(policy, tier, start.AddDays(c.Day));
            var b = Prorate.PriceJoin(policy, tier, start.AddDays(c.Day + 1));
            return b.TermStart != a.TermStart || b.Charge <= a.Charge;
        }));
    }

    [Fact]
    public void Cancel_AnyDateAndPayment_RefundPlusKeptEqualsPaidToTheCent()
    {
        BillingPolicy[] policies = [Make(fee: "25.00"), Make("daily"), Make("quarterly", fee: "10.00", cutoffMonths: 9), Make("semi_annual"), Make(proRataUnused: false), Make(cycle: "fiscal_year", startMonth: 7, fee: "395.00")];
        var gen = from c in Cases(policies.Length)
                  from paidShare in Gen.Choose(0, 100)
                  select (c.Day, c.Policy, c.Tier, paidShare);
        Check.One(Runs, Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var policy = policies[c.Policy];
            var rate = policy.RateOn(policy.RequireTier(c.Tier), new DateOnly(2024, 1, 1));
            var paid = rate.MultiplyFraction(c.paidShare, 100, Rounding.Down);
            var o = Run(policy, new ProrationRequest(ProrationEvent.Cancel, c.Tier, new DateOnly(2024, 1, 1).AddDays(c.Day), Paid: paid, Billed: rate));
            var balanced = o.Entries.All(e => e.Lines.Sum(l => l.Amount.MinorUnits) == 0);
            return o.Refund + o.Retained == paid && !o.Refund.IsNegative && o.Refund <= paid && balanced;
        }));
    }

    [Fact]
    public void AnyEvent_AnyDate_EntriesBalanceAndPartsAddUp()
    {
        var policies = Variants().Where(p => p.Cycle.Kind != CycleKind.Anniversary).ToArray();
        var events = Enum.GetValues<ProrationEvent>();
        var gen = from c in Cases(policies.Length)
                  from e in Gen.Elements(events)
                  from years in Gen.Choose(1, 3)
                  from installments in Gen.Choose(1, 12)
                  select (c.Day, c.Policy, c.Tier, e, years, installments);
        Check.One(Runs, Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var policy = policies[c.Policy];
            var (tier, to) = c.e switch
            {
                ProrationEvent.Upgrade => ("STU", c.Tier == "STU" ? "REG" : "CORP"),
                ProrationEvent.Downgrade => (c.Tier == "STU" ? "REG" : "CORP", "STU"),
                _ => (c.Tier, (string?)null),
            };
            var o = Run(policy, new ProrationRequest(c.e, tier, new DateOnly(2024, 1, 1).AddDays(c.Day), to,
                Years: c.e is ProrationEvent.Join or ProrationEvent.Extend ? c.years : 1, Installments: c.installments));
            var balanced = o.Entries.All(e => e.Lines.Sum(l => l.Amount.MinorUnits) == 0 && e.Lines.Count >= 2);
            var installmentsAdd = Money.Sum(o.Installments, Currency.USD) == o.Charge;
            // Charges are spread over the periods they pay for; the spread always adds back to the charge.
            var periodsAdd = c.e is not (ProrationEvent.Join or ProrationEvent.Upgrade or ProrationEvent.Extend) || o.Periods.Sum(p => p.Amount.MinorUnits) == o.Charge.MinorUnits;
            return balanced && installmentsAdd && periodsAdd && o.Explanation.Count > 0;
        }));
    }
}
