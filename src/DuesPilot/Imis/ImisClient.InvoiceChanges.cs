using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuesPilot.Domain;

namespace DuesPilot.Imis;

/// <summary>An invoice to bring to the amount it should have been billed (docs/decisions/0151).</summary>
/// <param name="Reason">Sent as the subscription's <c>AdjustmentReason</c>.</param>
public sealed record ImisInvoiceCorrection(InvoiceId InvoiceId, Money ExpectedAmount, string Reason);

/// <summary>An invoice to void: what it still owes is reversed, with the reason and date of the adjustment.</summary>
public sealed record ImisInvoiceVoid(InvoiceId InvoiceId, string Reason, DateOnly AdjustmentDate);

/// <summary>What happened to an invoice correction or void.</summary>
public enum ImisChangeStatus
{
    /// <summary>This call changed the invoice in iMIS.</summary>
    Applied,
    /// <summary>iMIS already shows the invoice as asked (an earlier attempt landed, or someone put it right by hand).</summary>
    AlreadyApplied,
    /// <summary>iMIS refused, or the change cannot be made through the API; nothing changed. Needs a human.</summary>
    Rejected,
    /// <summary>iMIS could not be reached reliably; try again later (every step reads before it writes).</summary>
    Unavailable,
}

public sealed record ImisInvoiceChangeOutcome(ImisChangeStatus Status, string Detail, ImisFailure? Failure = null);

public sealed partial class ImisClient
{
    private const string ObjectCollection = "System.Collections.ObjectModel.Collection`1[[System.Object, mscorlib]], mscorlib";
    private const string StringCollection = "System.Collections.ObjectModel.Collection`1[[System.String, mscorlib]], mscorlib";

    /// <summary>
    /// Corrects a billed invoice. iMIS has no PUT on <c>/api/Invoice</c>; a cash-basis invoice is changed through the subscription
    /// that bills it ([DEV-SUB]: <c>BilledAmount</c> "updates the bill amount on the subscription and updates the balance accordingly",
    /// with <c>AdjustmentReason</c>). The invoice is read first: when it already has the expected amount nothing is sent, so a retry
    /// after a lost answer never moves it twice. The difference goes onto the subscription billed on the invoice (the one for the
    /// invoice's first product when there are several); the subscription is read and PUT back whole, as iMIS expects a PUT.
    /// </summary>
    public async Task<ImisInvoiceChangeOutcome> CorrectInvoiceAsync(ImisInvoiceCorrection request, CancellationToken ct = default)
    {
        try
        {
            var read = await GetInvoiceAsync(request.InvoiceId, ct);
            if (read is null) return Refused($"invoice {request.InvoiceId} does not exist on the iMIS site");
            var invoice = read.Invoice;
            if (invoice.Amount.Currency != request.ExpectedAmount.Currency) return Refused($"invoice {invoice.Id} is in {invoice.Amount.Currency.Code}, the correction in {request.ExpectedAmount.Currency.Code}");
            if (invoice.Amount == request.ExpectedAmount)
                return new(ImisChangeStatus.AlreadyApplied, $"invoice {invoice.Id} is billed {invoice.Amount.ToDisplayString()} in iMIS already");
            return await MoveBilledAmountAsync(invoice, request.ExpectedAmount - invoice.Amount, request.Reason, ct);
        }
        catch (ImisRequestException ex) when (ex.Failure.IsRetryable)
        {
            return new(ImisChangeStatus.Unavailable, ex.Failure.ToString(), ex.Failure);
        }
        catch (ImisRequestException ex) when (ex.Failure.Kind is ImisFailureKind.Rejected or ImisFailureKind.NotFound)
        {
            return new(ImisChangeStatus.Rejected, ex.Failure.ToString(), ex.Failure);
        }
    }

    /// <summary>
    /// Voids an invoice. An accrual invoice (a numeric <c>InvoiceId</c>) is reversed as community code does it ([ACH]
    /// registerEventWorker.js): <c>POST /api/Invoice/_execute</c> <c>CanInvoiceBeReversed</c> (one <c>System.Int32</c>), then
    /// <c>ProcessAccrualReversal</c> with an <c>InvoiceActionDuesReversalData</c>; both answer 200 and say yes or no in
    /// <c>IsSuccessStatusCode</c>/<c>Message</c>. A cash invoice ("CASH:…") has no Int32 id to pass: what it still owes is taken off
    /// its subscription's <c>BilledAmount</c>, as a correction to what was paid. When <paramref name="earlierAttemptMayHaveLanded"/>
    /// and iMIS refuses a reversal of an invoice that owes nothing, the earlier attempt is taken to have done it.
    /// </summary>
    public async Task<ImisInvoiceChangeOutcome> VoidInvoiceAsync(ImisInvoiceVoid request, bool earlierAttemptMayHaveLanded = false, CancellationToken ct = default)
    {
        try
        {
            if (!int.TryParse(request.InvoiceId.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric))
            {
                var read = await GetInvoiceAsync(request.InvoiceId, ct);
                if (read is null) return Refused($"invoice {request.InvoiceId} does not exist on the iMIS site");
                if (read.Invoice.Balance.IsZero) return new(ImisChangeStatus.AlreadyApplied, $"invoice {request.InvoiceId} owes nothing in iMIS");
                return await MoveBilledAmountAsync(read.Invoice, -read.Invoice.Balance, request.Reason, ct);
            }

            var (canReverse, why) = await ExecuteInvoiceAsync("CanInvoiceBeReversed", new JsonObject { ["$type"] = "System.Int32", ["$value"] = numeric }, "System.Int32", safeToRetry: true, ct);
            if (!canReverse)
            {
                if (earlierAttemptMayHaveLanded && await GetInvoiceAsync(request.InvoiceId, ct) is { Invoice.Balance.IsZero: true })
                    return new(ImisChangeStatus.AlreadyApplied, $"invoice {request.InvoiceId} owes nothing in iMIS and cannot be reversed again: {why}");
                return Refused($"iMIS will not reverse invoice {request.InvoiceId}: {why}");
            }

            var data = new JsonObject
            {
                ["$type"] = ImisJson.CommerceNs + "InvoiceActionDuesReversalData" + ImisJson.Contracts,
                ["InvoiceID"] = numeric,
                ["AdjustmentDate"] = request.AdjustmentDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00",
                ["AdjustmentReason"] = request.Reason,
                ["ReverseShipping"] = true,
                ["ReverseHandling"] = true,
                ["AffectsInventory"] = true,
            };
            var (reversed, message) = await ExecuteInvoiceAsync("ProcessAccrualReversal", data, ImisJson.CommerceNs + "InvoiceActionDuesReversalData" + ImisJson.Contracts, safeToRetry: false, ct);
            return reversed
                ? new(ImisChangeStatus.Applied, $"invoice {request.InvoiceId} reversed in iMIS" + (string.IsNullOrWhiteSpace(message) ? "" : $": {message}"))
                : Refused($"iMIS refused to reverse invoice {request.InvoiceId}: {message}");
        }
        catch (ImisRequestException ex) when (ex.Failure.IsRetryable)
        {
            return new(ImisChangeStatus.Unavailable, ex.Failure.ToString(), ex.Failure);
        }
        catch (ImisRequestException ex) when (ex.Failure.Kind is ImisFailureKind.Rejected or ImisFailureKind.NotFound)
        {
            return new(ImisChangeStatus.Rejected, ex.Failure.ToString(), ex.Failure);
        }
    }

