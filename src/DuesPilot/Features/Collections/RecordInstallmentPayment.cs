using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections;

/// <summary>
/// Counts money received against an active plan: it fills the earliest unpaid installments first; when every
/// installment is paid the plan is completed. Applying the money to the invoices is payment application's job;
/// this only tracks the plan. Posting a real payment to a plan's invoices counts it through the same path
/// (<see cref="CreditPlanInstallments"/>).
/// </summary>
public static class RecordInstallmentPayment
{
    public sealed record Request(string PlanId, Money Amount, string Actor = "duespilot");

    public enum Result
    {
        /// <summary>Counted; the plan is still running.</summary>
        Counted,
        /// <summary>Counted and the plan is now fully paid.</summary>
        Completed,
        /// <summary>No active plan with this id.</summary>
        NoActivePlan,
        /// <summary>More than the plan still owes: nothing counted (the excess belongs to payment application to place).</summary>
        MoreThanOwed,
    }

    public sealed record Outcome(Result Result, Money StillOwed);

    public static Task<Outcome> HandleAsync(Store store, TimeProvider clock, Request request, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            if (!request.Amount.IsPositive) throw new ArgumentException("An installment payment is positive.", nameof(request));
            return await CountAsync(c, tx, clock, request.PlanId, request.Amount, request.Actor, capAtOwed: false, source: null);
        }, ct);

    /// <summary>
    /// Fills the plan's earliest unpaid installments with <paramref name="amount"/>. With <paramref name="capAtOwed"/> an amount
    /// above what the plan still owes counts only what it owes (the rest of a real payment stays where posting put it);
    /// without, it is refused. <paramref name="source"/> says where the money came from, for the audit line.
    /// </summary>
    internal static async Task<Outcome> CountAsync(DbConnection c, DbTransaction tx, TimeProvider clock, string planId, Money amount, string actor, bool capAtOwed, string? source)
    {
        var plan = await c.QuerySingleOrDefaultAsync<PlanRow>("SELECT member_id, currency, state FROM payment_plans WHERE plan_id = @id", new { id = planId }, tx);
        if (plan is null || plan.state != "Active") return new Outcome(Result.NoActivePlan, Money.Zero(amount.Currency));
        var currency = Currency.Parse(plan.currency);
        var rows = (await c.QueryAsync<InstallmentRow>(
            "SELECT CAST(number AS BIGINT) AS number, amount_minor, paid_minor FROM payment_plan_installments WHERE plan_id = @id ORDER BY number",
            new { id = planId }, tx)).ToList();
        var owed = Money.FromMinor(rows.Sum(r => r.amount_minor - r.paid_minor), currency);
        if (amount > owed && !capAtOwed) return new Outcome(Result.MoreThanOwed, owed);
        var counted = amount > owed ? owed : amount;

        var left = counted.MinorUnits;
        var filled = new List<int>();
        foreach (var r in rows.Where(r => r.paid_minor < r.amount_minor))
        {
            if (left == 0) break;
            var take = Math.Min(left, r.amount_minor - r.paid_minor);
            left -= take;
            filled.Add((int)r.number);
            await c.ExecuteAsync("UPDATE payment_plan_installments SET paid_minor = paid_minor + @take WHERE plan_id = @id AND number = @n",
                new { take, id = planId, n = (int)r.number }, tx);
        }

        var stillOwed = owed - counted;
        var now = DbTime.Format(clock.GetUtcNow());
        if (stillOwed.IsZero)
            await c.ExecuteAsync("UPDATE payment_plans SET state = 'Completed', updated_at = @now WHERE plan_id = @id", new { now, id = planId }, tx);
        var what = filled.Count == 0 ? "" : $" to installment{(filled.Count > 1 ? "s" : "")} {string.Join(", ", filled)}";
        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, "collections.plan-payment", $"payment-plan:{planId}",
            $"counted {counted.ToDisplayString()}{what}{(source is null ? "" : " from " + source)}; {stillOwed.ToDisplayString()} still owed", plan.member_id));
        return new Outcome(stillOwed.IsZero ? Result.Completed : Result.Counted, stillOwed);
    }

#pragma warning disable IDE1006 // Dapper rows mirror column names.
    private sealed class PlanRow
    {
        public string member_id { get; set; } = "";
        public string currency { get; set; } = "";
        public string state { get; set; } = "";
    }

    private sealed class InstallmentRow
    {
        public long number { get; set; }
        public long amount_minor { get; set; }
        public long paid_minor { get; set; }
    }
#pragma warning restore IDE1006
}
