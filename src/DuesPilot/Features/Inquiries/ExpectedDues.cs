using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Domain.Proration;

namespace DuesPilot.Features.Inquiries;

/// <summary>What a dues line should have been, and the arithmetic that says so, in words a member can follow.</summary>
public sealed record DuesBreakdown(string Tier, Money AnnualRate, int MonthsBilled, DateOnly From, DateOnly Through, Money Amount, string Explanation);

/// <summary>Recomputes the dues a member should have been billed for a term, for the member assistant.</summary>
public interface IExpectedDues
{
    /// <summary>The expected dues for <paramref name="tier"/> over the term <paramref name="termStart"/>–<paramref name="termEnd"/> for a member who joined on <paramref name="joinDate"/>; null when the tier has no rate.</summary>
    DuesBreakdown? Expected(string tier, DateOnly? joinDate, DateOnly termStart, DateOnly termEnd);

    /// <summary>The tier's name as members know it ("Retired"), or the code when the policy does not know it.</summary>
    string TierName(string tier);

    /// <summary>The association's currency (the billing policy's): amounts members write are read in it.</summary>
    Currency Currency { get; }
}

/// <summary>
/// Expected dues from the association's billing policy, the one source of rates: the rate in force at the
/// term start (a price schedule, not a constant), and a join inside the term priced by the same proration
/// engine that bills it (<see cref="Prorate.PriceJoin"/>).
/// </summary>
public sealed class PolicyExpectedDues(BillingPolicy policy) : IExpectedDues
{
    public string TierName(string tier) => policy.FindTier(tier)?.Name ?? tier;

    public Currency Currency => policy.Currency;

    public DuesBreakdown? Expected(string tier, DateOnly? joinDate, DateOnly termStart, DateOnly termEnd)
    {
        if (policy.FindTier(tier) is not { } t) return null;
        var ci = CultureInfo.InvariantCulture;
        var termMonths = ((termEnd.Year - termStart.Year) * 12) + termEnd.Month - termStart.Month + 1;
        try
        {
            if (joinDate is { } j && j > termStart && j <= termEnd && policy.ProratesJoins)
            {
                var price = Prorate.PriceJoin(policy, t, j);
                var from = new DateOnly(j.Year, j.Month, 1);
                var months = Math.Max(0, ((termEnd.Year - from.Year) * 12) + termEnd.Month - from.Month + 1);
                var monthly = policy.Proration.Method == ProrationMethod.Monthly && policy.Proration.CountJoinMonth && price.ShiftedTo is null && !price.RaisedToMinimum;
                var explanation = monthly
                    ? string.Create(ci, $"{t.Name} annual dues of {price.Rate.ToDisplayString()} × {months} months ({from:MMMM} through {termEnd:MMMM yyyy}) ÷ 12 = {price.Charge.ToDisplayString()}, because membership started in {from:MMMM yyyy} and the join month counts in full")
                    : Prorate.JoinLine(string.Create(ci, $"{t.Name} dues, membership started {j:MMMM d, yyyy}"), price);
                return new DuesBreakdown(t.Code, price.Rate, months, from, termEnd, price.Charge, explanation);
            }

            var rate = policy.RateOn(t, termStart);
            return new DuesBreakdown(t.Code, rate, termMonths, termStart, termEnd, rate,
                string.Create(ci, $"{t.Name} annual dues of {rate.ToDisplayString()} for the full term {termStart:MMMM d, yyyy} to {termEnd:MMMM d, yyyy}"));
        }
        catch (ProrationException)
        {
            return null;
        }
    }
}
