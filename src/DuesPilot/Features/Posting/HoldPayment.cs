using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Posting;

/// <summary>
/// Receives a payment and applies it automatically in one unit of work: the receipt, then a pending
/// entry in <c>GL_AI_Hold</c> until the hold window ends. A composition of <see cref="ReceivePayment"/>
/// and <see cref="ApplyPayment"/> in <see cref="ApplyPayment.Mode.Hold"/>, for callers that have both at hand.
/// </summary>
public static class HoldPayment
{
    public sealed record Request(Payment Payment, IReadOnlyList<Allocation> Allocations, TimeSpan HoldWindow, string Source, string Reason);

    /// <summary><see cref="LedgerResult.Created"/> when held now, <see cref="LedgerResult.Exists"/> when it was held before.</summary>
    public sealed record Outcome(LedgerResult Result, EntryId PendingEntryId, DateTimeOffset ReleaseAt);

    public static Task<Outcome> HandleAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, PostingOptions options, Request request, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            await ReceivePayment.HandleAsync(c, tx, clock, accounts, request.Payment, request.Source);
            var applied = await ApplyPayment.HandleAsync(c, tx, clock, accounts, options, new ApplyPayment.Request(
                request.Payment.Id, request.Allocations, ApplyPayment.Mode.Hold, request.HoldWindow, "duespilot", request.Reason));
            if (applied.Result == ApplyPayment.Result.Held) return new Outcome(LedgerResult.Created, applied.EntryId!.Value, applied.ReleaseAt!.Value);
            var existing = await Ledger.Journal.FindByKeyAsync(c, tx, $"payment:{request.Payment.Id}:hold");
            if (applied.Result == ApplyPayment.Result.AlreadyApplied && existing is not null)
                return new Outcome(LedgerResult.Exists, existing.Id, existing.ReleaseAt!.Value);
            throw new LedgerRuleException($"Payment {request.Payment.Id} could not be held: {applied.Detail}");
        }, ct);
}
