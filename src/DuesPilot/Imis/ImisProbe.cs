using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Imis;

/// <summary>The wire assumptions still UNCONFIRMED in the public sources, each settled on the customer's site by <see cref="ImisProbe"/>.</summary>
public static class ImisProbePoints
{
    /// <summary><c>_validate</c> answers with a top-level <c>IsValid</c> (2xx even when invalid). Payment writes depend on it.</summary>
    public const string ValidateAnswer = "validate-answer";

    /// <summary>iMIS takes the amount paid on an existing invoice from the summary's <c>PaymentAmount</c>. Payment writes depend on it.</summary>
    public const string PaymentAmountField = "payment-amount-field";

    /// <summary>A payment (<c>/api/Payment</c>) carries the remittance's <c>ReferenceNumber</c> and can be filtered by it. Payment writes depend on it.</summary>
    public const string PaymentReference = "payment-reference";

    /// <summary>Receipts are <c>ReceiptData</c> with <c>ReceiptLines</c> (<c>ReceiptedAmount</c>, <c>PaymentId</c>, <c>InvoiceId</c>).</summary>
    public const string ReceiptShape = "receipt-shape";

    /// <summary><c>InvoiceSummaryData</c> has <c>Balance</c> and <c>PaymentAmount</c> as money with a currency.</summary>
    public const string InvoiceSummaryShape = "invoice-summary-shape";

    /// <summary>Invoices can be selected by last change (<c>UpdateInformation.UpdatedOn</c>); otherwise they are polled by re-reading.</summary>
    public const string InvoiceChangeFilter = "invoice-change-filter";

    /// <summary>The review-queue panel exists and its rows have a two-element identity (party id, ordinal).</summary>
    public const string ReviewPanel = "panel-review-queue";

    /// <summary>The audit-log panel exists and its rows have a two-element identity (party id, ordinal).</summary>
    public const string AuditPanel = "panel-audit-log";

    /// <summary>The largest page the site serves (<c>limit</c>); the client asks for at most 100.</summary>
    public const string PageSize = "page-size";
}

public enum ImisVerdict
{
    Confirmed,
    Contradicted,
    Unknown,
}

/// <summary>One settled (or unsettled) assumption: what was assumed, what the site showed, and whether payment writes depend on it.</summary>
/// <param name="Value">A value the connector uses when confirmed (the change filter's property, the page limit).</param>
public sealed record ImisFinding(string Point, string Assumption, ImisVerdict Verdict, bool WritePath, string Evidence, string? Value = null)
{
    public string VerdictText => Verdict switch
    {
        ImisVerdict.Confirmed => "confirmed",
        ImisVerdict.Contradicted => "contradicted",
        _ => "could not tell",
    };
}

/// <summary>
/// Read-only checks against the customer's iMIS site, one per assumption in <see cref="ImisProbePoints"/>. Nothing is written:
/// only GETs and <c>POST /api/ComboOrder/_validate</c> (validation only) of a 0.01 payment on an open dues invoice.
/// </summary>
public static class ImisProbe
{
    public static async Task<IReadOnlyList<ImisFinding>> RunAsync(ImisClient client, TimeProvider clock, CancellationToken ct = default)
    {
        var o = client.Options;
        var findings = new List<ImisFinding>
        {
            await PageSizeAsync(client, ct),
        };
        var (summaryFinding, openInvoice) = await InvoiceSummaryAsync(client, o, ct);
        findings.Add(summaryFinding);
        findings.AddRange(await ValidateAsync(client, clock, openInvoice, ct));
        var (receiptFinding, paymentId) = await ReceiptAsync(client, ct);
        findings.Add(receiptFinding);
        findings.Add(await PaymentReferenceAsync(client, o, paymentId, clock, ct));
        findings.Add(await ChangeFilterAsync(client, o, ct));
        findings.Add(await PanelAsync(client, ImisProbePoints.ReviewPanel, o.ReviewQueueEntity, ct));
        findings.Add(await PanelAsync(client, ImisProbePoints.AuditPanel, o.AuditLogEntity, ct));
        return findings;
    }

    private static string Describe(ImisRawAnswer a) => a.Error is { } e ? $"HTTP {a.Status}: {e}" : $"HTTP {a.Status}";

    private static JsonElement? FirstItem(JsonDocument? doc) =>
        doc is not null && ImisJson.Prop(doc.RootElement, "Items") is { } items ? ImisJson.Values(items).Cast<JsonElement?>().FirstOrDefault() : null;

