using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections;

/// <summary>
/// Posting's step for payment plans: when a payment's application to invoices becomes final (the hold window ended, or
/// staff applied it directly), the money that went to invoices of an active plan, applied after the plan began, is
/// credited to the plan's installments, earliest unpaid first. Once per plan and payment (<c>payment_plan_credits</c>),
/// so a rerun credits nothing twice. Without this a member who pays installments on time would still be defaulted
/// after the grace period and sent the final notice.
/// </summary>
public static class CreditPlanInstallments
{
    public sealed record Credit(string PlanId, Money Amount, RecordInstallmentPayment.Result Result, Money StillOwed);

    public static async Task<IReadOnlyList<Credit>> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, PaymentId paymentId, string actor = "duespilot")
    {
        var rows = (await c.QueryAsync<(string Plan, string Currency, long Amount)>(
            """
            SELECT p.plan_id, a.currency, SUM(a.amount_minor)
            FROM allocations a
            JOIN payment_plan_invoices pi ON pi.invoice_id = a.invoice_id
            JOIN payment_plans p ON p.plan_id = pi.plan_id
            WHERE a.payment_id = @id AND a.voided_by IS NULL AND p.state = 'Active' AND a.created_at >= p.created_at AND a.currency = p.currency
            GROUP BY p.plan_id, a.currency
            ORDER BY p.plan_id
            """, new { id = paymentId.Value }, tx)).ToList();
        var credits = new List<Credit>();
        foreach (var (plan, currency, amount) in rows)
        {
            if (amount <= 0) continue;
            var money = Money.FromMinor(amount, Currency.Parse(currency));
            var inserted = await c.ExecuteAsync(
                """
                INSERT INTO payment_plan_credits (plan_id, payment_id, currency, amount_minor, credited_at)
                SELECT @plan, @payment, @currency, @amount, @at
                WHERE NOT EXISTS (SELECT 1 FROM payment_plan_credits WHERE plan_id = @plan AND payment_id = @payment)
                """, new { plan, payment = paymentId.Value, currency, amount, at = DbTime.Format(clock.GetUtcNow()) }, tx);
            if (inserted == 0) continue;
            var counted = await RecordInstallmentPayment.CountAsync(c, tx, clock, plan, money, actor, capAtOwed: true, source: $"payment {paymentId}");
            credits.Add(new Credit(plan, money, counted.Result, counted.StillOwed));
        }

        return credits;
    }
}
