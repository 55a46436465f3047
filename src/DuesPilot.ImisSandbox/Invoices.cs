using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static DuesPilot.ImisSandbox.SandboxEndpoints;

namespace DuesPilot.ImisSandbox;

/// <summary>
/// <c>/api/InvoiceSummary</c> (headers) and <c>/api/Invoice</c> (headers with lines): paged lists with the
/// filters seen in community code (<c>SourceSystem</c>, <c>Balance=gt:0</c>, <c>SoldToPartyId</c>) and get by id.
/// Read-only, as in iMIS: invoices change only through billing and ComboOrder payments. <c>InvoiceSummaryData</c> has
/// <c>Balance</c>, <c>PaymentAmount</c> and <c>PendingPaymentAmount</c> and no <c>UpdateInformation</c> (20.3.235 contract
/// templates, [PM-SDK]), so there is no last-change filter either: a client must find changes by re-reading.
/// </summary>
internal static class Invoices
{
    private const string SummaryType = Wire.Commerce + "InvoiceSummaryData";
    private const string InvoiceType = Wire.Commerce + "InvoiceData";

    private static readonly Dictionary<string, Column> InvoiceColumns = Columns(
        ("InvoiceId", "invoice_id", ColumnKind.Text), ("InvoiceNumber", "invoice_number", ColumnKind.Int),
        ("SoldToPartyId", "sold_to", ColumnKind.Text), ("BillToPartyId", "bill_to", ColumnKind.Text),
        ("InvoiceDate", "invoice_date", ColumnKind.Date), ("DueDate", "due_date", ColumnKind.Date),
        ("Balance", "balance_cents", ColumnKind.Money), ("InvoiceAmount", "amount_cents", ColumnKind.Money),
        ("SourceSystem", "source_system", ColumnKind.Text), ("InvoicePurpose", "invoice_type", ColumnKind.Text),
        ("Description", "description", ColumnKind.Text));

    public static void Map(WebApplication app)
    {
        app.MapGet("/api/InvoiceSummary", (HttpContext ctx, SandboxState state) => PagedAsync(ctx, SummaryType, "invoice_view", InvoiceColumns, "invoice_number", null, r => Summary(r, SummaryType), countFrom: "invoices"));
        app.MapGet("/api/InvoiceSummary/{id}", (string id, SandboxState s) => GetAsync(s, id, withLines: false));
        app.MapGet("/api/Invoice", (HttpContext ctx, SandboxState state) => ListWithLinesAsync(ctx));
        app.MapGet("/api/Invoice/{id}", (string id, SandboxState s) => GetAsync(s, id, withLines: true));
    }

    private static async Task<IResult> GetAsync(SandboxState s, string id, bool withLines)
    {
        await using var c = await s.Db.OpenAsync();
        var row = (IDictionary<string, object?>?)await c.QueryFirstOrDefaultAsync("SELECT * FROM invoice_view WHERE invoice_id = @id", new { id });
        if (row is null) return NotFound(withLines ? "Invoice" : "InvoiceSummary", id);
        var o = Summary(row, withLines ? InvoiceType : SummaryType);
        if (withLines)
        {
            var lines = await c.QueryAsync("SELECT * FROM invoice_lines WHERE invoice_id = @id ORDER BY line_no", new { id });
            o["Lines"] = Lines(row, lines.Cast<IDictionary<string, object?>>());
        }

        return Json(o);
    }

    private static async Task<IResult> ListWithLinesAsync(HttpContext context)
    {
        var state = context.RequestServices.GetRequiredService<SandboxState>();
        var q = Filters.Parse(context.Request.Query, InvoiceColumns, "invoice_number", state.Options);
        await using var c = await state.Db.OpenAsync();
        var total = await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM invoices WHERE {q.Where}", q.Parameters);
        q.Parameters.Add("lim", q.Limit);
        q.Parameters.Add("off", q.Offset);
        var rows = (await c.QueryAsync($"SELECT * FROM invoice_view WHERE {q.Where} ORDER BY {q.OrderBy} LIMIT @lim OFFSET @off", q.Parameters))
            .Cast<IDictionary<string, object?>>().ToList();
        var ids = rows.Select(r => S(r, "invoice_id")!).ToList();
        var lines = (await c.QueryAsync("SELECT * FROM invoice_lines WHERE invoice_id IN @ids ORDER BY invoice_id, line_no", new { ids }))
            .Cast<IDictionary<string, object?>>().ToLookup(l => S(l, "invoice_id")!);
        var items = rows.Select(r =>
        {
            var o = Summary(r, InvoiceType);
            o["Lines"] = Lines(r, lines[S(r, "invoice_id")!]);
            return (JsonNode?)o;
        });
        return Json(Wire.Paged(InvoiceType, items, q.Offset, q.Limit, total));
    }

