using DuesPilot.Domain;
using DuesPilot.Domain.Matching;

namespace DuesPilot.Matching.Tests;

public sealed class AllocationPlannerTests
{
    private static readonly MemberId Ann = new("100");
    private static readonly MemberId Ben = new("200");

    private static OpenItem Item(string id, MemberId member, decimal balance, int month = 1) =>
        new(new InvoiceId(id), member, new DateOnly(2025, month, 1), Money.Usd(balance));

    private static string Lines(AllocationPlan plan) =>
        string.Join(", ", plan.Lines.Select(l => $"{l.Member.Value}/{l.Invoice?.Value ?? "credit"}/{l.Amount.ToPlainString()}"));

    [Theory]
    [InlineData("395.00", "100/A/395.00")]
    [InlineData("545.00", "100/A/395.00, 100/B/150.00")]
    [InlineData("150.00", "100/B/150.00")]
    public void Plan_ExactBalanceOrSum_AllocatesExactly(string amount, string expected)
    {
        var items = new[] { Item("A", Ann, 395m, 1), Item("B", Ann, 150m, 2) };
        var plans = AllocationPlanner.Plan(Money.Parse(amount, Currency.USD), items, 2m);
        Assert.Equal(PlanKind.Exact, plans[0].Kind);
        Assert.False(plans[0].IsAmbiguous);
        Assert.Equal(expected, Lines(plans[0]));
    }

    /// <summary>
    /// One open item without required members takes a short path; requiring the item's own member takes the general
    /// subset and tolerance search, which must conclude the same for every amount: exact, over and under within
    /// tolerance, just beyond it either side, zero, negative, and balances that are nothing or owed back.
    /// </summary>
    [Fact]
    public void Plan_SingleItem_ShortPathConcludesWhatTheGeneralSearchDoes()
    {
        var compared = 0;
        foreach (var balance in new[] { -25.00m, 0m, 0.01m, 1.00m, 150.00m, 395.00m, 1234.56m })
        {
            var amounts = new[] { -1m, 0m, 0.01m, balance, balance + 0.01m, balance - 0.01m, balance * 1.02m, balance * 0.98m, balance * 1.021m, balance * 0.979m, balance * 1.5m, balance / 2 }
                .Select(a => decimal.Round(a, 2)).Distinct();
            foreach (var amount in amounts)
            foreach (var tolerance in new[] { 0m, 2m, 5m })
            {
                var item = Item("A", Ann, balance);
                var shortPath = AllocationPlanner.Plan(Money.Usd(amount), [item], tolerance);
                var general = AllocationPlanner.Plan(Money.Usd(amount), [item], tolerance, new HashSet<MemberId> { Ann });
                var label = $"balance {balance}, amount {amount}, tolerance {tolerance}%";
                Assert.True(general.Count == shortPath.Count, label);
                for (var i = 0; i < general.Count; i++)
                {
                    Assert.True(general[i].Kind == shortPath[i].Kind, label);
                    Assert.True(Lines(general[i]) == Lines(shortPath[i]), label);
                    Assert.True(general[i].Variance == shortPath[i].Variance, label);
                    Assert.True(general[i].Alternatives == shortPath[i].Alternatives, label);
                    Assert.True(general[i].Items.SequenceEqual(shortPath[i].Items), label);
                }

                compared++;
            }
        }

        Assert.True(compared > 150, $"{compared} cases");
    }

    [Fact]
    public void Plan_GroupWhoseCoveringSetIsFoundAfterManyOthers_FindsTheSetThatPaysEveryone()
    {
        // Ann's ten 10.00 items give well over eight sets of 30.00 that leave Ben out; only 20.00 + Ben's 10.00 pays both.
        var items = Enumerable.Range(1, 10).Select(i => Item($"A{i:D2}", Ann, 10m, 1)).Append(Item("B1", Ben, 10m, 12)).ToList();
        var plans = AllocationPlanner.Plan(Money.Usd(30m), items, 2m, new HashSet<MemberId> { Ann, Ben });
        Assert.NotEmpty(plans);
        Assert.Contains(plans[0].Lines, l => l.Member == Ben);
    }

