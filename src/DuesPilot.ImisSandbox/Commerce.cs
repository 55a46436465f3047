using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static DuesPilot.ImisSandbox.SandboxEndpoints;

namespace DuesPilot.ImisSandbox;

/// <summary>
/// <c>/api/ComboOrder</c> (and <c>/_validate</c>) paying existing invoices, <c>/api/Receipt</c> (the acknowledgement,
/// <c>ReceiptData</c>) and <c>/api/Payment</c> (the remittance as kept, with its <c>ReferenceNumber</c>), in the shapes ASI and
/// integrators publish (tests/DuesPilot.Imis.Tests/Wire/SOURCES.md), not the client's:
/// <c>_validate</c> answers 200 with a top-level <c>IsValid</c> (false for an invalid order, [ACH] registerEventWorker.js);
/// each invoice of the order is an <c>InvoiceSummaryData</c> whose <c>PaymentAmount</c> is the amount paid, and every money value
/// must carry its <c>Currency</c> ([PM-SDK] "Creates a ComboOrder").
/// A ComboOrder really lowers the invoices' balances, creates one payment and its receipt with a line per invoice, and moves the
/// subscription's paid-through to the term end once the invoice is paid in full. Like iMIS, it does not deduplicate:
/// posting the same order twice pays twice, which is why the client looks for the payment before it retries.
/// </summary>
internal static class Commerce
{
    private const string ComboType = Wire.Commerce + "ComboOrderData";
    private const string ReceiptType = Wire.Commerce + "ReceiptData";
    private static readonly Dictionary<string, (string Name, string Type)> Methods = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CASH"] = ("Main Checking Account", "Cash"),
        ["CHECK"] = ("Check", "Check"),
        ["ACH"] = ("ACH Transfer", "Cash"),
        ["WIRE"] = ("Wire Transfer", "Cash"),
        ["VISA"] = ("Visa", "CreditCard"),
        ["MC"] = ("MasterCard", "CreditCard"),
        ["AMEX"] = ("American Express", "CreditCard"),
    };

    private const string PaymentType = Wire.Commerce + "PaymentData";

    // A receipt and the payment it acknowledges share one row (one payment per receipt here), so ReceiptId = PaymentId.
    private static readonly Dictionary<string, Column> ReceiptColumns = Columns(
        ("ReceiptId", "receipt_id", ColumnKind.Int), ("ReceiptNumber", "receipt_id", ColumnKind.Int),
        ("IssuedToPartyId", "payor_party_id", ColumnKind.Text));

    private static readonly Dictionary<string, Column> PaymentColumns = Columns(
        ("PaymentId", "receipt_id", ColumnKind.Int), ("ReferenceNumber", "reference_number", ColumnKind.Text),
        ("PayorPartyId", "payor_party_id", ColumnKind.Text), ("PaymentMethodId", "method_id", ColumnKind.Text));

    private sealed record Order(List<(string InvoiceId, long Cents)> Invoices, List<(long Cents, string Method, string Payor, string? Reference)> Payments);

    public static void Map(WebApplication app)
    {
        app.MapPost("/api/ComboOrder/_validate", async (HttpContext ctx) =>
        {
            var s = ctx.RequestServices.GetRequiredService<SandboxState>();
            var body = await ReadBodyAsync(ctx);
            var messages = new List<string>();
            JsonNode entity = body.DeepClone();
            try
            {
                var order = Parse(body);
                await using var c = await s.Db.OpenAsync();
                await ValidateAsync(c, null, order);
                entity = Render(order);
            }
            catch (SandboxFault fault) when (fault.Status == 400)
            {
                messages.AddRange(fault.Message.Split('\n'));
            }

            // An invalid order is not an HTTP error: 200 with IsValid false, the reasons, and the order as sent.
            return Json(new JsonObject
            {
                ["IsValid"] = messages.Count == 0,
                ["ValidationResults"] = new JsonObject
                {
                    ["$type"] = Wire.Core + "ValidationResultsData" + Wire.Asm,
                    ["Errors"] = Wire.Collection(Wire.Core + "ValidationResultDataCollection" + Wire.Asm, messages.Select(m =>
                    {
                        var e = Wire.Obj(Wire.Core + "ValidationResultData" + Wire.Asm);
                        e["Message"] = m;
                        return (JsonNode?)e;
                    })),
                },
                ["Entity"] = entity,
            });
        });
        app.MapPost("/api/ComboOrder", async (HttpContext ctx) =>
        {
            var s = ctx.RequestServices.GetRequiredService<SandboxState>();
            var order = Parse(await ReadBodyAsync(ctx));
            await s.Db.WriteLock.WaitAsync();
            try
            {
                await using var c = await s.Db.OpenAsync();
                await using var tx = await c.BeginTransactionAsync();
                await ValidateAsync(c, tx, order);
                await ApplyAsync(c, tx, s.Clock, order);
                await tx.CommitAsync();
            }
            finally
            {
                s.Db.WriteLock.Release();
            }

            return Json(Render(order), 201);
        });
        app.MapGet("/api/Receipt", (HttpContext ctx, SandboxState state) => ListReceiptsAsync(ctx));
        app.MapGet("/api/Payment", (HttpContext ctx, SandboxState state) => ListPaymentsAsync(ctx));
        app.MapGet("/api/Payment/{id}", async (string id, SandboxState s) =>
        {
            if (!long.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var paymentId)) return NotFound("Payment", id);
            await using var c = await s.Db.OpenAsync();
            var row = (IDictionary<string, object?>?)await c.QueryFirstOrDefaultAsync("SELECT * FROM receipts WHERE receipt_id = @paymentId", new { paymentId });
            return row is null ? NotFound("Payment", id) : Json(RenderPayment(row));
        });
    }

    private static Order Parse(JsonNode body)
    {
        if (Wire.Get(body, "Order") is JsonObject o && Wire.Values(Wire.Get(o, "Lines")).Any())
            throw new SandboxFault(400, "BadRequest: ValidationError: the sandbox pays existing invoices only; Order lines are not supported.");
        if (Wire.Get(body, "Currency") is JsonObject cur && Wire.Str(Wire.Get(cur, "CurrencyCode")) is { } code && !string.Equals(code, "USD", StringComparison.OrdinalIgnoreCase))
            throw new SandboxFault(400, $"BadRequest: ValidationError: currency {code} is not used by this site.");
        var invoices = Wire.Values(Wire.Get(body, "Invoices")).Select(i =>
        {
            var id = Wire.Str(Wire.Get(i, "InvoiceId")) ?? throw new SandboxFault(400, "BadRequest: ValidationError: an invoice has no InvoiceId.");
            // The amount paid is the summary's PaymentAmount; Balance is what the invoice owes, as read from the site.
            var cents = Wire.Cents(WithCurrency(Wire.Get(i, "PaymentAmount"), $"PaymentAmount of invoice {id}"))
                ?? throw new SandboxFault(400, $"BadRequest: ValidationError: invoice {id} has no PaymentAmount to pay.");
            return (id, cents);
        }).ToList();
        var payments = Wire.Values(Wire.Get(body, "Payments")).Select(p =>
        {
            var cents = Wire.Cents(WithCurrency(Wire.Get(p, "Amount"), "a payment's Amount")) ?? throw new SandboxFault(400, "BadRequest: ValidationError: a payment has no Amount.");
            var method = Wire.Str(Wire.Get(Wire.Get(p, "PaymentMethod"), "PaymentMethodId")) ?? "CASH";
            var payor = Wire.Str(Wire.Get(Wire.Get(p, "PayorParty"), "PartyId")) ?? throw new SandboxFault(400, "BadRequest: ValidationError: a payment has no PayorParty.");
            return (cents, method, payor, Wire.Str(Wire.Get(p, "ReferenceNumber")));
        }).ToList();
        return new Order(invoices, payments);
    }

    /// <summary>A MonetaryAmountData of the order: it must say its currency, as every money value in ASI's samples does.</summary>
    private static JsonNode? WithCurrency(JsonNode? money, string what)
    {
        if (money is JsonObject && Wire.Str(Wire.Get(Wire.Get(money, "Currency"), "CurrencyCode")) is null)
            throw new SandboxFault(400, $"BadRequest: ValidationError: {what} has no Currency.");
        return money;
    }

    private static async Task ValidateAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction? tx, Order order)
    {
        var errors = new List<string>();
        if (order.Invoices.Count == 0) errors.Add("BadRequest: ValidationError: the order pays no invoice.");
        if (order.Payments.Count == 0) errors.Add("BadRequest: ValidationError: the order has no payment.");
        foreach (var dup in order.Invoices.GroupBy(i => i.InvoiceId).Where(g => g.Count() > 1))
            errors.Add($"BadRequest: ValidationError: invoice {dup.Key} appears more than once.");
        foreach (var (id, cents) in order.Invoices)
        {
            var balance = await c.ExecuteScalarAsync<long?>("SELECT balance_cents FROM invoices WHERE invoice_id = @id", new { id }, tx);
            if (balance is null) errors.Add($"BadRequest: ValidationError: invoice {id} does not exist.");
            else if (cents <= 0) errors.Add($"BadRequest: ValidationError: the amount paid on invoice {id} must be positive.");
            else if (cents > balance) errors.Add($"BadRequest: ValidationError: payment of {Wire.FormatCents(cents)} exceeds the balance {Wire.FormatCents(balance.Value)} of invoice {id}.");
        }

        foreach (var p in order.Payments)
        {
            if (p.Cents <= 0) errors.Add("BadRequest: ValidationError: a payment amount must be positive.");
            if (!Methods.ContainsKey(p.Method)) errors.Add($"BadRequest: ValidationError: payment method {p.Method} does not exist.");
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM parties WHERE party_id = @id", new { id = p.Payor }, tx) == 0)
                errors.Add($"BadRequest: ValidationError: payor party {p.Payor} does not exist.");
        }

        var paid = order.Payments.Sum(p => p.Cents);
        var applied = order.Invoices.Sum(i => i.Cents);
        if (order.Payments.Count > 0 && order.Invoices.Count > 0 && paid != applied)
            errors.Add($"BadRequest: ValidationError: payments total {Wire.FormatCents(paid)} but the invoices paid total {Wire.FormatCents(applied)}.");
        if (errors.Count > 0) throw new SandboxFault(400, string.Join("\n", errors));
    }

    private static async Task ApplyAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, TimeProvider clock, Order order)
    {
        var now = Wire.Instant(clock.GetUtcNow());
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).ToString("O", CultureInfo.InvariantCulture);
        foreach (var (id, cents) in order.Invoices)
        {
            await c.ExecuteAsync("UPDATE invoices SET balance_cents = balance_cents - @cents, updated_on = @now WHERE invoice_id = @id", new { id, cents, now }, tx);
            var balance = await c.ExecuteScalarAsync<long>("SELECT balance_cents FROM invoices WHERE invoice_id = @id", new { id }, tx);
            await c.ExecuteAsync("UPDATE subscriptions SET balance_cents = @balance, updated_on = @now WHERE invoice_id = @id", new { id, balance, now }, tx);
            if (balance == 0)
            {
                var end = await c.ExecuteScalarAsync<string?>("SELECT MAX(end_date) FROM invoice_lines WHERE invoice_id = @id", new { id }, tx);
                if (end is not null)
                {
                    await c.ExecuteAsync("UPDATE subscriptions SET paid_thru = @end WHERE invoice_id = @id AND (paid_thru IS NULL OR paid_thru < @end)", new { id, end }, tx);
                    await c.ExecuteAsync("""
                        UPDATE parties SET paid_through = @end, updated_on = @now
                        WHERE party_id = (SELECT sold_to FROM invoices WHERE invoice_id = @id) AND (paid_through IS NULL OR paid_through < @end)
                        """, new { id, end, now }, tx);
                }
            }
        }

        // One receipt per payment; its lines spread the payment over the invoices in order.
        var queue = new Queue<(string Id, long Left)>(order.Invoices.Select(i => (i.InvoiceId, i.Cents)));
        foreach (var p in order.Payments)
        {
            var receiptId = await c.ExecuteScalarAsync<long>("""
                INSERT INTO receipts (reference_number, payor_party_id, method_id, amount_cents, receipt_date, created_on, updated_on)
                VALUES (@Reference, @Payor, @Method, @Cents, @today, @now, @now) RETURNING receipt_id
                """, new { p.Reference, p.Payor, Method = p.Method.ToUpperInvariant(), p.Cents, today, now }, tx);
            var left = p.Cents;
            while (left > 0 && queue.Count > 0)
            {
                var (invoiceId, open) = queue.Dequeue();
                var take = Math.Min(open, left);
                await c.ExecuteAsync("INSERT INTO receipt_lines VALUES (@receiptId, @invoiceId, @take)", new { receiptId, invoiceId, take }, tx);
                left -= take;
                if (open > take) queue = new Queue<(string, long)>(new[] { (invoiceId, open - take) }.Concat(queue));
            }
        }
    }

    /// <summary>The server-completed order: currencies, payment method names and types filled in.</summary>
    private static JsonObject Render(Order order)
    {
        var o = Wire.Obj(ComboType + Wire.Asm);
        o["Currency"] = Wire.CurrencyUsd();
        o["Invoices"] = Wire.Collection(Wire.Commerce + "InvoiceSummaryDataCollection" + Wire.Asm, order.Invoices.Select(i =>
        {
            var inv = Wire.Obj(Wire.Commerce + "InvoiceSummaryData" + Wire.Asm);
            inv["InvoiceId"] = i.InvoiceId;
            inv["PaymentAmount"] = Wire.Money(i.Cents);
            return (JsonNode?)inv;
        }));
        o["Payments"] = Wire.Collection(Wire.Commerce + "RemittanceDataCollection" + Wire.Asm, order.Payments.Select(p =>
        {
            var r = Wire.Obj(Wire.Commerce + "RemittanceData" + Wire.Asm);
            r["Amount"] = Wire.Money(p.Cents);
            var method = Wire.Obj(Wire.Commerce + "PaymentMethodData" + Wire.Asm);
            method["PaymentMethodId"] = p.Method.ToUpperInvariant();
            var (methodName, methodType) = Methods.TryGetValue(p.Method, out var known) ? known : (p.Method, "Cash");
            method["Name"] = methodName;
            method["PaymentType"] = methodType;
            r["PaymentMethod"] = method;
            var payor = Wire.Obj(Wire.Commerce + "CustomerPartyData" + Wire.Asm);
            payor["PartyId"] = p.Payor;
            r["PayorParty"] = payor;
            if (p.Reference is not null) r["ReferenceNumber"] = p.Reference;
            return (JsonNode?)r;
        }));
        return o;
    }

    private static async Task<IResult> ListReceiptsAsync(HttpContext context)
    {
        var state = context.RequestServices.GetRequiredService<SandboxState>();
        var q = Filters.Parse(context.Request.Query, ReceiptColumns, "receipt_id", state.Options);
        await using var c = await state.Db.OpenAsync();
        var total = await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM receipts WHERE {q.Where}", q.Parameters);
        q.Parameters.Add("lim", q.Limit);
        q.Parameters.Add("off", q.Offset);
        var rows = (await c.QueryAsync($"SELECT * FROM receipts WHERE {q.Where} ORDER BY {q.OrderBy} LIMIT @lim OFFSET @off", q.Parameters))
            .Cast<IDictionary<string, object?>>().ToList();
        var ids = rows.Select(r => L(r, "receipt_id")).ToList();
        var lines = (await c.QueryAsync("SELECT * FROM receipt_lines WHERE receipt_id IN @ids", new { ids }))
            .Cast<IDictionary<string, object?>>().ToLookup(l => L(l, "receipt_id"));
        var items = rows.Select(r =>
        {
            var id = L(r, "receipt_id").ToString(CultureInfo.InvariantCulture);
            var o = Wire.Obj(ReceiptType + Wire.Asm);
            o["ReceiptId"] = id;
            o["ReceiptNumber"] = id;
            o["ReceiptStatus"] = "Issued";
            o["ReceiptType"] = "Regular";
            o["IssuedToPartyId"] = S(r, "payor_party_id");
            o["ReceiptLines"] = Wire.Collection(Wire.Commerce + "ReceiptLineDataCollection" + Wire.Asm, lines[L(r, "receipt_id")].Select(l =>
            {
                var line = Wire.Obj(Wire.Commerce + "ReceiptLineData" + Wire.Asm);
                line["ReceiptedAmount"] = Wire.Money(L(l, "amount_cents"));
                line["PaymentId"] = id;
                line["InvoiceId"] = S(l, "invoice_id");
                return (JsonNode?)line;
            }));
            return (JsonNode?)o;
        });
        return Json(Wire.Paged(ReceiptType, items, q.Offset, q.Limit, total));
    }

    private static async Task<IResult> ListPaymentsAsync(HttpContext context)
    {
        var state = context.RequestServices.GetRequiredService<SandboxState>();
        var q = Filters.Parse(context.Request.Query, PaymentColumns, "receipt_id", state.Options);
        await using var c = await state.Db.OpenAsync();
        var total = await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM receipts WHERE {q.Where}", q.Parameters);
        q.Parameters.Add("lim", q.Limit);
        q.Parameters.Add("off", q.Offset);
        var rows = (await c.QueryAsync($"SELECT * FROM receipts WHERE {q.Where} ORDER BY {q.OrderBy} LIMIT @lim OFFSET @off", q.Parameters))
            .Cast<IDictionary<string, object?>>().Select(r => (JsonNode?)RenderPayment(r)).ToList();
        return Json(Wire.Paged(PaymentType, rows, q.Offset, q.Limit, total));
    }

    /// <summary>The payment as kept: the remittance of the order (amount, method, payor, ReferenceNumber) under its PaymentId.</summary>
    private static JsonObject RenderPayment(IDictionary<string, object?> r)
    {
        var o = Wire.Obj(PaymentType + Wire.Asm);
        o["PaymentId"] = L(r, "receipt_id").ToString(CultureInfo.InvariantCulture);
        o["Amount"] = Wire.Money(L(r, "amount_cents"));
        var method = Wire.Obj(Wire.Commerce + "PaymentMethodData" + Wire.Asm);
        method["PaymentMethodId"] = S(r, "method_id");
        o["PaymentMethod"] = method;
        var payor = Wire.Obj(Wire.Commerce + "CustomerPartyData" + Wire.Asm);
        payor["PartyId"] = S(r, "payor_party_id");
        o["PayorParty"] = payor;
        o["ReferenceNumber"] = S(r, "reference_number");
        return o;
    }
}
