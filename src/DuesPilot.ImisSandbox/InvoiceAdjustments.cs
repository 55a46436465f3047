using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static DuesPilot.ImisSandbox.SandboxEndpoints;

namespace DuesPilot.ImisSandbox;

/// <summary>
/// The two ways iMIS's REST API changes an invoice that is already billed (it has no PUT or DELETE on <c>/api/Invoice</c>,
/// [PM-CLOUD] Invoice collection):
/// <list type="bullet">
/// <item><c>PUT /api/Subscription/~PartyId|ItemId</c> — developer.imis.com "Adding, modifying and paying for a subscription"
/// ([DEV-SUB]): staff may edit <c>AdjustmentReason</c>, <c>BillToPartyId</c>, <c>CancelledAsOf</c>, <c>SourceCode</c>, <c>Status</c>
/// and <c>BillSubscription</c>; <c>BilledAmount</c> (20.3.129+) "updates the bill amount on the subscription and updates the balance
/// accordingly", but only while the subscription is unbilled or billed on a cash basis. Here the cash invoice the subscription bills
/// follows: its amount, balance and the subscription's line change by the same difference. A billed amount below what was already
/// paid is refused (UNCONFIRMED what iMIS answers).</item>
/// <item><c>POST /api/Invoice/_execute</c> with a <c>GenericExecuteRequest</c> — [ACH] <c>htmljs/imports/MassRegEvent/registerEventWorker.js</c>
/// (<c>checkInvoice</c>, <c>reverseInvoice</c>): <c>CanInvoiceBeReversed</c> with one <c>System.Int32</c> parameter (the invoice id, not
/// its number), then <c>ProcessAccrualReversal</c> with an <c>InvoiceActionDuesReversalData</c> (<c>InvoiceID</c>, <c>AdjustmentDate</c>,
/// <c>AdjustmentReason</c>, <c>ReverseShipping</c>, <c>ReverseHandling</c>, <c>AffectsInventory</c>). The answer is 200 with
/// <c>IsSuccessStatusCode</c>, <c>Message</c> and <c>Result</c>, which the caller must read: a refusal is not an HTTP error.
/// A reversal zeroes what the invoice still owes and the subscription's billed amount. Refused (UNCONFIRMED which rules iMIS applies):
/// an id that is not an Int32 (a cash invoice), an unknown invoice, one already reversed, one with payments applied.</item>
/// </list>
/// </summary>
internal static class InvoiceAdjustments
{
    public static void Map(WebApplication app)
    {
        app.MapPut("/api/Subscription/{id}", (string id, HttpContext ctx) => PutSubscriptionAsync(id, ctx));
        app.MapPost("/api/Invoice/_execute", (HttpContext ctx, SandboxState state) => ExecuteAsync(ctx));
    }

