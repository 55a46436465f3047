using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuesPilot.Domain;
using Polly.Timeout;

namespace DuesPilot.Imis;

/// <summary>The iMIS REST client over <see cref="ImisTransport"/>. See <see cref="IImisClient"/>.</summary>
public sealed partial class ImisClient : IImisClient, IDisposable
{
    private readonly ImisTransport _transport;
    private readonly bool _ownsTransport;
    private readonly ImisOptions _o;
    private readonly TimeProvider _clock;

    public ImisClient(ImisTransport transport, TimeProvider clock, bool ownsTransport = false)
    {
        _transport = transport;
        _o = transport.Options;
        _clock = clock;
        _ownsTransport = ownsTransport;
    }

    /// <summary>A client with its own transport, for the CLI, tests and benchmarks.</summary>
    public static ImisClient Create(ImisOptions options, TimeProvider clock) => new(new ImisTransport(options, clock), clock, ownsTransport: true);

    public ImisOptions Options => _o;

    /// <summary>Tokens fetched so far: 1 after the first call, more after expiry or a 401.</summary>
    public int TokensFetched => _transport.Tokens.Fetched;

    public void Dispose()
    {
        if (_ownsTransport) _transport.Dispose();
    }

    // ---------------- members ----------------

    public async Task<Member?> GetMemberAsync(MemberId id, CancellationToken ct = default)
    {
        using var doc = await GetAsync("api/Party/" + Uri.EscapeDataString(id.Value), notFoundIsNull: true, ct);
        return doc is null ? null : MapMember(doc.RootElement).Member;
    }

