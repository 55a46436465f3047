using System.Data.Common;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using DuesPilot.Domain;

namespace DuesPilot.Features.Intake;

/// <summary>The parts of a getTransactionDetails answer intake uses.</summary>
public sealed record AuthorizeNetTransaction(
    string TransId,
    string? Status,
    Money? SettleAmount,
    Money? AuthAmount,
    string? InvoiceNumber,
    string? Description,
    string? CustomerId,
    string? Email,
    string? FirstName,
    string? LastName,
    string? Company,
    string? RefTransId,
    DateTimeOffset? SubmittedAt);

/// <summary>
/// Calls Authorize.Net's getTransactionDetails (JSON API) at a configurable endpoint. Webhooks carry
/// little; the details bring the payer's name, e-mail, invoice number and description. A failure is
/// an exception the worker retries later.
/// </summary>
public sealed class FetchAuthorizeNetTransaction(HttpClient http, AuthorizeNetIntakeOptions options)
{
    public async Task<AuthorizeNetTransaction> RunAsync(string transId, CancellationToken ct)
    {
        var request = new
        {
            getTransactionDetailsRequest = new
            {
                merchantAuthentication = new { name = options.ApiLoginId, transactionKey = options.TransactionKey },
                transId,
            },
        };
        using var response = await http.PostAsJsonAsync(options.ApiUrl, request, ct);
        if (!response.IsSuccessStatusCode)
            throw new InboxItemException($"getTransactionDetails answered HTTP {(int)response.StatusCode}", retryable: true);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        return Parse(bytes);
    }