    /// <summary>The <c>GenericExecuteRequest</c> of an Invoice operation with one parameter, in the shape of [ACH] CHECKTEMPLATE/REVERSETEMPLATE.</summary>
    public static JsonObject InvoiceExecuteBody(string operation, JsonNode parameter, string parameterType) => new()
    {
        ["$type"] = ImisJson.CoreNs + "GenericExecuteRequest" + ImisJson.Contracts,
        ["OperationName"] = operation,
        ["EntityTypeName"] = "Invoice",
        ["Parameters"] = ImisJson.Collection(ObjectCollection, [parameter]),
        ["ParameterTypeName"] = ImisJson.Collection(StringCollection, [JsonValue.Create(parameterType)]),
        ["UseJson"] = false,
    };

    private async Task<(bool Ok, string Message)> ExecuteInvoiceAsync(string operation, JsonNode parameter, string parameterType, bool safeToRetry, CancellationToken ct)
    {
        using var doc = await SendAsync(HttpMethod.Post, "api/Invoice/_execute", InvoiceExecuteBody(operation, parameter, parameterType), ct, safeToRetry);
        var ok = ImisJson.Bool(doc.RootElement, "IsSuccessStatusCode")
            ?? throw Protocol($"{operation} answered without IsSuccessStatusCode");
        // CanInvoiceBeReversed's Result says whether it can; a success without a Result is read as yes.
        if (ok && ImisJson.Bool(doc.RootElement, "Result") == false) ok = false;
        return (ok, ImisJson.Str(doc.RootElement, "Message") ?? "");
    }

    /// <summary>Moves the billed amount of the subscription that bills <paramref name="invoice"/> by <paramref name="delta"/>.</summary>
    private async Task<ImisInvoiceChangeOutcome> MoveBilledAmountAsync(Invoice invoice, Money delta, string reason, CancellationToken ct)
    {
        var billing = (await ListSubscriptionsAsync(invoice.MemberId, ct)).Where(s => s.InvoiceId == invoice.Id).ToList();
        if (billing.Count == 0)
            return Refused($"no subscription of party {invoice.MemberId} bills invoice {invoice.Id}, so the API cannot change it; correct it in iMIS by hand");
        var products = invoice.Lines.Select(l => l.ProductCode).ToList();
        var subscription = billing.OrderBy(s => products.IndexOf(s.ItemId) is var i && i >= 0 ? i : int.MaxValue).First();
        var billed = subscription.BilledAmount ?? invoice.Amount;
        var target = billed + delta;
        if (target.IsNegative) return Refused($"the subscription {subscription.ItemId} is billed {billed.ToDisplayString()}; it cannot go down by {delta.Abs().ToDisplayString()}");

        var path = "api/Subscription/" + CompositeId(subscription.PartyId.Value, subscription.ItemId);
        JsonObject body;
        using (var doc = await GetAsync(path, notFoundIsNull: true, ct))
        {
            if (doc is null) return Refused($"subscription {subscription.PartyId}|{subscription.ItemId} is gone from iMIS");
            body = JsonNode.Parse(doc.RootElement.GetRawText())!.AsObject();
        }

        body["BilledAmount"] = ImisJson.MonetaryAmount(target);
        body["BillSubscription"] = false;
        body["AdjustmentReason"] = reason.Length <= 255 ? reason : reason[..255];
        using (await SendAsync(HttpMethod.Put, path, body, ct, safeToRetry: true))
        {
        }

        return new(ImisChangeStatus.Applied,
            $"invoice {invoice.Id}: subscription {subscription.ItemId} billed {billed.ToDisplayString()} → {target.ToDisplayString()} in iMIS");
    }

    private static ImisInvoiceChangeOutcome Refused(string why) => new(ImisChangeStatus.Rejected, why);
}
