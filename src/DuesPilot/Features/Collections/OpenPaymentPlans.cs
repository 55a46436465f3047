using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections;

/// <summary>One installment of an open plan: what it asks, what posting has credited, and money held on its way.</summary>
/// <param name="Paid">Credited from posted payments (<see cref="CreditPlanInstallments"/>) or counted by hand.</param>
/// <param name="Pending">Money applied to the plan's invoices since the plan began that is still in its hold window: it
/// posts (and is credited) unless staff override it, so it is not yet credited but not missing either.</param>
public sealed record OpenInstallment(int Number, DateOnly DueDate, Money Amount, Money Paid, Money Pending)
{
    public Money Outstanding => Amount - Paid - Pending;
}

/// <summary>An active payment plan as the matcher and the stop rules see it.</summary>
public sealed record OpenPlan(string PlanId, string IdempotencyKey, MemberId MemberId, Currency Currency, DateTimeOffset CreatedAt,
    IReadOnlyList<InvoiceId> Invoices, IReadOnlyList<OpenInstallment> Installments)
{
    /// <summary>What the plan still asks for after credits and held money.</summary>
    public Money Remaining => Money.Sum(Installments.Select(i => i.Outstanding), Currency);

    /// <summary>The earliest installment not yet covered, or null when everything is paid or on its way.</summary>
    public OpenInstallment? Next => Installments.FirstOrDefault(i => i.Outstanding.IsPositive);
}

/// <summary>Reads the active payment plans with their progress: credited money and held money spread over installments earliest first.</summary>
public static class OpenPaymentPlans
{
    public static async Task<IReadOnlyList<OpenPlan>> LoadAsync(DbConnection c, DbTransaction? tx)
    {
        var plans = (await c.QueryAsync<PlanRow>(
            "SELECT plan_id, idempotency_key, member_id, currency, created_at FROM payment_plans WHERE state = 'Active' ORDER BY plan_id", transaction: tx)).ToList();
        if (plans.Count == 0) return [];
        var invoices = (await c.QueryAsync<(string Plan, string Invoice)>(
            """
            SELECT pi.plan_id, pi.invoice_id FROM payment_plan_invoices pi JOIN payment_plans p ON p.plan_id = pi.plan_id
            LEFT JOIN invoices inv ON inv.invoice_id = pi.invoice_id
            WHERE p.state = 'Active' ORDER BY pi.plan_id, inv.due_date, pi.invoice_id
            """,
            transaction: tx)).ToLookup(r => r.Plan, r => new InvoiceId(r.Invoice), StringComparer.Ordinal);
        var installments = (await c.QueryAsync<InstallmentRow>(
            """
            SELECT i.plan_id, CAST(i.number AS BIGINT) AS number, i.due_date, i.amount_minor, i.paid_minor
            FROM payment_plan_installments i JOIN payment_plans p ON p.plan_id = i.plan_id
            WHERE p.state = 'Active' ORDER BY i.plan_id, i.number
            """, transaction: tx)).ToLookup(r => r.plan_id, StringComparer.Ordinal);
        // Held applications to a plan's invoices made after the plan began and not yet credited to it.
        var held = (await c.QueryAsync<(string Plan, long Amount)>(
            """
            SELECT pi.plan_id, SUM(a.amount_minor)
            FROM allocations a
            JOIN payments pay ON pay.payment_id = a.payment_id
            JOIN payment_plan_invoices pi ON pi.invoice_id = a.invoice_id
            JOIN payment_plans p ON p.plan_id = pi.plan_id
            WHERE p.state = 'Active' AND a.voided_by IS NULL AND pay.state = 'held' AND a.created_at >= p.created_at
              AND NOT EXISTS (SELECT 1 FROM payment_plan_credits cr WHERE cr.plan_id = p.plan_id AND cr.payment_id = a.payment_id)
            GROUP BY pi.plan_id
            """, transaction: tx)).ToDictionary(r => r.Plan, r => r.Amount, StringComparer.Ordinal);

        return plans.Select(p =>
        {
            var currency = Currency.Parse(p.currency);
            var pending = held.GetValueOrDefault(p.plan_id);
            var list = new List<OpenInstallment>();
            foreach (var r in installments[p.plan_id])
            {
                var open = r.amount_minor - r.paid_minor;
                var take = Math.Min(open, pending);
                pending -= take;
                list.Add(new OpenInstallment((int)r.number, DbTime.ParseDate(r.due_date), Money.FromMinor(r.amount_minor, currency),
                    Money.FromMinor(r.paid_minor, currency), Money.FromMinor(take, currency)));
            }

            return new OpenPlan(p.plan_id, p.idempotency_key, new MemberId(p.member_id), currency, DbTime.ParseInstant(p.created_at), invoices[p.plan_id].ToList(), list);
        }).ToList();
    }

#pragma warning disable IDE1006 // Dapper rows mirror column names.
    private sealed class PlanRow
    {
        public string plan_id { get; set; } = "";
        public string idempotency_key { get; set; } = "";
        public string member_id { get; set; } = "";
        public string currency { get; set; } = "";
        public string created_at { get; set; } = "";
    }

    private sealed class InstallmentRow
    {
        public string plan_id { get; set; } = "";
        public long number { get; set; }
        public string due_date { get; set; } = "";
        public long amount_minor { get; set; }
        public long paid_minor { get; set; }
    }
#pragma warning restore IDE1006
}
