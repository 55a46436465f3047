using System.Globalization;
using System.Net;
using System.Text;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Reports;

/// <summary>Money by channel for the day.</summary>
public sealed record ChannelLine(string Channel, int Received, Money ReceivedTotal, int AutoApplied, Money AutoAppliedTotal, int InReview);

/// <summary>Money by member segment (tier) for the day.</summary>
public sealed record SegmentLine(string Segment, int AutoApplied, Money AutoAppliedTotal);

/// <summary>A held payment: who paid (payer as the bank or card processor named them), for which member, how and when it posts.</summary>
public sealed record HeldLine(string PaymentId, Money Amount, DateTimeOffset ReleaseAt, string? Payer = null, string? Member = null, string? Channel = null);

public sealed record DayPoint(DateOnly Day, Money Received, Money AutoApplied);

/// <summary>
/// Where the day's money went. For the payments received that day:
/// received = applied to invoices + credit on account + in review (unapplied) + refunded, to the cent.
/// </summary>
public sealed record Reconciliation(Money Received, Money Applied, Money OnAccount, Money InReview, Money Refunded)
{
    public bool Reconciles => Received == Applied + OnAccount + InReview + Refunded;
}

public sealed record DailySummaryReport(
    DateOnly Date,
    DateTimeOffset GeneratedAt,
    IReadOnlyList<ChannelLine> Channels,
    IReadOnlyList<SegmentLine> Segments,
    IReadOnlyList<HeldLine> Held,
    int ReviewOpen,
    TimeSpan? OldestReviewAge,
    int Overrides,
    int Exceptions,
    Reconciliation Totals,
    IReadOnlyList<DayPoint> Last30Days);