    /// <summary>The header in the order of imis-api.md §8.2 (InvoiceId, Description, SoldToParty, BillToParty, InvoiceDate, Balance), the payment amounts of the contract (nothing pending in the sandbox), then the unconfirmed extras.</summary>
    private static JsonObject Summary(IDictionary<string, object?> r, string type)
    {
        var o = Wire.Obj(type + Wire.Asm);
        o["InvoiceId"] = S(r, "invoice_id");
        o["Description"] = S(r, "description");
        o["SoldToParty"] = Wire.PartySummary(S(r, "sold_to")!, S(r, "sold_to_name"));
        o["BillToParty"] = Wire.PartySummary(S(r, "bill_to")!, null);
        o["InvoiceDate"] = Wire.Date(S(r, "invoice_date")!);
        o["Balance"] = Wire.Money(L(r, "balance_cents"));
        o["PaymentAmount"] = Wire.Money(0);
        o["PendingPaymentAmount"] = Wire.Money(0);
        o["InvoiceNumber"] = L(r, "invoice_number").ToString(CultureInfo.InvariantCulture);
        o["DueDate"] = Wire.Date(S(r, "due_date")!);
        o["InvoiceAmount"] = Wire.Money(L(r, "amount_cents"));
        o["SourceSystem"] = S(r, "source_system");
        o["InvoicePurpose"] = S(r, "invoice_type");
        return o;
    }

    private static JsonObject Lines(IDictionary<string, object?> invoice, IEnumerable<IDictionary<string, object?>> lines) =>
        Wire.Collection(Wire.Commerce + "InvoiceLineDataCollection" + Wire.Asm, lines.Select(l =>
        {
            var o = Wire.Obj(Wire.Commerce + "InvoiceLineData" + Wire.Asm);
            o["InvoiceLineId"] = $"{S(invoice, "sold_to")}:{S(l, "ship_to")}:{S(l, "item_id")}";
            var item = Wire.Obj(Wire.Commerce + "ItemSummaryData" + Wire.Asm);
            item["ItemId"] = S(l, "item_id");
            item["ItemCode"] = S(l, "item_id");
            item["Name"] = S(l, "description");
            var itemClass = Wire.Obj(Wire.Commerce + "ItemClassSummaryData" + Wire.Asm);
            itemClass["ItemClassId"] = S(l, "item_id") == SeedAssociation.TaxItem ? "TAX" : "DUES";
            item["ItemClass"] = itemClass;
            o["Item"] = item;
            o["ShipToParty"] = Wire.PartySummary(S(l, "ship_to")!, null);
            var quantity = Wire.Obj(Wire.Commerce + "QuantityData" + Wire.Asm);
            quantity["Amount"] = L(l, "quantity");
            o["Quantity"] = quantity;
            o["UnitPrice"] = Wire.Money(L(l, "unit_cents"));
            o["ExtendedAmount"] = Wire.Money(L(l, "amount_cents"));
            o["Description"] = S(l, "description");
            if (S(l, "begin_date") is { } b) o["BeginDate"] = Wire.Date(b);
            if (S(l, "end_date") is { } e) o["EndDate"] = Wire.Date(e);
            // Sandbox extensions (iMIS's own line shape for these is unconfirmed): the line's tax category,
            // and a price staff set by hand with the reason they gave.
            if (l.TryGetValue("tax_code", out var tax) && tax is string taxCode)
            {
                var category = Wire.Obj(Wire.Commerce + "TaxCategorySummaryData" + Wire.Asm);
                category["TaxCategoryId"] = taxCode;
                o["TaxCategory"] = category;
            }

            if (l.TryGetValue("override_reason", out var reason) && reason is string why)
            {
                o["IsUnitPriceOverridden"] = true;
                o["PriceOverrideReason"] = why;
            }
            return (JsonNode?)o;
        }));
}
