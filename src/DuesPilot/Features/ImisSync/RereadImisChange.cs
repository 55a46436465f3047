using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using DuesPilot.Imis;
using DuesPilot.Persistence;

namespace DuesPilot.Features.ImisSync;

/// <summary>
/// Acts on one iMIS change notification (Event Grid, <c>/webhooks/imis</c>): the notice only says what changed,
/// so the changed record is read again through the API and taken into the cache the way the poll takes it. A
/// member (<c>Party</c>, <c>Contact</c>, <c>Person</c>, <c>Organization</c>) is re-read by id; an invoice
/// (<c>Invoice</c>, <c>InvoiceSummary</c>) is re-read by id, and a new one is checked against the billing policy.
/// Any other entity, or a notice without a record id, runs the regular incremental poll, which picks the change up
/// from its high-water mark. Nothing in the notice's <c>data</c> is trusted.
/// </summary>
public sealed class RereadImisChange(Store store, IImisClient client, TimeProvider clock, BillingPolicy? policy)
{
    private static readonly HashSet<string> MemberEntities = new(StringComparer.OrdinalIgnoreCase) { "Party", "Contact", "Person", "Organization", "Individual" };
    private static readonly HashSet<string> InvoiceEntities = new(StringComparer.OrdinalIgnoreCase) { "Invoice", "InvoiceSummary" };

    /// <summary>Re-reads what <paramref name="notice"/> names; returns the outcome recorded on the inbox item.</summary>
    public async Task<string> HandleAsync(ImisChangeNotice notice, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(notice);
        if (notice.RecordId is { Length: > 0 } id && MemberEntities.Contains(notice.Entity))
        {
            var member = await client.GetMemberAsync(new MemberId(id), ct);
            if (member is null) return $"{notice.Entity}.{notice.Action} {id}: not found in iMIS; nothing changed";
            await SyncFromImis.UpsertMembersAsync(store, clock, [member], ct);
            return $"{notice.Entity}.{notice.Action} {id}: member re-read from iMIS";
        }

        if (notice.RecordId is { Length: > 0 } invoiceId && InvoiceEntities.Contains(notice.Entity))
        {
            var invoice = await client.GetInvoiceAsync(new InvoiceId(invoiceId), ct);
            if (invoice is null) return $"{notice.Entity}.{notice.Action} {invoiceId}: not found in iMIS; nothing changed";
            if (await client.GetMemberAsync(invoice.Invoice.MemberId, ct) is { } owner)
                await SyncFromImis.UpsertMembersAsync(store, clock, [owner], ct);
            var fresh = await SyncFromImis.UpsertInvoicesAsync(store, clock, [invoice], ct);
            var flagged = await SyncFromImis.ValidateNewInvoicesAsync(store, clock, policy, fresh, ct);
            return $"{notice.Entity}.{notice.Action} {invoiceId}: invoice re-read from iMIS ({(fresh.Count > 0 ? "new" : "updated")}, balance {invoice.Invoice.Balance.ToDisplayString()}{(flagged > 0 ? ", flagged for review" : "")})";
        }

        var polled = await SyncFromImis.HandleAsync(store, client, clock, policy, ct: ct);
        return $"{notice.Entity}.{notice.Action} {notice.RecordId ?? "(no id)"}: polled iMIS ({polled.Members} member(s), {polled.Invoices} invoice(s) changed)";
    }
}