    private static async Task<ImisFinding> PageSizeAsync(ImisClient client, CancellationToken ct)
    {
        const string what = "the site serves pages of at least 100 rows (limit); its maximum is not documented";
        using var a = await client.RawAsync(HttpMethod.Get, "api/Party?limit=500&offset=0", null, ct);
        if (a.Body is null || ImisJson.Int(a.Body.RootElement, "Limit") is not { } limit)
            return new(ImisProbePoints.PageSize, what, ImisVerdict.Unknown, false, $"GET /api/Party?limit=500: {Describe(a)}, no Limit in the answer");
        return new(ImisProbePoints.PageSize, what, limit >= 100 ? ImisVerdict.Confirmed : ImisVerdict.Contradicted, false,
            $"GET /api/Party?limit=500 answered Limit={limit}", limit.ToString(CultureInfo.InvariantCulture));
    }

    private static async Task<(ImisFinding, JsonObject?)> InvoiceSummaryAsync(ImisClient client, ImisOptions o, CancellationToken ct)
    {
        const string what = "InvoiceSummaryData has Balance and PaymentAmount, money with Currency";
        var path = $"api/InvoiceSummary?SourceSystem={Uri.EscapeDataString(o.DuesSourceSystem)}&Balance=gt:0&limit=1";
        using var a = await client.RawAsync(HttpMethod.Get, path, null, ct);
        if (FirstItem(a.Body) is not { } item)
            return (new(ImisProbePoints.InvoiceSummaryShape, what, ImisVerdict.Unknown, false, $"GET /{path}: {Describe(a)}, no open dues invoice to look at"), null);
        var summary = JsonNode.Parse(item.GetRawText())!.AsObject();
        var missing = new List<string>();
        if (ImisJson.Path(item, "Balance", "Currency", "CurrencyCode") is null) missing.Add("Balance.Currency");
        if (ImisJson.Prop(item, "PaymentAmount") is null) missing.Add("PaymentAmount");
        var id = ImisJson.Str(item, "InvoiceId");
        return missing.Count == 0
            ? (new(ImisProbePoints.InvoiceSummaryShape, what, ImisVerdict.Confirmed, false, $"invoice {id}: Balance with Currency and PaymentAmount present"), summary)
            : (new(ImisProbePoints.InvoiceSummaryShape, what, ImisVerdict.Contradicted, false, $"invoice {id} has no {string.Join(", ", missing)}"), summary);
    }

    private static async Task<IEnumerable<ImisFinding>> ValidateAsync(ImisClient client, TimeProvider clock, JsonObject? summary, CancellationToken ct)
    {
        const string answer = "_validate answers 2xx with a top-level IsValid (false for an invalid order) and the completed Entity";
        const string field = "iMIS takes the amount paid on an existing invoice from the invoice summary's PaymentAmount";
        if (summary?["InvoiceId"]?.GetValue<string>() is not { } invoiceId || summary["SoldToParty"]?["PartyId"]?.GetValue<string>() is not { } party)
        {
            return
            [
                new(ImisProbePoints.ValidateAnswer, answer, ImisVerdict.Unknown, true, "no open dues invoice to validate a harmless order against"),
                new(ImisProbePoints.PaymentAmountField, field, ImisVerdict.Unknown, true, "no open dues invoice to validate a harmless order against"),
            ];
        }

        var cent = Money.FromMinor(1, Currency.USD);
        var reference = "DP-PROBE-" + clock.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var request = new ImisPaymentRequest(reference, new MemberId(party), client.Options.PaymentMethods["cash"], [new ImisInvoicePayment(new InvoiceId(invoiceId), cent)]);
        var body = ImisClient.ComboOrderBody(request, new Dictionary<InvoiceId, JsonObject> { [new InvoiceId(invoiceId)] = summary });
        using var valid = await client.RawAsync(HttpMethod.Post, "api/ComboOrder/_validate", body, ct);
        var bogus = ImisClient.ComboOrderBody(request with { Invoices = [new ImisInvoicePayment(new InvoiceId("DUESPILOT-PROBE-NO-SUCH-INVOICE"), cent)] }, new Dictionary<InvoiceId, JsonObject>());
        using var invalid = await client.RawAsync(HttpMethod.Post, "api/ComboOrder/_validate", bogus, ct);

        ImisFinding answerFinding;
        var validIsValid = valid.Body is null ? null : ImisJson.Bool(valid.Body.RootElement, "IsValid");
        var invalidIsValid = invalid.Body is null ? null : ImisJson.Bool(invalid.Body.RootElement, "IsValid");
        var evidence = $"a 0.01 payment on {invoiceId}: {Describe(valid)}, IsValid={validIsValid?.ToString() ?? "absent"}; an unknown invoice: {Describe(invalid)}, IsValid={invalidIsValid?.ToString() ?? "absent"}";
        if (valid.Status is >= 200 and < 300 && validIsValid is null && valid.Body is not null && ImisJson.Prop(valid.Body.RootElement, "ValidationResults") is null)
            answerFinding = new(ImisProbePoints.ValidateAnswer, answer, ImisVerdict.Contradicted, true, evidence + " — no IsValid or ValidationResults, so an invalid order cannot be told from a valid one");
        else if (invalid.Status is >= 200 and < 300 && invalidIsValid == true)
            answerFinding = new(ImisProbePoints.ValidateAnswer, answer, ImisVerdict.Contradicted, true, evidence + " — an order for an invoice that does not exist was called valid");
        else if (valid.Status is >= 200 and < 300 && validIsValid is not null && (invalidIsValid == false || invalid.Status is >= 400 and < 500))
            answerFinding = new(ImisProbePoints.ValidateAnswer, answer, ImisVerdict.Confirmed, true, evidence);
        else
            answerFinding = new(ImisProbePoints.ValidateAnswer, answer, ImisVerdict.Unknown, true, evidence);

        ImisFinding fieldFinding;
        var entityInvoice = valid.Body is not null && ImisJson.Path(valid.Body.RootElement, "Entity", "Invoices") is { } invoices
            ? ImisJson.Values(invoices).Cast<JsonElement?>().FirstOrDefault()
            : null;
        if (validIsValid != true || entityInvoice is not { } inv)
            fieldFinding = new(ImisProbePoints.PaymentAmountField, field, ImisVerdict.Unknown, true, $"the harmless order was not validated with an Entity ({Describe(valid)})");
        else if (ImisJson.Money(inv, "PaymentAmount") == cent)
            fieldFinding = new(ImisProbePoints.PaymentAmountField, field, ImisVerdict.Confirmed, true, "the validated Entity kept PaymentAmount 0.01 on the invoice");
        else
            fieldFinding = new(ImisProbePoints.PaymentAmountField, field, ImisVerdict.Contradicted, true,
                $"the validated Entity has PaymentAmount {ImisJson.Money(inv, "PaymentAmount")?.ToPlainString() ?? "absent"} where 0.01 was sent");
        return [answerFinding, fieldFinding];
    }

