using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;

namespace DuesPilot.Web;

/// <summary>A member as staff recognise them: name first, the iMIS id after.</summary>
public sealed record PersonView(string MemberId, string Name, string? Email, string Tier, string Status);

/// <summary>A payment as staff recognise it: who paid, how much, how and when.</summary>
public sealed record PaymentSummary(string PaymentId, string? PayerName, Money Amount, string Channel, DateTimeOffset ReceivedAt, string State);

public sealed record InvoiceLineView(int LineNo, string ProductCode, string Description, Money Amount, int Quantity, string? TaxCode, string? Period);

public sealed record InvoiceView(string InvoiceId, string MemberId, DateOnly InvoiceDate, DateOnly DueDate, Money Amount, Money Balance, string Description, IReadOnlyList<InvoiceLineView> Lines);

/// <summary>One invoice-validation finding as recorded on the item (amounts as plain decimals in the invoice's currency).</summary>
public sealed record FindingView(string Kind, int? LineNo, decimal Expected, decimal Actual, decimal AtStake, decimal Likelihood, string Explanation);

public sealed record PaymentEventView(string EventId, string Kind, Money? Amount, string? Reason, string? Reference, string? PaymentId, DateTimeOffset At);

public sealed record InquiryView(string InquiryId, string Question, string Intent, string DraftAnswer, string? Finding, string? Detail);

