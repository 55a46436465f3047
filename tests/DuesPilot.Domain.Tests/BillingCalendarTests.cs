namespace DuesPilot.Domain.Tests;

public class BillingCalendarTests
{
    [Theory]
    [InlineData("2027-03-15", "2027-01-01", "2027-12-31")]
    [InlineData("2027-01-01", "2027-01-01", "2027-12-31")]
    [InlineData("2027-12-31", "2027-01-01", "2027-12-31")]
    public void CalendarYear_TermIsJanuaryToDecember(string date, string start, string end)
    {
        var (s, e) = BillingCalendar.CalendarYear.TermContaining(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((DateOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(end, System.Globalization.CultureInfo.InvariantCulture)), (s, e));
    }

    [Theory]
    [InlineData("2027-03-15", "2026-07-01", "2027-06-30")]
    [InlineData("2027-07-01", "2027-07-01", "2028-06-30")]
    [InlineData("2028-02-29", "2027-07-01", "2028-06-30")]
    public void FiscalYearFromJuly_TermIsJulyToJune(string date, string start, string end)
    {
        var (s, e) = new BillingCalendar(CycleKind.FiscalYear, StartMonth: 7).TermContaining(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture), s);
        Assert.Equal(DateOnly.Parse(end, System.Globalization.CultureInfo.InvariantCulture), e);
    }

    [Fact]
    public void Anniversary_TermStartsOnJoinMonth_AndEndsAtAMonthEnd()
    {
        var (s, e) = new BillingCalendar(CycleKind.Anniversary).TermContaining(new DateOnly(2027, 3, 15), anchor: new DateOnly(2020, 5, 20));
        Assert.Equal(new DateOnly(2026, 5, 1), s);
        Assert.Equal(new DateOnly(2027, 4, 30), e);
    }

    [Fact]
    public void PriceSchedule_RateOn_TakesLatestEffectiveEntry()
    {
        var schedule = new PriceSchedule("DUES-REG", [
            new PriceScheduleEntry(new DateOnly(2026, 1, 1), Money.Usd(375m)),
            new PriceScheduleEntry(new DateOnly(2027, 1, 1), Money.Usd(395m)),
        ]);
        Assert.Equal(Money.Usd(375m), schedule.RateOn(new DateOnly(2026, 12, 31)));
        Assert.Equal(Money.Usd(395m), schedule.RateOn(new DateOnly(2027, 1, 1)));
        Assert.Null(schedule.RateOn(new DateOnly(2025, 6, 1)));
    }

    [Fact]
    public void Allocation_RequireCovers_RefusesAllocationsThatDoNotSumToThePayment()
    {
        var payment = new Payment(new PaymentId("p1"), PaymentChannel.Card, Money.Usd(100m), DateTimeOffset.UnixEpoch, null, null, null, null);
        var member = new MemberId("1");
        Allocation.RequireCovers(payment, [new Allocation(payment.Id, member, new InvoiceId("i1"), Money.Usd(60m)), new Allocation(payment.Id, member, null, Money.Usd(40m))]);
        Assert.Throws<ArgumentException>(() => Allocation.RequireCovers(payment, [new Allocation(payment.Id, member, new InvoiceId("i1"), Money.Usd(99.99m))]));
    }
}
