using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections;

/// <summary>
/// Counts money received against an active plan: it fills the earliest unpaid installments first; when every
/// installment is paid the plan is completed. Applying the money to the invoices is payment application's job;
/// this only tracks the plan.
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
            var plan = await c.QuerySingleOrDefaultAsync<PlanRow>("SELECT member_id, currency, state FROM payment_plans WHERE plan_id = @id", new { id = request.PlanId }, tx);
            if (plan is null || plan.state != "Active") return new Outcome(Result.NoActivePlan, Money.Zero(request.Amount.Currency));
            var currency = Currency.Parse(plan.currency);
            var rows = (await c.QueryAsync<InstallmentRow>(
                "SELECT CAST(number AS BIGINT) AS number, amount_minor, paid_minor FROM payment_plan_installments WHERE plan_id = @id ORDER BY number",
                new { id = request.PlanId }, tx)).ToList();
            var owed = Money.FromMinor(rows.Sum(r => r.amount_minor - r.paid_minor), currency);
            if (request.Amount > owed) return new Outcome(Result.MoreThanOwed, owed);

            var left = request.Amount.MinorUnits;
            foreach (var r in rows.Where(r => r.paid_minor < r.amount_minor))
            {
                if (left == 0) break;
                var take = Math.Min(left, r.amount_minor - r.paid_minor);
                left -= take;
                await c.ExecuteAsync("UPDATE payment_plan_installments SET paid_minor = paid_minor + @take WHERE plan_id = @id AND number = @n",
                    new { take, id = request.PlanId, n = (int)r.number }, tx);
            }

            var stillOwed = owed - request.Amount;
            var now = DbTime.Format(clock.GetUtcNow());
            if (stillOwed.IsZero)
                await c.ExecuteAsync("UPDATE payment_plans SET state = 'Completed', updated_at = @now WHERE plan_id = @id", new { now, id = request.PlanId }, tx);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor, "collections.plan-payment", $"payment-plan:{request.PlanId}",
                $"counted {request.Amount.ToDisplayString()}; {stillOwed.ToDisplayString()} still owed", plan.member_id));
            return new Outcome(stillOwed.IsZero ? Result.Completed : Result.Counted, stillOwed);
        }, ct);

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
