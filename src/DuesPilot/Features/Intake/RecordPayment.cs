using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Intake;

/// <summary>A payment as intake normalises it from any channel, before matching.</summary>
/// <param name="PaymentId">Chosen from the channel's own id (<c>stripe:pi_…</c>, <c>anet:4000…</c>, <c>nacha:sha256:…:L12</c>), so a second sighting of the same money is the same row.</param>
/// <param name="References">Every id the payment is known by, so refunds, disputes and returns find it.</param>
/// <param name="SourcePosition">Where it was read: gateway event id, or file hash + line.</param>
public sealed record IncomingPayment(
    string PaymentId,
    PaymentChannel Channel,
    Money Amount,
    DateTimeOffset ReceivedAt,
    DateOnly? ValueDate,
    string? PayerName,
    string? PayerEmail,
    string? Reference,
    string? Memo,
    string Source,
    string SourcePosition,
    string InboxItemId,
    IReadOnlyList<string?> References)
{
    /// <summary>Why staff must decide this payment whatever matching finds (e.g. its file's totals did not reconcile); null normally.</summary>
    public string? ReviewRequired { get; init; }
}

/// <summary>Writes a received payment once (its id is its idempotency key) with its references and an audit row.</summary>
public static class RecordPayment
{
    public const string Received = "received";

    /// <returns>True when the payment is new; false when it was already recorded (the other event of the pair, a redelivery).</returns>
    public static async Task<bool> RunAsync(DbConnection c, DbTransaction tx, TimeProvider clock, IncomingPayment p, Posting.ChartOfAccounts accounts)
    {
        var now = DbTime.Format(clock.GetUtcNow());
        var created = await c.ExecuteAsync(
            """
            INSERT INTO payments (payment_id, channel, currency, amount_minor, received_at, payer_name, payer_email, reference, memo, source, inbox_item_id, state, created_at, value_date, source_position, review_required)
            VALUES (@PaymentId, @channel, @currency, @amount, @received, @PayerName, @PayerEmail, @Reference, @Memo, @Source, @InboxItemId, 'received', @now, @valueDate, @SourcePosition, @ReviewRequired)
            ON CONFLICT (payment_id) DO NOTHING
            """,
            new
            {
                p.PaymentId, channel = Payment.ChannelCode(p.Channel), currency = p.Amount.Currency.Code, amount = p.Amount.MinorUnits,
                received = DbTime.Format(p.ReceivedAt), p.PayerName, p.PayerEmail, p.Reference, p.Memo, p.Source, p.InboxItemId, now,
                valueDate = DbTime.Format(p.ValueDate), p.SourcePosition, p.ReviewRequired,
            },
            tx) == 1;
        if (!created)
        {
            // The other event of the pair (intent vs charge) may know the payer when the first did not:
            // fill in what is missing, never overwrite. Amount and state are untouched.
            await c.ExecuteAsync(
                "UPDATE payments SET payer_name = COALESCE(payer_name, @PayerName), payer_email = COALESCE(payer_email, @PayerEmail) WHERE payment_id = @PaymentId AND (payer_name IS NULL OR payer_email IS NULL)",
                new { p.PayerName, p.PayerEmail, p.PaymentId }, tx);
        }

        foreach (var reference in p.References.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r!).Distinct(StringComparer.Ordinal))
        {
            await c.ExecuteAsync("INSERT INTO payment_references (reference, payment_id) VALUES (@reference, @id) ON CONFLICT DO NOTHING", new { reference, id = p.PaymentId }, tx);
        }

        if (created)
        {
            // The receipt: Dr cash, Cr unapplied cash. Every later step moves money out of unapplied cash.
            await Posting.ReceivePayment.BookReceiptAsync(c, tx, clock, accounts, new PaymentId(p.PaymentId), p.Amount, p.Source);
        }

        if (created)
        {
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", "payment.received", $"payment:{p.PaymentId}", Received,
                Inputs: $"{p.Source} {p.SourcePosition}", After: $"{p.Amount} from {p.PayerName ?? "(no name)"}"));
        }

        return created;
    }
}

/// <summary>What happened to a payment after it was received.</summary>
public enum PaymentEventKind
{
    Refund,
    Dispute,
    Failure,
    AchReturn,
    ChangeNotice,
    Void,
    FraudFlag,
    InvoicePaid,
}

/// <summary>A reversal or flag to record against the payment it concerns.</summary>
/// <param name="References">Ids that may name the original payment (charge id, payment intent, original trace…).</param>
/// <param name="Transition">What the event does to the payment in its lifecycle, or null for a flag that does not change it.</param>
public sealed record PaymentEventRequest(
    PaymentEventKind Kind,
    IReadOnlyList<string?> References,
    Money? Amount,
    string? Reason,
    string? Reference,
    string InboxItemId,
    PaymentEvent? Transition);

public enum PaymentEventOutcome
{
    /// <summary>Recorded against the payment (state moved, audit row; a review item when money had been applied).</summary>
    Recorded,

    /// <summary>Recorded, and the payment had allocations, so a review item asks staff to undo them.</summary>
    RecordedForReview,

