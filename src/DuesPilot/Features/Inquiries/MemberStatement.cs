using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

using DuesPilot.Features.Members;

namespace DuesPilot.Features.Inquiries;

/// <summary>A payment as one member may see it: only the parts applied to them (or their household).</summary>
/// <param name="VisibleAmount">The payment's amount when all of it went to this member's scope; otherwise only the scope's share.</param>
/// <param name="Allocations">Applications to invoices or credit within the scope; empty while the payment is still being matched.</param>
public sealed record StatementPayment(
    PaymentId Id,
    PaymentChannel Channel,
    Money VisibleAmount,
    DateTimeOffset ReceivedAt,
    string? Reference,
    string State,
    IReadOnlyList<Allocation> Allocations);

/// <summary>
/// Everything the billing assistant may use to answer one member: their record, their household (when
/// policy allows), their invoices with lines, and the payments applied to them or sent from their
/// e-mail address. Loaded only by the member id from a verified token, so a question can never widen it.
/// </summary>
public sealed record MemberStatement(Member Member, IReadOnlyList<Member> Household, IReadOnlyList<Invoice> Invoices, IReadOnlyList<StatementPayment> Payments)
{
    public IEnumerable<Member> Scope => Household.Prepend(Member);

    public string NameOf(MemberId id) => Scope.FirstOrDefault(m => m.Id == id)?.FullName ?? "";

    public bool IsOwn(Invoice i) => i.MemberId == Member.Id;

    public static async Task<MemberStatement?> LoadAsync(DbConnection c, DbTransaction tx, MemberId memberId, bool includeHousehold)
    {
        var me = (await MemberCache.MembersWhereAsync(c, tx, "member_id = @id", new { id = memberId.Value })).SingleOrDefault();
        if (me is null) return null;
        var household = includeHousehold && !string.IsNullOrEmpty(me.HouseholdId)
            ? await MemberCache.MembersWhereAsync(c, tx, "household_id = @h AND member_id <> @id", new { h = me.HouseholdId, id = me.Id.Value })
            : [];
        var scopeIds = household.Select(h => h.Id.Value).Prepend(me.Id.Value).ToArray();

        var invoiceRows = (await c.QueryAsync<InvoiceRow>(
            $"SELECT * FROM invoices WHERE {Sql.In(c, "member_id", "ids")} ORDER BY invoice_date, invoice_id", new { ids = scopeIds }, tx)).ToList();
        var lineRows = (await c.QueryAsync<LineRow>(
            $"SELECT l.* FROM invoice_lines l JOIN invoices i ON i.invoice_id = l.invoice_id WHERE {Sql.In(c, "i.member_id", "ids")} ORDER BY l.invoice_id, l.line_no", new { ids = scopeIds }, tx)).ToList();
        var invoices = invoiceRows.Select(r => ToInvoice(r, lineRows.Where(l => l.invoice_id == r.invoice_id))).ToList();

        var allocationRows = (await c.QueryAsync<AllocationRow>(
            $"SELECT * FROM allocations WHERE {Sql.In(c, "member_id", "ids")} AND voided_by IS NULL ORDER BY created_at, allocation_id", new { ids = scopeIds }, tx)).ToList();
        var emails = Enumerable.Repeat(me, 1).Concat(household).Select(m => m.Email).Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e!.ToUpperInvariant()).ToArray();
        var paymentIds = allocationRows.Select(a => a.payment_id).Distinct().ToArray();
        var paymentRows = (await c.QueryAsync<PaymentRow>(
            $"""
            SELECT payment_id, channel, currency, amount_minor, received_at, reference, state FROM payments
            WHERE {Sql.In(c, "payment_id", "paymentIds")}
               OR ({Sql.In(c, "UPPER(payer_email)", "emails")} AND NOT EXISTS (SELECT 1 FROM allocations a WHERE a.payment_id = payments.payment_id AND a.voided_by IS NULL))
            ORDER BY received_at, payment_id
            """, new { paymentIds, emails }, tx)).ToList();
        var payments = new List<StatementPayment>();
        foreach (var p in paymentRows)
        {
            var currency = Currency.Parse(p.currency);
            var mine = allocationRows.Where(a => a.payment_id == p.payment_id)
                .Select(a => new Allocation(new PaymentId(a.payment_id), new MemberId(a.member_id), a.invoice_id is null ? null : new InvoiceId(a.invoice_id), Money.FromMinor(a.amount_minor, Currency.Parse(a.currency))))
                .ToList();
            var all = await c.ExecuteScalarAsync<long>("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM allocations WHERE payment_id = @id AND voided_by IS NULL", new { id = p.payment_id }, tx);
            var mineTotal = mine.Sum(a => a.Amount.MinorUnits);
            var visible = mine.Count == 0 || mineTotal == all ? p.amount_minor : mineTotal;
            payments.Add(new StatementPayment(new PaymentId(p.payment_id), Payment.ParseChannel(p.channel), Money.FromMinor(visible, currency), DbTime.ParseInstant(p.received_at), p.reference, p.state, mine));
        }

