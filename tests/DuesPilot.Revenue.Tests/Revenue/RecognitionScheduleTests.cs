using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using FsCheck;
using FsCheck.Fluent;

namespace DuesPilot.Revenue.Tests.Revenue;

public sealed class RecognitionScheduleTests
{
    private static readonly MemberId Member = new("23179");

    private static DuesTerm Term(RecognitionMethod method, DateOnly start, DateOnly end) => new("23179:2027", Member, start, end, method, Currency.USD);

    private static long[] Cents(SchedulePlan plan) => plan.Months.Select(m => m.Recognised.MinorUnits).ToArray();

    [Fact]
    public void Plan_MonthlyJoinOn15March_SpreadsTenMonthsWithExtraCentsFirst()
    {
        // $395 × 10/12 = $329.1666… → $329.17 billed. 32917 ¢ / 10 = 3291 r 7: the first seven months get 3292.
        var plan = RecognitionSchedule.Plan(Term(RecognitionMethod.StraightLineMonths, new(2027, 3, 15), new(2027, 12, 31)),
            [new DuesEvent(DuesEventKind.Join, new(2027, 3, 15), "REG", Money.Usd(329.17m))]);
        Assert.True(plan.IsValid);
        Assert.Equal([3292, 3292, 3292, 3292, 3292, 3292, 3292, 3291, 3291, 3291], Cents(plan));
        Assert.Equal(Money.Usd(0m), plan.Months[^1].DeferredAtMonthEnd);
    }

    [Fact]
    public void Plan_DailyJoinOn15March_WeighsDaysOfService()
    {
        // 292 days of service: March 17 (15–31), 30-day months ×4, 31-day months ×5.
        // Exact shares of 32917 ¢: March 1916.40, 30-day 3381.88, 31-day 3494.61. Floors sum to 32910;
        // the 7 leftover cents go to the largest remainders: the four 30-day months (.88), then May, Jul, Aug (.61, earliest first).
        var plan = RecognitionSchedule.Plan(Term(RecognitionMethod.Days, new(2027, 3, 15), new(2027, 12, 31)),
            [new DuesEvent(DuesEventKind.Join, new(2027, 3, 15), "REG", Money.Usd(329.17m))]);
        Assert.Equal([1916, 3382, 3495, 3382, 3495, 3495, 3382, 3494, 3382, 3494], Cents(plan));
    }

    [Fact]
    public void Plan_UpgradeThenCancel_ReplansAndRecognisesTheRestInTheCancellationMonth()
    {
        var plan = RecognitionSchedule.Plan(Term(RecognitionMethod.StraightLineMonths, new(2027, 3, 15), new(2027, 12, 31)),
        [
            new DuesEvent(DuesEventKind.Join, new(2027, 3, 15), "REG", Money.Usd(329.17m)),
            new DuesEvent(DuesEventKind.Upgrade, new(2027, 7, 10), "FEL", Money.Usd(60m)),
            new DuesEvent(DuesEventKind.Cancel, new(2027, 10, 20), "FEL", Money.Usd(85.83m)),
        ]);
        Assert.Equal([3292, 3292, 3292, 3292, 4292, 4292, 4292, 4290, 0, 0], Cents(plan));
        Assert.Equal(["REG", "REG", "REG", "REG", "FEL", "FEL", "FEL", "FEL", "FEL", "FEL"], plan.Months.Select(m => m.Tier));
    }

