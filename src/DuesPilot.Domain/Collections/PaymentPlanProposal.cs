namespace DuesPilot.Domain.Collections;

/// <summary>How often installments fall due.</summary>
public enum InstallmentCadence
{
    /// <summary>Same day each month (the 31st becomes the month's last day).</summary>
    Monthly,
    /// <summary>Every 14 days.</summary>
    Biweekly,
    /// <summary>Every 7 days.</summary>
    Weekly,
}

/// <summary>Which installment carries the cents an even split leaves over.</summary>
public enum RemainderPlacement
{
    First,
    Last,
}

/// <summary>The association's rules for payment plans.</summary>
/// <param name="MinInstallments">Fewer than this is not a plan (usually 2).</param>
/// <param name="MaxInstallments">The longest plan offered.</param>
/// <param name="MinimumInstallment">No installment is smaller than this (the remainder only adds cents).</param>
/// <param name="FirstDueAfterDays">Days from the plan's start to the first installment.</param>
/// <param name="GraceDays">Days after a due date before an unpaid installment counts as missed.</param>
public sealed record PaymentPlanPolicy(
    int MinInstallments,
    int MaxInstallments,
    Money MinimumInstallment,
    InstallmentCadence Cadence,
    RemainderPlacement Remainder,
    int FirstDueAfterDays = 0,
    int GraceDays = 5)
{
    public static PaymentPlanPolicy Default(Currency currency) => new(2, 6, Money.FromMinor(2500, currency), InstallmentCadence.Monthly, RemainderPlacement.First, 0, 5);

    public void Validate()
    {
        if (MinInstallments < 2) throw new ArgumentException("A plan has at least two installments.");
        if (MaxInstallments < MinInstallments || MaxInstallments > 60) throw new ArgumentException("MaxInstallments must be between MinInstallments and 60.");
        if (!MinimumInstallment.IsPositive) throw new ArgumentException("MinimumInstallment must be positive.");
        if (FirstDueAfterDays is < 0 or > 366) throw new ArgumentException("FirstDueAfterDays must be 0–366.");
        if (GraceDays is < 0 or > 60) throw new ArgumentException("GraceDays must be 0–60.");
    }
}

/// <summary>One installment: its number (from 1), due date and amount.</summary>
public sealed record Installment(int Number, DateOnly DueDate, Money Amount);

public enum PlanProposalResult
{
    /// <summary>A plan that fits the policy.</summary>
    Proposed,
    /// <summary>The debt is too small for the minimum number of installments of the minimum amount.</summary>
    DebtTooSmall,
    /// <summary>No debt (zero or negative).</summary>
    NothingOwed,
}

/// <summary>A proposed plan: installments that sum exactly to the debt, with a plain statement of where the odd cents went.</summary>
public sealed record PaymentPlanProposal(PlanProposalResult Result, Money Debt, IReadOnlyList<Installment> Installments, string Explanation)
{
    public bool IsProposed => Result == PlanProposalResult.Proposed;

    /// <summary>
    /// Proposes installments for <paramref name="debt"/> starting on <paramref name="start"/>. The count is the
    /// member's request (or the policy maximum), capped so that no installment falls below the policy minimum.
    /// Every installment is debt ÷ count rounded down to the cent; the cents left over (fewer than the count) all
    /// go on the first or the last installment, as the policy says, so the plan sums to the debt exactly.
    /// </summary>
    public static PaymentPlanProposal Propose(Money debt, DateOnly start, PaymentPlanPolicy policy, int? requestedCount = null)
    {
        policy.Validate();
        if (!debt.IsPositive) return new(PlanProposalResult.NothingOwed, debt, [], "Nothing is owed.");
        var byMinimum = debt.MinorUnits / policy.MinimumInstallment.MinorUnits;
        var wanted = Math.Clamp(requestedCount ?? policy.MaxInstallments, policy.MinInstallments, policy.MaxInstallments);
        var count = (int)Math.Min(wanted, byMinimum);
        if (count < policy.MinInstallments)
            return new(PlanProposalResult.DebtTooSmall, debt, [],
                $"{debt.ToDisplayString()} cannot be split into {policy.MinInstallments} installments of at least {policy.MinimumInstallment.ToDisplayString()}.");

        var each = debt.MinorUnits / count;
        var remainder = debt.MinorUnits - each * count;
        var carrier = policy.Remainder == RemainderPlacement.First ? 1 : count;
        var first = start.AddDays(policy.FirstDueAfterDays);
        var installments = new List<Installment>(count);
        for (var i = 1; i <= count; i++)
        {
            var amount = each + (i == carrier ? remainder : 0);
            installments.Add(new Installment(i, DueDate(first, policy.Cadence, i - 1), Money.FromMinor(amount, debt.Currency)));
        }

        var explanation = $"{debt.ToDisplayString()} in {count} {policy.Cadence.ToString().ToLowerInvariant()} installments of {Money.FromMinor(each, debt.Currency).ToDisplayString()}"
            + (remainder == 0 ? "; it divides evenly."
                : $"; the {(carrier == 1 ? "first" : "last")} installment carries the {remainder} extra cent{(remainder == 1 ? "" : "s")} ({installments[carrier - 1].Amount.ToDisplayString()}).")
            + (count < wanted ? $" {wanted} were asked for; {count} keeps every installment at or above {policy.MinimumInstallment.ToDisplayString()}." : "");
        return new(PlanProposalResult.Proposed, debt, installments, explanation);
    }

    /// <summary>The due date of installment <paramref name="index"/> (from 0): monthly keeps the first date's day, clamped to short months.</summary>
    public static DateOnly DueDate(DateOnly first, InstallmentCadence cadence, int index) => cadence switch
    {
        InstallmentCadence.Monthly => MonthlyDate(first, index),
        InstallmentCadence.Biweekly => first.AddDays(14 * index),
        InstallmentCadence.Weekly => first.AddDays(7 * index),
        _ => throw new ArgumentOutOfRangeException(nameof(cadence)),
    };

    private static DateOnly MonthlyDate(DateOnly first, int index)
    {
        var month = new DateOnly(first.Year, first.Month, 1).AddMonths(index);
        return new DateOnly(month.Year, month.Month, Math.Min(first.Day, DateTime.DaysInMonth(month.Year, month.Month)));
    }
}