    private static async Task<(ImisFinding, string?)> ReceiptAsync(ImisClient client, CancellationToken ct)
    {
        const string what = "receipts are ReceiptData with ReceiptLines (ReceiptedAmount, PaymentId, InvoiceId)";
        using var a = await client.RawAsync(HttpMethod.Get, "api/Receipt?limit=1", null, ct);
        if (FirstItem(a.Body) is not { } item)
            return (new(ImisProbePoints.ReceiptShape, what, ImisVerdict.Unknown, false, $"GET /api/Receipt?limit=1: {Describe(a)}, no receipt to look at"), null);
        var line = ImisJson.Prop(item, "ReceiptLines") is { } lines ? ImisJson.Values(lines).Cast<JsonElement?>().FirstOrDefault() : null;
        var missing = new List<string>();
        if (line is not { } l) missing.Add("ReceiptLines");
        else
        {
            foreach (var name in new[] { "ReceiptedAmount", "PaymentId", "InvoiceId" })
                if (ImisJson.Prop(l, name) is null) missing.Add("ReceiptLines[]." + name);
        }

        var id = ImisJson.Str(item, "ReceiptId") ?? ImisJson.Str(item, "ReceiptNumber") ?? "?";
        var paymentId = line is { } pl ? ImisJson.Str(pl, "PaymentId") : null;
        return missing.Count == 0
            ? (new(ImisProbePoints.ReceiptShape, what, ImisVerdict.Confirmed, false, $"receipt {id}: line pays invoice {ImisJson.Str(line!.Value, "InvoiceId")} from payment {paymentId}"), paymentId)
            : (new(ImisProbePoints.ReceiptShape, what, ImisVerdict.Contradicted, false, $"receipt {id} has no {string.Join(", ", missing)}"), paymentId);
    }

