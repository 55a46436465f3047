using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using DuesPilot.Domain;

namespace DuesPilot.Features.Intake;

/// <summary>
/// Turns a verified Stripe event into a payment or a payment event. Money is booked from
/// <c>payment_intent.succeeded</c> or <c>charge.succeeded</c>, whichever comes first: both name the
/// same payment id (<c>stripe:{payment_intent}</c>), so the second is a no-op that only adds its
/// references (and the charge, which carries the payer's name, fills in what the intent lacks).
/// Fields are read defensively, so API versions (2020-08-27 through basil) all work.
/// </summary>
public static class ProcessStripeEvent
{
    public static Func<DbConnection, DbTransaction, Task<ItemResult>> Prepare(LeasedItem item, TimeProvider clock, Posting.PostingBooks books)
    {
        using var doc = JsonDocument.Parse(item.Body);
        var root = doc.RootElement.Clone();
        return (c, tx) => ApplyAsync(c, tx, clock, books, item, root);
    }

    private static async Task<ItemResult> ApplyAsync(DbConnection c, DbTransaction tx, TimeProvider clock, Posting.PostingBooks books, LeasedItem item, JsonElement e)
    {
        var type = Str(e, "type") ?? throw new InboxItemException("the event has no type", retryable: false);
        var eventId = Str(e, "id") ?? item.IdempotencyKey;
        var o = e.TryGetProperty("data", out var data) && data.TryGetProperty("object", out var obj) ? obj : throw new InboxItemException("the event has no data.object", retryable: false);
        var created = Num(e, "created") is { } t ? DateTimeOffset.FromUnixTimeSeconds(t) : clock.GetUtcNow();

        switch (type)
        {
            case "payment_intent.succeeded":
            {
                var pi = Str(o, "id")!;
                var charge = FirstCharge(o);
                var amount = MoneyOf(o, Num(o, "amount_received") ?? Num(o, "amount"));
                var payment = new IncomingPayment($"stripe:{pi}", ChannelOf(charge ?? o), amount, created, null,
                    charge is { } ch ? Str(ch, "billing_details", "name") ?? Str(o, "shipping", "name") : Str(o, "shipping", "name"),
                    Str(o, "receipt_email") ?? (charge is { } ch2 ? Str(ch2, "billing_details", "email") : null),
                    pi, Memo(o), InboxSources.Stripe, eventId, item.ItemId,
                    [pi, Str(o, "latest_charge"), charge is { } ch3 ? Str(ch3, "id") : null, Str(o, "invoice")]);
                var isNew = await RecordPayment.RunAsync(c, tx, clock, payment, books.Accounts);
                return new ItemResult(isNew ? $"payment {payment.PaymentId} received" : $"payment {payment.PaymentId} already received (from the charge event)", amount);
            }

            case "charge.succeeded":
            {
                if (Bool(o, "captured") == false) return new ItemResult("charge authorised, not captured: no money yet", null);
                var chargeId = Str(o, "id")!;
                var pi = Str(o, "payment_intent");
                var amount = MoneyOf(o, Num(o, "amount_captured") is > 0 and var cap ? cap : Num(o, "amount"));
                var payment = new IncomingPayment($"stripe:{pi ?? chargeId}", ChannelOf(o), amount, created, null,
                    Str(o, "billing_details", "name"), Str(o, "billing_details", "email") ?? Str(o, "receipt_email"),
                    pi ?? chargeId, Memo(o), InboxSources.Stripe, eventId, item.ItemId, [chargeId, pi, Str(o, "invoice")]);
                var isNew = await RecordPayment.RunAsync(c, tx, clock, payment, books.Accounts);
                return new ItemResult(isNew ? $"payment {payment.PaymentId} received" : $"payment {payment.PaymentId} already received (from the payment intent event)", amount);
            }

            case "charge.refunded":
            {
                var refunded = MoneyOf(o, Num(o, "amount_refunded") ?? 0);
                var full = Bool(o, "refunded") == true;
                return await EventAsync(c, tx, clock, books, item, new PaymentEventRequest(PaymentEventKind.Refund, [Str(o, "id"), Str(o, "payment_intent")], refunded,
                    full ? "refunded in full" : "partly refunded", Str(o, "id"), item.ItemId, full ? PaymentEvent.Refund : PaymentEvent.PartialRefund), retryWhenMissing: true);
            }

            case "charge.dispute.created":
            {
                var amount = MoneyOf(o, Num(o, "amount") ?? 0);
                return await EventAsync(c, tx, clock, books, item, new PaymentEventRequest(PaymentEventKind.Dispute, [Str(o, "charge"), Str(o, "payment_intent")], amount,
                    $"{Str(o, "reason")} ({Str(o, "status")})", Str(o, "id"), item.ItemId, PaymentEvent.Dispute), retryWhenMissing: true);
            }

            case "payment_intent.payment_failed" or "charge.failed":
            {
                var error = o.TryGetProperty("last_payment_error", out var err) && err.ValueKind == JsonValueKind.Object
                    ? $"{Str(err, "code")} {Str(err, "decline_code")}: {Str(err, "message")}".Trim()
                    : $"{Str(o, "failure_code")}: {Str(o, "failure_message")}";
                var amount = MoneyOf(o, Num(o, "amount") ?? 0);
                var (outcome, paymentId) = await RecordPaymentEvent.RunAsync(c, tx, clock, books, new PaymentEventRequest(PaymentEventKind.Failure,
                    [Str(o, "id"), Str(o, "payment_intent")], amount, error, Str(o, "id"), item.ItemId, null), recordWhenNotFound: false);
                if (outcome == PaymentEventOutcome.OriginalNotFound)
                {
                    // A failed attempt before any success: nothing was booked, nothing to reverse. Kept as a flag with no payment.
                    await RecordPaymentEvent.RunAsync(c, tx, clock, books, new PaymentEventRequest(PaymentEventKind.Failure, [], amount, error, Str(o, "id"), item.ItemId, null), recordWhenNotFound: true);
                    return new ItemResult($"payment attempt failed ({error}); no payment had been booked", null);
                }

                return new ItemResult($"payment attempt failed ({error}) on {paymentId}", null);
            }

            case "invoice.paid":
            {
                var number = Str(o, "number");
                var amount = MoneyOf(o, Num(o, "amount_paid") ?? 0);
                var (outcome, paymentId) = await RecordPaymentEvent.RunAsync(c, tx, clock, books, new PaymentEventRequest(PaymentEventKind.InvoicePaid,
                    [Str(o, "payment_intent"), Str(o, "charge"), Str(o, "id")], amount, $"Stripe invoice {number} paid by {Str(o, "customer_email")}", number, item.ItemId, null),
                    recordWhenNotFound: false);
                // The money itself is booked from the payment intent or charge; the invoice only links it (basil invoices link through InvoicePayment).
                return new ItemResult(outcome == PaymentEventOutcome.OriginalNotFound
                    ? $"invoice {number} paid; its payment is booked from its payment intent"
                    : $"invoice {number} linked to {paymentId}", null);
            }

            default:
                return new ItemResult($"event type {type} is not used by dues intake", null);
        }
    }

