using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Members;

/// <summary>
/// DuesPilot's cache of iMIS members and dues invoices. iMIS stays the system of record; the cache is
/// what matching reads so that a run never waits on one HTTP call per payment.
/// </summary>
public static class MemberCache
{
    public static Task UpsertAsync(DbConnection c, DbTransaction tx, Member m, DateTimeOffset now) =>
        c.ExecuteAsync(
            """
            INSERT INTO members (member_id, kind, full_name, first_name, last_name, email, tier, status, join_date, paid_through, household_id, organization_id, chapter_id, updated_at)
            VALUES (@id, @kind, @full, @first, @last, @email, @tier, @status, @join, @paid, @household, @org, @chapter, @now)
            ON CONFLICT (member_id) DO UPDATE SET kind = excluded.kind, full_name = excluded.full_name, first_name = excluded.first_name,
                last_name = excluded.last_name, email = excluded.email, tier = excluded.tier, status = excluded.status, join_date = excluded.join_date,
                paid_through = excluded.paid_through, household_id = excluded.household_id, organization_id = excluded.organization_id,
                chapter_id = excluded.chapter_id, updated_at = excluded.updated_at
            """,
            new
            {
                id = m.Id.Value,
                kind = m.Kind == PartyKind.Person ? "person" : "organization",
                full = m.FullName,
                first = m.FirstName,
                last = m.LastName,
                email = m.Email,
                tier = m.Tier,
                status = Member.StatusCode(m.Status),
                join = DbTime.Format(m.JoinDate),
                paid = DbTime.Format(m.PaidThrough),
                household = m.HouseholdId,
                org = m.OrganizationId?.Value,
                chapter = m.ChapterId,
                now = DbTime.Format(now),
            }, tx);

    /// <summary>Adds an invoice the cache has not seen; an invoice already cached keeps its balance (our applications lowered it).</summary>
    public static async Task<bool> UpsertInvoiceIfNewAsync(DbConnection c, DbTransaction tx, Invoice i, DateTimeOffset now)
    {
        var inserted = await c.ExecuteAsync(
            """
            INSERT INTO invoices (invoice_id, member_id, invoice_date, due_date, currency, amount_minor, balance_minor, base_balance_minor, product_code, description, updated_at)
            VALUES (@id, @member, @date, @due, @currency, @amount, @balance, @balance, @product, @description, @now)
            ON CONFLICT (invoice_id) DO NOTHING
            """,
            new
            {
                id = i.Id.Value,
                member = i.MemberId.Value,
                date = DbTime.Format(i.InvoiceDate),
                due = DbTime.Format(i.DueDate),
                currency = i.Amount.Currency.Code,
                amount = i.Amount.MinorUnits,
                // An overpaid invoice (a credit balance in iMIS) has nothing open to apply to.
                balance = Math.Max(0, i.Balance.MinorUnits),
                product = i.ProductCode,
                description = i.Description,
                now = DbTime.Format(now),
            }, tx);
        if (inserted == 0) return false;
        for (var n = 0; n < i.Lines.Count; n++)
        {
            var line = i.Lines[n];
            await c.ExecuteAsync(
                """
                INSERT INTO invoice_lines (invoice_id, line_no, product_code, description, currency, amount_minor, quantity, tax_code, period_start, period_end)
                VALUES (@id, @no, @product, @description, @currency, @amount, @quantity, @tax, @start, @end)
                """,
                new
                {
                    id = i.Id.Value, no = n + 1, product = line.ProductCode, description = line.Description, currency = line.Amount.Currency.Code,
                    amount = line.Amount.MinorUnits, quantity = line.Quantity, tax = line.TaxCode, start = DbTime.Format(line.PeriodStart), end = DbTime.Format(line.PeriodEnd),
                }, tx);
        }

        return true;
    }

    public static async Task<Money> InvoiceBalanceAsync(DbConnection c, DbTransaction? tx, InvoiceId id)
    {
        var row = await c.QuerySingleAsync<(string Currency, long Balance)>("SELECT currency, balance_minor FROM invoices WHERE invoice_id = @id", new { id = id.Value }, tx);
        return Money.FromMinor(row.Balance, Currency.Parse(row.Currency));
    }