    /// <summary>Reads a getTransactionDetails response (Authorize.Net prefixes it with a byte order mark).</summary>
    public static AuthorizeNetTransaction Parse(ReadOnlySpan<byte> json)
    {
        if (json.StartsWith("\uFEFF"u8)) json = json[3..];
        var bytes = json.ToArray();
        if (VerifyStripeSignature.Decode(bytes) is null) throw new InboxItemException("getTransactionDetails answered something that is not UTF-8 text", retryable: false);
        using var doc = JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new InboxItemException("getTransactionDetails answered something that is not a JSON object", retryable: false);
        var result = ProcessStripeEvent.Str(root, "messages", "resultCode");
        if (!string.Equals(result, "Ok", StringComparison.OrdinalIgnoreCase))
        {
            var text = root.TryGetProperty("messages", out var m) && m.TryGetProperty("message", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0
                ? $"{ProcessStripeEvent.Str(list[0], "code")} {ProcessStripeEvent.Str(list[0], "text")}"
                : "no message";
            throw new InboxItemException($"getTransactionDetails failed: {text}", retryable: true);
        }

        if (!root.TryGetProperty("transaction", out var t) || t.ValueKind != JsonValueKind.Object)
            throw new InboxItemException("getTransactionDetails answered Ok without a transaction", retryable: false);
        Money? Amount(string name)
        {
            if (!t.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number) return null;
            // Dollars with at most two decimals and a size money can have; anything else is a corrupt answer, not an amount (found by chaos fuzz).
            if (!v.TryGetDecimal(out var d) || decimal.Round(d, 2) != d || Math.Abs(d) > 1_000_000_000m)
                throw new InboxItemException($"getTransactionDetails: {name} is not an amount in dollars and cents", retryable: false);
            return Money.FromDecimal(d, Currency.USD);
        }
        DateTimeOffset? submitted = ProcessStripeEvent.Str(t, "submitTimeUTC") is { } s &&
            DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        // Payers type card numbers into descriptions and names: every text the answer brings is masked before it can be stored.
        string? Text(params string[] path) => RedactCardNumbers.RunOrNull(ProcessStripeEvent.Str(t, path));
        return new AuthorizeNetTransaction(
            Text("transId") ?? "",
            Text("transactionStatus"),
            Amount("settleAmount"), Amount("authAmount"),
            Text("order", "invoiceNumber"), Text("order", "description"),
            Text("customer", "id"), Text("customer", "email"),
            Text("billTo", "firstName"), Text("billTo", "lastName"), Text("billTo", "company"),
            Text("refTransId"), submitted);
    }
}

/// <summary>
/// Turns a verified Authorize.Net notification into a payment (auth-capture, capture, prior-auth
/// capture) or a payment event (refund, void, fraud hold), enriched with getTransactionDetails when
/// API credentials are configured. The network call happens before the database transaction.
/// </summary>
public static class ProcessAuthorizeNetNotification
{
    public static async Task<Func<DbConnection, DbTransaction, Task<ItemResult>>> PrepareAsync(LeasedItem item, TimeProvider clock, FetchAuthorizeNetTransaction? fetch, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(item.Body);
        var root = doc.RootElement.Clone();
        var eventType = ProcessStripeEvent.Str(root, "eventType") ?? throw new InboxItemException("the notification has no eventType", retryable: false);
        var payload = root.TryGetProperty("payload", out var p) ? p : throw new InboxItemException("the notification has no payload", retryable: false);
        var entity = ProcessStripeEvent.Str(payload, "entityName");
        var transId = ProcessStripeEvent.Str(payload, "id");
        if (entity != "transaction" || transId is null)
            return (_, _) => Task.FromResult(new ItemResult($"{eventType} ({entity}) is not a transaction: kept for reference", null));

        var kind = eventType switch
        {
            "net.authorize.payment.authcapture.created" or "net.authorize.payment.capture.created" or "net.authorize.payment.priorAuthCapture.created" => "payment",
            "net.authorize.payment.refund.created" => "refund",
            "net.authorize.payment.void.created" => "void",
            _ when eventType.StartsWith("net.authorize.payment.fraud.", StringComparison.Ordinal) => "fraud",
            _ => "other",
        };
        if (kind == "other")
            return (_, _) => Task.FromResult(new ItemResult($"{eventType}: authorisation only or not money; nothing to book", null));

        var details = fetch is null ? null : await fetch.RunAsync(transId, ct);
        if (kind == "refund" && details?.RefTransId is null)
            throw new InboxItemException("a refund names its original only in getTransactionDetails (refTransId): configure Intake:AuthorizeNet:ApiLoginId and TransactionKey", retryable: true);

        var eventDate = ProcessStripeEvent.Str(root, "eventDate") is { } d && DateTimeOffset.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : clock.GetUtcNow();
        var notified = payload.TryGetProperty("authAmount", out var aa) && aa.ValueKind == JsonValueKind.Number ? Money.FromDecimal(aa.GetDecimal(), Currency.USD) : (Money?)null;
        var amount = details?.SettleAmount is { IsPositive: true } s ? s : details?.AuthAmount ?? notified ?? Money.Zero(Currency.USD);
        var invoice = details?.InvoiceNumber ?? ProcessStripeEvent.Str(payload, "invoiceNumber");

        return async (c, tx) =>
        {
            switch (kind)
            {
                case "payment":
                    var name = details is null ? null : string.Join(" ", new[] { details.FirstName, details.LastName }.Where(x => !string.IsNullOrWhiteSpace(x)));
                    var memo = string.Join(" | ", new[] { details?.Description, invoice is null ? null : $"Invoice {invoice}", ProcessStripeEvent.Str(payload, "merchantReferenceId") }.Where(x => x is not null));
                    var payment = new IncomingPayment($"anet:{transId}", PaymentChannel.Card, amount, details?.SubmittedAt ?? eventDate, null,
                        string.IsNullOrWhiteSpace(name) ? details?.Company : name, details?.Email, transId, memo.Length == 0 ? null : memo,
                        InboxSources.AuthorizeNet, item.IdempotencyKey, item.ItemId, [transId]);
                    var isNew = await RecordPayment.RunAsync(c, tx, clock, payment);
                    return new ItemResult(isNew ? $"payment {payment.PaymentId} received" : $"payment {payment.PaymentId} already received", amount);
                case "refund":
                    return await EventAsync(c, tx, clock, new PaymentEventRequest(PaymentEventKind.Refund, [details!.RefTransId], amount, "refunded", transId, item.ItemId, PaymentEvent.Refund));
                case "void":
                    return await EventAsync(c, tx, clock, new PaymentEventRequest(PaymentEventKind.Void, [transId], amount, "voided", transId, item.ItemId, PaymentEvent.Void));
                default:
                    var (outcome, paymentId) = await RecordPaymentEvent.RunAsync(c, tx, clock,
                        new PaymentEventRequest(PaymentEventKind.FraudFlag, [transId], amount, eventType, transId, item.ItemId, null), recordWhenNotFound: true);
                    return new ItemResult($"fraud filter {eventType} on {paymentId ?? transId} ({outcome})", null);
            }
        };
    }

    private static async Task<ItemResult> EventAsync(DbConnection c, DbTransaction tx, TimeProvider clock, PaymentEventRequest request)
    {
        var (outcome, paymentId) = await RecordPaymentEvent.RunAsync(c, tx, clock, request);
        if (outcome == PaymentEventOutcome.OriginalNotFound)
            throw new InboxItemException($"{RecordPaymentEvent.KindCode(request.Kind)} {request.Reference}: the original payment has not been received yet", retryable: true);
        return new ItemResult($"{RecordPaymentEvent.KindCode(request.Kind)} recorded on {paymentId} ({outcome})", request.Amount);
    }
}
