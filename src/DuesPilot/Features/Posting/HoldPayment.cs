using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Ledger;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Posting;

/// <summary>
/// Books an auto-applied payment: the receipt (cash → unapplied cash), then a pending entry that moves
/// it into <c>GL_AI_Hold</c> until the hold window ends, with the allocations it will post to.
/// </summary>
public static class HoldPayment
{
    public sealed record Request(Payment Payment, IReadOnlyList<Allocation> Allocations, TimeSpan HoldWindow, string Source, string Reason);

    /// <summary>The outcome: <see cref="LedgerResult.Created"/> when held now, <see cref="LedgerResult.Exists"/> when it was held before.</summary>
    public sealed record Outcome(LedgerResult Result, EntryId PendingEntryId, DateTimeOffset ReleaseAt);

    public static Task<Outcome> HandleAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, Request request, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => HandleAsync(c, tx, clock, accounts, request), ct);

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, Request request)
    {
        var payment = request.Payment;
        Allocation.RequireCovers(payment, request.Allocations);
        var now = clock.GetUtcNow();
        var key = $"payment:{payment.Id}";

        await RecordPaymentAsync(c, tx, payment, request.Source, "held", now);
        var receipt = JournalEntry.Standard(EntryId.New(clock), key + ":receipt", now, $"Payment {payment.Id} received",
            [LedgerLine.Debit(accounts.Cash, payment.Amount), LedgerLine.Credit(accounts.UnappliedCash, payment.Amount)]);
        var receiptResult = await Journal.RecordAsync(c, tx, receipt);
        if (!receiptResult.IsRecorded()) throw new LedgerRuleException($"Receipt for {payment.Id}: {receiptResult.Describe()}");

        // A retry of the same payment finds its hold, whatever the clock says now: the release time was
        // fixed when the payment was first held and is part of the hold's payload.
        var existing = await c.QuerySingleOrDefaultAsync<(string Id, string Release)?>(
            "SELECT entry_id, release_at FROM journal_entries WHERE idempotency_key = @k", new { k = key + ":hold" }, tx);
        if (existing is { } found)
            return new Outcome(LedgerResult.Exists, EntryId.Parse(found.Id), DbTime.ParseInstant(found.Release));

        var releaseAt = now + request.HoldWindow;
        var pending = JournalEntry.Pending(EntryId.New(clock), key + ":hold", now, releaseAt, request.Reason,
            [LedgerLine.Debit(accounts.UnappliedCash, payment.Amount), LedgerLine.Credit(accounts.Hold, payment.Amount)]);
        var result = await Journal.RecordAsync(c, tx, pending);

        if (result != LedgerResult.Created) return new Outcome(result, pending.Id, releaseAt);

        foreach (var allocation in request.Allocations)
        {
            await c.ExecuteAsync(
                """
                INSERT INTO allocations (allocation_id, payment_id, member_id, invoice_id, currency, amount_minor, entry_id, created_at)
                VALUES (@id, @payment, @member, @invoice, @currency, @amount, @entry, @at)
                """,
                new
                {
                    id = Guid.CreateVersion7(now).ToString("D"),
                    payment = payment.Id.Value,
                    member = allocation.MemberId.Value,
                    invoice = allocation.InvoiceId?.Value,
                    currency = allocation.Amount.Currency.Code,
                    amount = allocation.Amount.MinorUnits,
                    entry = pending.Id.ToString(),
                    at = DbTime.Format(now),
                }, tx);
            if (allocation.InvoiceId is { } invoice)
            {
                await c.ExecuteAsync("UPDATE invoices SET balance_minor = balance_minor - @amount, updated_at = @at WHERE invoice_id = @invoice",
                    new { amount = allocation.Amount.MinorUnits, at = DbTime.Format(now), invoice = invoice.Value }, tx);
            }
        }

        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", "payment.held", $"payment:{payment.Id}",
            $"held {payment.Amount.ToDisplayString()} in GL_AI_Hold until {DbTime.Format(releaseAt)}",
            request.Allocations[0].MemberId.Value, Inputs: request.Reason));
        return new Outcome(result, pending.Id, releaseAt);
    }

    /// <summary>Writes the payment row once; a second call for the same payment id changes nothing.</summary>
    public static Task RecordPaymentAsync(DbConnection c, DbTransaction tx, Payment payment, string source, string state, DateTimeOffset now) =>
        c.ExecuteAsync(
            """
            INSERT INTO payments (payment_id, channel, currency, amount_minor, received_at, payer_name, payer_email, reference, memo, source, state, created_at)
            VALUES (@id, @channel, @currency, @amount, @received, @name, @email, @reference, @memo, @source, @state, @now)
            ON CONFLICT (payment_id) DO NOTHING
            """,
            new
            {
                id = payment.Id.Value,
                channel = Payment.ChannelCode(payment.Channel),
                currency = payment.Amount.Currency.Code,
                amount = payment.Amount.MinorUnits,
                received = DbTime.Format(payment.ReceivedAt),
                name = payment.PayerName,
                email = payment.PayerEmail,
                reference = payment.Reference,
                memo = payment.Memo,
                source,
                state,
                now = DbTime.Format(now),
            }, tx);
}
