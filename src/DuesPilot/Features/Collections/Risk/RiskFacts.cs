using Dapper;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections.Risk;

/// <summary>
/// The association's own collections history, read once from the store (invoices, payments applied to them,
/// members, dunning actions), with the two questions the model needs: an invoice's features on a day, and
/// the day it was paid in full.
/// </summary>
public sealed class RiskFacts
{
    public sealed record InvoiceFact(string InvoiceId, string MemberId, DateOnly DueDate, long AmountMinor, long BalanceMinor, DateOnly? PaidInFull, string Currency = "USD");

    private sealed record MemberFact(string Tier, DateOnly? Joined);

    private readonly Dictionary<string, MemberFact> _members;
    private readonly Dictionary<string, List<InvoiceFact>> _invoicesByMember;
    private readonly Dictionary<string, List<(DateOnly Date, string Channel)>> _paymentsByMember;
    private readonly Dictionary<string, List<(DateOnly Date, string InvoiceId)>> _dunningByMember;

    private RiskFacts(List<InvoiceFact> invoices, Dictionary<string, MemberFact> members, Dictionary<string, List<(DateOnly, string)>> payments, Dictionary<string, List<(DateOnly, string)>> dunning)
    {
        Invoices = invoices;
        _members = members;
        _invoicesByMember = invoices.GroupBy(i => i.MemberId).ToDictionary(g => g.Key, g => g.OrderBy(i => i.DueDate).ToList());
        _paymentsByMember = payments;
        _dunningByMember = dunning;
    }

    public IReadOnlyList<InvoiceFact> Invoices { get; }

    public static Task<RiskFacts> LoadAsync(Store store, CancellationToken ct = default) => LoadAsync(store, TimeZoneInfo.Utc, ct);

