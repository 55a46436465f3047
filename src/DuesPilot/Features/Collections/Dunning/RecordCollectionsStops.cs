using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections.Dunning;

/// <summary>
/// The facts that stop or shape dunning, recorded by staff or by intake: a disputed invoice (opened and resolved),
/// a member's opt-out of a channel, and a phone number with SMS consent. Each writes its audit row.
/// </summary>
public static class RecordCollectionsStops
{
    public static Task OpenDisputeAsync(Store store, TimeProvider clock, InvoiceId invoice, MemberId member, string note, string actor, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(
                """
                INSERT INTO collections_disputes (invoice_id, member_id, opened_at, resolved_at, note) VALUES (@invoice, @member, @at, NULL, @note)
                ON CONFLICT (invoice_id) DO UPDATE SET opened_at = excluded.opened_at, resolved_at = NULL, note = excluded.note
                """, new { invoice = invoice.Value, member = member.Value, at = DbTime.Format(clock.GetUtcNow()), note }, tx);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, "collections.dispute-opened", $"invoice:{invoice}", note, member.Value));
        }, ct);

    public static Task ResolveDisputeAsync(Store store, TimeProvider clock, InvoiceId invoice, string note, string actor, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("UPDATE collections_disputes SET resolved_at = @at, note = @note WHERE invoice_id = @invoice AND resolved_at IS NULL",
                new { invoice = invoice.Value, at = DbTime.Format(clock.GetUtcNow()), note }, tx);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, "collections.dispute-resolved", $"invoice:{invoice}", note));
        }, ct);

    /// <param name="channel">"email", "sms" or "all".</param>
    public static Task OptOutAsync(Store store, TimeProvider clock, MemberId member, string channel, string actor, CancellationToken ct = default)
    {
        if (channel is not ("email" or "sms" or "all")) throw new ArgumentException("channel is email, sms or all", nameof(channel));
        return store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO collections_opt_outs (member_id, channel, created_at) VALUES (@member, @channel, @at) ON CONFLICT (member_id, channel) DO NOTHING",
                new { member = member.Value, channel, at = DbTime.Format(clock.GetUtcNow()) }, tx);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, "collections.opted-out", $"member:{member}", $"opted out of {channel} dunning", member.Value));
        }, ct);
    }

    public static Task SetSmsContactAsync(Store store, TimeProvider clock, MemberId member, string phone, bool consent, string actor, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(
                """
                INSERT INTO collections_contacts (member_id, phone, sms_consent, updated_at) VALUES (@member, @phone, @consent, @at)
                ON CONFLICT (member_id) DO UPDATE SET phone = excluded.phone, sms_consent = excluded.sms_consent, updated_at = excluded.updated_at
                """, new { member = member.Value, phone, consent = consent ? 1 : 0, at = DbTime.Format(clock.GetUtcNow()) }, tx);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(actor, "collections.sms-contact", $"member:{member}", consent ? "SMS consent given" : "SMS consent withdrawn", member.Value));
        }, ct);
}
