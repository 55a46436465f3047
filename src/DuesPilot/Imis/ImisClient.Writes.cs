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
    /// 1. read back by reference first (a payment applied in an earlier run is <see cref="ImisPaymentStatus.AlreadyApplied"/>);
    /// 2. <c>POST /api/ComboOrder/_validate</c> (safe to retry) and take the server-completed <c>Entity</c>;
    /// 3. <c>POST /api/ComboOrder</c>, never retried blindly: when the answer is lost (timeout, dropped connection, 5xx, 429)
    ///    the client waits, reads back by reference, and posts again only when iMIS shows no receipt.
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

        if (before.Status != ImisPaymentStatus.Unavailable) return new ImisPaymentOutcome(before.Status, before.Receipt, null, 0);

        JsonNode entity;
        try
        {
            using var validated = await SendAsync(HttpMethod.Post, "api/ComboOrder/_validate", ComboOrderBody(request), ct, safeToRetry: true);
            entity = ImisJson.Prop(validated.RootElement, "Entity") is { ValueKind: JsonValueKind.Object } e
                ? JsonNode.Parse(e.GetRawText())!
                : ComboOrderBody(request);
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

                ImisReceipt? receipt = null;
                try
                {
                    receipt = (await ReadBackAsync(request, ct)).Receipt;
                }
                catch (ImisRequestException ex) when (ex.Failure.IsRetryable)
                {
                    // Applied for certain; the receipt is only a courtesy to the caller.
                }

                return new ImisPaymentOutcome(ImisPaymentStatus.Applied, receipt, null, attempt);
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

            if (after.Status == ImisPaymentStatus.AlreadyApplied) return new ImisPaymentOutcome(ImisPaymentStatus.Applied, after.Receipt, null, attempt);
            if (after.Status == ImisPaymentStatus.Conflict) return new ImisPaymentOutcome(ImisPaymentStatus.Conflict, after.Receipt, last, attempt);
        }

        return new ImisPaymentOutcome(ImisPaymentStatus.Unavailable, null, last, _o.MaxWriteAttempts);
    }

    private sealed record ReadBack(ImisPaymentStatus Status, ImisReceipt? Receipt);

    /// <summary>Finds receipts carrying the payment's reference: AlreadyApplied when one has the same payor and amount, Conflict when they differ, Unavailable (meaning "none") otherwise.</summary>
    private async Task<ReadBack> ReadBackAsync(ImisPaymentRequest request, CancellationToken ct)
    {
        var found = new List<ImisReceipt>();
        await foreach (var r in ListReceiptsAsync(null, request.ReferenceNumber, ct))
            if (string.Equals(r.ReferenceNumber, request.ReferenceNumber, StringComparison.Ordinal)) found.Add(r);
        if (found.Count == 0) return new ReadBack(ImisPaymentStatus.Unavailable, null);
        var same = found.FirstOrDefault(r => r.Payor == request.Payor && r.Amount == request.Total);
        return same is not null ? new ReadBack(ImisPaymentStatus.AlreadyApplied, same) : new ReadBack(ImisPaymentStatus.Conflict, found[0]);
    }

    /// <summary>The ComboOrder body paying existing invoices, in the shape of imis-api.md §8.5.</summary>
    public static JsonObject ComboOrderBody(ImisPaymentRequest request)
    {
        var currency = request.Invoices[0].Amount.Currency;
        return new JsonObject
        {
            ["$type"] = ImisJson.CommerceNs + "ComboOrderData" + ImisJson.Contracts,
            ["Currency"] = ImisJson.CurrencyData(currency),
            ["Invoices"] = ImisJson.Collection(ImisJson.CommerceNs + "InvoiceSummaryDataCollection" + ImisJson.Contracts, request.Invoices.Select(i => (JsonNode?)new JsonObject
            {
                ["$type"] = ImisJson.CommerceNs + "InvoiceSummaryData" + ImisJson.Contracts,
                ["InvoiceId"] = i.InvoiceId.Value,
                ["Balance"] = ImisJson.MonetaryAmount(i.Amount),
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
                    ["PayorParty"] = new JsonObject
                    {
                        ["$type"] = ImisJson.CommerceNs + "CustomerPartyData" + ImisJson.Contracts,
                        ["PartyId"] = request.Payor.Value,
                    },
                    ["ReferenceNumber"] = request.ReferenceNumber,
                },
            ]),
        };
    }

    // ---------------- custom panels ----------------

    /// <summary>A GenericEntityData row of a contact panel, in the shape of imis-api.md §8.4; the ordinal is left out when the server assigns it.</summary>
    public static JsonObject PanelRowBody(string entity, MemberId party, int? ordinal, IReadOnlyList<KeyValuePair<string, object?>> properties, string partyKey = "ID", string ordinalKey = "Ordinal")
    {
        var identity = ordinal is { } o ? new[] { party.Value, o.ToString(CultureInfo.InvariantCulture) } : new[] { party.Value };
        var values = new List<JsonNode?> { ImisJson.Property(partyKey, party.Value) };
        if (ordinal is { } ord) values.Add(ImisJson.Property(ordinalKey, ord));
        values.AddRange(properties.Select(p => (JsonNode?)ImisJson.Property(p.Key, p.Value)));
        return new JsonObject
        {
            ["$type"] = ImisJson.CoreNs + "GenericEntityData" + ImisJson.Contracts,
            ["EntityTypeName"] = entity,
            ["PrimaryParentEntityTypeName"] = "Party",
            ["Identity"] = ImisJson.Identity(entity, identity),
            ["PrimaryParentIdentity"] = ImisJson.Identity("Party", [party.Value]),
            ["Properties"] = ImisJson.Collection(ImisJson.CoreNs + "GenericPropertyDataCollection" + ImisJson.Contracts, values),
        };
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
