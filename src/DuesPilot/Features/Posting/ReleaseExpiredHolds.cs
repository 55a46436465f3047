using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Payments;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Posting;

/// <summary>
/// Posts every hold whose window has ended to its final accounts: dues receivable for the invoice
/// allocations, member credit for money kept on account. Bounded per run; idempotent because each
/// hold resolves once (the store's unique resolution key), so a crash and rerun posts nothing twice.
/// </summary>
public static class ReleaseExpiredHolds
{
    public sealed record Outcome(int Posted, int AlreadyResolved, Money TotalPosted);

    public static async Task<Outcome> HandleAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, PostingOptions options, bool dryRun = false, CancellationToken ct = default)
    {
        var journal = new Journal(store);
        var due = await journal.OpenHoldsAsync(clock.GetUtcNow(), options.ReleaseBatchSize, ct);
        var posted = 0;
        var already = 0;
        var total = Money.Zero(due.Count > 0 ? due[0].Currency : Currency.USD);
        foreach (var hold in due)
        {
            if (dryRun)
            {
                posted++;
                total += hold.HeldAmount;
                continue;
            }

            var result = await store.InTransactionAsync((c, tx) => PostAsync(c, tx, clock, accounts, options, hold), ct);
            if (result == LedgerResult.Created)
            {
                posted++;
                total += hold.HeldAmount;
            }
            else
            {
                already++;
            }
        }

        return new Outcome(posted, already, total);
    }

    private static async Task<LedgerResult> PostAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, PostingOptions options, JournalEntry hold)
    {
        var paymentId = await c.ExecuteScalarAsync<string?>("SELECT payment_id FROM allocations WHERE entry_id = @id LIMIT 1", new { id = hold.Id.ToString() }, tx);
        var state = paymentId is null ? null : await PaymentStates.LockAsync(c, tx, new PaymentId(paymentId));
        var allocations = paymentId is null ? [] : await ApplyPayment.StandingAllocationsAsync(c, tx, new PaymentId(paymentId));
        var credits = allocations.Count == 0
            ? [LedgerLine.Credit(accounts.UnappliedCash, hold.HeldAmount)]
            : ApplyPayment.FinalCredits(accounts, allocations).ToList();
        var post = JournalEntry.Post(EntryId.New(clock), hold.IdempotencyKey + ":post", hold, clock.GetUtcNow(), "Hold window ended", credits).OnBusinessDay(clock);
        var r = await Journal.RecordAsync(c, tx, post);
        if (r != LedgerResult.Created) return r;
        Hosting.DuesPilotMetrics.HoldsPosted.Add(1);

        if (paymentId is not null)
        {
            // A hold that kept all the money as credit ends on account; one that paid invoices ends posted.
            var onlyCredit = allocations.All(a => a.InvoiceId is null);
            var moved = await PaymentStates.TransitionAsync(c, tx, new PaymentId(paymentId), state!, onlyCredit ? PaymentEvent.PutOnAccount : PaymentEvent.Post);
            if (!moved.IsAllowed) throw new PaymentStateConflictException($"hold {hold.Id} of payment {paymentId} is due but the payment is {state!.Code}: {moved.Reason}");
            // Money that reached a payment plan's invoices now counts against the plan's installments.
            if (!onlyCredit) await Collections.CreditPlanInstallments.HandleAsync(c, tx, clock, new PaymentId(paymentId));
            var payment = await ReceivePayment.FindAsync(c, tx, new PaymentId(paymentId));
            if (payment is not null && allocations.Count > 0 && options.WriteToImis == ImisWriteTiming.AfterWindow)
                await ApplyPayment.EnqueueImisWriteAsync(c, tx, clock, payment, allocations, accounts.DuesReceivable, hold.Id);
        }

        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", "hold.posted", paymentId is null ? $"entry:{hold.Id}" : $"payment:{paymentId}",
            $"hold window ended; posted {hold.HeldAmount.ToDisplayString()} from GL_AI_Hold to final accounts",
            allocations.FirstOrDefault()?.MemberId.Value));
        return r;
    }
}
