using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Payments;

/// <summary>
/// Invoice open balances guarded like money. The cache keeps two figures per invoice:
/// <c>balance_minor</c>, what is open now, and <c>base_balance_minor</c>, what would be open without our
/// standing applications (iMIS's balance plus the applications iMIS has already counted). Between two
/// iMIS reads, <c>balance = base − standing applications</c> holds for every invoice, so an auditor can
/// recompute it; the schema refuses a negative balance on both engines.
/// </summary>
public static class InvoiceBalances
{
    /// <summary>
    /// Lowers an invoice's balance by an application. Conditional (<c>WHERE balance_minor &gt;= @amount</c>)
    /// even though callers lock the row first: a decrement that finds too little open is a bug, and it
    /// throws so the whole unit of work (ledger entry, allocations, state) rolls back.
    /// </summary>
    public static async Task DecreaseAsync(DbConnection c, DbTransaction tx, InvoiceId id, Money amount, DateTimeOffset now)
    {
        var moved = await c.ExecuteAsync(
            "UPDATE invoices SET balance_minor = balance_minor - @amount, updated_at = @at WHERE invoice_id = @id AND currency = @currency AND balance_minor >= @amount",
            new { amount = amount.MinorUnits, currency = amount.Currency.Code, at = DbTime.Format(now), id = id.Value }, tx);
        if (moved != 1) throw new InvalidOperationException($"invoice {id} has less than {amount.ToDisplayString()} open; the application was not written");
    }

    /// <summary>Gives an undone application back to the invoice (a voided hold), never above the invoice amount.</summary>
    public static async Task IncreaseAsync(DbConnection c, DbTransaction tx, InvoiceId id, Money amount, DateTimeOffset now)
    {
        var moved = await c.ExecuteAsync(
            "UPDATE invoices SET balance_minor = balance_minor + @amount, updated_at = @at WHERE invoice_id = @id AND currency = @currency AND balance_minor + @amount <= amount_minor",
            new { amount = amount.MinorUnits, currency = amount.Currency.Code, at = DbTime.Format(now), id = id.Value }, tx);
        if (moved != 1) throw new InvalidOperationException($"giving {amount.ToDisplayString()} back to invoice {id} would open more than it bills; nothing was written");
    }

    /// <summary>One invoice whose stored balance is not what its standing applications say.</summary>
    public sealed record Difference(string InvoiceId, Money Stored, Money Expected, string Why);

    /// <summary>
    /// Recomputes every invoice's balance from its base and its standing applications and reports each
    /// one that differs, is negative, or exceeds the invoice amount.
    /// </summary>
    public static async Task<IReadOnlyList<Difference>> AuditAsync(DbConnection c, DbTransaction tx)
    {
        var rows = await c.QueryAsync<(string Id, string Currency, long Amount, long Balance, long Base, long Applied)>(
            """
            SELECT i.invoice_id, i.currency, i.amount_minor, i.balance_minor, i.base_balance_minor,
                   CAST(COALESCE((SELECT SUM(a.amount_minor) FROM allocations a WHERE a.invoice_id = i.invoice_id AND a.voided_by IS NULL), 0) AS BIGINT)
            FROM invoices i ORDER BY i.invoice_id
            """, transaction: tx);
        var result = new List<Difference>();
        foreach (var r in rows)
        {
            var currency = Currency.Parse(r.Currency);
            var stored = Money.FromMinor(r.Balance, currency);
            var expected = Money.FromMinor(r.Base - r.Applied, currency);
            if (r.Balance < 0) result.Add(new Difference(r.Id, stored, expected, "balance is negative"));
            else if (r.Balance > r.Amount) result.Add(new Difference(r.Id, stored, expected, $"balance is above the invoice amount {Money.FromMinor(r.Amount, currency).ToDisplayString()}"));
            else if (r.Balance != r.Base - r.Applied)
                result.Add(new Difference(r.Id, stored, expected, $"standing applications of {Money.FromMinor(r.Applied, currency).ToDisplayString()} leave {expected.ToDisplayString()} open"));
        }

        return result;
    }
}
