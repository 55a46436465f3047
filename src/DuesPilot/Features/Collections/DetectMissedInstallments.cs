using Dapper;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections;

/// <summary>
/// Ends every active plan with an installment still unpaid after its due date plus the plan's grace days:
/// the plan becomes <c>Defaulted</c>, so its invoices re-enter dunning in a new cycle (see <c>RunDunning</c>).
/// Installments paid by real payments are credited when the payment posts (<see cref="CreditPlanInstallments"/>); money still
/// in its hold window on the plan's invoices counts as paid here, so a payment made on time is never a default.
/// Bounded per run; running it twice changes nothing more.
/// </summary>
public static class DetectMissedInstallments
{
    public sealed record Defaulted(string PlanId, string MemberId, int Installment, DateOnly DueDate);

    /// <param name="dryRun">Say which plans would default on the clock's day, changing nothing.</param>
    public static Task<IReadOnlyList<Defaulted>> HandleAsync(Store store, TimeProvider clock, int limit = 1000, bool dryRun = false, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<Defaulted>>(async (c, tx) =>
        {
            var today = Domain.BusinessClock.Of(clock).Today;
            var candidates = await c.QueryAsync<Row>(
                """
                SELECT p.plan_id, p.member_id, CAST(p.grace_days AS BIGINT) AS grace_days, CAST(i.number AS BIGINT) AS number, i.due_date
                FROM payment_plans p JOIN payment_plan_installments i ON i.plan_id = p.plan_id
                WHERE p.state = 'Active' AND i.paid_minor < i.amount_minor AND i.due_date < @today
                ORDER BY p.plan_id, i.number
                """, new { today = DbTime.Format(today) }, tx);
            var result = new List<Defaulted>();
            // Money applied to the plan's invoices and still in its hold window counts: it is on its way, not missing.
            var open = (await OpenPaymentPlans.LoadAsync(c, tx)).ToDictionary(p => p.PlanId, StringComparer.Ordinal);
            foreach (var plan in candidates.GroupBy(r => r.plan_id))
            {
                var covered = open.TryGetValue(plan.Key, out var progress)
                    ? progress.Installments.Where(i => !i.Outstanding.IsPositive).Select(i => i.Number).ToHashSet()
                    : new HashSet<int>();
                var missed = plan.FirstOrDefault(r => !covered.Contains((int)r.number) && DbTime.ParseDate(r.due_date).AddDays((int)r.grace_days) < today);
                if (missed is null) continue;
                var d = new Defaulted(missed.plan_id, missed.member_id, (int)missed.number, DbTime.ParseDate(missed.due_date));
                if (dryRun)
                {
                    result.Add(d);
                    if (result.Count >= limit) break;
                    continue;
                }

                await c.ExecuteAsync("UPDATE payment_plans SET state = 'Defaulted', updated_at = @now WHERE plan_id = @id AND state = 'Active'",
                    new { now = DbTime.Format(clock.GetUtcNow()), id = missed.plan_id }, tx);
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", "collections.plan-defaulted", $"payment-plan:{d.PlanId}",
                    $"installment {d.Installment} due {d.DueDate:yyyy-MM-dd} unpaid after {missed.grace_days} grace days; invoices re-enter dunning", d.MemberId));
                result.Add(d);
                if (result.Count >= limit) break;
            }

            return result;
        }, ct);

#pragma warning disable IDE1006 // Dapper rows mirror column names.
    private sealed class Row
    {
        public string plan_id { get; set; } = "";
        public string member_id { get; set; } = "";
        public long grace_days { get; set; }
        public long number { get; set; }
        public string due_date { get; set; } = "";
    }
#pragma warning restore IDE1006
}
