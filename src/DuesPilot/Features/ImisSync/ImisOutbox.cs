using System.Data.Common;
using System.Text.Json;
using Dapper;
using DuesPilot.Persistence;

namespace DuesPilot.Features.ImisSync;

/// <summary>What DuesPilot asks iMIS to do; each kind has its own payload record.</summary>
public static class ImisWriteKinds
{
    /// <summary>Apply a payment to invoice(s) through ComboOrder (payload <see cref="PaymentWrite"/>).</summary>
    public const string ApplyPayment = "apply-payment";
    /// <summary>A row in the AI_Review_Queue custom object (payload <see cref="ReviewQueueRow"/>).</summary>
    public const string ReviewQueueRow = "review-queue-row";
    /// <summary>A row in the AI_Audit_Log custom object plus a note on the member (payload <see cref="AuditLogRow"/>).</summary>
    public const string AuditLogRow = "audit-log-row";
    /// <summary>Bring a flagged invoice to the amount it should be billed (payload <see cref="InvoiceCorrectionWrite"/>; docs/decisions/0151).</summary>
    public const string InvoiceCorrection = "invoice-correction";
    /// <summary>Void what a flagged invoice still owes (payload <see cref="InvoiceVoidWrite"/>; docs/decisions/0151).</summary>
    public const string InvoiceVoid = "invoice-void";
}

public sealed record PaymentWriteLine(string InvoiceId, long AmountMinor);

/// <summary>A payment to write to iMIS: the invoices it pays, the payer, the reference and the GL account the money sits in.</summary>
public sealed record PaymentWrite(string PaymentId, string PayerMemberId, string Currency, long AmountMinor, string Method, string Reference, string GlAccount, IReadOnlyList<PaymentWriteLine> Invoices, long CreditOnAccountMinor);

/// <param name="Currency">The proposed amount's currency (ISO code); rows queued before it was recorded have none and were queued in USD, the only currency written then.</param>
public sealed record ReviewQueueRow(string ItemId, string MemberId, string? InvoiceId, long? ProposedAmountMinor, bool NeedsHumanReview, string Notes, string State, string? Currency = null);

/// <summary>A correction staff chose on an invoice review item: the amount the invoice should be billed and why (sent as the adjustment reason).</summary>
public sealed record InvoiceCorrectionWrite(string ItemId, string InvoiceId, string MemberId, string Currency, long ExpectedMinor, string Reason, string Actor);

/// <summary>A void staff chose on an invoice review item, with the reason and the adjustment date.</summary>
public sealed record InvoiceVoidWrite(string ItemId, string InvoiceId, string MemberId, string Reason, string AdjustmentDate, string Actor);

public sealed record AuditLogRow(long Seq, string MemberId, string Action, string Actor, string Outcome, string Hash);

/// <summary>
/// Writes to iMIS are queued here in the same transaction as the ledger change that caused them, and a
/// job sends them with the idempotent client. If iMIS is down nothing is lost: the row waits, with its
/// attempts and last error visible, and is retried with backoff. Each write has an idempotency key, so
/// queuing it twice queues it once.
/// </summary>
public static class ImisOutbox
{
    /// <summary>Send order: payment applications (0) before review-queue and audit rows (1); creation order within a priority.</summary>
    public static int PriorityOf(string kind) => kind == ImisWriteKinds.ApplyPayment ? 0 : 1;

    public static async Task<bool> EnqueueAsync<T>(DbConnection c, DbTransaction tx, TimeProvider clock, string kind, string idempotencyKey, T payload)
    {
        var now = DbTime.Format(clock.GetUtcNow());
        var inserted = await c.ExecuteAsync(
            """
            INSERT INTO imis_outbox (outbox_id, kind, idempotency_key, payload, state, attempts, created_at, next_attempt_at, priority)
            VALUES (@id, @kind, @key, @payload, 'pending', 0, @now, @now, @priority)
            ON CONFLICT (idempotency_key) DO NOTHING
            """,
            new { id = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D"), kind, key = idempotencyKey, payload = JsonSerializer.Serialize(payload), now, priority = PriorityOf(kind) }, tx);
        return inserted == 1;
    }
}
