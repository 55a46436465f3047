using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Audit;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Payments;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Posting;

/// <summary>
/// Staff take back a payment's standing application (applied, posted, or on account) through the payment lifecycle
/// (<see cref="PaymentEvent.ReverseApplication"/>; docs/decisions/0153): one balanced entry that is the exact negation of the
/// application's final credits (dues receivable and member credit debited, unapplied cash credited), the invoice balances
/// restored, the allocations marked void by that entry, the payment back in review with the reason, and the audit event —
/// in one transaction. The iMIS side: an application still waiting in the outbox, never attempted, is cancelled; one that may
/// have reached iMIS has no API route to undo it, so the review item and the audit event say to reverse it there by hand.
/// </summary>
public static class ReverseApplication
{
    public enum Result
    {
        Reversed,
        NotFound,
        NothingToReverse,
    }

    public sealed record Outcome(Result Result, string Detail, string? ReviewItemId);

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, PaymentId paymentId, string actor, string reason)
    {
        var state = await PaymentStates.LockAsync(c, tx, paymentId);
        if (state is null) return new Outcome(Result.NotFound, $"payment {paymentId} was never received", null);
        var move = PaymentLifecycle.Next(state, PaymentEvent.ReverseApplication);
        if (move.Kind != TransitionKind.Moves) return new Outcome(Result.NothingToReverse, $"payment {paymentId}: {move.Reason}", null);
        var allocations = await ApplyPayment.StandingAllocationsAsync(c, tx, paymentId);
        if (allocations.Count == 0) return new Outcome(Result.NothingToReverse, $"payment {paymentId} has no standing application", null);
        var entries = (await c.QueryAsync<string>("SELECT DISTINCT entry_id FROM allocations WHERE payment_id = @id AND voided_by IS NULL AND entry_id IS NOT NULL",
            new { id = paymentId.Value }, tx)).ToList();

        var now = clock.GetUtcNow();
        var total = Money.Sum(allocations.Select(a => a.Amount), allocations[0].Amount.Currency);
        var generation = await c.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT voided_by) FROM allocations WHERE payment_id = @id AND voided_by IS NOT NULL", new { id = paymentId.Value }, tx);
        var lines = ApplyPayment.FinalCredits(accounts, allocations).Select(l => LedgerLine.Debit(l.Account, -l.Amount)).Append(LedgerLine.Credit(accounts.UnappliedCash, total)).ToList();
        var entry = JournalEntry.Standard(EntryId.New(clock), $"payment:{paymentId}:reverse-application:{generation + 1}", now,
            $"Application reversed by {actor}: {reason}", lines).OnBusinessDay(clock);
        var recorded = await Journal.RecordAsync(c, tx, entry);
        if (recorded != LedgerResult.Created) return new Outcome(Result.NothingToReverse, recorded.Describe(), null);

        foreach (var a in allocations.Where(a => a.InvoiceId is not null))
            await InvoiceBalances.IncreaseAsync(c, tx, a.InvoiceId!.Value, a.Amount, now);
        await c.ExecuteAsync("UPDATE allocations SET voided_by = @v WHERE payment_id = @id AND voided_by IS NULL", new { v = entry.Id.ToString(), id = paymentId.Value }, tx);
        var moved = await PaymentStates.TransitionAsync(c, tx, paymentId, state, PaymentEvent.ReverseApplication);

        // The application's iMIS write: cancelled if it never left; otherwise staff must reverse it in iMIS.
        var cancelled = 0;
        var mayBeInImis = false;
        foreach (var entryId in entries)
        {
            var key = $"imis:payment:{entryId}";
            cancelled += await c.ExecuteAsync(
                "UPDATE imis_outbox SET state = 'cancelled', last_error = @why, done_at = @now WHERE idempotency_key = @key AND state = 'pending' AND attempted_at IS NULL",
                new { key, why = $"application reversed in DuesPilot by {actor} before it was sent", now = DbTime.Format(now) }, tx);
            mayBeInImis |= await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM imis_outbox WHERE idempotency_key = @key AND state <> 'cancelled'", new { key }, tx) > 0;
        }

        var imis = mayBeInImis
            ? " The application may already be in iMIS, which has no API to undo a payment: reverse it there by hand."
            : cancelled > 0 ? " Its iMIS write had not been sent and is cancelled." : "";
        var member = allocations[0].MemberId.Value;
        var item = await OpenReviewItem.HandleAsync(c, tx, clock, new OpenReviewItem.Request(
            ReviewKinds.Payment, paymentId.Value, member, ReviewPriority.ForAmount(total) + 20, null, "review",
            $"Application reversed by {actor}: {reason}.{imis}", null, total), actor);
        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, "payment.application-reversed", $"payment:{paymentId}",
            $"reversed {total.ToDisplayString()} ({ApplyPayment.Describe(allocations)}) back to unapplied cash and sent to review: {reason}.{imis}",
            member, Inputs: reason, Before: state.Code, After: moved.To.Code));
        return new Outcome(Result.Reversed, $"reversed {total.ToDisplayString()} to unapplied cash; the payment is back in review.{imis}", item.ItemId);
    }
}