    private static async Task<ItemResult> EventAsync(DbConnection c, DbTransaction tx, TimeProvider clock, Posting.PostingBooks books, LeasedItem item, PaymentEventRequest request, bool retryWhenMissing)
    {
        var (outcome, paymentId) = await RecordPaymentEvent.RunAsync(c, tx, clock, books, request);
        if (outcome == PaymentEventOutcome.OriginalNotFound && retryWhenMissing)
        {
            // Stripe does not order deliveries: the refund can arrive before the payment. Try again later.
            throw new InboxItemException($"{RecordPaymentEvent.KindCode(request.Kind)} for {request.Reference}: the original payment has not been received yet", retryable: true);
        }

        return new ItemResult($"{RecordPaymentEvent.KindCode(request.Kind)} recorded on {paymentId} ({outcome})", request.Amount);
    }

    private static JsonElement? FirstCharge(JsonElement pi)
    {
        if (pi.TryGetProperty("charges", out var charges) && charges.ValueKind == JsonValueKind.Object &&
            charges.TryGetProperty("data", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0)
            return list[0];
        return null;
    }

    private static PaymentChannel ChannelOf(JsonElement o)
    {
        var type = Str(o, "payment_method_details", "type");
        return type is "us_bank_account" or "ach_debit" or "ach_credit_transfer" or "sepa_debit" or "acss_debit" ? PaymentChannel.Ach : PaymentChannel.Card;
    }

    private static string? Memo(JsonElement o)
    {
        var parts = new List<string>();
        if (Str(o, "description") is { } d) parts.Add(d);
        if (o.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object)
            parts.AddRange(md.EnumerateObject().Select(p => $"{p.Name}={p.Value}"));
        return parts.Count == 0 ? null : string.Join(" | ", parts);
    }

    private static Money MoneyOf(JsonElement o, long? minor)
    {
        var code = Str(o, "currency") ?? throw new InboxItemException("the object has no currency", retryable: false);
        if (!Currency.TryParse(code, out var currency)) throw new InboxItemException($"unknown currency '{code}'", retryable: false);
        return Money.FromMinor(minor ?? throw new InboxItemException("the object has no amount", retryable: false), currency);
    }

    /// <summary>Stripe's reading of a value at a path (<see cref="JsonPath"/>): blank is absent, a number is its text, an expanded object is its id.</summary>
    internal static string? Str(JsonElement e, params string[] path)
    {
        if (JsonPath.Find(e, path) is not { } cur) return null;
        return cur.ValueKind switch
        {
            JsonValueKind.String => string.IsNullOrWhiteSpace(cur.GetString()) ? null : cur.GetString(),
            JsonValueKind.Number => cur.GetRawText(),
            JsonValueKind.Object => cur.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
            _ => null,
        };
    }

    internal static long? Num(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null } : null;

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
