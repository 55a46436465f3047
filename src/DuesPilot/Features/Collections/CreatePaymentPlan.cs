using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Collections;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections;

/// <summary>
/// Proposes a payment plan for a member's open invoices and, unless it is only a preview, records it. While the
/// plan is active, dunning leaves the invoices alone; a missed installment ends the plan
/// (<see cref="DetectMissedInstallments"/>) and the invoices re-enter dunning.
/// </summary>
public static class CreatePaymentPlan
{
    /// <param name="InvoiceIds">The invoices the plan covers; empty means every open invoice of the member.</param>
    /// <param name="Preview">Propose only; write nothing.</param>
    public sealed record Request(string IdempotencyKey, MemberId MemberId, IReadOnlyList<InvoiceId> InvoiceIds, DateOnly Start, PaymentPlanPolicy Policy,
        int? RequestedInstallments = null, bool Preview = false, string Actor = "duespilot");

    public enum Result
    {
        Created,
        /// <summary>Proposed only (preview); nothing written.</summary>
        Proposed,
        /// <summary>A plan with this key exists already.</summary>
        Exists,
        /// <summary>The member already has an active plan.</summary>
        AlreadyInPlan,
        /// <summary>The invoices owe nothing.</summary>
        NothingOwed,
        /// <summary>The debt cannot be split under the policy.</summary>
        DebtTooSmall,
        /// <summary>An invoice asked for is not the member's or not found.</summary>
        UnknownInvoice,
    }

    public sealed record Outcome(Result Result, string? PlanId, PaymentPlanProposal? Proposal, string Detail);

    public static Task<Outcome> HandleAsync(Store store, TimeProvider clock, Request request, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => HandleAsync(c, tx, clock, request), ct);

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, Request request)
    {
        request.Policy.Validate();
        var existing = await c.ExecuteScalarAsync<string?>("SELECT plan_id FROM payment_plans WHERE idempotency_key = @k", new { k = request.IdempotencyKey }, tx);
        if (existing is not null) return new Outcome(Result.Exists, existing, null, $"plan {existing} was created with this key");
        var active = await c.ExecuteScalarAsync<string?>("SELECT plan_id FROM payment_plans WHERE member_id = @m AND state = 'Active'", new { m = request.MemberId.Value }, tx);
        if (active is not null) return new Outcome(Result.AlreadyInPlan, active, null, $"member {request.MemberId} is already in plan {active}");

        var open = (await c.QueryAsync<InvoiceRow>(
            "SELECT invoice_id, currency, balance_minor FROM invoices WHERE member_id = @m AND balance_minor > 0 ORDER BY due_date, invoice_id",
            new { m = request.MemberId.Value }, tx)).ToList();
        var chosen = open;
        if (request.InvoiceIds.Count > 0)
        {
            var wanted = request.InvoiceIds.Select(i => i.Value).ToHashSet(StringComparer.Ordinal);
            chosen = open.Where(i => wanted.Contains(i.invoice_id)).ToList();
            var missing = wanted.Except(chosen.Select(i => i.invoice_id), StringComparer.Ordinal).ToList();
            if (missing.Count > 0) return new Outcome(Result.UnknownInvoice, null, null, "not an open invoice of this member: " + string.Join(", ", missing));
        }

        if (chosen.Count == 0) return new Outcome(Result.NothingOwed, null, null, $"member {request.MemberId} has no open invoices");
        var currency = Currency.Parse(chosen[0].currency);
        if (chosen.Any(i => i.currency != currency.Code)) throw new CurrencyMismatchException(currency, Currency.Parse(chosen.First(i => i.currency != currency.Code).currency));
        var debt = Money.FromMinor(chosen.Sum(i => i.balance_minor), currency);
        var proposal = PaymentPlanProposal.Propose(debt, request.Start, request.Policy, request.RequestedInstallments);
        if (proposal.Result == PlanProposalResult.DebtTooSmall) return new Outcome(Result.DebtTooSmall, null, proposal, proposal.Explanation);
        if (proposal.Result == PlanProposalResult.NothingOwed) return new Outcome(Result.NothingOwed, null, proposal, proposal.Explanation);
        if (request.Preview) return new Outcome(Result.Proposed, null, proposal, proposal.Explanation);

        var now = clock.GetUtcNow();
        var planId = Guid.CreateVersion7(now).ToString("D");
        await c.ExecuteAsync(
            """
            INSERT INTO payment_plans (plan_id, idempotency_key, member_id, currency, total_minor, state, grace_days, explanation, created_at, updated_at)
            VALUES (@planId, @key, @member, @currency, @total, 'Active', @grace, @explanation, @at, @at)
            """,
            new { planId, key = request.IdempotencyKey, member = request.MemberId.Value, currency = currency.Code, total = debt.MinorUnits, grace = request.Policy.GraceDays, explanation = proposal.Explanation, at = DbTime.Format(now) }, tx);
        foreach (var invoice in chosen)
            await c.ExecuteAsync("INSERT INTO payment_plan_invoices (plan_id, invoice_id) VALUES (@planId, @invoice)", new { planId, invoice = invoice.invoice_id }, tx);
        foreach (var i in proposal.Installments)
        {
            await c.ExecuteAsync(
                "INSERT INTO payment_plan_installments (plan_id, number, due_date, currency, amount_minor, paid_minor) VALUES (@planId, @n, @due, @currency, @amount, 0)",
                new { planId, n = i.Number, due = DbTime.Format(i.DueDate), currency = currency.Code, amount = i.Amount.MinorUnits }, tx);
        }

        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor, "collections.plan-created", $"payment-plan:{planId}", proposal.Explanation,
            request.MemberId.Value, Inputs: "invoices " + string.Join(", ", chosen.Select(i => i.invoice_id)), RuleVersion: "payment-plan/1"));
        return new Outcome(Result.Created, planId, proposal, proposal.Explanation);
    }

#pragma warning disable IDE1006 // Dapper rows mirror column names.
    private sealed class InvoiceRow
    {
        public string invoice_id { get; set; } = "";
        public string currency { get; set; } = "";
        public long balance_minor { get; set; }
    }
#pragma warning restore IDE1006
}
