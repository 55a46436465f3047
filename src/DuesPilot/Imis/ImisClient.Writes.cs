using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuesPilot.Domain;

namespace DuesPilot.Imis;

public sealed partial class ImisClient
{
    /// <summary>
    /// Applies a payment through ComboOrder without ever applying it twice:
    /// 1. look for a payment carrying the reference first (one applied in an earlier run is <see cref="ImisPaymentStatus.AlreadyApplied"/>);
    /// 2. read each invoice's summary as iMIS has it and <c>POST /api/ComboOrder/_validate</c> (safe to retry); iMIS answers an
    ///    invalid order with 2xx and <c>IsValid: false</c> (or a 400): either way the order is <see cref="ImisPaymentStatus.Rejected"/>
    ///    and nothing is posted; otherwise the server-completed <c>Entity</c> is posted;
    /// 3. <c>POST /api/ComboOrder</c>, never retried blindly: when the answer is lost (timeout, dropped connection, 5xx, 429)
    ///    the client waits, looks for the payment by reference, and posts again only when iMIS shows none.
    /// If even the read-back fails, it stops with <see cref="ImisPaymentStatus.Unavailable"/>; the next call starts with step 1.
    /// </summary>
    public async Task<ImisPaymentOutcome> ApplyPaymentAsync(ImisPaymentRequest request, CancellationToken ct = default)
    {
        if (request.Invoices.Count == 0) throw new ArgumentException("A payment must name at least one invoice.", nameof(request));
        if (string.IsNullOrWhiteSpace(request.ReferenceNumber)) throw new ArgumentException("A payment needs its reference (the idempotency key).", nameof(request));
        if (request.Invoices.Any(i => !i.Amount.IsPositive)) throw new ArgumentException("Amounts applied must be positive.", nameof(request));

        ReadBack before;
        try
        {
            before = await ReadBackAsync(request, ct);
        }
        catch (ImisRequestException ex) when (ex.Failure.IsRetryable)
        {
            return new ImisPaymentOutcome(ImisPaymentStatus.Unavailable, null, ex.Failure, 0);
        }

        if (before.Status != ImisPaymentStatus.Unavailable) return new ImisPaymentOutcome(before.Status, before.Payment, null, 0);

        JsonNode entity;
        try
        {
            var summaries = new Dictionary<InvoiceId, JsonObject>();
            foreach (var i in request.Invoices.DistinctBy(i => i.InvoiceId))
            {
                using var doc = await GetAsync("api/InvoiceSummary/" + Uri.EscapeDataString(i.InvoiceId.Value), notFoundIsNull: true, ct);
                if (doc is null)
                {
                    return new ImisPaymentOutcome(ImisPaymentStatus.Rejected, null,
                        new ImisFailure(ImisFailureKind.Rejected, 404, [$"Invoice {i.InvoiceId} does not exist on the iMIS site."], "GET /api/InvoiceSummary"), 0);
                }

                summaries[i.InvoiceId] = JsonNode.Parse(doc.RootElement.GetRawText())!.AsObject();
            }

            var body = ComboOrderBody(request, summaries);
            using var validated = await SendAsync(HttpMethod.Post, "api/ComboOrder/_validate", body, ct, safeToRetry: true);
            if (Invalid(validated.RootElement) is { } refusal)
                return new ImisPaymentOutcome(ImisPaymentStatus.Rejected, null, new ImisFailure(ImisFailureKind.Rejected, 200, refusal, "POST /api/ComboOrder/_validate"), 0);
            entity = ImisJson.Prop(validated.RootElement, "Entity") is { ValueKind: JsonValueKind.Object } e
                ? JsonNode.Parse(e.GetRawText())!
                : body;
        }
        catch (ImisRequestException ex) when (ex.Failure.Kind == ImisFailureKind.Rejected)
        {
            return new ImisPaymentOutcome(ImisPaymentStatus.Rejected, null, ex.Failure, 0);
        }
        catch (ImisRequestException ex) when (ex.Failure.IsRetryable)
        {
            return new ImisPaymentOutcome(ImisPaymentStatus.Unavailable, null, ex.Failure, 0);
        }

        ImisFailure? last = null;
        for (var attempt = 1; attempt <= _o.MaxWriteAttempts; attempt++)
        {
            try
            {
                using (await SendAsync(HttpMethod.Post, "api/ComboOrder", entity, ct))
                {
                }

                ImisPayment? payment = null;
                try
                {
                    payment = (await ReadBackAsync(request, ct)).Payment;
                }
                catch (ImisRequestException ex) when (ex.Failure.IsRetryable)
                {
                    // Applied for certain; the payment record is only a courtesy to the caller.
                }

                return new ImisPaymentOutcome(ImisPaymentStatus.Applied, payment, null, attempt);
            }
            catch (ImisRequestException ex) when (ex.Failure.Kind == ImisFailureKind.Rejected)
            {
                return new ImisPaymentOutcome(ImisPaymentStatus.Rejected, null, ex.Failure, attempt);
            }
            catch (ImisRequestException ex) when (ex.Failure.IsRetryable)
            {
                last = ex.Failure;
            }

            // The answer was lost or refused in a way that does not say whether the order landed: look before posting again.
            await Task.Delay(TimeSpan.FromMilliseconds(_o.WriteReadbackDelayMs * attempt * (0.75 + (Random.Shared.NextDouble() / 2))), ct);
            ReadBack after;
            try
            {
                after = await ReadBackAsync(request, ct);
            }
            catch (ImisRequestException ex) when (ex.Failure.IsRetryable)
            {
                return new ImisPaymentOutcome(ImisPaymentStatus.Unavailable, null, ex.Failure, attempt);
            }

            if (after.Status == ImisPaymentStatus.AlreadyApplied) return new ImisPaymentOutcome(ImisPaymentStatus.Applied, after.Payment, null, attempt);
            if (after.Status == ImisPaymentStatus.Conflict) return new ImisPaymentOutcome(ImisPaymentStatus.Conflict, after.Payment, last, attempt);
        }

        return new ImisPaymentOutcome(ImisPaymentStatus.Unavailable, null, last, _o.MaxWriteAttempts);
    }