    private static async Task<IResult> PutSubscriptionAsync(string id, HttpContext context)
    {
        var s = context.RequestServices.GetRequiredService<SandboxState>();
        var key = IdElements(id);
        if (key.Length != 2) throw new SandboxFault(400, "ArgumentFault: Incorrect number of identity element");
        var body = await ReadBodyAsync(context);
        if (Wire.Str(Wire.Get(body, "PartyId")) is { } party && party != key[0] || Wire.Str(Wire.Get(body, "ItemId")) is { } item && item != key[1])
            throw new SandboxFault(400, "BadRequest: ValidationError: the body's PartyId and ItemId must match the id in the URL.");
        await s.Db.WriteLock.WaitAsync();
        try
        {
            await using var c = await s.Db.OpenAsync();
            await using var tx = await c.BeginTransactionAsync();
            var row = (IDictionary<string, object?>?)await c.QueryFirstOrDefaultAsync(
                "SELECT * FROM subscriptions WHERE party_id = @p AND item_id = @i", new { p = key[0], i = key[1] }, tx);
            if (row is null) return NotFound("Subscription", id);
            var now = Wire.Instant(s.Clock.GetUtcNow());
            var reason = Wire.Str(Wire.Get(body, "AdjustmentReason"));
            if (Wire.Get(body, "Status") is JsonValue statusValue && Wire.Str(statusValue) is { } statusText)
            {
                if (!long.TryParse(statusText.Trim('"'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var status) || status is < 0 or > 1)
                    throw new SandboxFault(400, "BadRequest: ValidationError: Status is 0 (Active) or 1 (Inactive).");
                await c.ExecuteAsync("UPDATE subscriptions SET status = @status, updated_on = @now WHERE party_id = @p AND item_id = @i", new { status, now, p = key[0], i = key[1] }, tx);
            }

            if (Wire.Get(body, "BillToPartyId") is { } billTo && Wire.Str(billTo) is { Length: > 0 } billToId)
                await c.ExecuteAsync("UPDATE subscriptions SET bill_to = @billToId, updated_on = @now WHERE party_id = @p AND item_id = @i", new { billToId, now, p = key[0], i = key[1] }, tx);

            var billed = L(row, "billed_cents");
            if (Wire.Get(body, "BilledAmount") is { } amountNode)
            {
                if (amountNode is JsonObject && Wire.Str(Wire.Get(Wire.Get(amountNode, "Currency"), "CurrencyCode")) is null)
                    throw new SandboxFault(400, "BadRequest: ValidationError: BilledAmount has no Currency.");
                var wanted = Wire.Cents(amountNode) ?? throw new SandboxFault(400, "BadRequest: ValidationError: BilledAmount is not an amount.");
                if (wanted != billed)
                {
                    var invoiceId = S(row, "invoice_id");
                    if (invoiceId is not null && !invoiceId.StartsWith("CASH:", StringComparison.Ordinal))
                        throw new SandboxFault(400, $"BadRequest: ValidationError: BilledAmount can be changed only on an unbilled or cash-basis subscription; invoice {invoiceId} is billed on the accrual basis.");
                    if (wanted < 0) throw new SandboxFault(400, "BadRequest: ValidationError: BilledAmount cannot be negative.");
                    var paid = billed - L(row, "balance_cents");
                    if (wanted < paid)
                        throw new SandboxFault(400, $"BadRequest: ValidationError: BilledAmount {Wire.FormatCents(wanted)} is less than the {Wire.FormatCents(paid)} already paid.");
                    var delta = wanted - billed;
                    await c.ExecuteAsync("UPDATE subscriptions SET billed_cents = @wanted, balance_cents = balance_cents + @delta, updated_on = @now WHERE party_id = @p AND item_id = @i",
                        new { wanted, delta, now, p = key[0], i = key[1] }, tx);
                    if (invoiceId is not null) await MoveInvoiceAsync(c, tx, invoiceId, key[1], delta, now);
                    await c.ExecuteAsync(
                        "INSERT INTO subscription_adjustments (party_id, item_id, invoice_id, old_cents, new_cents, reason, adjusted_on) VALUES (@p, @i, @invoiceId, @billed, @wanted, @reason, @now)",
                        new { p = key[0], i = key[1], invoiceId, billed, wanted, reason, now }, tx);
                }
            }

            var after = (IDictionary<string, object?>)(await c.QueryFirstAsync("SELECT * FROM subscriptions WHERE party_id = @p AND item_id = @i", new { p = key[0], i = key[1] }, tx));
            await tx.CommitAsync();
            var answer = Catalog.Subscription(after).AsObject();
            if (reason is not null) answer["AdjustmentReason"] = reason;
            return Json(answer);
        }
        finally
        {
            s.Db.WriteLock.Release();
        }
    }

    /// <summary>Moves a cash invoice's amount and balance, and its line for the item (else its first line), by <paramref name="delta"/> cents.</summary>
    private static async Task MoveInvoiceAsync(DbConnection c, DbTransaction tx, string invoiceId, string itemId, long delta, string now)
    {
        await c.ExecuteAsync("UPDATE invoices SET amount_cents = amount_cents + @delta, balance_cents = balance_cents + @delta, updated_on = @now WHERE invoice_id = @invoiceId",
            new { delta, now, invoiceId }, tx);
        var lineNo = await c.ExecuteScalarAsync<long?>("SELECT line_no FROM invoice_lines WHERE invoice_id = @invoiceId AND item_id = @itemId ORDER BY line_no LIMIT 1", new { invoiceId, itemId }, tx)
            ?? await c.ExecuteScalarAsync<long?>("SELECT MIN(line_no) FROM invoice_lines WHERE invoice_id = @invoiceId", new { invoiceId }, tx);
        if (lineNo is { } n)
        {
            await c.ExecuteAsync(
                "UPDATE invoice_lines SET amount_cents = amount_cents + @delta, unit_cents = CASE WHEN quantity = 1 THEN amount_cents + @delta ELSE unit_cents END WHERE invoice_id = @invoiceId AND line_no = @n",
                new { delta, invoiceId, n }, tx);
        }
    }

    private static async Task<IResult> ExecuteAsync(HttpContext context)
    {
        var s = context.RequestServices.GetRequiredService<SandboxState>();
        var body = await ReadBodyAsync(context);
        var operation = Wire.Str(Wire.Get(body, "OperationName"));
        var parameters = Wire.Values(Wire.Get(body, "Parameters")).ToList();
        if (parameters.Count != 1) throw new SandboxFault(400, $"ArgumentFault: {operation ?? "the operation"} takes one parameter.");
        switch (operation)
        {
            case "CanInvoiceBeReversed":
            {
                var invoiceId = InvoiceIdOf(Wire.Unwrap(parameters[0]));
                await using var c = await s.Db.OpenAsync();
                var refusal = await RefusalAsync(c, null, invoiceId);
                return Json(Response(refusal is null, refusal ?? "", JsonValue.Create(refusal is null)));
            }

            case "ProcessAccrualReversal":
            {
                var data = parameters[0];
                var invoiceId = InvoiceIdOf(Wire.Get(data, "InvoiceID"));
                var reason = Wire.Str(Wire.Get(data, "AdjustmentReason"));
                var date = Wire.Str(Wire.Get(data, "AdjustmentDate"));
                await s.Db.WriteLock.WaitAsync();
                try
                {
                    await using var c = await s.Db.OpenAsync();
                    await using var tx = await c.BeginTransactionAsync();
                    if (await RefusalAsync(c, tx, invoiceId) is { } refusal) return Json(Response(false, refusal, null));
                    var now = Wire.Instant(s.Clock.GetUtcNow());
                    var owed = await c.ExecuteScalarAsync<long>("SELECT balance_cents FROM invoices WHERE invoice_id = @invoiceId", new { invoiceId }, tx);
                    await c.ExecuteAsync("UPDATE invoices SET balance_cents = 0, updated_on = @now WHERE invoice_id = @invoiceId", new { now, invoiceId }, tx);
                    await c.ExecuteAsync("UPDATE subscriptions SET billed_cents = billed_cents - @owed, balance_cents = 0, updated_on = @now WHERE invoice_id = @invoiceId", new { owed, now, invoiceId }, tx);
                    await c.ExecuteAsync("INSERT INTO invoice_reversals (invoice_id, reversed_cents, adjustment_date, reason, reversed_on) VALUES (@invoiceId, @owed, @date, @reason, @now)",
                        new { invoiceId, owed, date, reason, now }, tx);
                    await tx.CommitAsync();
                    return Json(Response(true, $"Invoice {invoiceId} reversed: {Wire.FormatCents(owed)}.", JsonValue.Create(true)));
                }
                finally
                {
                    s.Db.WriteLock.Release();
                }
            }

            default:
                throw new SandboxFault(400, $"ArgumentFault: the Invoice entity has no operation '{operation}' here (CanInvoiceBeReversed, ProcessAccrualReversal).");
        }
    }

    /// <summary>The Int32 invoice id: a number, or a string of digits as community code sends it (it copies <c>InvoiceId</c> from a summary).</summary>
    private static string InvoiceIdOf(JsonNode? value)
    {
        var text = Wire.Str(value)?.Trim('"');
        if (text is null || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw new SandboxFault(400, $"BadRequest: the invoice id '{text}' is not a System.Int32 (cash invoices are changed through their subscriptions).");
        return n.ToString(CultureInfo.InvariantCulture);
    }

    private static async Task<string?> RefusalAsync(DbConnection c, DbTransaction? tx, string invoiceId)
    {
        var row = await c.QueryFirstOrDefaultAsync<(long Amount, long Balance)?>("SELECT amount_cents, balance_cents FROM invoices WHERE invoice_id = @invoiceId", new { invoiceId }, tx);
        if (row is not { } r) return $"Invoice {invoiceId} was not found.";
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM invoice_reversals WHERE invoice_id = @invoiceId", new { invoiceId }, tx) > 0)
            return $"Invoice {invoiceId} has already been reversed.";
        if (r.Balance < r.Amount) return $"Invoice {invoiceId} has payments applied; reverse the payments first.";
        return null;
    }

    private static JsonObject Response(bool ok, string message, JsonNode? result)
    {
        // The answer's own $type is in no source (community code reads only these three fields), so it is left out.
        var o = new JsonObject();
        o["IsSuccessStatusCode"] = ok;
        o["Message"] = message;
        o["Result"] = result;
        return o;
    }
}