    public async IAsyncEnumerable<ImisMember> ListMembersAsync(DateTime? updatedSince = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var m in PagedAsync("Party", MemberFilters(updatedSince), MapMember, ct)) yield return m;
    }

    public Task<ImisPage<ImisMember>> ReadMembersPageAsync(DateTime? updatedSince, int offset, CancellationToken ct = default) =>
        PageAsync("Party", MemberFilters(updatedSince), offset, MapMember, ct);

    private List<KeyValuePair<string, string>> MemberFilters(DateTime? updatedSince)
    {
        var f = new List<KeyValuePair<string, string>>();
        if (updatedSince is { } since)
        {
            f.Add(new(_o.UpdatedOnProperty, "ge:" + ImisJson.FormatTimestamp(since)));
            f.Add(new("OrderBy", _o.UpdatedOnProperty));
        }

        return f;
    }

    private ImisMember MapMember(JsonElement p)
    {
        var id = ImisJson.Str(p, "PartyId") ?? ImisJson.Str(p, "Id") ?? throw Protocol("a party without PartyId");
        var attributes = ImisJson.Properties(ImisJson.Prop(p, "AdditionalAttributes"));
        var type = ImisJson.TypeName(p) ?? "";
        var isOrg = ImisJson.Prop(p, "PersonName") is null &&
            (ImisJson.Prop(p, "OrganizationName") is not null || type.EndsWith("OrganizationData", StringComparison.Ordinal));
        var fullName = ImisJson.Str(p, "PersonName", "FullName") ?? ImisJson.Str(p, "OrganizationName") ?? ImisJson.Str(p, "Name") ?? id;
        var email = ImisJson.Prop(p, "Emails") is { } emails ? ImisJson.Values(emails).Select(e => ImisJson.Str(e, "Address")).FirstOrDefault(a => !string.IsNullOrWhiteSpace(a)) : null;
        var statusCode = ImisJson.Str(p, "Status", "PartyStatusId") ?? "A";
        var org = ImisJson.Str(p, "PrimaryOrganization", "OrganizationPartyId");
        var member = new Member(
            new MemberId(id),
            isOrg ? PartyKind.Organization : PartyKind.Person,
            fullName,
            ImisJson.Str(p, "PersonName", "FirstName"),
            ImisJson.Str(p, "PersonName", "LastName"),
            email,
            Attribute(attributes, _o.MemberTypeAttribute) ?? "",
            StatusOf(statusCode),
            DateAttribute(attributes, _o.JoinDateAttribute),
            DateAttribute(attributes, _o.PaidThroughAttribute),
            Attribute(attributes, _o.HouseholdAttribute),
            string.IsNullOrWhiteSpace(org) ? null : new MemberId(org),
            Attribute(attributes, _o.ChapterAttribute));
        return new ImisMember(member, ImisJson.Timestamp(p, "UpdateInformation", "UpdatedOn"));
    }

    /// <summary>iMIS status codes beyond A/I/L exist on some sites (suspended, deceased…); anything but A and L reads as inactive.</summary>
    private static MemberStatus StatusOf(string code) => code.Trim().ToUpperInvariant() switch
    {
        "A" or "ACTIVE" => MemberStatus.Active,
        "L" or "LAPSED" => MemberStatus.Lapsed,
        _ => MemberStatus.Inactive,
    };

    private static string? Attribute(Dictionary<string, object?> attributes, string name) =>
        name.Length > 0 && attributes.TryGetValue(name, out var v) && v is not null && Convert.ToString(v, CultureInfo.InvariantCulture) is { Length: > 0 } s ? s : null;

    private static DateOnly? DateAttribute(Dictionary<string, object?> attributes, string name) =>
        Attribute(attributes, name) is { } s && DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? DateOnly.FromDateTime(d) : null;

    // ---------------- invoices ----------------

    public async Task<ImisInvoice?> GetInvoiceAsync(InvoiceId id, CancellationToken ct = default)
    {
        using var doc = await GetAsync("api/Invoice/" + Uri.EscapeDataString(id.Value), notFoundIsNull: true, ct);
        return doc is null ? null : MapInvoice(doc.RootElement);
    }

    public async IAsyncEnumerable<ImisInvoice> ListInvoicesAsync(InvoiceQuery query, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var i in PagedAsync("Invoice", InvoiceFilters(query), MapInvoice, ct)) yield return i;
    }

    public Task<ImisPage<ImisInvoice>> ReadInvoicesPageAsync(InvoiceQuery query, int offset, CancellationToken ct = default) =>
        PageAsync("Invoice", InvoiceFilters(query), offset, MapInvoice, ct);

    public async IAsyncEnumerable<ImisInvoiceSummary> ListInvoiceSummariesAsync(InvoiceQuery query, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var i in PagedAsync("InvoiceSummary", InvoiceFilters(query), MapSummary, ct)) yield return i;
    }

    private List<KeyValuePair<string, string>> InvoiceFilters(InvoiceQuery q)
    {
        var f = new List<KeyValuePair<string, string>>();
        if (q.DuesOnly) f.Add(new("SourceSystem", _o.DuesSourceSystem));
        if (q.OpenOnly) f.Add(new("Balance", "gt:0"));
        if (q.SoldTo is { } soldTo) f.Add(new("SoldToPartyId", soldTo.Value));
        if (q.UpdatedSince is not null || q.OrderByUpdatedOn)
        {
            // InvoiceSummaryData has no top-level UpdatedOn: a change filter is used only once the probe found one that works.
            var filter = string.IsNullOrWhiteSpace(q.ChangeFilter)
                ? throw new InvalidOperationException("No invoice change filter has been confirmed on this iMIS site; poll by re-reading open invoices instead.")
                : q.ChangeFilter;
            if (q.UpdatedSince is { } since) f.Add(new(filter, "ge:" + ImisJson.FormatTimestamp(since)));
            f.Add(new("OrderBy", filter));
        }

        return f;
    }

    private ImisInvoiceSummary MapSummary(JsonElement e)
    {
        var id = ImisJson.Str(e, "InvoiceId") ?? throw Protocol("an invoice without InvoiceId");
        var soldTo = ImisJson.Str(e, "SoldToParty", "PartyId") ?? throw Protocol($"invoice {id} has no SoldToParty");
        var balance = ImisJson.Money(e, "Balance") ?? throw Protocol($"invoice {id} has no Balance");
        return new ImisInvoiceSummary(
            new InvoiceId(id), new MemberId(soldTo), ImisJson.Str(e, "SoldToParty", "Name"),
            new MemberId(ImisJson.Str(e, "BillToParty", "PartyId") ?? soldTo),
            ImisJson.Str(e, "Description"), ImisJson.Date(e, "InvoiceDate"), ImisJson.Date(e, "DueDate"),
            ImisJson.Money(e, "InvoiceAmount"), balance, ImisJson.Str(e, "SourceSystem"),
            ImisJson.Timestamp(e, "UpdateInformation", "UpdatedOn"));
    }

    private ImisInvoice MapInvoice(JsonElement e)
    {
        var s = MapSummary(e);
        var lines = new List<InvoiceLine>();
        var overrides = new List<ImisPriceOverride>();
        if (ImisJson.Prop(e, "Lines") is { } linesElement)
        {
            foreach (var l in ImisJson.Values(linesElement))
            {
                var amount = ImisJson.Money(l, "ExtendedAmount") ?? ImisJson.Money(l, "UnitPrice") ?? Money.Zero(s.Balance.Currency);
                var quantity = ImisJson.Int(l, "Quantity", "Amount") ?? ImisJson.Int(l, "Quantity") ?? ImisJson.Int(l, "QuantityOrdered", "Amount") ?? 1;
                lines.Add(new InvoiceLine(
                    ImisJson.Str(l, "Item", "ItemCode") ?? ImisJson.Str(l, "Item", "ItemId") ?? "",
                    ImisJson.Str(l, "Description") ?? ImisJson.Str(l, "Item", "Name") ?? "",
                    amount, quantity, ImisJson.Str(l, "TaxCategory", "TaxCategoryId"), ImisJson.Date(l, "BeginDate"), ImisJson.Date(l, "EndDate")));
                if (ImisJson.Bool(l, "IsUnitPriceOverridden") == true) overrides.Add(new ImisPriceOverride(lines.Count - 1, ImisJson.Str(l, "PriceOverrideReason") ?? ""));
            }
        }

        var amountTotal = s.Amount ?? (lines.Count > 0 ? Money.Sum(lines.Select(l => l.Amount), s.Balance.Currency) : s.Balance);
        var invoiceDate = s.InvoiceDate ?? throw Protocol($"invoice {s.Id} has no InvoiceDate");
        var invoice = new Invoice(s.Id, s.SoldTo, invoiceDate, s.DueDate ?? invoiceDate, amountTotal, s.Balance,
            lines.FirstOrDefault()?.ProductCode ?? "", s.Description ?? "", lines);
        return new ImisInvoice(invoice, s.BillTo, ImisJson.Str(e, "InvoiceNumber"), s.SourceSystem, ImisJson.Str(e, "InvoicePurpose"), s.UpdatedOn) { PriceOverrides = overrides };
    }

    // ---------------- items, subscriptions, receipts ----------------

    public async Task<IReadOnlyList<ImisItem>> ListItemsAsync(string itemClassId = "DUES", CancellationToken ct = default)
    {
        var items = new List<(string Id, string Code, string Name, string? Class, string? Type)>();
        await foreach (var i in PagedAsync("Item", [new("ItemClassId", itemClassId)], e => (
                           ImisJson.Str(e, "ItemId") ?? throw Protocol("an item without ItemId"),
                           ImisJson.Str(e, "ItemCode") ?? ImisJson.Str(e, "ItemId")!,
                           ImisJson.Str(e, "Name") ?? "",
                           ImisJson.Str(e, "ItemClass", "ItemClassId"),
                           ImisJson.Str(e, "CustomerTypeCode")), ct))
            items.Add(i);
        var result = new List<ImisItem>();
        foreach (var i in items)
        {
            var entries = new List<PriceScheduleEntry>();
            await foreach (var p in PagedAsync("ItemPrice", [new("ItemId", i.Id)], e => (
                               From: ImisJson.Date(e, "EffectiveDate") ?? DateOnly.MinValue,
                               Price: ImisJson.Money(e, "Price") ?? throw Protocol($"a price of item {i.Id} has no Price")), ct))
                entries.Add(new PriceScheduleEntry(p.From, p.Price));
            result.Add(new ImisItem(i.Id, i.Code, i.Name, i.Class, i.Type, new PriceSchedule(i.Code, entries)));
        }

        return result;
    }

    public async Task<IReadOnlyList<ImisSubscription>> ListSubscriptionsAsync(MemberId party, CancellationToken ct = default)
    {
        var list = new List<ImisSubscription>();
        await foreach (var s in PagedAsync("Subscription", [new("PartyId", party.Value)], MapSubscription, ct)) list.Add(s);
        return list;
    }

    public async Task<ImisSubscription?> GetSubscriptionAsync(MemberId party, string itemId, CancellationToken ct = default)
    {
        using var doc = await GetAsync("api/Subscription/" + CompositeId(party.Value, itemId), notFoundIsNull: true, ct);
        return doc is null ? null : MapSubscription(doc.RootElement);
    }

    private ImisSubscription MapSubscription(JsonElement e)
    {
        var party = ImisJson.Str(e, "PartyId") ?? throw Protocol("a subscription without PartyId");
        var status = ImisJson.Str(e, "Status");
        var invoice = ImisJson.Str(e, "InvoiceId");
        var billTo = ImisJson.Str(e, "BillToPartyId");
        return new ImisSubscription(new MemberId(party), ImisJson.Str(e, "ItemId") ?? "", status is null or "0" or "Active",
            ImisJson.Date(e, "PaidThru"), ImisJson.Money(e, "BilledAmount"), ImisJson.Money(e, "Balance"),
            string.IsNullOrWhiteSpace(invoice) ? null : new InvoiceId(invoice), string.IsNullOrWhiteSpace(billTo) ? null : new MemberId(billTo));
    }

    public async IAsyncEnumerable<ImisReceipt> ListReceiptsAsync(MemberId? issuedTo = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var f = new List<KeyValuePair<string, string>>();
        if (issuedTo is { } p) f.Add(new("IssuedToPartyId", p.Value));
        await foreach (var r in PagedAsync("Receipt", f, MapReceipt, ct)) yield return r;
    }

    /// <summary>A <c>ReceiptData</c>: <c>ReceiptId</c>, <c>ReceiptNumber</c>, <c>ReceiptStatus</c>, <c>IssuedToPartyId</c>, <c>ReceiptLines</c> (<c>ReceiptedAmount</c>, <c>PaymentId</c>, <c>InvoiceId</c>).</summary>
    private ImisReceipt MapReceipt(JsonElement e)
    {
        var id = ImisJson.Str(e, "ReceiptId") ?? ImisJson.Str(e, "ReceiptNumber") ?? throw Protocol("a receipt without ReceiptId");
        var lines = ImisJson.Prop(e, "ReceiptLines") is { } l
            ? ImisJson.Values(l).Select(x => new ImisReceiptLine(
                new InvoiceId(ImisJson.Str(x, "InvoiceId") ?? throw Protocol($"a line of receipt {id} without InvoiceId")),
                ImisJson.Money(x, "ReceiptedAmount") ?? throw Protocol($"a line of receipt {id} without ReceiptedAmount"),
                ImisJson.Str(x, "PaymentId"))).ToList()
            : [];
        var issuedTo = ImisJson.Str(e, "IssuedToPartyId");
        return new ImisReceipt(id, ImisJson.Str(e, "ReceiptNumber"), ImisJson.Str(e, "ReceiptStatus"),
            string.IsNullOrWhiteSpace(issuedTo) ? null : new MemberId(issuedTo), lines);
    }

    public async Task<IReadOnlyList<ImisPayment>> FindPaymentsAsync(string referenceNumber, CancellationToken ct = default)
    {
        var found = new List<ImisPayment>();
        await foreach (var p in PagedAsync(Uri.EscapeDataString(_o.PaymentEntity), [new(_o.PaymentReferenceProperty, Equal(referenceNumber))], MapPayment, ct))
        {
            // A site that ignores the filter answers every payment: only an exact match is ours.
            if (string.Equals(p.ReferenceNumber, referenceNumber, StringComparison.Ordinal)) found.Add(p);
        }

        return found;
    }

    /// <summary>A payment: <c>PaymentId</c>, the remittance's <c>ReferenceNumber</c>, <c>PayorParty</c>, <c>Amount</c>, <c>PaymentMethod</c>.</summary>
    private ImisPayment MapPayment(JsonElement e)
    {
        var id = ImisJson.Str(e, "PaymentId") ?? throw Protocol("a payment without PaymentId");
        if (ImisJson.Prop(e, _o.PaymentReferenceProperty) is null)
            throw Protocol($"payment {id} has no {_o.PaymentReferenceProperty}, so a payment whose answer was lost cannot be found again; run `duespilot imis probe`");
        var payor = ImisJson.Str(e, "PayorParty", "PartyId") ?? ImisJson.Str(e, "PayorPartyId");
        return new ImisPayment(id, ImisJson.Str(e, _o.PaymentReferenceProperty), string.IsNullOrWhiteSpace(payor) ? null : new MemberId(payor),
            ImisJson.Money(e, "Amount"), ImisJson.Str(e, "PaymentMethod", "PaymentMethodId"));
    }

    // ---------------- notes ----------------

    public async Task<ImisPartyNote> AddPartyNoteAsync(MemberId party, string purpose, string text, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["$type"] = ImisJson.MembershipNs + "PartyNoteData" + ImisJson.Contracts,
            ["PartyId"] = party.Value,
            ["Purpose"] = purpose,
            ["Text"] = text,
        };
        using var doc = await SendAsync(HttpMethod.Post, "api/PartyNote", body, ct);
        return MapNote(doc.RootElement);
    }

    public async Task<IReadOnlyList<ImisPartyNote>> ListPartyNotesAsync(MemberId party, CancellationToken ct = default)
    {
        var list = new List<ImisPartyNote>();
        await foreach (var n in PagedAsync("PartyNote", [new("PartyId", party.Value)], MapNote, ct)) list.Add(n);
        return list;
    }

    private ImisPartyNote MapNote(JsonElement e) => new(ImisJson.Str(e, "PartyNoteId"),
        new MemberId(ImisJson.Str(e, "PartyId") ?? throw Protocol("a note without PartyId")), ImisJson.Str(e, "Purpose"), ImisJson.Str(e, "Text") ?? "");

    // ---------------- plumbing ----------------

    private static string CompositeId(params string[] elements) => "~" + string.Join("|", elements.Select(Uri.EscapeDataString));

    /// <summary>A filter value for equality: bare, unless it contains a colon that iMIS could read as an operation.</summary>
    private static string Equal(string value) => value.Contains(':', StringComparison.Ordinal) ? "eq:" + value : value;

    private static string Query(IEnumerable<KeyValuePair<string, string>> filters) =>
        string.Join("&", filters.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value).Replace("%3A", ":", StringComparison.Ordinal)));

    private static ImisRequestException Protocol(string what) =>
        new(new ImisFailure(ImisFailureKind.Protocol, null, ["Unexpected iMIS answer: " + what + "."], "read"));

    public async Task<int?> CountAsync(string entity, IReadOnlyList<KeyValuePair<string, string>>? filters = null, CancellationToken ct = default)
    {
        var f = new List<KeyValuePair<string, string>>(filters ?? []) { new("limit", "1"), new("offset", "0") };
        using var doc = await GetAsync($"api/{Uri.EscapeDataString(entity)}?{Query(f)}", notFoundIsNull: true, ct);
        if (doc is null) return null;
        return ImisJson.Int(doc.RootElement, "TotalCount") ?? (ImisJson.Prop(doc.RootElement, "Items") is { } items ? ImisJson.Values(items).Count() : 1);
    }

    /// <summary>One exchange for <see cref="ImisProbe"/>: the status and JSON body whatever the status (a refusal is evidence, not an error).</summary>
    public async Task<ImisRawAnswer> RawAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.ParseAdd("application/json");
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        try
        {
            var (status, doc) = await ExchangeAsync(request, ct);
            return new ImisRawAnswer((int)status, doc, status == HttpStatusCode.NotFound ? "not found" : null);
        }
        catch (ImisRequestException ex)
        {
            return new ImisRawAnswer(ex.Failure.StatusCode ?? 0, null, ex.Failure.Message);
        }
    }

    private async IAsyncEnumerable<T> PagedAsync<T>(string entity, List<KeyValuePair<string, string>> filters, Func<JsonElement, T> map, [EnumeratorCancellation] CancellationToken ct)
    {
        var offset = 0;
        while (true)
        {
            var page = await PageAsync(entity, filters, offset, map, ct);
            foreach (var item in page.Items) yield return item;
            // iMIS sets NextOffset to 0 (not null) on the last page; HasNext is checked as well, and a page that
            // does not move forward ends the loop rather than spinning.
            if (!page.HasNext || page.NextOffset <= offset || page.Items.Count == 0) yield break;
            offset = page.NextOffset;
        }
    }

    private async Task<ImisPage<T>> PageAsync<T>(string entity, List<KeyValuePair<string, string>> filters, int offset, Func<JsonElement, T> map, CancellationToken ct)
    {
        var f = new List<KeyValuePair<string, string>>(filters)
        {
            new("limit", _o.PageSize.ToString(CultureInfo.InvariantCulture)),
            new("offset", offset.ToString(CultureInfo.InvariantCulture)),
        };
        using var doc = await GetAsync($"api/{entity}?{Query(f)}", notFoundIsNull: false, ct);
        var root = doc!.RootElement;
        if (ImisJson.Prop(root, "Items") is not { } items)
        {
            // Some queries answer a bare entity instead of a PagedResult (seen for Invoice?InvoiceId=…).
            return new ImisPage<T>([map(root)], offset, 1, false, 0);
        }

        var list = ImisJson.Values(items).Select(map).ToList();
        return new ImisPage<T>(list, ImisJson.Int(root, "Offset") ?? offset, ImisJson.Int(root, "TotalCount") ?? list.Count,
            ImisJson.Bool(root, "HasNext") ?? false, ImisJson.Int(root, "NextOffset") ?? 0);
    }

    private async Task<JsonDocument?> GetAsync(string path, bool notFoundIsNull, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("application/json");
        var (status, doc) = await ExchangeAsync(request, ct);
        if (status == HttpStatusCode.NotFound && notFoundIsNull)
        {
            doc?.Dispose();
            return null;
        }

        return doc;
    }

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct, bool safeToRetry = false)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.ParseAdd("application/json");
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        if (safeToRetry) request.Options.Set(ImisTransport.SafeToRetry, true);
        var (status, doc) = await ExchangeAsync(request, ct);
        if (status == HttpStatusCode.NotFound)
            throw new ImisRequestException(new ImisFailure(ImisFailureKind.NotFound, 404, [$"{path} does not exist on this site."], $"{method} /{path}"));
        return doc ?? JsonDocument.Parse("{}");
    }

    /// <summary>Sends through the resilient pipeline; non-success answers (except a 404 the caller may want) become <see cref="ImisRequestException"/>.</summary>
    private async Task<(HttpStatusCode Status, JsonDocument? Body)> ExchangeAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var what = $"{request.Method} /{request.RequestUri}";
        HttpResponseMessage response;
        try
        {
            response = await _transport.Api.SendAsync(request, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            throw new ImisRequestException(new ImisFailure(ImisFailureKind.NoAnswer, null, [ex.Message], what), ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                if (response.StatusCode == HttpStatusCode.NotFound) return (response.StatusCode, null);
                throw new ImisRequestException(new ImisFailure(ImisFailure.KindOf(response.StatusCode), (int)response.StatusCode, ImisFailure.MessagesFrom(text), what));
            }

            if (string.IsNullOrWhiteSpace(text)) return (response.StatusCode, null);
            try
            {
                return (response.StatusCode, JsonDocument.Parse(text));
            }
            catch (JsonException ex)
            {
                throw new ImisRequestException(new ImisFailure(ImisFailureKind.Protocol, (int)response.StatusCode, ["The answer is not JSON: " + ex.Message], what), ex);
            }
        }
    }
}