/// <summary>Reads what the staff UI shows about review items: the people, payments and invoices behind their keys.</summary>
public static class ReviewItemDetails
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static async Task<IReadOnlyDictionary<string, PersonView>> PeopleAsync(DbConnection c, DbTransaction tx, IEnumerable<string?> memberIds)
    {
        var ids = memberIds.Where(m => !string.IsNullOrEmpty(m)).Select(m => m!).Distinct(StringComparer.Ordinal).ToArray();
        var result = new Dictionary<string, PersonView>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(200))
        {
            var rows = await c.QueryAsync<(string Id, string Name, string? Email, string Tier, string Status)>(
                "SELECT member_id, full_name, email, tier, status FROM members WHERE member_id IN @chunk", new { chunk }, tx);
            foreach (var r in rows) result[r.Id] = new PersonView(r.Id, r.Name, r.Email, r.Tier, r.Status);
        }

        return result;
    }

    public static async Task<IReadOnlyDictionary<string, PaymentSummary>> PaymentsAsync(DbConnection c, DbTransaction tx, IEnumerable<string> paymentIds)
    {
        var ids = paymentIds.Distinct(StringComparer.Ordinal).ToArray();
        var result = new Dictionary<string, PaymentSummary>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(200))
        {
            var rows = await c.QueryAsync<(string Id, string? Payer, string Currency, long Amount, string Channel, string Received, string State)>(
                "SELECT payment_id, payer_name, currency, amount_minor, channel, received_at, state FROM payments WHERE payment_id IN @chunk", new { chunk }, tx);
            foreach (var r in rows)
                result[r.Id] = new PaymentSummary(r.Id, r.Payer, Money.FromMinor(r.Amount, Currency.Parse(r.Currency)), r.Channel, DbTime.ParseInstant(r.Received), r.State);
        }

        return result;
    }

    /// <summary>The payment a review item is about, when its subject is a payment id.</summary>
    public static string? PaymentIdOf(ReviewItemView item) =>
        item.Kind == ReviewKinds.Payment || item.Kind.StartsWith(ReviewKinds.AppliedPaymentEventPrefix, StringComparison.Ordinal) ? item.SubjectId : null;

    /// <summary>The invoice a review item is about: the subject of invoice items, the invoice part of collections items (<c>INV#cycle</c>).</summary>
    public static string? InvoiceIdOf(ReviewItemView item) => item.Kind switch
    {
        ReviewKinds.Invoice => item.SubjectId,
        ReviewKinds.Collections => item.SubjectId.Split('#')[0],
        ReviewKinds.Inquiry when item.SubjectId.Contains(':', StringComparison.Ordinal) => item.SubjectId.Split(':')[0],
        _ => null,
    };

    public static async Task<InvoiceView?> InvoiceAsync(DbConnection c, DbTransaction tx, string invoiceId)
    {
        var r = await c.QuerySingleOrDefaultAsync<(string Id, string Member, string Date, string Due, string Currency, long Amount, long Balance, string Description)?>(
            "SELECT invoice_id, member_id, invoice_date, due_date, currency, amount_minor, balance_minor, description FROM invoices WHERE invoice_id = @invoiceId", new { invoiceId }, tx);
        if (r is not { } inv) return null;
        var currency = Currency.Parse(inv.Currency);
        var lines = await c.QueryAsync<(long LineNo, string Product, string Description, string Currency, long Amount, long Quantity, string? Tax, string? Start, string? End)>(
            "SELECT line_no, product_code, description, currency, amount_minor, quantity, tax_code, period_start, period_end FROM invoice_lines WHERE invoice_id = @invoiceId ORDER BY line_no",
            new { invoiceId }, tx);
        return new InvoiceView(inv.Id, inv.Member, DbTime.ParseDate(inv.Date), DbTime.ParseDate(inv.Due), Money.FromMinor(inv.Amount, currency), Money.FromMinor(inv.Balance, currency), inv.Description,
            lines.Select(l => new InvoiceLineView((int)l.LineNo, l.Product, l.Description, Money.FromMinor(l.Amount, Currency.Parse(l.Currency)), (int)l.Quantity, l.Tax,
                l.Start is null ? null : $"{l.Start} – {l.End}")).ToList());
    }

    /// <summary>The findings stored by invoice validation on the item (see <c>RecordInvoiceFindings</c>); none when the analysis is not theirs.</summary>
    public static IReadOnlyList<FindingView> Findings(string? analysisJson)
    {
        if (!TryParse(analysisJson, out var root) || !root.TryGetProperty("findings", out var findings) || findings.ValueKind != JsonValueKind.Array) return [];
        return findings.EnumerateArray().Select(f => new FindingView(
            Str(f, "kind") ?? "finding",
            f.TryGetProperty("line", out var line) && line.ValueKind == JsonValueKind.Number ? line.GetInt32() : null,
            Dec(f, "expected"), Dec(f, "actual"), Dec(f, "at_stake"), Dec(f, "likelihood"),
            Str(f, "explanation") ?? "")).ToList();
    }

    /// <summary>The invoice total the findings call for: the billed amount moved by each finding's expected-minus-actual, never below zero.</summary>
    public static Money ExpectedTotal(InvoiceView invoice, IReadOnlyList<FindingView> findings)
    {
        var delta = findings.Sum(f => f.Expected - f.Actual);
        var expected = invoice.Amount.Amount + delta;
        return Money.FromDecimal(Math.Max(0m, expected), invoice.Amount.Currency);
    }

    public static async Task<PaymentEventView?> PaymentEventAsync(DbConnection c, DbTransaction tx, ReviewItemView item)
    {
        var code = ReviewKinds.PaymentEventCode(item.Kind);
        if (code is null) return null;
        var unmatched = item.Kind.StartsWith(ReviewKinds.UnmatchedPaymentEventPrefix, StringComparison.Ordinal);
        var row = await c.QueryFirstOrDefaultAsync<(string Id, string? Payment, string Kind, string? Currency, long? Amount, string? Reason, string? Reference, string At)?>(
            unmatched
                ? "SELECT event_id, payment_id, kind, currency, amount_minor, reason, reference, created_at FROM payment_events WHERE event_id = @subject"
                : "SELECT event_id, payment_id, kind, currency, amount_minor, reason, reference, created_at FROM payment_events WHERE payment_id = @subject AND kind = @code ORDER BY created_at DESC",
            new { subject = item.SubjectId, code }, tx);
        return row is { } e
            ? new PaymentEventView(e.Id, e.Kind, e.Amount is { } a && e.Currency is { } cur ? Money.FromMinor(a, Currency.Parse(cur)) : null, e.Reason, e.Reference, e.Payment, DbTime.ParseInstant(e.At))
            : null;
    }

    /// <summary>The member's question and the drafted answer stored on an inquiry item (see <c>AnswerInquiry</c>).</summary>
    public static InquiryView? Inquiry(string? analysisJson)
    {
        if (!TryParse(analysisJson, out var root) || Str(root, "inquiry") is not { } id) return null;
        return new InquiryView(id, Str(root, "question") ?? "", Str(root, "intent") ?? "", Str(root, "draft_answer") ?? "", Str(root, "finding"),
            root.TryGetProperty("detail", out var d) && d.ValueKind != JsonValueKind.Null ? (d.ValueKind == JsonValueKind.String ? d.GetString() : d.GetRawText()) : null);
    }

    /// <summary>The item's headline in people's terms: who and how much, never an internal key.</summary>
    public static string Headline(ReviewItemView item, PaymentSummary? payment, PersonView? person, InvoiceView? invoice)
    {
        var who = person?.Name;
        var amount = item.Amount?.ToDisplayString();
        var code = ReviewKinds.PaymentEventCode(item.Kind);
        switch (item.Kind)
        {
            case ReviewKinds.Payment when payment is not null:
                return $"{payment.Amount.ToDisplayString()} from {payment.PayerName ?? "an unnamed payer"} by {payment.Channel}, {payment.ReceivedAt.ToString("d MMM yyyy", Ci)}";
            case ReviewKinds.Invoice:
                return $"Invoice for {who ?? "an unknown member"}" + (invoice is null ? "" : $": {invoice.Description}, {invoice.Amount.ToDisplayString()}");
            case ReviewKinds.Inquiry:
                return $"Question from {who ?? "a member"}" + (amount is null ? "" : $" about {amount}");
            case ReviewKinds.Collections:
                return $"Overdue account: {who ?? "a member"}" + (amount is null ? "" : $", {amount} open");
            case ReviewKinds.Adjustment:
                return $"Adjustment for {who ?? "a member"}" + (amount is null ? "" : $", {amount}");
        }

        if (code is not null && item.Kind.StartsWith(ReviewKinds.AppliedPaymentEventPrefix, StringComparison.Ordinal) && payment is not null)
            return $"{Describe(code)} of {payment.PayerName ?? "a payer"}'s {payment.Amount.ToDisplayString()} {payment.Channel} payment, already applied";
        if (code is not null) return $"{Describe(code)}{(amount is null ? "" : $" of {amount}")} that matches no single payment";
        return $"{item.Kind} {(who is null ? "" : "for " + who)}".Trim();
    }

    public static string Describe(string eventCode) => DuesPilot.Features.Intake.RecordPaymentEvent.Describe(eventCode);

    /// <summary>A long key shortened for display; the page keeps the full value in <c>title</c> and in the copied text.</summary>
    public static string Short(string id) => id.Length <= 18 ? id : id[..10] + "…" + id[^6..];

    private static bool TryParse(string? json, out JsonElement root)
    {
        root = default;
        if (string.IsNullOrWhiteSpace(json) || !json.TrimStart().StartsWith('{')) return false;
        try
        {
            root = JsonDocument.Parse(json).RootElement;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? Str(JsonElement e, string name) => DuesPilot.JsonPath.Text(e, name);

    private static decimal Dec(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) ? 0m
        : v.ValueKind == JsonValueKind.Number ? v.GetDecimal()
        : v.ValueKind == JsonValueKind.String && decimal.TryParse(v.GetString(), NumberStyles.Number, Ci, out var d) ? d
        : 0m;
}