    /// <summary>
    /// The refusal in a <c>_validate</c> answer: a top-level <c>IsValid: false</c> (as community code reads it), or
    /// <c>ValidationResults</c> that say invalid or list errors; null when the order is valid.
    /// </summary>
    internal static IReadOnlyList<string>? Invalid(JsonElement answer)
    {
        var results = ImisJson.Prop(answer, "ValidationResults");
        var errors = results is { } r && ImisJson.Prop(r, "Errors") is { } list
            ? ImisJson.Values(list).Select(x => ImisJson.Str(x, "Message") ?? x.GetRawText()).ToList()
            : [];
        var valid = ImisJson.Bool(answer, "IsValid") ?? (results is { } rr ? ImisJson.Bool(rr, "IsValid") : null);
        if (valid == true || (valid is null && errors.Count == 0)) return null;
        return errors.Count > 0 ? errors : ["iMIS found the order invalid (IsValid: false) and gave no reason."];
    }

    private sealed record ReadBack(ImisPaymentStatus Status, ImisPayment? Payment);

    /// <summary>
    /// Finds payments carrying the request's reference on the payment side (the remittance's <c>ReferenceNumber</c>; receipts do
    /// not carry it): AlreadyApplied when one matches (same payor and amount, or those not shown), Conflict when they differ,
    /// Unavailable (meaning "none") otherwise.
    /// </summary>
    private async Task<ReadBack> ReadBackAsync(ImisPaymentRequest request, CancellationToken ct)
    {
        var found = await FindPaymentsAsync(request.ReferenceNumber, ct);
        if (found.Count == 0) return new ReadBack(ImisPaymentStatus.Unavailable, null);
        var same = found.FirstOrDefault(p => (p.Payor is null || p.Payor == request.Payor) && (p.Amount is null || p.Amount == request.Total));
        return same is not null ? new ReadBack(ImisPaymentStatus.AlreadyApplied, same) : new ReadBack(ImisPaymentStatus.Conflict, found[0]);
    }