/// <summary>Builds the daily summary from the store and renders it as HTML (e-mailable, inline SVG chart) and CSV.</summary>
public static class DailySummary
{
    public static Task<DailySummaryReport> BuildAsync(Store store, TimeProvider clock, DateOnly date, Currency currency, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            // The day is the association's day (Association:TimeZone), not the UTC day.
            var business = BusinessClock.Of(clock);
            var from = DbTime.Format(business.StartOf(date));
            var to = DbTime.Format(business.EndOf(date));
            var cur = currency.Code;

            var payments = (await c.QueryAsync<(string Id, string Channel, long Amount, string State)>(
                "SELECT payment_id, channel, amount_minor, state FROM payments WHERE received_at >= @from AND received_at < @to AND currency = @cur",
                new { from, to, cur }, tx)).ToList();
            var standing = (await c.QueryAsync<(string Payment, string? Invoice, long Amount, string Mode, string Member)>(
                """
                SELECT a.payment_id, a.invoice_id, a.amount_minor, a.mode, a.member_id FROM allocations a
                JOIN payments p ON p.payment_id = a.payment_id
                WHERE a.voided_by IS NULL AND p.received_at >= @from AND p.received_at < @to AND p.currency = @cur
                """, new { from, to, cur }, tx)).ToList();
            var tiers = (await c.QueryAsync<(string Id, string Tier)>("SELECT member_id, tier FROM members", transaction: tx)).ToDictionary(m => m.Id, m => m.Tier);

            Money M(long minor) => Money.FromMinor(minor, currency);
            var autoPayments = standing.Where(a => a.Mode == "hold").Select(a => a.Payment).ToHashSet();
            var channels = payments.GroupBy(p => p.Channel).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new ChannelLine(
                g.Key, g.Count(), M(g.Sum(p => p.Amount)),
                g.Count(p => autoPayments.Contains(p.Id)), M(g.Where(p => autoPayments.Contains(p.Id)).Sum(p => p.Amount)),
                g.Count(p => p.State is "in_review" or "received"))).ToList();
            var segments = standing.Where(a => a.Mode == "hold")
                .GroupBy(a => tiers.GetValueOrDefault(a.Member, "?"))
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new SegmentLine(g.Key, g.Select(a => a.Payment).Distinct().Count(), M(g.Sum(a => a.Amount)))).ToList();

            var received = M(payments.Sum(p => p.Amount));
            var applied = M(standing.Where(a => a.Invoice is not null).Sum(a => a.Amount));
            var onAccount = M(standing.Where(a => a.Invoice is null).Sum(a => a.Amount));
            // Refunded, returned (ACH R-codes) and voided card payments: the money went back.
            static bool WentBack(string state) => state is "refunded" or "returned" or "voided";
            var refunded = M(payments.Where(p => WentBack(p.State)).Sum(p => p.Amount));
            var appliedPayments = standing.Select(a => a.Payment).ToHashSet();
            var inReview = M(payments.Where(p => !WentBack(p.State) && !appliedPayments.Contains(p.Id)).Sum(p => p.Amount));

            var held = (await c.QueryAsync<(string Payment, long Amount, string Release, string? Payer, string Channel, string? Member)>(
                """
                SELECT a.payment_id, e.total_minor, e.release_at, p.payer_name, p.channel, MIN(m.full_name) FROM journal_entries e
                JOIN allocations a ON a.entry_id = e.entry_id
                JOIN payments p ON p.payment_id = a.payment_id
                LEFT JOIN members m ON m.member_id = a.member_id
                WHERE e.kind = 'Pending' AND e.currency = @cur AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.resolves_entry_id = e.entry_id)
                GROUP BY a.payment_id, e.total_minor, e.release_at, p.payer_name, p.channel
                ORDER BY e.release_at, a.payment_id
                """, new { cur }, tx)).Select(h => new HeldLine(h.Payment, M(h.Amount), DbTime.ParseInstant(h.Release), h.Payer, h.Member, h.Channel)).ToList();

            var openReview = (await c.QueryAsync<string>("SELECT created_at FROM review_items WHERE state IN ('open', 'assigned')", transaction: tx)).ToList();
            TimeSpan? oldest = openReview.Count == 0 ? null : clock.GetUtcNow() - openReview.Select(DbTime.ParseInstant).Min();
            var overrides = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'hold.overridden' AND occurred_at >= @from AND occurred_at < @to", new { from, to }, tx);
            var exceptions = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE state IN ('dead', 'failed')", transaction: tx);

            var since = DbTime.Format(business.StartOf(date.AddDays(-29)));
            // Bucketed by the association's day of each instant (a UTC prefix of received_at would be the UTC day).
            var daily = (await c.QueryAsync<(string At, long Amount)>(
                "SELECT received_at, amount_minor FROM payments WHERE received_at >= @since AND received_at < @to AND currency = @cur",
                new { since, to, cur }, tx)).GroupBy(d => business.DateOf(DbTime.ParseInstant(d.At))).ToDictionary(g => g.Key, g => g.Sum(d => d.Amount));
            var dailyAuto = (await c.QueryAsync<(string At, long Amount)>(
                """
                SELECT p.received_at, a.amount_minor FROM allocations a JOIN payments p ON p.payment_id = a.payment_id
                WHERE a.mode = 'hold' AND a.voided_by IS NULL AND p.received_at >= @since AND p.received_at < @to AND p.currency = @cur
                """, new { since, to, cur }, tx)).GroupBy(d => business.DateOf(DbTime.ParseInstant(d.At))).ToDictionary(g => g.Key, g => g.Sum(d => d.Amount));
            var points = Enumerable.Range(0, 30).Select(i => date.AddDays(i - 29))
                .Select(d => new DayPoint(d, M(daily.GetValueOrDefault(d)), M(dailyAuto.GetValueOrDefault(d)))).ToList();

            return new DailySummaryReport(date, clock.GetUtcNow(), channels, segments, held, openReview.Count, oldest, (int)overrides, (int)exceptions,
                new Reconciliation(received, applied, onAccount, inReview, refunded), points);
        }, ct);

    public static string ToCsv(DailySummaryReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("section,key,count,amount");
        foreach (var ch in r.Channels)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"received,{ch.Channel},{ch.Received},{ch.ReceivedTotal.ToPlainString()}");
            sb.AppendLine(CultureInfo.InvariantCulture, $"auto-applied,{ch.Channel},{ch.AutoApplied},{ch.AutoAppliedTotal.ToPlainString()}");
            sb.AppendLine(CultureInfo.InvariantCulture, $"in-review,{ch.Channel},{ch.InReview},");
        }

        foreach (var s in r.Segments) sb.AppendLine(CultureInfo.InvariantCulture, $"auto-applied-segment,{s.Segment},{s.AutoApplied},{s.AutoAppliedTotal.ToPlainString()}");
        foreach (var h in r.Held) sb.AppendLine(CultureInfo.InvariantCulture, $"held,{h.PaymentId},1,{h.Amount.ToPlainString()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"totals,received,,{r.Totals.Received.ToPlainString()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"totals,applied,,{r.Totals.Applied.ToPlainString()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"totals,on-account,,{r.Totals.OnAccount.ToPlainString()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"totals,in-review,,{r.Totals.InReview.ToPlainString()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"totals,refunded,,{r.Totals.Refunded.ToPlainString()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"review,open,{r.ReviewOpen},");
        sb.AppendLine(CultureInfo.InvariantCulture, $"review,overrides,{r.Overrides},");
        sb.AppendLine(CultureInfo.InvariantCulture, $"exceptions,dead-letters,{r.Exceptions},");
        return sb.ToString();
    }

    /// <summary>
    /// A self-contained HTML page (no scripts, inline CSS and SVG) that can be e-mailed as is. It is laid out
    /// for a mail client's reading pane (600 px): one column, compact tables, payments named by payer and
    /// member, never by their internal keys.
    /// </summary>
    public static string ToHtml(DailySummaryReport r)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>DuesPilot daily summary {r.Date:yyyy-MM-dd}</title>");
        sb.Append("<style>body{font-family:system-ui,sans-serif;margin:0 auto;padding:12px;max-width:600px;color:#1d2733;font-size:14px}table{border-collapse:collapse;margin:.6em 0;width:100%}td,th{border:1px solid #ccd;padding:.25em .4em;text-align:left;vertical-align:top;overflow-wrap:anywhere}td.n,th.n{text-align:right;white-space:nowrap}h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.2em}.ok{color:#116611}.bad{color:#aa1111}.muted{color:#4f5e6e}svg{max-width:100%;height:auto}</style></head><body><main>");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Daily summary — {r.Date:dddd d MMMM yyyy}</h1>");
        var t = r.Totals;
        sb.Append(CultureInfo.InvariantCulture, $"<p class=\"{(t.Reconciles ? "ok" : "bad")}\">Received {E(t.Received.ToDisplayString())} = applied {E(t.Applied.ToDisplayString())} + on account {E(t.OnAccount.ToDisplayString())} + in review {E(t.InReview.ToDisplayString())} + refunded {E(t.Refunded.ToDisplayString())} — {(t.Reconciles ? "reconciles" : "DOES NOT RECONCILE")}</p>");
        sb.Append("<h2>By channel</h2><table><tr><th>Channel</th><th class=n>Received</th><th class=n>Auto-applied</th><th class=n>In review</th></tr>");
        foreach (var ch in r.Channels)
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(ch.Channel)}</td><td class=n>{ch.Received} · {E(ch.ReceivedTotal.ToDisplayString())}</td><td class=n>{ch.AutoApplied} · {E(ch.AutoAppliedTotal.ToDisplayString())}</td><td class=n>{ch.InReview}</td></tr>");
        sb.Append("</table><h2>Auto-applied by segment</h2><table><tr><th>Segment</th><th class=n>Payments</th><th class=n>Amount</th></tr>");
        foreach (var s in r.Segments) sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(s.Segment)}</td><td class=n>{s.AutoApplied}</td><td class=n>{E(s.AutoAppliedTotal.ToDisplayString())}</td></tr>");
        sb.Append(CultureInfo.InvariantCulture, $"</table><h2>Held in GL_AI_Hold ({r.Held.Count})</h2><table><tr><th>Payer</th><th>Member</th><th class=n>Amount</th><th>Posts (UTC)</th></tr>");
        foreach (var h in r.Held.Take(200))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(h.Payer ?? "unnamed payer")}{(h.Channel is null ? "" : $" <span class=muted>({E(h.Channel)})</span>")}</td><td>{E(h.Member ?? "")}</td><td class=n>{E(h.Amount.ToDisplayString())}</td><td class=n>{h.ReleaseAt:MM-dd HH:mm}</td></tr>");
        }

        sb.Append(CultureInfo.InvariantCulture, $"</table><h2>Review</h2><p>{r.ReviewOpen} open item(s)");
        if (r.OldestReviewAge is { } age) sb.Append(CultureInfo.InvariantCulture, $", the oldest waiting {FormatAge(age)}");
        sb.Append(CultureInfo.InvariantCulture, $". Overrides today: {r.Overrides}. Exceptions (dead letters): {r.Exceptions}.</p>");
        sb.Append("<h2>Last 30 days</h2>").Append(ChartSvg(r.Last30Days)).Append("</main></body></html>");
        return sb.ToString();
    }

    public static string FormatAge(TimeSpan age) => age.TotalHours >= 48 ? $"{(int)age.TotalDays} days" : age.TotalHours >= 1 ? $"{(int)age.TotalHours} h" : $"{(int)age.TotalMinutes} min";

    /// <summary>Bars of money received per day, with the auto-applied part darker.</summary>
    public static string ChartSvg(IReadOnlyList<DayPoint> points)
    {
        const int width = 720, height = 200, pad = 30;
        var max = Math.Max(1, points.Count == 0 ? 1 : points.Max(p => p.Received.MinorUnits));
        var bar = (width - 2 * pad) / Math.Max(1, points.Count);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height + 40}\" viewBox=\"0 0 {width} {height + 40}\" style=\"max-width:100%;height:auto\" role=\"img\" aria-label=\"Money received and auto-applied, last 30 days\">");
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            var h = (int)((long)(height - pad) * p.Received.MinorUnits / max);
            var a = (int)((long)(height - pad) * p.AutoApplied.MinorUnits / max);
            var x = pad + i * bar;
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{height - h}\" width=\"{bar - 2}\" height=\"{h}\" fill=\"#9fb9d8\"><title>{p.Day:yyyy-MM-dd}: received {p.Received.ToDisplayString()}, auto-applied {p.AutoApplied.ToDisplayString()}</title></rect>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{height - a}\" width=\"{bar - 2}\" height=\"{a}\" fill=\"#2f5d8a\"/>");
            if (i % 5 == 0 || i == points.Count - 1)
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{height + 15}\" font-size=\"10\">{p.Day:MM-dd}</text>");
        }

        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{pad}\" y=\"{height + 35}\" font-size=\"11\">light: received · dark: auto-applied · top: {(points.Count > 0 ? Money.FromMinor(max, points[0].Received.Currency).ToDisplayString() : "0")}</text></svg>");
        return sb.ToString();
    }
}