    /// <summary>The facts, with payment and message days read in <paramref name="zone"/> (the association's).</summary>
    public static Task<RiskFacts> LoadAsync(Store store, TimeZoneInfo zone, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            DateOnly Day(DateTimeOffset t) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t, zone).DateTime);
            var members = (await c.QueryAsync<(string Id, string Tier, string? Joined)>("SELECT member_id, tier, join_date FROM members", transaction: tx))
                .ToDictionary(m => m.Id, m => new MemberFact(m.Tier, DbTime.ParseDateOrNull(m.Joined)), StringComparer.Ordinal);
            var invoices = (await c.QueryAsync<(string Id, string Member, string Due, long Amount, long Balance, string Currency)>(
                "SELECT invoice_id, member_id, due_date, amount_minor, balance_minor, currency FROM invoices", transaction: tx)).ToList();
            var applied = (await c.QueryAsync<(string Invoice, string Member, string Received, string Channel, long Amount)>(
                """
                SELECT a.invoice_id, a.member_id, p.received_at, p.channel, a.amount_minor
                FROM allocations a JOIN payments p ON p.payment_id = a.payment_id
                WHERE a.voided_by IS NULL
                ORDER BY p.received_at
                """, transaction: tx)).ToList();
            var dunning = (await c.QueryAsync<(string Member, string Invoice, string At)>(
                "SELECT member_id, invoice_id, created_at FROM dunning_actions WHERE action IN ('email', 'sms')", transaction: tx)).ToList();

            var paidInFull = new Dictionary<string, DateOnly>(StringComparer.Ordinal);
            var amounts = invoices.ToDictionary(i => i.Id, i => i.Amount, StringComparer.Ordinal);
            var running = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var a in applied.Where(a => a.Invoice is not null))
            {
                running[a.Invoice] = running.GetValueOrDefault(a.Invoice) + a.Amount;
                if (!paidInFull.ContainsKey(a.Invoice) && amounts.TryGetValue(a.Invoice, out var amount) && running[a.Invoice] >= amount)
                    paidInFull[a.Invoice] = Day(DbTime.ParseInstant(a.Received));
            }

            var facts = invoices.Select(i => new InvoiceFact(i.Id, i.Member, DbTime.ParseDate(i.Due), i.Amount, i.Balance,
                paidInFull.TryGetValue(i.Id, out var d) ? d : null, i.Currency)).ToList();
            var payments = applied.GroupBy(a => a.Member, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(a => (Day(DbTime.ParseInstant(a.Received)), a.Channel)).ToList(), StringComparer.Ordinal);
            var dunningBy = dunning.GroupBy(d => d.Member, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(d => (Day(DbTime.ParseInstant(d.At)), d.Invoice)).OrderBy(x => x.Item1).ToList(), StringComparer.Ordinal);
            return new RiskFacts(facts, members, payments, dunningBy);
        }, ct);

    /// <summary>The features of <paramref name="invoice"/> as they stood on <paramref name="date"/>, using nothing that happened after it.</summary>
    public RiskFeatures FeaturesAt(InvoiceFact invoice, DateOnly date)
    {
        var member = _members.GetValueOrDefault(invoice.MemberId) ?? new MemberFact("UNKNOWN", null);
        var tenure = member.Joined is { } j ? Math.Max(0, date.DayNumber - j.DayNumber) / 365.25f : 0f;
        var earlier = _invoicesByMember.GetValueOrDefault(invoice.MemberId) ?? [];
        // Late as of the date: paid after its due date, or still unpaid on the date.
        var pastLate = earlier.Count(i => i.InvoiceId != invoice.InvoiceId && i.DueDate < date && (i.PaidInFull is not { } p || p >= date || p > i.DueDate));
        var lastChannel = (_paymentsByMember.GetValueOrDefault(invoice.MemberId) ?? []).Where(p => p.Date < date).Select(p => p.Channel).LastOrDefault() ?? "none";
        int answered = 0, ignored = 0;
        foreach (var (sent, invoiceId) in _dunningByMember.GetValueOrDefault(invoice.MemberId) ?? [])
        {
            if (sent.AddDays(14) >= date) continue;
            var paid = earlier.FirstOrDefault(i => i.InvoiceId == invoiceId)?.PaidInFull;
            if (paid is { } pd && pd >= sent && pd <= sent.AddDays(14)) answered++; else ignored++;
        }

        return new RiskFeatures(invoice.MemberId, invoice.InvoiceId, Math.Max(0, date.DayNumber - invoice.DueDate.DayNumber), invoice.AmountMinor / 100f,
            tenure, member.Tier, pastLate, lastChannel, answered, ignored);
    }

    /// <summary>
    /// Snapshots for training: every invoice still unpaid <paramref name="snapshotDaysOverdue"/> days after its due date,
    /// whose following 30 days had passed by <paramref name="asOf"/>; labelled by whether it was paid in full in them.
    /// </summary>
    public IReadOnlyList<RiskObservation> Observations(DateOnly asOf, params int[] snapshotDaysOverdue)
    {
        if (snapshotDaysOverdue.Length == 0) snapshotDaysOverdue = DefaultSnapshotDays;
        var result = new List<RiskObservation>();
        foreach (var invoice in Invoices.OrderBy(i => i.DueDate).ThenBy(i => i.InvoiceId, StringComparer.Ordinal))
        {
            foreach (var days in snapshotDaysOverdue)
            {
                var snapshot = invoice.DueDate.AddDays(days);
                if (snapshot.AddDays(30) > asOf) continue;
                if (invoice.PaidInFull is { } p && p <= snapshot) continue;
                var paid = invoice.PaidInFull is { } q && q <= snapshot.AddDays(30);
                result.Add(new RiskObservation(FeaturesAt(invoice, snapshot), paid, snapshot));
            }
        }

        return result;
    }

    /// <summary>Snapshots are taken on the days the default dunning stages act.</summary>
    public static readonly int[] DefaultSnapshotDays = [15, 30, 60];

    /// <summary>Invoices overdue and still open on <paramref name="date"/> (by the cached balance).</summary>
    public IEnumerable<InvoiceFact> OverdueOn(DateOnly date) => Invoices.Where(i => i.BalanceMinor > 0 && i.DueDate < date).OrderBy(i => i.DueDate).ThenBy(i => i.InvoiceId, StringComparer.Ordinal);
}