    [Fact]
    public void Plan_SubsetSumsToAmount_PaysOnlyThatSubset()
    {
        var items = new[] { Item("A", Ann, 395m, 1), Item("B", Ann, 120m, 2), Item("C", Ann, 75m, 3) };
        var plan = AllocationPlanner.Plan(Money.Usd(195m), items, 2m)[0];
        Assert.Equal("100/B/120.00, 100/C/75.00", Lines(plan));
        Assert.False(plan.IsAmbiguous);
    }

    [Fact]
    public void Plan_TwoEqualInvoicesOfOneMember_PaysOldestFirst()
    {
        var items = new[] { Item("NEW", Ann, 395m, 6), Item("OLD", Ann, 395m, 1) };
        var plan = AllocationPlanner.Plan(Money.Usd(395m), items, 2m)[0];
        Assert.Equal("100/OLD/395.00", Lines(plan));
        Assert.False(plan.IsAmbiguous);
    }

    [Fact]
    public void Plan_EqualInvoicesOfTwoMembers_IsAmbiguous()
    {
        var items = new[] { Item("A", Ann, 395m), Item("B", Ben, 395m) };
        var plan = AllocationPlanner.Plan(Money.Usd(395m), items, 2m)[0];
        Assert.True(plan.IsAmbiguous);
    }

    [Fact]
    public void Plan_HouseholdBothInvoices_CoversEachMember()
    {
        var items = new[] { Item("A", Ann, 395m), Item("B", Ben, 195m) };
        var plan = AllocationPlanner.Plan(Money.Usd(590m), items, 2m)[0];
        Assert.Equal("100/A/395.00, 200/B/195.00", Lines(plan));
    }

    [Fact]
    public void Plan_OverpaidWithinTolerance_RemainderIsCreditOnAccount()
    {
        var plan = AllocationPlanner.Plan(Money.Usd(400m), [Item("A", Ann, 395m)], 2m)[0];
        Assert.Equal(PlanKind.Overpaid, plan.Kind);
        Assert.Equal("100/A/395.00, 100/credit/5.00", Lines(plan));
    }

    [Fact]
    public void Plan_UnderpaidWithinTolerance_LeavesBalanceOnNewestInvoice()
    {
        var items = new[] { Item("OLD", Ann, 200m, 1), Item("NEW", Ann, 195m, 2) };
        var plan = AllocationPlanner.Plan(Money.Usd(390m), items, 2m)[0];
        Assert.Equal(PlanKind.Underpaid, plan.Kind);
        Assert.Equal("100/OLD/200.00, 100/NEW/190.00", Lines(plan));
    }

    [Theory]
    [InlineData("300.00")]
    [InlineData("410.00")]
    public void Plan_BeyondTolerance_HasNoPlan(string amount)
    {
        Assert.Empty(AllocationPlanner.Plan(Money.Parse(amount, Currency.USD), [Item("A", Ann, 395m)], 2m));
    }

    [Fact]
    public void Plan_MustCoverNamedMembers_SkipsSetsLeavingOneOut()
    {
        var items = new[] { Item("A1", Ann, 395m, 1), Item("A2", Ann, 395m, 2), Item("B", Ben, 395m, 3) };
        var plan = AllocationPlanner.Plan(Money.Usd(790m), items, 2m, new HashSet<MemberId> { Ann, Ben })[0];
        Assert.Equal("100/A1/395.00, 200/B/395.00", Lines(plan));
        Assert.False(plan.IsAmbiguous);
    }

    [Fact]
    public void ExactSubsets_ManyOpenItems_StaysBounded()
    {
        var items = Enumerable.Range(0, 200).Select(i => Item("I" + i, Ann, 10m + i)).ToList();
        var found = AllocationPlanner.ExactSubsets(items, Money.Usd(1m), maxSolutions: 2);
        Assert.Empty(found);
    }
}