    /// <summary>
    /// The ComboOrder paying existing invoices: an <c>Order</c> with no lines for the payor, each invoice summary as read from
    /// iMIS with the amount paid in <c>PaymentAmount</c> (its <c>Balance</c> untouched), and one remittance carrying the
    /// reference; every money value with its currency (see tests/DuesPilot.Imis.Tests/Wire/SOURCES.md).
    /// </summary>
    public static JsonObject ComboOrderBody(ImisPaymentRequest request, IReadOnlyDictionary<InvoiceId, JsonObject> summaries)
    {
        var currency = request.Invoices[0].Amount.Currency;
        JsonObject Party(MemberId id) => new() { ["$type"] = ImisJson.CommerceNs + "CustomerPartyData" + ImisJson.Contracts, ["PartyId"] = id.Value };
        return new JsonObject
        {
            ["$type"] = ImisJson.CommerceNs + "ComboOrderData" + ImisJson.Contracts,
            ["Currency"] = ImisJson.CurrencyData(currency),
            ["Order"] = new JsonObject
            {
                ["$type"] = ImisJson.CommerceNs + "OrderData" + ImisJson.Contracts,
                ["BillToCustomerParty"] = Party(request.Payor),
                ["Currency"] = ImisJson.CurrencyData(currency),
                ["Lines"] = ImisJson.Collection(ImisJson.CommerceNs + "OrderLineDataCollection" + ImisJson.Contracts, []),
                ["SoldToCustomerParty"] = Party(request.Payor),
            },
            ["Invoices"] = ImisJson.Collection(ImisJson.CommerceNs + "InvoiceSummaryDataCollection" + ImisJson.Contracts, request.Invoices.Select(i =>
            {
                var invoice = summaries.TryGetValue(i.InvoiceId, out var read)
                    ? (JsonObject)read.DeepClone()
                    : new JsonObject { ["$type"] = ImisJson.CommerceNs + "InvoiceSummaryData" + ImisJson.Contracts, ["InvoiceId"] = i.InvoiceId.Value };
                invoice["PaymentAmount"] = ImisJson.MonetaryAmount(i.Amount);
                return (JsonNode?)invoice;
            })),
            ["Payments"] = ImisJson.Collection(ImisJson.CommerceNs + "RemittanceDataCollection" + ImisJson.Contracts,
            [
                new JsonObject
                {
                    ["$type"] = ImisJson.CommerceNs + "RemittanceData" + ImisJson.Contracts,
                    ["Amount"] = ImisJson.MonetaryAmount(request.Total),
                    ["PaymentMethod"] = new JsonObject
                    {
                        ["$type"] = ImisJson.CommerceNs + "PaymentMethodData" + ImisJson.Contracts,
                        ["PaymentMethodId"] = request.Method.PaymentMethodId,
                        ["Name"] = request.Method.Name,
                        ["PaymentType"] = request.Method.PaymentType,
                    },
                    ["PayorParty"] = Party(request.Payor),
                    ["ReferenceNumber"] = request.ReferenceNumber,
                },
            ]),
        };
    }

    // ---------------- custom panels ----------------

    /// <summary>
    /// A GenericEntityData row of a multi-instance contact panel. With a known ordinal the <c>Identity</c> carries both elements
    /// (party id, ordinal) as in imis-api.md §8.4; without one, <c>Identity</c> is left out and iMIS assigns the ordinal (community
    /// code posts panel rows this way). A one-element identity is never sent: iMIS answers "Incorrect number of identity element".
    /// </summary>
    public static JsonObject PanelRowBody(string entity, MemberId party, int? ordinal, IReadOnlyList<KeyValuePair<string, object?>> properties, string partyKey = "ID", string ordinalKey = "Ordinal")
    {
        var values = new List<JsonNode?> { ImisJson.Property(partyKey, party.Value) };
        if (ordinal is { } ord) values.Add(ImisJson.Property(ordinalKey, ord));
        values.AddRange(properties.Select(p => (JsonNode?)ImisJson.Property(p.Key, p.Value)));
        var row = new JsonObject
        {
            ["$type"] = ImisJson.CoreNs + "GenericEntityData" + ImisJson.Contracts,
            ["EntityTypeName"] = entity,
            ["PrimaryParentEntityTypeName"] = "Party",
        };
        if (ordinal is { } o) row["Identity"] = ImisJson.Identity(entity, [party.Value, o.ToString(CultureInfo.InvariantCulture)]);
        row["PrimaryParentIdentity"] = ImisJson.Identity("Party", [party.Value]);
        row["Properties"] = ImisJson.Collection(ImisJson.CoreNs + "GenericPropertyDataCollection" + ImisJson.Contracts, values);
        return row;
    }

    public async Task<ImisPanelRow> AddPanelRowAsync(string entity, MemberId party, IReadOnlyList<KeyValuePair<string, object?>> properties, CancellationToken ct = default)
    {
        int? ordinal = null;
        if (!_o.ServerAssignsPanelOrdinal)
        {
            var max = 0;
            await foreach (var row in ListPanelRowsAsync(entity, party, ct)) max = Math.Max(max, row.Ordinal);
            ordinal = max + 1;
        }

        using var doc = await SendAsync(HttpMethod.Post, "api/" + Uri.EscapeDataString(entity),
            PanelRowBody(entity, party, ordinal, properties, _o.PanelPartyKeyProperty, _o.PanelOrdinalProperty), ct);
        return MapPanelRow(entity, doc.RootElement);
    }

