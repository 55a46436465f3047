using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;
using DuesPilot.Features.Jobs;
using DuesPilot.Features.Members;
using DuesPilot.Imis;
using DuesPilot.Persistence;

namespace DuesPilot.Features.ImisSync;

/// <summary>
/// Keeps the member and invoice cache in step with iMIS by polling (updated-since with a stored
/// high-water mark). An invoice's cached balance is iMIS's balance less what DuesPilot has applied and
/// not yet written to iMIS (a hold inside its window, a queued write), so a payment is never counted
/// as open twice. Every invoice seen for the first time is validated against the billing policy before
/// the association sends it; findings become review items.
/// </summary>
public static class SyncFromImis
{
    public sealed record Outcome(int Members, int Invoices, int NewInvoices, int Flagged);

    public static async Task<Outcome> HandleAsync(Store store, IImisClient client, TimeProvider clock, BillingPolicy? policy, int maxPages = 50, CancellationToken ct = default)
    {
        var members = 0;
        await PollImisChanges.MembersAsync(store, client, clock, async (batch, token) =>
        {
            members += batch.Count;
            await UpsertMembersAsync(store, clock, batch.Select(m => m.Member).ToList(), token);
        }, maxPages, ct);

        var invoices = 0;
        var fresh = new List<ImisInvoice>();
        await PollImisChanges.InvoicesAsync(store, client, clock, async (batch, token) =>
        {
            invoices += batch.Count;
            fresh.AddRange(await UpsertInvoicesAsync(store, clock, batch, token));
        }, maxPages, ct);

        var flagged = await ValidateNewInvoicesAsync(store, clock, policy, fresh, ct);
        return new Outcome(members, invoices, fresh.Count, flagged);
    }

