using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Revenue;

/// <summary>Reads of the revenue tables shared by the revenue use cases (terms, their events, the close history).</summary>
internal static class RevenueStore
{
    /// <summary>
    /// Serialises revenue writes (events and closes) on PostgreSQL, whose READ COMMITTED would otherwise let an event
    /// land in a month while that month is being closed. SQLite needs nothing: its write transactions are serial.
    /// </summary>
    public static async Task LockAsync(DbConnection c, DbTransaction tx)
    {
        if (c is Npgsql.NpgsqlConnection) await c.ExecuteAsync("SELECT pg_advisory_xact_lock(7402)", transaction: tx);
    }

    public static async Task<BillingMonth?> LastClosedMonthAsync(DbConnection c, DbTransaction tx)
    {
        var text = await c.ExecuteScalarAsync<string?>("SELECT MAX(month) FROM revenue_closes", transaction: tx);
        return text is null ? null : BillingMonth.Parse(text);
    }

    /// <summary>The last closed month of one currency's books (closes are per currency).</summary>
    public static async Task<BillingMonth?> LastClosedMonthAsync(DbConnection c, DbTransaction tx, Currency currency)
    {
        var text = await c.ExecuteScalarAsync<string?>("SELECT MAX(month) FROM revenue_closes WHERE currency = @cur", new { cur = currency.Code }, tx);
        return text is null ? null : BillingMonth.Parse(text);
    }

    /// <summary>The first open month a late-recorded term catches up in, or null for a term recorded in time.</summary>
    public static async Task<BillingMonth?> CatchUpMonthAsync(DbConnection c, DbTransaction tx, string termId)
    {
        var text = await c.ExecuteScalarAsync<string?>("SELECT catch_up_month FROM revenue_terms WHERE term_id = @termId", new { termId }, tx);
        return text is null ? null : BillingMonth.Parse(text);
    }

    public static async Task<DuesTerm?> FindTermAsync(DbConnection c, DbTransaction tx, string termId)
    {
        var row = await c.QuerySingleOrDefaultAsync<TermRow>(
            "SELECT term_id, member_id, currency, service_start, service_end, method FROM revenue_terms WHERE term_id = @termId", new { termId }, tx);
        return row?.ToTerm();
    }

    public static async Task<List<DuesEvent>> EventsAsync(DbConnection c, DbTransaction tx, string termId)
    {
        var rows = await c.QueryAsync<EventRow>(
            "SELECT term_id, kind, effective_date, tier, currency, amount_minor FROM revenue_events WHERE term_id = @termId ORDER BY effective_date, event_id",
            new { termId }, tx);
        return rows.Select(r => r.ToEvent()).ToList();
    }

#pragma warning disable IDE1006 // Dapper rows mirror column names.
    internal sealed class TermRow
    {
        public string term_id { get; set; } = "";
        public string member_id { get; set; } = "";
        public string currency { get; set; } = "";
        public string service_start { get; set; } = "";
        public string service_end { get; set; } = "";
        public string method { get; set; } = "";

        public DuesTerm ToTerm() => new(term_id, new MemberId(member_id), DbTime.ParseDate(service_start), DbTime.ParseDate(service_end),
            Enum.Parse<RecognitionMethod>(method), Currency.Parse(currency));
    }

    internal sealed class EventRow
    {
        public string term_id { get; set; } = "";
        public string kind { get; set; } = "";
        public string effective_date { get; set; } = "";
        public string tier { get; set; } = "";
        public string currency { get; set; } = "";
        public long amount_minor { get; set; }

        public DuesEvent ToEvent() => new(Enum.Parse<DuesEventKind>(kind), DbTime.ParseDate(effective_date), tier, Money.FromMinor(amount_minor, Currency.Parse(currency)));
    }
#pragma warning restore IDE1006
}