        return new MemberStatement(me, household, invoices, payments);
    }

    private static Invoice ToInvoice(InvoiceRow r, IEnumerable<LineRow> lines)
    {
        var currency = Currency.Parse(r.currency);
        return new Invoice(
            new InvoiceId(r.invoice_id), new MemberId(r.member_id), DbTime.ParseDate(r.invoice_date), DbTime.ParseDate(r.due_date),
            Money.FromMinor(r.amount_minor, currency), Money.FromMinor(r.balance_minor, currency), r.product_code, r.description,
            lines.Select(l => new InvoiceLine(l.product_code, l.description, Money.FromMinor(l.amount_minor, Currency.Parse(l.currency)), (int)l.quantity, l.tax_code,
                DbTime.ParseDateOrNull(l.period_start), DbTime.ParseDateOrNull(l.period_end))).ToList());
    }

#pragma warning disable IDE1006, CA1812 // Dapper maps snake_case columns onto these rows.
    private sealed class InvoiceRow
    {
        public string invoice_id { get; set; } = "";
        public string member_id { get; set; } = "";
        public string invoice_date { get; set; } = "";
        public string due_date { get; set; } = "";
        public string currency { get; set; } = "";
        public long amount_minor { get; set; }
        public long balance_minor { get; set; }
        public string product_code { get; set; } = "";
        public string description { get; set; } = "";
        public string updated_at { get; set; } = "";
    }

    private sealed class LineRow
    {
        public string invoice_id { get; set; } = "";
        public long line_no { get; set; }
        public string product_code { get; set; } = "";
        public string description { get; set; } = "";
        public string currency { get; set; } = "";
        public long amount_minor { get; set; }
        public long quantity { get; set; }
        public string? tax_code { get; set; }
        public string? period_start { get; set; }
        public string? period_end { get; set; }
    }

    private sealed class AllocationRow
    {
        public string allocation_id { get; set; } = "";
        public string payment_id { get; set; } = "";
        public string member_id { get; set; } = "";
        public string? invoice_id { get; set; }
        public string currency { get; set; } = "";
        public long amount_minor { get; set; }
        public string? entry_id { get; set; }
        public string created_at { get; set; } = "";
    }

    private sealed class PaymentRow
    {
        public string payment_id { get; set; } = "";
        public string channel { get; set; } = "";
        public string currency { get; set; } = "";
        public long amount_minor { get; set; }
        public string received_at { get; set; } = "";
        public string? reference { get; set; }
        public string state { get; set; } = "";
    }
#pragma warning restore IDE1006, CA1812
}

/// <summary>Lists in SQL on both engines: Dapper expands <c>IN @list</c> for SQLite, while Npgsql sends arrays natively, which PostgreSQL reads with <c>= ANY(@list)</c>.</summary>
internal static class Sql
{
    public static string In(DbConnection c, string column, string parameter) =>
        c is Npgsql.NpgsqlConnection ? $"{column} = ANY(@{parameter})" : $"{column} IN @{parameter}";
}