    [Fact]
    public void Plan_DowngradeInSeptember_CreditLeavesDeferredAndTheRestIsReplanned()
    {
        // Annual FEL $515 from January: 51500 ¢ / 12 = 4291 r 8 → plan Jan–Aug 42.92, Sep–Dec 42.91.
        // Recognised Jan–Aug: 8 × 42.92 = 343.36; deferred 171.64. Downgrade 1 Sep to REG with a credit of
        // ($515 − $395) × 4/12 = 40.00 → 131.64 over Sep–Dec = 3291 each exactly.
        var plan = RecognitionSchedule.Plan(Term(RecognitionMethod.StraightLineMonths, new(2027, 1, 1), new(2027, 12, 31)),
        [
            new DuesEvent(DuesEventKind.Renew, new(2027, 1, 1), "FEL", Money.Usd(515m)),
            new DuesEvent(DuesEventKind.Downgrade, new(2027, 9, 1), "REG", Money.Usd(40m)),
        ]);
        Assert.Equal([4292, 4292, 4292, 4292, 4292, 4292, 4292, 4292, 3291, 3291, 3291, 3291], Cents(plan));
        Assert.Equal("FEL", plan.Months[7].Tier);
        Assert.Equal("REG", plan.Months[8].Tier);
        Assert.Equal(Money.Usd(40m), plan.Months[8].Refunded);
    }

    [Theory]
    [InlineData(DuesEventKind.Refund, "400.00", SchedulePlanProblem.CreditExceedsDeferredBalance)]
    [InlineData(DuesEventKind.Downgrade, "329.18", SchedulePlanProblem.CreditExceedsDeferredBalance)]
    [InlineData(DuesEventKind.Refund, "329.17", SchedulePlanProblem.None)]
    public void Plan_CreditOnJoinMonth_RefusedOnlyWhenAboveDeferred(DuesEventKind kind, string amount, SchedulePlanProblem expected)
    {
        var plan = RecognitionSchedule.Plan(Term(RecognitionMethod.StraightLineMonths, new(2027, 3, 15), new(2027, 12, 31)),
        [
            new DuesEvent(DuesEventKind.Join, new(2027, 3, 15), "REG", Money.Usd(329.17m)),
            new DuesEvent(kind, new(2027, 3, 20), "REG", Money.Parse(amount, Currency.USD)),
        ]);
        Assert.Equal(expected, plan.Problem);
    }

