using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Revenue;

/// <summary>
/// The board's revenue statements for a range of months: the deferred dues roll-forward
/// (opening + billed − recognised − refunded = closing) and recognised revenue by month and tier.
/// </summary>
/// <remarks>
/// Billed and refunded come from the recorded term events by effective month (a term recorded after its month closed:
/// by the month that caught it up); recognised comes from the
/// closes, so a month not yet closed shows nothing recognised and its closing balance is still all deferred.
/// "Refunded" includes downgrade credits: both take money out of deferred dues without earning it.
/// </remarks>
public static class BuildRevenueReport
{
    public sealed record Request(BillingMonth From, BillingMonth To, Currency Currency);

    public sealed record RollForwardRow(BillingMonth Month, Money Opening, Money Billed, Money Recognised, Money Refunded, Money Closing, bool Closed)
    {
        /// <summary>The identity the report exists to show; checked for every row.</summary>
        public bool Ties => Opening + Billed - Recognised - Refunded == Closing;
    }

    public sealed record TierRevenueRow(BillingMonth Month, string Tier, Money Recognised);

    public sealed record Report(Request Request, IReadOnlyList<RollForwardRow> RollForward, IReadOnlyList<TierRevenueRow> ByTier)
    {
        public IReadOnlyList<string> Tiers => ByTier.Select(t => t.Tier).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    public static Task<Report> HandleAsync(Store store, Request request, CancellationToken ct = default)
    {
        if (request.To < request.From) throw new ArgumentException($"The report ends ({request.To}) before it starts ({request.From}).", nameof(request));
        if (request.From.MonthsUntil(request.To) > 120) throw new ArgumentException("A report covers at most 120 months.", nameof(request));
        return store.InTransactionAsync<Report>(async (c, tx) =>
        {
            var currency = request.Currency;
            var events = (await c.QueryAsync<(string Month, string Kind, long Amount)>(
                """
                SELECT CASE WHEN t.catch_up_month IS NOT NULL AND SUBSTR(e.effective_date, 1, 7) < t.catch_up_month THEN t.catch_up_month ELSE SUBSTR(e.effective_date, 1, 7) END,
                       e.kind, CAST(SUM(e.amount_minor) AS BIGINT)
                FROM revenue_events e JOIN revenue_terms t ON t.term_id = e.term_id
                WHERE e.currency = @currency AND e.effective_date <= @to
                GROUP BY CASE WHEN t.catch_up_month IS NOT NULL AND SUBSTR(e.effective_date, 1, 7) < t.catch_up_month THEN t.catch_up_month ELSE SUBSTR(e.effective_date, 1, 7) END, e.kind
                """, new { currency = currency.Code, to = DbTime.Format(request.To.Last) }, tx)).ToList();
            var recognised = (await c.QueryAsync<(string Month, string Tier, long Amount)>(
                """
                SELECT month, tier, CAST(SUM(amount_minor) AS BIGINT) FROM revenue_recognitions
                WHERE currency = @currency AND month <= @to GROUP BY month, tier
                """, new { currency = currency.Code, to = request.To.ToString() }, tx)).ToList();
            var closed = (await c.QueryAsync<string>("SELECT month FROM revenue_closes", transaction: tx)).ToHashSet(StringComparer.Ordinal);

            static bool Billing(string kind) => kind is "Join" or "Renew" or "Upgrade";
            long Before(IEnumerable<(string Month, long Amount)> rows) => rows.Where(r => string.CompareOrdinal(r.Month, request.From.ToString()) < 0).Sum(r => r.Amount);
            var opening = Before(events.Where(e => Billing(e.Kind)).Select(e => (e.Month, e.Amount)))
                - Before(events.Where(e => !Billing(e.Kind)).Select(e => (e.Month, e.Amount)))
                - Before(recognised.Select(r => (r.Month, r.Amount)));

            var rows = new List<RollForwardRow>();
            var tiers = new List<TierRevenueRow>();
            var balance = opening;
            for (var m = request.From; m <= request.To; m = m.Next())
            {
                var key = m.ToString();
                var billed = events.Where(e => e.Month == key && Billing(e.Kind)).Sum(e => e.Amount);
                var refunded = events.Where(e => e.Month == key && !Billing(e.Kind)).Sum(e => e.Amount);
                var rec = recognised.Where(r => r.Month == key).ToList();
                var recTotal = rec.Sum(r => r.Amount);
                var closing = balance + billed - recTotal - refunded;
                rows.Add(new RollForwardRow(m, Money.FromMinor(balance, currency), Money.FromMinor(billed, currency), Money.FromMinor(recTotal, currency),
                    Money.FromMinor(refunded, currency), Money.FromMinor(closing, currency), closed.Contains(key)));
                tiers.AddRange(rec.OrderBy(r => r.Tier, StringComparer.Ordinal).Select(r => new TierRevenueRow(m, r.Tier, Money.FromMinor(r.Amount, currency))));
                balance = closing;
            }

            return new Report(request, rows, tiers);
        }, ct);
    }
}
