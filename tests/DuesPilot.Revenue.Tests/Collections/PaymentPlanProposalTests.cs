using DuesPilot.Domain;
using DuesPilot.Domain.Collections;
using FsCheck;
using FsCheck.Fluent;

namespace DuesPilot.Revenue.Tests.Collections;

public sealed class PaymentPlanProposalTests
{
    private static PaymentPlanPolicy Policy(RemainderPlacement placement = RemainderPlacement.First, InstallmentCadence cadence = InstallmentCadence.Monthly) =>
        new(2, 6, Money.Usd(25m), cadence, placement);

    [Theory]
    [InlineData(RemainderPlacement.First, new long[] { 3334, 3333, 3333 })]
    [InlineData(RemainderPlacement.Last, new long[] { 3333, 3333, 3334 })]
    public void Propose_100In3_PutsTheExtraCentWhereThePolicySays(RemainderPlacement placement, long[] expected)
    {
        var p = PaymentPlanProposal.Propose(Money.Usd(100m), new(2027, 4, 1), Policy(placement), 3);

        Assert.Equal(expected, p.Installments.Select(i => i.Amount.MinorUnits));
        Assert.Contains($"the {(placement == RemainderPlacement.First ? "first" : "last")} installment carries the 1 extra cent ($33.34)", p.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Propose_MoreInstallmentsThanTheMinimumAllows_CapsTheCountAndSaysSo()
    {
        // $395 with a $100 minimum: at most 3 installments (3 × $131.66 + 2 ¢).
        var policy = new PaymentPlanPolicy(2, 12, Money.Usd(100m), InstallmentCadence.Monthly, RemainderPlacement.First);
        var p = PaymentPlanProposal.Propose(Money.Usd(395m), new(2027, 4, 1), policy, 12);

        Assert.Equal([13168, 13166, 13166], p.Installments.Select(i => i.Amount.MinorUnits));
        Assert.Contains("12 were asked for; 3 keeps every installment at or above $100.00", p.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Propose_DebtBelowTwoMinimumInstallments_IsTooSmall() =>
        Assert.Equal(PlanProposalResult.DebtTooSmall, PaymentPlanProposal.Propose(Money.Usd(49.99m), new(2027, 4, 1), Policy()).Result);

    [Fact]
    public void Propose_MonthlyFrom31January_ClampsToMonthEnds()
    {
        var p = PaymentPlanProposal.Propose(Money.Usd(300m), new(2027, 1, 31), Policy(), 4);

        Assert.Equal([new DateOnly(2027, 1, 31), new(2027, 2, 28), new(2027, 3, 31), new(2027, 4, 30)], p.Installments.Select(i => i.DueDate));
    }

    [Fact]
    public void Propose_AnyDebtAndPolicy_InstallmentsSumToTheDebtAndRespectThePolicy()
    {
        var gen =
            from debt in Gen.Choose(1, 5_000_000)
            from min in Gen.Choose(1, 20_000)
            from minCount in Gen.Choose(2, 4)
            from extra in Gen.Choose(0, 20)
            from requested in Gen.Choose(0, 30)
            from placement in Gen.Elements(RemainderPlacement.First, RemainderPlacement.Last)
            from cadence in Gen.Elements(InstallmentCadence.Monthly, InstallmentCadence.Biweekly, InstallmentCadence.Weekly)
            select (debt, min, minCount, extra, requested, placement, cadence);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var policy = new PaymentPlanPolicy(c.minCount, c.minCount + c.extra, Money.FromMinor(c.min, Currency.USD), c.cadence, c.placement);
            var p = PaymentPlanProposal.Propose(Money.FromMinor(c.debt, Currency.USD), new(2027, 1, 31), policy, c.requested == 0 ? null : c.requested);
            if (!p.IsProposed) return p.Result == PlanProposalResult.DebtTooSmall && c.debt / c.min < c.minCount;
            var amounts = p.Installments.Select(i => i.Amount.MinorUnits).ToList();
            var carrier = c.placement == RemainderPlacement.First ? 0 : amounts.Count - 1;
            return amounts.Sum() == c.debt
                && amounts.All(a => a >= c.min)
                && amounts.Count >= policy.MinInstallments && amounts.Count <= policy.MaxInstallments
                && amounts.Where((_, i) => i != carrier).Distinct().Count() <= 1
                && amounts[carrier] - amounts[carrier == 0 ? amounts.Count - 1 : 0] < amounts.Count
                && p.Installments.Zip(p.Installments.Skip(1)).All(x => x.First.DueDate < x.Second.DueDate);
        }).QuickCheckThrowOnFailure();
    }
}