    /// <summary>Every cached member.</summary>
    public static Task<IReadOnlyList<Member>> AllMembersAsync(DbConnection c, DbTransaction? tx) => MembersWhereAsync(c, tx, "1 = 1", null);

    /// <summary>Cached members matching a SQL condition on the members table, ordered by id.</summary>
    public static async Task<IReadOnlyList<Member>> MembersWhereAsync(DbConnection c, DbTransaction? tx, string condition, object? parameters)
    {
        var rows = await c.QueryAsync<MemberRow>($"SELECT * FROM members WHERE {condition} ORDER BY member_id", parameters, tx);
        return rows.Select(r => r.ToMember()).ToList();
    }

    /// <summary>Cached invoices with their lines; <paramref name="openOnly"/> keeps those with a balance.</summary>
    public static async Task<IReadOnlyList<Invoice>> AllInvoicesAsync(DbConnection c, DbTransaction? tx, bool openOnly)
    {
        var heads = (await c.QueryAsync<(string Id, string Member, string Date, string Due, string Currency, long Amount, long Balance, string Product, string Description)>(
            "SELECT invoice_id, member_id, invoice_date, due_date, currency, amount_minor, balance_minor, product_code, description FROM invoices"
            + (openOnly ? " WHERE balance_minor > 0" : "") + " ORDER BY invoice_date, invoice_id", transaction: tx)).ToList();
        var lines = (await c.QueryAsync<(string Invoice, string Product, string Description, string Currency, long Amount, long Quantity, string? Tax, string? Start, string? End)>(
            "SELECT l.invoice_id, l.product_code, l.description, l.currency, l.amount_minor, l.quantity, l.tax_code, l.period_start, l.period_end FROM invoice_lines l"
            + (openOnly ? " JOIN invoices i ON i.invoice_id = l.invoice_id WHERE i.balance_minor > 0" : "") + " ORDER BY l.invoice_id, l.line_no", transaction: tx))
            .GroupBy(l => l.Invoice).ToDictionary(g => g.Key, g => g.ToList());
        return heads.Select(h =>
        {
            var currency = Currency.Parse(h.Currency);
            var invoiceLines = lines.TryGetValue(h.Id, out var ls)
                ? ls.Select(l => new InvoiceLine(l.Product, l.Description, Money.FromMinor(l.Amount, Currency.Parse(l.Currency)), (int)l.Quantity, l.Tax, DbTime.ParseDateOrNull(l.Start), DbTime.ParseDateOrNull(l.End))).ToList()
                : [new InvoiceLine(h.Product, h.Description, Money.FromMinor(h.Amount, currency))];
            return new Invoice(new InvoiceId(h.Id), new MemberId(h.Member), DbTime.ParseDate(h.Date), DbTime.ParseDate(h.Due),
                Money.FromMinor(h.Amount, currency), Money.FromMinor(h.Balance, currency), h.Product, h.Description, invoiceLines);
        }).ToList();
    }

#pragma warning disable IDE1006, CA1812
    private sealed class MemberRow
    {
        public string member_id { get; set; } = "";
        public string kind { get; set; } = "";
        public string full_name { get; set; } = "";
        public string? first_name { get; set; }
        public string? last_name { get; set; }
        public string? email { get; set; }
        public string tier { get; set; } = "";
        public string status { get; set; } = "A";
        public string? join_date { get; set; }
        public string? paid_through { get; set; }
        public string? household_id { get; set; }
        public string? organization_id { get; set; }
        public string? chapter_id { get; set; }

        public Member ToMember() => new(new MemberId(member_id), kind == "organization" ? PartyKind.Organization : PartyKind.Person, full_name, first_name, last_name, email, tier,
            Member.ParseStatus(status), DbTime.ParseDateOrNull(join_date), DbTime.ParseDateOrNull(paid_through), household_id,
            string.IsNullOrEmpty(organization_id) ? null : new MemberId(organization_id), chapter_id);
    }
#pragma warning restore IDE1006, CA1812
}