    [Fact]
    public void Plan_RenewalBilledAheadOfTheTerm_IsDeferredUntilTheTermStarts_ButNotMoreThan90Days()
    {
        var term = Term(RecognitionMethod.StraightLineMonths, new(2027, 1, 1), new(2027, 12, 31));
        var early = RecognitionSchedule.Plan(term, [new DuesEvent(DuesEventKind.Renew, new(2026, 11, 15), "REG", Money.Usd(395m))]);

        Assert.True(early.IsValid, early.Detail);
        Assert.Equal("2027-01", early.Months[0].Month.ToString());
        Assert.Equal(Money.Usd(395m), early.Months[0].Billed);
        Assert.Equal([3292L, 3292, 3292, 3292, 3292, 3292, 3292, 3292, 3291, 3291, 3291, 3291], Cents(early));

        Assert.True(RecognitionSchedule.Plan(term, [new DuesEvent(DuesEventKind.Renew, new(2026, 10, 3), "REG", Money.Usd(395m))]).IsValid); // day 90
        var tooEarly = RecognitionSchedule.Plan(term, [new DuesEvent(DuesEventKind.Renew, new(2026, 10, 2), "REG", Money.Usd(395m))]);
        Assert.Equal(SchedulePlanProblem.EventOutsideTerm, tooEarly.Problem);
        Assert.Contains("at most 90 days ahead, from 2026-10-03", tooEarly.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CatchUp_TermBookedLate_FirstOpenMonthCarriesTheClosedMonthsShare()
    {
        var plan = RecognitionSchedule.Plan(Term(RecognitionMethod.StraightLineMonths, new(2027, 1, 15), new(2027, 12, 31)),
            [new DuesEvent(DuesEventKind.Join, new(2027, 1, 15), "REG", Money.Usd(395m))]);
        var late = RecognitionSchedule.CatchUp(plan, BillingMonth.Parse("2027-03"));

        Assert.Equal([0L, 0, 3292 * 3, 3292, 3292, 3292, 3292, 3292, 3291, 3291, 3291, 3291], Cents(late));
        Assert.Equal((Money.Usd(0m), Money.Usd(0m)), (late.Months[1].Billed, late.Months[1].DeferredAtMonthEnd));
        Assert.Equal(Money.Usd(395m), late.Months[2].Billed);
        Assert.Equal(plan.Months[2].DeferredAtMonthEnd, late.Months[2].DeferredAtMonthEnd);
        Assert.Same(plan, RecognitionSchedule.CatchUp(plan, BillingMonth.Parse("2027-01")));
    }

    [Theory]
    [InlineData(DuesEventKind.Upgrade, 2027, 3, 1, SchedulePlanProblem.FirstEventMustBill)]
    [InlineData(DuesEventKind.Join, 2028, 1, 1, SchedulePlanProblem.EventOutsideTerm)]
    public void Plan_BadFirstEvent_IsAProblemNotAnException(DuesEventKind kind, int y, int m, int d, SchedulePlanProblem expected)
    {
        var plan = RecognitionSchedule.Plan(Term(RecognitionMethod.StraightLineMonths, new(2027, 3, 1), new(2027, 12, 31)),
            [new DuesEvent(kind, new(y, m, d), "REG", Money.Usd(10m))]);
        Assert.Equal(expected, plan.Problem);
    }

    [Fact]
    public void Plan_AnyBillingAndRefunds_RecognisesExactlyWhatStaysDeferred()
    {
        var gen =
            from start in Gen.Choose(1, 28)
            from months in Gen.Choose(1, 24)
            from billed in Gen.Choose(0, 1_000_000)
            from upgrade in Gen.Choose(0, 50_000)
            from upgradeOffset in Gen.Choose(0, 400)
            from refundShare in Gen.Choose(0, 100)
            from days in Gen.Elements(RecognitionMethod.StraightLineMonths, RecognitionMethod.Days)
            select (start, months, billed, upgrade, upgradeOffset, refundShare, days);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var s = new DateOnly(2027, 1, c.start);
            var e = new DateOnly(2027, 1, 1).AddMonths(c.months).AddDays(-1);
            if (e < s) e = s;
            var up = s.AddDays(c.upgradeOffset % (e.DayNumber - s.DayNumber + 1));
            var term = Term(c.days, s, e);
            var total = c.billed + (long)c.upgrade;
            var refund = total * c.refundShare / 100;
            var plan = RecognitionSchedule.Plan(term,
            [
                new DuesEvent(DuesEventKind.Join, s, "REG", Money.FromMinor(c.billed, Currency.USD)),
                new DuesEvent(DuesEventKind.Upgrade, up, "FEL", Money.FromMinor(c.upgrade, Currency.USD)),
                new DuesEvent(DuesEventKind.Refund, e, "FEL", Money.FromMinor(refund, Currency.USD)),
            ]);
            // A refund dated in the last month can exceed what is left after earlier months: then it is refused, never negative.
            if (!plan.IsValid) return plan.Problem == SchedulePlanProblem.CreditExceedsDeferredBalance;
            return plan.Months.Sum(m => m.Recognised.MinorUnits) == total - refund
                && plan.Months.All(m => !m.Recognised.IsNegative && !m.DeferredAtMonthEnd.IsNegative)
                && plan.Months[^1].DeferredAtMonthEnd.IsZero;
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("2027-03", 2027, 3)]
    [InlineData(" 1999-12 ", 1999, 12)]
    public void BillingMonth_Parse_ReadsYearAndMonth(string text, int year, int month) =>
        Assert.Equal(new BillingMonth(year, month), BillingMonth.Parse(text));

    [Theory]
    [InlineData("2027-13")]
    [InlineData("2027-3-1")]
    [InlineData("March")]
    [InlineData("")]
    public void BillingMonth_TryParse_RejectsOtherShapes(string text) => Assert.False(BillingMonth.TryParse(text, out _));
}
