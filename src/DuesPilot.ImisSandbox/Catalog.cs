using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DuesPilot.ImisSandbox.SandboxEndpoints;

namespace DuesPilot.ImisSandbox;

/// <summary><c>/api/Item</c>, <c>/api/ItemPrice</c> (dues products and their rates) and <c>/api/Subscription</c> (paid-through, billed amount; id <c>~PartyId|ItemId</c>).</summary>
internal static class Catalog
{
    private static readonly Dictionary<string, Column> ItemColumns = Columns(
        ("ItemId", "item_id", ColumnKind.Text), ("ItemCode", "item_code", ColumnKind.Text), ("Name", "name", ColumnKind.Text),
        ("ItemClassId", "item_class", ColumnKind.Text), ("CustomerTypeCode", "member_type", ColumnKind.Text));

    private static readonly Dictionary<string, Column> PriceColumns = Columns(
        ("ItemId", "item_id", ColumnKind.Text), ("PriceSheetId", "price_sheet", ColumnKind.Text), ("EffectiveDate", "effective_date", ColumnKind.Date));

    private static readonly Dictionary<string, Column> SubscriptionColumns = Columns(
        ("PartyId", "party_id", ColumnKind.Text), ("ItemId", "item_id", ColumnKind.Text), ("Status", "status", ColumnKind.Int),
        ("PaidThru", "paid_thru", ColumnKind.Date), ("BillToPartyId", "bill_to", ColumnKind.Text), ("InvoiceId", "invoice_id", ColumnKind.Text),
        ("UpdatedOn", "updated_on", ColumnKind.Instant));

    public static void Map(WebApplication app)
    {
        app.MapGet("/api/Item", (HttpContext ctx, SandboxState state) => PagedAsync(ctx, Wire.Commerce + "ItemSummaryData", "items", ItemColumns, "item_id", null, Item));
        app.MapGet("/api/Item/{id}", async (string id, SandboxState s) =>
        {
            await using var c = await s.Db.OpenAsync();
            var row = (IDictionary<string, object?>?)await c.QueryFirstOrDefaultAsync("SELECT * FROM items WHERE item_id = @id", new { id });
            return row is null ? NotFound("Item", id) : Json(Item(row));
        });
        app.MapGet("/api/ItemPrice", (HttpContext ctx, SandboxState state) => PagedAsync(ctx, Wire.Commerce + "ItemPriceData", "item_prices", PriceColumns, "item_id, effective_date", null, Price));
        app.MapGet("/api/Subscription", (HttpContext ctx, SandboxState state) => PagedAsync(ctx, Wire.Commerce + "SubscriptionData", "subscriptions", SubscriptionColumns, "party_id, item_id", null, Subscription));
        app.MapGet("/api/Subscription/{id}", async (string id, SandboxState s) =>
        {
            var key = IdElements(id);
            if (key.Length != 2) throw new SandboxFault(400, "ArgumentFault: Incorrect number of identity element");
            await using var c = await s.Db.OpenAsync();
            var row = (IDictionary<string, object?>?)await c.QueryFirstOrDefaultAsync(
                "SELECT * FROM subscriptions WHERE party_id = @p AND item_id = @i", new { p = key[0], i = key[1] });
            return row is null ? NotFound("Subscription", id) : Json(Subscription(row));
        });
    }

    private static JsonNode Item(IDictionary<string, object?> r)
    {
        var o = Wire.Obj(Wire.Commerce + "ItemSummaryData" + Wire.Asm);
        o["ItemId"] = S(r, "item_id");
        o["ItemCode"] = S(r, "item_code");
        o["Name"] = S(r, "name");
        var itemClass = Wire.Obj(Wire.Commerce + "ItemClassSummaryData" + Wire.Asm);
        itemClass["ItemClassId"] = S(r, "item_class");
        o["ItemClass"] = itemClass;
        o["CustomerTypeCode"] = S(r, "member_type");
        return o;
    }

    private static JsonNode Price(IDictionary<string, object?> r)
    {
        var o = Wire.Obj(Wire.Commerce + "ItemPriceData" + Wire.Asm);
        o["ItemId"] = S(r, "item_id");
        o["PriceSheetId"] = S(r, "price_sheet");
        o["EffectiveDate"] = Wire.Date(S(r, "effective_date")!);
        o["Price"] = Wire.Money(L(r, "price_cents"));
        return o;
    }

    internal static JsonNode Subscription(IDictionary<string, object?> r)
    {
        var o = Wire.Obj(Wire.Commerce + "SubscriptionData" + Wire.Asm);
        o["PartyId"] = S(r, "party_id");
        o["ItemId"] = S(r, "item_id");
        o["Status"] = L(r, "status");
        o["IsMemberComponent"] = true;
        if (S(r, "begin_date") is { } b) o["BeginDate"] = Wire.Date(b);
        if (S(r, "bill_begin") is { } bb) o["BillBegin"] = Wire.Date(bb);
        if (S(r, "bill_through") is { } bt) o["BillThrough"] = Wire.Date(bt);
        if (S(r, "paid_thru") is { } pt) o["PaidThru"] = Wire.Date(pt);
        o["BilledAmount"] = Wire.Money(L(r, "billed_cents"));
        o["Balance"] = Wire.Money(L(r, "balance_cents"));
        if (S(r, "invoice_id") is { } inv) o["InvoiceId"] = inv;
        o["BillToPartyId"] = S(r, "bill_to");
        return o;
    }
}