    /// <summary>Takes members as iMIS has them (the poll, or a targeted re-read after a change notice).</summary>
    public static Task UpsertMembersAsync(Store store, TimeProvider clock, IReadOnlyList<Member> members, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            foreach (var m in members) await MemberCache.UpsertAsync(c, tx, m, clock.GetUtcNow());
        }, ct);

    /// <summary>
    /// Takes invoices as iMIS has them (the poll, or a targeted re-read after a change notice): a new invoice is
    /// added; a known one takes iMIS's figures less DuesPilot's applications iMIS has not seen yet. Returns the new ones.
    /// </summary>
    public static Task<List<ImisInvoice>> UpsertInvoicesAsync(Store store, TimeProvider clock, IReadOnlyList<ImisInvoice> batch, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var fresh = new List<ImisInvoice>();
            foreach (var i in batch)
            {
                if (await MemberCache.UpsertInvoiceIfNewAsync(c, tx, i.Invoice, clock.GetUtcNow()))
                {
                    fresh.Add(i);
                    continue;
                }

                // Known invoice: take iMIS's figures, less our applications iMIS has not seen yet. The base (what
                // is open without our standing applications) adds back those iMIS has counted, so the auditor can
                // recompute the balance; a balance iMIS puts below our own applications stays at zero and the
                // auditor reports the difference. The row lock first: the update's own read of the applications
                // then starts after any decision on this invoice has committed.
                await c.ExecuteAsync("SELECT invoice_id FROM invoices WHERE invoice_id = @id" + Payments.PaymentStates.ForUpdate(c), new { id = i.Invoice.Id.Value }, tx);
                await c.ExecuteAsync(
                    """
                    UPDATE invoices SET amount_minor = @amount, updated_at = @now,
                        base_balance_minor = @balance + COALESCE((SELECT SUM(a.amount_minor) FROM allocations a
                            WHERE a.invoice_id = invoices.invoice_id AND a.voided_by IS NULL
                              AND EXISTS (SELECT 1 FROM imis_outbox o WHERE o.idempotency_key = 'imis:payment:' || a.entry_id AND o.state = 'done')), 0),
                        balance_minor = CASE WHEN @balance - COALESCE((SELECT SUM(a.amount_minor) FROM allocations a
                            WHERE a.invoice_id = invoices.invoice_id AND a.voided_by IS NULL
                              AND NOT EXISTS (SELECT 1 FROM imis_outbox o WHERE o.idempotency_key = 'imis:payment:' || a.entry_id AND o.state = 'done')), 0) < 0 THEN 0
                          ELSE @balance - COALESCE((SELECT SUM(a.amount_minor) FROM allocations a
                            WHERE a.invoice_id = invoices.invoice_id AND a.voided_by IS NULL
                              AND NOT EXISTS (SELECT 1 FROM imis_outbox o WHERE o.idempotency_key = 'imis:payment:' || a.entry_id AND o.state = 'done')), 0) END
                    WHERE invoice_id = @id
                    """,
                    new { amount = i.Invoice.Amount.MinorUnits, balance = i.Invoice.Balance.MinorUnits, now = DbTime.Format(clock.GetUtcNow()), id = i.Invoice.Id.Value }, tx);
            }

            return fresh;
        }, ct);

    /// <summary>Checks invoices seen for the first time against the billing policy; findings become review items. Returns how many were flagged.</summary>
    public static async Task<int> ValidateNewInvoicesAsync(Store store, TimeProvider clock, BillingPolicy? policy, IReadOnlyList<ImisInvoice> fresh, CancellationToken ct = default)
    {
        var flagged = 0;
        if (policy is not null && fresh.Count > 0)
        {
            var batch = await LoadBatchAsync(store, fresh.Select(f => f.Invoice.MemberId).Distinct().ToList(), ct);
            var byMember = batch.Invoices.GroupBy(i => i.MemberId).ToDictionary(g => g.Key, g => g.ToList());
            var memberById = batch.Members.ToDictionary(m => m.Id);
            var reviews = new List<InvoiceReview>();
            foreach (var imis in fresh)
            {
                var invoice = imis.Invoice;
                if (!memberById.TryGetValue(invoice.MemberId, out var member)) continue;
                // Only invoices issued before this one count as existing: of two copies arriving in one
                // poll, the later is the duplicate, as in a batch run.
                var existing = byMember.GetValueOrDefault(invoice.MemberId, []).Where(e => IsEarlier(e, invoice)).ToList();
                var mine = fresh.Where(f => f.Invoice.MemberId == invoice.MemberId).Select(f => f.Invoice);
                var overrides = imis.PriceOverrides.Select(o => new LineOverride(invoice.Id, o.LineIndex, o.Reason)).ToList();
                if (ValidateInvoices.CheckNew(policy, invoice, member, existing, ImisInvoiceSource.JurisdictionOf(policy, mine), overrides) is { } review) reviews.Add(review);
            }

            if (reviews.Count > 0) await RecordInvoiceFindings.HandleAsync(store, clock, policy.Name, reviews, ct);
            flagged = reviews.Count;
        }

        return flagged;
    }

    private static bool IsEarlier(Invoice e, Invoice invoice) =>
        e.InvoiceDate < invoice.InvoiceDate || (e.InvoiceDate == invoice.InvoiceDate && string.CompareOrdinal(e.Id.Value, invoice.Id.Value) < 0);

    public static async Task<JobResult> RunJobAsync(Store store, IImisClient client, TimeProvider clock, BillingPolicy? policy, CancellationToken ct)
    {
        var o = await HandleAsync(store, client, clock, policy, ct: ct);
        return new JobResult($"{o.Members} member(s), {o.Invoices} invoice(s) changed; {o.NewInvoices} new, {o.Flagged} flagged",
            new Dictionary<string, long> { ["members"] = o.Members, ["invoices"] = o.Invoices, ["new"] = o.NewInvoices, ["flagged"] = o.Flagged });
    }

    /// <summary>Members (all, or those given) and their cached invoices, as a validation batch.</summary>
    public static Task<InvoiceBatch> LoadBatchAsync(Store store, IReadOnlyList<MemberId>? only = null, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var members = (await MemberCache.AllMembersAsync(c, tx)).Where(m => only is null || only.Contains(m.Id)).ToList();
            var ids = members.Select(m => m.Id).ToHashSet();
            var invoices = (await MemberCache.AllInvoicesAsync(c, tx, openOnly: false)).Where(i => ids.Contains(i.MemberId)).ToList();
            return new InvoiceBatch(members, invoices, new Dictionary<MemberId, string>(), []);
        }, ct);
}
