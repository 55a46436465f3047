using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Payments;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Posting;

/// <summary>
/// A staff override inside the hold window: voids the pending entry (the money returns to unapplied
/// cash), restores the invoice balances, and sends the payment to the review queue with the reason.
/// </summary>
public static class OverrideHold
{
    public enum Result
    {
        Voided,
        NoOpenHold,
        AlreadyPosted,
    }

    public sealed record Outcome(Result Result, string Detail, string? ReviewItemId);

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, PostingOptions options, PaymentId paymentId, string actor, string reason)
    {
        var state = await PaymentStates.LockAsync(c, tx, paymentId);
        if (state is null) return new Outcome(Result.NoOpenHold, $"payment {paymentId} was never received", null);
        if (state != PaymentState.Held)
            return new Outcome(state == PaymentState.Posted || state == PaymentState.OnAccount ? Result.AlreadyPosted : Result.NoOpenHold, $"payment {paymentId} is {state.Code}: {PaymentLifecycle.Next(state, PaymentEvent.Override).Reason}", null);
        var entryId = await c.ExecuteScalarAsync<string?>(
            "SELECT entry_id FROM allocations WHERE payment_id = @id AND voided_by IS NULL AND mode = 'hold' LIMIT 1", new { id = paymentId.Value }, tx);
        if (entryId is null) return new Outcome(Result.NoOpenHold, $"payment {paymentId} has no hold to override", null);
        var pending = await Journal.FindAsync(c, tx, EntryId.Parse(entryId));
        if (pending is null || pending.Kind != EntryKind.Pending) return new Outcome(Result.NoOpenHold, "the hold entry is missing", null);
        var resolution = await Journal.FindResolutionAsync(c, tx, pending.Id);
        if (resolution is not null)
            return new Outcome(Result.AlreadyPosted, resolution.Kind == EntryKind.Post ? "the hold window had ended and the payment was posted" : "the hold was already voided", null);

        var now = clock.GetUtcNow();
        var voidEntry = JournalEntry.Void(EntryId.New(clock), pending.IdempotencyKey + ":void", pending, now, $"Override by {actor}: {reason}").OnBusinessDay(clock);
        var recorded = await Journal.RecordAsync(c, tx, voidEntry);
        if (recorded != LedgerResult.Created) return new Outcome(Result.AlreadyPosted, recorded.Describe(), null);

        var allocations = await ApplyPayment.StandingAllocationsAsync(c, tx, paymentId);
        foreach (var a in allocations.Where(a => a.InvoiceId is not null))
        {
            await InvoiceBalances.IncreaseAsync(c, tx, a.InvoiceId!.Value, a.Amount, now);
        }

        await c.ExecuteAsync("UPDATE allocations SET voided_by = @v WHERE payment_id = @id AND voided_by IS NULL",
            new { v = voidEntry.Id.ToString(), id = paymentId.Value }, tx);
        var moved = await PaymentStates.TransitionAsync(c, tx, paymentId, state, PaymentEvent.Override);

        var imisNote = options.WriteToImis == ImisWriteTiming.AtHold
            ? " The payment was already written to iMIS against GL_AI_Hold: reverse it there before re-applying."
            : "";
        var item = await OpenReviewItem.HandleAsync(c, tx, clock, new OpenReviewItem.Request(
            ReviewKinds.Payment, paymentId.Value, allocations.FirstOrDefault()?.MemberId.Value,
            Priority: ReviewPriority.ForAmount(pending.HeldAmount) + 50,
            Confidence: null,
            SuggestedAction: "review",
            Reason: $"Auto-application overridden by {actor}: {reason}.{imisNote}",
            Analysis: null,
            Amount: pending.HeldAmount), actor);
        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, "hold.overridden", $"payment:{paymentId}",
            $"voided hold of {pending.HeldAmount.ToDisplayString()} and sent to review: {reason}",
            allocations.FirstOrDefault()?.MemberId.Value, Before: ApplyPayment.Describe(allocations), After: moved.To.Code));
        Hosting.DuesPilotMetrics.HoldsVoided.Add(1);
        return new Outcome(Result.Voided, $"voided {pending.HeldAmount.ToDisplayString()}", item.ItemId);
    }
}