    private static async Task<ImisFinding> PaymentReferenceAsync(ImisClient client, ImisOptions o, string? paymentId, TimeProvider clock, CancellationToken ct)
    {
        var what = $"a payment (/api/{o.PaymentEntity}) carries the remittance's {o.PaymentReferenceProperty} and can be filtered by it (the lost-answer guard)";
        var entity = Uri.EscapeDataString(o.PaymentEntity);
        JsonElement? payment;
        string source;
        if (paymentId is not null)
        {
            using var byId = await client.RawAsync(HttpMethod.Get, $"api/{entity}/{Uri.EscapeDataString(paymentId)}", null, ct);
            if (byId.Status == 404)
                return new(ImisProbePoints.PaymentReference, what, ImisVerdict.Contradicted, true, $"GET /api/{o.PaymentEntity}/{paymentId} (the payment of a receipt line): 404");
            payment = byId.Body?.RootElement.Clone();
            source = $"payment {paymentId} of a receipt line";
        }
        else
        {
            using var list = await client.RawAsync(HttpMethod.Get, $"api/{entity}?limit=1", null, ct);
            if (list.Status == 404)
                return new(ImisProbePoints.PaymentReference, what, ImisVerdict.Contradicted, true, $"GET /api/{o.PaymentEntity}: 404");
            payment = FirstItem(list.Body)?.Clone();
            source = "the first payment listed";
        }

        if (payment is not { ValueKind: JsonValueKind.Object } p)
            return new(ImisProbePoints.PaymentReference, what, ImisVerdict.Unknown, true, "no payment on the site to look at");
        if (ImisJson.Prop(p, o.PaymentReferenceProperty) is null)
            return new(ImisProbePoints.PaymentReference, what, ImisVerdict.Contradicted, true, $"{source} has no {o.PaymentReferenceProperty}");
        var nowhere = "DP-PROBE-NONE-" + clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var path = $"api/{entity}?{Uri.EscapeDataString(o.PaymentReferenceProperty)}={Uri.EscapeDataString(nowhere)}&limit=1";
        using var filtered = await client.RawAsync(HttpMethod.Get, path, null, ct);
        if (filtered.Status is >= 400 and < 500)
            return new(ImisProbePoints.PaymentReference, what, ImisVerdict.Contradicted, true, $"{source} has {o.PaymentReferenceProperty}, but GET /{path}: {Describe(filtered)}");
        var count = filtered.Body is null ? null : ImisJson.Int(filtered.Body.RootElement, "TotalCount") ?? ImisJson.Int(filtered.Body.RootElement, "Count");
        return count switch
        {
            0 => new(ImisProbePoints.PaymentReference, what, ImisVerdict.Confirmed, true,
                $"{source} has {o.PaymentReferenceProperty} '{ImisJson.Str(p, o.PaymentReferenceProperty)}'; filtering by a reference nobody used answers 0 rows"),
            > 0 => new(ImisProbePoints.PaymentReference, what, ImisVerdict.Contradicted, true,
                $"{source} has {o.PaymentReferenceProperty}, but the filter is ignored: a reference nobody used answers {count} rows"),
            _ => new(ImisProbePoints.PaymentReference, what, ImisVerdict.Unknown, true, $"GET /{path}: {Describe(filtered)}"),
        };
    }

    private static async Task<ImisFinding> ChangeFilterAsync(ImisClient client, ImisOptions o, CancellationToken ct)
    {
        const string what = "invoices can be selected by last change (UpdateInformation.UpdatedOn); otherwise open invoices are re-read and compared";
        const string property = "UpdateInformation.UpdatedOn";
        var dues = Uri.EscapeDataString(o.DuesSourceSystem);
        using var all = await client.RawAsync(HttpMethod.Get, $"api/Invoice?SourceSystem={dues}&limit=1", null, ct);
        if (FirstItem(all.Body) is not { } item)
            return new(ImisProbePoints.InvoiceChangeFilter, what, ImisVerdict.Unknown, false, $"GET /api/Invoice: {Describe(all)}, no dues invoice to look at");
        if (ImisJson.Path(item, "UpdateInformation", "UpdatedOn") is null)
            return new(ImisProbePoints.InvoiceChangeFilter, what, ImisVerdict.Contradicted, false, $"invoice {ImisJson.Str(item, "InvoiceId")} has no UpdateInformation.UpdatedOn; invoices are polled by re-reading");
        var total = ImisJson.Int(all.Body!.RootElement, "TotalCount");
        var path = $"api/Invoice?SourceSystem={dues}&{property}=gt:2999-01-01T00:00:00&limit=1";
        using var future = await client.RawAsync(HttpMethod.Get, path, null, ct);
        var count = future.Body is null ? null : ImisJson.Int(future.Body.RootElement, "TotalCount");
        if (future.Status is >= 400 and < 500)
            return new(ImisProbePoints.InvoiceChangeFilter, what, ImisVerdict.Contradicted, false, $"GET /{path}: {Describe(future)}; invoices are polled by re-reading");
        if (count == 0 && total > 0)
            return new(ImisProbePoints.InvoiceChangeFilter, what, ImisVerdict.Confirmed, false, $"{total} dues invoices; changed after 2999-01-01: 0", property);
        return new(ImisProbePoints.InvoiceChangeFilter, what, count is null ? ImisVerdict.Unknown : ImisVerdict.Contradicted, false,
            $"{total} dues invoices; the filter {property}=gt:2999-01-01 answered {count?.ToString(CultureInfo.InvariantCulture) ?? Describe(future)} (ignored)");
    }