    /// <summary>No payment carries any of the references.</summary>
    OriginalNotFound,

    /// <summary>This inbox item had already recorded this event.</summary>
    AlreadyRecorded,

    /// <summary>Kept, but the payment's state does not allow it (a second return, a refund of returned money): no money moved, a review item says why.</summary>
    RefusedByState,
}

/// <summary>
/// Records a refund, dispute, failure or ACH return against the original payment: a new event row,
/// the payment's state moved forward, an audit row, and — when the payment had already been applied
/// to invoices — a review item so staff reverse the application. Nothing is deleted or edited in place
/// except the payment's state.
/// </summary>
public static class RecordPaymentEvent
{
    public static async Task<(PaymentEventOutcome Outcome, string? PaymentId)> RunAsync(DbConnection c, DbTransaction tx, TimeProvider clock, Posting.PostingBooks books, PaymentEventRequest e,
        bool recordWhenNotFound = false)
    {
        var refs = e.References.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r!).Distinct(StringComparer.Ordinal).ToList();
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var reference in refs)
        {
            found.UnionWith(await c.QueryAsync<string>("SELECT payment_id FROM payment_references WHERE reference = @reference", new { reference }, tx));
        }

        var paymentIds = found.ToList();
        var paymentId = paymentIds.Count == 1 ? paymentIds[0] : null;
        if (paymentId is null && !recordWhenNotFound) return (PaymentEventOutcome.OriginalNotFound, null);

        var now = clock.GetUtcNow();
        var eventId = Guid.CreateVersion7(now).ToString("D");
        var kind = KindCode(e.Kind);
        var inserted = await c.ExecuteAsync(
            """
            INSERT INTO payment_events (event_id, payment_id, kind, currency, amount_minor, reason, reference, inbox_item_id, created_at)
            VALUES (@eventId, @paymentId, @kind, @currency, @amount, @Reason, @Reference, @InboxItemId, @at)
            ON CONFLICT (inbox_item_id, kind) DO NOTHING
            """,
            new { eventId, paymentId, kind, currency = e.Amount?.Currency.Code, amount = e.Amount?.MinorUnits, e.Reason, e.Reference, e.InboxItemId, at = DbTime.Format(now) },
            tx);
        if (inserted == 0) return (PaymentEventOutcome.AlreadyRecorded, paymentId);

        if (paymentId is null)
        {
            var why = paymentIds.Count > 1 ? $"several payments ({string.Join(", ", paymentIds)}) carry its references" : "no payment carries its references";
            await OpenReviewAsync(c, tx, now, $"unmatched-{kind}", eventId, null, e, null, $"{Describe(kind)} {e.Reference} could not be tied to a payment: {why} ({string.Join(", ", refs)}).");
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", $"payment.{kind}", $"payment-event:{eventId}", "original not found", Inputs: string.Join(", ", refs)));
            return (PaymentEventOutcome.OriginalNotFound, null);
        }

        var id = new PaymentId(paymentId);
        // Review reasons name the payer, amount and channel; the payment's key is on the item page, not in the sentence.
        var original = await Posting.ReceivePayment.FindAsync(c, tx, id);
        var whose = original is null ? "the payment" : $"{original.PayerName ?? "an unnamed payer"}'s {original.Amount.ToDisplayString()} {Payment.ChannelCode(original.Channel)} payment";
        var before = await Payments.PaymentStates.LockAsync(c, tx, id) ?? throw new Payments.PaymentStateConflictException($"payment {paymentId} is referenced but not stored");
        var state = before;
        if (e.Transition is { } transition)
        {
            if (state == PaymentState.Held && transition is PaymentEvent.Refund or PaymentEvent.PartialRefund or PaymentEvent.Return or PaymentEvent.Void or PaymentEvent.Dispute)
            {
                // Money leaving (or contested) while the payment waits in GL_AI_Hold: void the hold so it is never posted.
                await Posting.OverrideHold.HandleAsync(c, tx, clock, books.Options, id, "duespilot", $"{kind} {e.Reference}: {e.Reason}");
                state = await Payments.PaymentStates.LockAsync(c, tx, id) ?? state;
            }

            var accounts = books.Accounts;
            var payment = await Posting.ReceivePayment.FindAsync(c, tx, id) ?? throw new Payments.PaymentStateConflictException($"payment {paymentId} vanished");
            var left = await Payments.PaymentStates.UnappliedOfAsync(c, tx, accounts.UnappliedCash, id, payment.Amount.Currency);
            // A "partial" refund that takes all that is left in unapplied cash is a full refund.
            if (transition == PaymentEvent.PartialRefund && state.IsUnapplied && e.Amount is { } asked && asked.Currency == left.Currency && asked >= left) transition = PaymentEvent.Refund;
            var next = PaymentLifecycle.Next(state, transition);
            if (!next.IsAllowed)
            {
                var member = await c.QueryFirstOrDefaultAsync<string>(
                    "SELECT member_id FROM allocations WHERE payment_id = @paymentId AND voided_by IS NULL ORDER BY amount_minor DESC, allocation_id LIMIT 1", new { paymentId }, tx);
                await OpenReviewAsync(c, tx, now, $"payment-{kind}", eventId, paymentId, e, member,
                    $"{Describe(kind)} {e.Reference} of {whose} was kept but not booked: {next.Reason}.");
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", $"payment.{kind}", $"payment:{paymentId}", $"refused: {next.Reason}",
                    Inputs: $"{e.Reason} {e.Reference}".Trim(), Before: before.Code, After: state.Code));
                return (PaymentEventOutcome.RefusedByState, paymentId);
            }

            var standing = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM allocations WHERE payment_id = @paymentId AND voided_by IS NULL", new { paymentId }, tx);
            if (next.Kind == TransitionKind.Moves && state.IsUnapplied && standing == 0 && (next.To.IsGone || next.To == PaymentState.PartiallyRefunded))
            {
                // Unapplied money that went back: the cash leaves unapplied cash (Dr unapplied, Cr cash), never more
                // than is still there (a refund after a partial refund takes the rest).
                var wanted = next.To == PaymentState.PartiallyRefunded && e.Amount is { IsPositive: true } a && a.Currency == left.Currency ? a : left;
                if ((wanted < left ? wanted : left) is { IsPositive: true } out_)
                {
                    var entry = Domain.Ledger.JournalEntry.Standard(Domain.EntryId.New(clock), $"payment:{paymentId}:{kind}:{eventId}", now, $"{kind} of payment {paymentId} ({e.Reason})",
                        [Domain.Ledger.LedgerLine.Debit(accounts.UnappliedCash, out_), Domain.Ledger.LedgerLine.Credit(accounts.Cash, out_)]).OnBusinessDay(clock);
                    await Ledger.Journal.RecordAsync(c, tx, entry);
                }
            }

            state = (await Payments.PaymentStates.TransitionAsync(c, tx, id, state, transition)).To;
        }

        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", $"payment.{kind}", $"payment:{paymentId}", "recorded",
            Inputs: $"{e.Reason} {e.Reference}".Trim(), Before: before.Code, After: state.Code));

        // The member the payment was applied to, so the queue lists the item under that member.
        var appliedTo = await c.QueryFirstOrDefaultAsync<string>(
            "SELECT member_id FROM allocations WHERE payment_id = @paymentId AND voided_by IS NULL ORDER BY amount_minor DESC, allocation_id LIMIT 1", new { paymentId }, tx);
        if (appliedTo is not null)
        {
            await OpenReviewAsync(c, tx, now, $"payment-{kind}", eventId, paymentId, e, appliedTo,
                $"{Describe(kind)} of {whose} ({e.Reason}), which was already applied to invoices: reverse its application.");
            return (PaymentEventOutcome.RecordedForReview, paymentId);
        }

        return (PaymentEventOutcome.Recorded, paymentId);
    }

    private static Task<int> OpenReviewAsync(DbConnection c, DbTransaction tx, DateTimeOffset now, string kind, string eventId, string? paymentId, PaymentEventRequest e, string? memberId, string reason) =>
        c.ExecuteAsync(
            """
            INSERT INTO review_items (item_id, kind, subject_id, member_id, state, priority, suggested_action, reason, analysis, amount_minor, currency, created_at, updated_at)
            VALUES (@id, @kind, @subject, @memberId, 'open', @priority, @action, @reason, @analysis, @amount, @currency, @at, @at)
            ON CONFLICT (kind, subject_id) DO NOTHING
            """,
            new
            {
                id = Guid.CreateVersion7(now).ToString("D"), kind, subject = paymentId ?? eventId, memberId, priority = e.Kind is PaymentEventKind.Dispute or PaymentEventKind.AchReturn ? 80 : 50,
                action = paymentId is null ? "find the original payment" : "reverse the application", reason, analysis = $"event {eventId} from inbox item {e.InboxItemId}",
                amount = e.Amount?.MinorUnits, currency = e.Amount?.Currency.Code, at = DbTime.Format(now),
            },
            tx);

    /// <summary>What a payment event code is called in a sentence (<c>ach-return</c> is "ACH return").</summary>
    public static string Describe(string eventCode) => eventCode switch
    {
        "refund" => "Refund",
        "dispute" => "Dispute",
        "failure" => "Failed payment",
        "ach-return" => "ACH return",
        "change-notice" => "ACH change notice",
        "void" => "Void",
        "fraud-flag" => "Fraud flag",
        "invoice-paid" => "Invoice paid elsewhere",
        _ => eventCode,
    };

    public static string KindCode(PaymentEventKind kind) => kind switch
    {
        PaymentEventKind.Refund => "refund",
        PaymentEventKind.Dispute => "dispute",
        PaymentEventKind.Failure => "failure",
        PaymentEventKind.AchReturn => "ach-return",
        PaymentEventKind.ChangeNotice => "change-notice",
        PaymentEventKind.Void => "void",
        PaymentEventKind.FraudFlag => "fraud-flag",
        PaymentEventKind.InvoicePaid => "invoice-paid",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
