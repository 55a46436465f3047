using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Revenue;

/// <summary>
/// Reopens a closed month, for an administrator with a reason: the month's recognition entry is reversed (dated the
/// month's last day, so the month's books show it open again), its per-term shares and its close are removed, and the
/// month is the next one to close. Months closed after it are reopened too, latest first, because months close in order;
/// <c>revenue close</c> (or the close job) then closes them again in order, each with a new recognition entry.
/// </summary>
public static class ReopenRevenueMonth
{
    /// <param name="Actor">A staff user (see <c>duespilot staff add</c>) who must hold the administrator role.</param>
    /// <param name="Currency">Reopen only this currency's books; null: every currency in which the month is closed.</param>
    public sealed record Request(BillingMonth Month, string Reason, string Actor, Currency? Currency = null);

    public enum Result
    {
        Reopened,
        /// <summary>The actor is not an enabled staff user with the administrator role.</summary>
        NotAdministrator,
        /// <summary>No reason given.</summary>
        ReasonRequired,
        /// <summary>The month is not closed (in the currency asked).</summary>
        NotClosed,
    }

    /// <param name="Reopened">Each month and currency reopened, latest first, with the amount its recognition reversed.</param>
    public sealed record Outcome(Result Result, IReadOnlyList<(BillingMonth Month, Money Reversed)> Reopened, string Detail);

    public static Task<Outcome> HandleAsync(Store store, TimeProvider clock, Request request, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => HandleAsync(c, tx, clock, request), ct);

    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, Request request)
    {
        if (string.IsNullOrWhiteSpace(request.Reason)) return new Outcome(Result.ReasonRequired, [], "a reopened month needs a reason (--reason), kept in the audit log");
        var roles = await c.ExecuteScalarAsync<string?>("SELECT roles FROM staff_users WHERE user_name = @u AND disabled = 0", new { u = request.Actor }, tx);
        if (roles is null || !roles.Split(',', StringSplitOptions.TrimEntries).Contains(StaffRoles.Administrator, StringComparer.OrdinalIgnoreCase))
            return new Outcome(Result.NotAdministrator, [], $"'{request.Actor}' is not a staff user with the administrator role; only an administrator reopens a closed month");

        await RevenueStore.LockAsync(c, tx);
        var month = request.Month.ToString();
        var closes = (await c.QueryAsync<CloseRow>(
            "SELECT month, currency, recognised_minor, entry_id FROM revenue_closes WHERE month >= @month" + (request.Currency is null ? "" : " AND currency = @cur") + " ORDER BY currency, month DESC",
            new { month, cur = request.Currency?.Code }, tx)).ToList();
        var currencies = closes.Where(r => r.month == month).Select(r => r.currency).ToHashSet(StringComparer.Ordinal);
        if (currencies.Count == 0)
            return new Outcome(Result.NotClosed, [], $"{request.Month} is not closed{(request.Currency is { } only ? " in " + only.Code : "")}; nothing to reopen");

        var now = clock.GetUtcNow();
        var reopened = new List<(BillingMonth, Money)>();
        foreach (var close in closes.Where(r => currencies.Contains(r.currency)))
        {
            var m = BillingMonth.Parse(close.month);
            var currency = Currency.Parse(close.currency);
            var seq = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM revenue_reopens WHERE month = @m AND currency = @cur", new { m = close.month, cur = close.currency }, tx) + 1;
            EntryId? reversalId = null;
            if (close.entry_id is not null)
            {
                var original = await Journal.FindAsync(c, tx, EntryId.Parse(close.entry_id))
                    ?? throw new LedgerRuleException($"Revenue close {close.month} {close.currency}: its recognition entry {close.entry_id} is missing");
                var reversal = JournalEntry.Reversal(EntryId.New(clock), $"revenue-reopen:{close.month}:{close.currency}:{seq}", original, now,
                    $"Recognition for {close.month} reversed: month reopened by {request.Actor}: {request.Reason}") with { EffectiveDate = m.Last };
                var booked = await Journal.RecordAsync(c, tx, reversal);
                if (booked != LedgerResult.Created) throw new LedgerRuleException($"Reopen {close.month} {close.currency}: {booked.Describe()}");
                reversalId = reversal.Id;
            }

            // Catch-up entries of late-recorded terms belong to the month's recognition too.
            var catchUps = (await c.QueryAsync<string>(
                """
                SELECT entry_id FROM journal_entries e
                WHERE idempotency_key LIKE @prefix AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.resolves_entry_id = e.entry_id)
                ORDER BY idempotency_key
                """, new { prefix = CloseRevenueMonth.CatchUpKeyPrefix(m, currency) + "%" }, tx)).ToList();
            var n = 0;
            foreach (var id in catchUps)
            {
                var original = await Journal.FindAsync(c, tx, EntryId.Parse(id)) ?? throw new LedgerRuleException($"catch-up entry {id} is missing");
                var reversal = JournalEntry.Reversal(EntryId.New(clock), $"revenue-reopen:{close.month}:{close.currency}:{seq}:catch-up:{++n}", original, now,
                    $"Catch-up for {close.month} reversed: month reopened by {request.Actor}: {request.Reason}") with { EffectiveDate = m.Last };
                var booked = await Journal.RecordAsync(c, tx, reversal);
                if (booked != LedgerResult.Created) throw new LedgerRuleException($"Reopen {close.month} {close.currency}: {booked.Describe()}");
            }

            await c.ExecuteAsync("DELETE FROM revenue_recognitions WHERE month = @m AND currency = @cur", new { m = close.month, cur = close.currency }, tx);
            await c.ExecuteAsync("DELETE FROM revenue_closes WHERE month = @m AND currency = @cur", new { m = close.month, cur = close.currency }, tx);
            await c.ExecuteAsync(
                """
                INSERT INTO revenue_reopens (month, currency, seq, recognised_minor, closed_entry_id, reversal_entry_id, reason, reopened_at, reopened_by)
                VALUES (@m, @cur, @seq, @amount, @closed, @reversal, @reason, @at, @by)
                """,
                new { m = close.month, cur = close.currency, seq, amount = close.recognised_minor, closed = close.entry_id, reversal = reversalId?.ToString(), reason = request.Reason, at = DbTime.Format(now), by = request.Actor }, tx);
            var amount = Money.FromMinor(close.recognised_minor, currency);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor, "revenue.month-reopened", $"revenue-month:{close.month}:{close.currency}",
                $"reopened; recognition of {amount.ToDisplayString()} reversed{(close.month == month ? "" : $" (closed after {month}, so reopened with it)")}", Inputs: request.Reason,
                Before: "closed", After: "open"));
            reopened.Add((m, amount));
        }

        var list = string.Join(", ", reopened.Select(r => $"{r.Item1} ({r.Item2.Currency.Code} {r.Item2.ToDisplayString()} reversed)"));
        return new Outcome(Result.Reopened, reopened, $"reopened {list}; close them again in order from {request.Month}");
    }

    /// <summary>How many times the month was reopened in the currency: its next close's entry is keyed by it.</summary>
    internal static Task<long> ReopenCountAsync(DbConnection c, DbTransaction tx, BillingMonth month, Currency currency) =>
        c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM revenue_reopens WHERE month = @m AND currency = @cur", new { m = month.ToString(), cur = currency.Code }, tx);

#pragma warning disable IDE1006 // Dapper rows mirror column names.
    private sealed class CloseRow
    {
        public string month { get; set; } = "";
        public string currency { get; set; } = "";
        public long recognised_minor { get; set; }
        public string? entry_id { get; set; }
    }
#pragma warning restore IDE1006
}