    public async Task<ImisPanelRow> UpdatePanelRowAsync(string entity, MemberId party, int ordinal, IReadOnlyList<KeyValuePair<string, object?>> properties, CancellationToken ct = default)
    {
        using var doc = await SendAsync(HttpMethod.Put, $"api/{Uri.EscapeDataString(entity)}/{CompositeId(party.Value, ordinal.ToString(CultureInfo.InvariantCulture))}",
            PanelRowBody(entity, party, ordinal, properties, _o.PanelPartyKeyProperty, _o.PanelOrdinalProperty), ct, safeToRetry: true);
        return MapPanelRow(entity, doc.RootElement);
    }

    public async Task<ImisPanelRow?> GetPanelRowAsync(string entity, MemberId party, int ordinal, CancellationToken ct = default)
    {
        using var doc = await GetAsync($"api/{Uri.EscapeDataString(entity)}/{CompositeId(party.Value, ordinal.ToString(CultureInfo.InvariantCulture))}", notFoundIsNull: true, ct);
        return doc is null ? null : MapPanelRow(entity, doc.RootElement);
    }

    public async IAsyncEnumerable<ImisPanelRow> ListPanelRowsAsync(string entity, MemberId? party = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var filters = new List<KeyValuePair<string, string>>();
        if (party is { } p) filters.Add(new(_o.PanelPartyKeyProperty, p.Value));
        await foreach (var row in PagedAsync(Uri.EscapeDataString(entity), filters, e => MapPanelRow(entity, e), ct)) yield return row;
    }

    public async Task<bool> DeletePanelRowAsync(string entity, MemberId party, int ordinal, CancellationToken ct = default)
    {
        try
        {
            using (await SendAsync(HttpMethod.Delete, $"api/{Uri.EscapeDataString(entity)}/{CompositeId(party.Value, ordinal.ToString(CultureInfo.InvariantCulture))}", null, ct, safeToRetry: true))
            {
            }

            return true;
        }
        catch (ImisRequestException ex) when (ex.Failure.Kind == ImisFailureKind.NotFound)
        {
            return false;
        }
    }

    private ImisPanelRow MapPanelRow(string entity, JsonElement e)
    {
        var identity = ImisJson.Path(e, "Identity", "IdentityElements") is { } ids ? ImisJson.Values(ids).Select(x => ImisJson.Str(x)).ToList() : [];
        var properties = ImisJson.Properties(ImisJson.Prop(e, "Properties"));
        var party = identity.FirstOrDefault() ?? (properties.GetValueOrDefault(_o.PanelPartyKeyProperty) as string)
            ?? throw Protocol($"a {entity} row without its party key");
        var ordinalText = identity.Count > 1 ? identity[1] : Convert.ToString(properties.GetValueOrDefault(_o.PanelOrdinalProperty), CultureInfo.InvariantCulture);
        if (!int.TryParse(ordinalText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ordinal)) throw Protocol($"a {entity} row without its ordinal");
        properties.Remove(_o.PanelPartyKeyProperty);
        properties.Remove(_o.PanelOrdinalProperty);
        return new ImisPanelRow(entity, new MemberId(party), ordinal, properties);
    }

    public Task<ImisPanelRow> AddReviewItemAsync(ImisReviewItem item, CancellationToken ct = default) =>
        AddPanelRowAsync(_o.ReviewQueueEntity, item.PartyId,
        [
            new("InvoiceId", item.InvoiceId?.Value),
            new("ProposedAmount", item.ProposedAmount),
            new("NeedsHumanReview", item.NeedsHumanReview),
            new("Notes", item.Notes),
            new("PaymentReference", item.PaymentReference),
            new("SuggestedAction", item.SuggestedAction),
            new("Confidence", item.Confidence),
            new("CreatedOn", item.CreatedAt),
        ], ct);

    public Task<ImisPanelRow> AddAuditEntryAsync(ImisAuditEntry entry, CancellationToken ct = default) =>
        AddPanelRowAsync(_o.AuditLogEntity, entry.PartyId,
        [
            new("EventTime", entry.EventTime),
            new("Actor", entry.Actor),
            new("Action", entry.Action),
            new("Subject", entry.Subject),
            new("Outcome", entry.Outcome),
            new("RuleVersion", entry.RuleVersion),
            new("Inputs", entry.Inputs),
        ], ct);
}
