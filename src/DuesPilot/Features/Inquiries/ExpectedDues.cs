using System.Globalization;
using DuesPilot.Domain;

namespace DuesPilot.Features.Inquiries;

/// <summary>What a dues line should have been, and the arithmetic that says so, in words a member can follow.</summary>
public sealed record DuesBreakdown(string Tier, Money AnnualRate, int MonthsBilled, DateOnly From, DateOnly Through, Money Amount, string Explanation);

/// <summary>
/// Recomputes the dues a member should have been billed for a term. The assistant only needs this
/// behind an interface: the proration engine (another feature) replaces the simple rule below.
/// </summary>
public interface IExpectedDues
{
    /// <summary>The expected dues for <paramref name="tier"/> over the term <paramref name="termStart"/>–<paramref name="termEnd"/> for a member who joined on <paramref name="joinDate"/>; null when the tier has no rate.</summary>
    DuesBreakdown? Expected(string tier, DateOnly? joinDate, DateOnly termStart, DateOnly termEnd);
}

/// <summary>
/// policies/proration.md: the join month counts in full; dues = annual rate × months from the join
/// month (or the term start, if later) through the term end ÷ 12, rounded once, half away from zero.
/// </summary>
public sealed class MonthlyProration(TierRates rates) : IExpectedDues
{
    public DuesBreakdown? Expected(string tier, DateOnly? joinDate, DateOnly termStart, DateOnly termEnd)
    {
        if (!rates.AnnualRates.TryGetValue(tier, out var annual)) return null;
        var from = new DateOnly(termStart.Year, termStart.Month, 1);
        if (joinDate is { } j && j > from) from = new DateOnly(j.Year, j.Month, 1);
        var termMonths = ((termEnd.Year - termStart.Year) * 12) + termEnd.Month - termStart.Month + 1;
        var months = Math.Max(0, ((termEnd.Year - from.Year) * 12) + termEnd.Month - from.Month + 1);
        var amount = annual.MultiplyFraction(months, 12, Rounding.HalfAwayFromZero);
        var name = rates.NameOf(tier);
        var ci = CultureInfo.InvariantCulture;
        var explanation = months == termMonths
            ? string.Create(ci, $"{name} annual dues of {annual.ToDisplayString()} for the full term {from:MMMM d, yyyy} to {termEnd:MMMM d, yyyy}")
            : string.Create(ci, $"{name} annual dues of {annual.ToDisplayString()} × {months} months ({from:MMMM} through {termEnd:MMMM yyyy}) ÷ 12 = {amount.ToDisplayString()}, because membership started in {from:MMMM yyyy} and the join month counts in full");
        return new DuesBreakdown(tier, annual, months, from, termEnd, amount, explanation);
    }
}