    private static async Task<ImisFinding> PanelAsync(ImisClient client, string point, string entity, CancellationToken ct)
    {
        var what = $"the {entity} panel exists as a multi-instance contact panel: rows identified by party id and an ordinal iMIS assigns";
        using var a = await client.RawAsync(HttpMethod.Get, $"api/{Uri.EscapeDataString(entity)}?limit=1", null, ct);
        if (a.Status == 404)
            return new(point, what, ImisVerdict.Contradicted, false, $"GET /api/{entity}: 404, not defined; create it in Panel Designer");
        if (FirstItem(a.Body) is not { } row)
            return new(point, what, ImisVerdict.Unknown, false, $"GET /api/{entity}: {Describe(a)}, no rows yet; the first write shows the identity");
        var elements = ImisJson.Path(row, "Identity", "IdentityElements") is { } ids ? ImisJson.Values(ids).Select(x => ImisJson.Str(x) ?? "").ToList() : [];
        return elements.Count == 2
            ? new(point, what, ImisVerdict.Confirmed, false, $"a row's identity is [{string.Join(", ", elements)}]")
            : new(point, what, ImisVerdict.Contradicted, false, $"a row's identity has {elements.Count} element(s): [{string.Join(", ", elements)}]");
    }
}

/// <summary>An answer the probe looks at whatever its status: the status, the JSON body (if any) and iMIS's message on failure.</summary>
public sealed record ImisRawAnswer(int Status, JsonDocument? Body, string? Error) : IDisposable
{
    public void Dispose() => Body?.Dispose();
}

/// <summary>
/// The probe's findings kept in the database (<c>imis_probe_findings</c>, the latest run per point). The connector reads them:
/// payment writes wait while a point they depend on is contradicted, and invoices are polled with a change filter only once one is confirmed.
/// </summary>
public static class ImisProbeFindings
{
    public static Task SaveAsync(Store store, string site, IReadOnlyList<ImisFinding> findings, TimeProvider clock, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            foreach (var f in findings)
            {
                await c.ExecuteAsync(
                    """
                    INSERT INTO imis_probe_findings (point, verdict, write_path, evidence, value, site, probed_at)
                    VALUES (@Point, @verdict, @writePath, @Evidence, @Value, @site, @at)
                    ON CONFLICT (point) DO UPDATE SET verdict = excluded.verdict, write_path = excluded.write_path, evidence = excluded.evidence,
                        value = excluded.value, site = excluded.site, probed_at = excluded.probed_at
                    """,
                    new { f.Point, verdict = Verdict(f.Verdict), writePath = f.WritePath ? 1L : 0L, f.Evidence, f.Value, site, at = DbTime.Format(clock.GetUtcNow()) }, tx);
            }
        }, ct);

    public sealed record Stored(string Point, string Verdict, bool WritePath, string Evidence, string? Value, string Site, string ProbedAt);

    public static async Task<IReadOnlyList<Stored>> LoadAsync(Store store, CancellationToken ct = default)
    {
        await using var c = await store.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(string Point, string Verdict, long WritePath, string Evidence, string? Value, string Site, string ProbedAt)>(
            "SELECT point, verdict, write_path, evidence, value, site, probed_at FROM imis_probe_findings ORDER BY point");
        return rows.Select(r => new Stored(r.Point, r.Verdict, r.WritePath != 0, r.Evidence, r.Value, r.Site, r.ProbedAt)).ToList();
    }

    /// <summary>Contradicted points that payment writes depend on; while any is stored, payments are not written.</summary>
    public static async Task<IReadOnlyList<Stored>> BlockingPaymentsAsync(Store store, CancellationToken ct = default) =>
        (await LoadAsync(store, ct)).Where(f => f.WritePath && f.Verdict == "contradicted").ToList();

    /// <summary>The value of a confirmed point (e.g. the invoice change filter), or null.</summary>
    public static async Task<string?> ConfirmedValueAsync(Store store, string point, CancellationToken ct = default) =>
        (await LoadAsync(store, ct)).FirstOrDefault(f => f.Point == point && f.Verdict == "confirmed")?.Value;

    private static string Verdict(ImisVerdict v) => v switch
    {
        ImisVerdict.Confirmed => "confirmed",
        ImisVerdict.Contradicted => "contradicted",
        _ => "unknown",
    };
}
