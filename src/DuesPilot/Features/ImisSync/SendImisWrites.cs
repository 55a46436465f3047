using System.Text.Json;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Jobs;
using DuesPilot.Imis;
using DuesPilot.Persistence;

namespace DuesPilot.Features.ImisSync;

/// <summary>
/// Sends the queued iMIS writes (<see cref="ImisOutbox"/>) with the idempotent client: payments through
/// ComboOrder (read back before any retry, so never applied twice), AI_Review_Queue and AI_Audit_Log rows,
/// notes on the member. A failure waits with backoff and its error visible; after
/// <see cref="MaxAttempts"/> it stops as <c>failed</c> for staff, and nothing is ever dropped.
/// </summary>
public static class SendImisWrites
{
    public const int MaxAttempts = 12;

    public sealed record Outcome(int Sent, int Retrying, int Failed, int Conflicts)
    {
        /// <summary>Payments left waiting because the iMIS probe found a point their write depends on contradicted.</summary>
        public int Paused { get; init; }
    }

    public static async Task<Outcome> HandleAsync(Store store, IImisClient client, TimeProvider clock, ImisOptions imis, int batchSize = 100, CancellationToken ct = default)
    {
        var now = DbTime.Format(clock.GetUtcNow());
        var due = await store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<(string Id, string Kind, string Key, string Payload, long Attempts, string CreatedAt)>(
            "SELECT outbox_id, kind, idempotency_key, payload, attempts, created_at FROM imis_outbox WHERE state = 'pending' AND next_attempt_at <= @now ORDER BY created_at LIMIT @batchSize",
            new { now, batchSize }, tx)).ToList(), ct);
        int sent = 0, retrying = 0, failed = 0, conflicts = 0, paused = 0;
        var blocking = await ImisProbeFindings.BlockingPaymentsAsync(store, ct);
        foreach (var row in due)
        {
            if (row.Kind == ImisWriteKinds.ApplyPayment && blocking.Count > 0)
            {
                // Nothing is sent and nothing is lost: the payment waits, with the reason visible, until a probe clears the point.
                paused++;
                var reason = "payment writes paused: the iMIS probe found " + string.Join("; ", blocking.Select(b => $"{b.Point} contradicted ({b.Evidence})"))
                    + "; fix the site or the settings and run `duespilot imis probe` again";
                await store.InTransactionAsync((c, tx) => c.ExecuteAsync("UPDATE imis_outbox SET last_error = @reason, next_attempt_at = @next WHERE outbox_id = @id",
                    new { reason, next = DbTime.Format(clock.GetUtcNow() + TimeSpan.FromMinutes(15)), id = row.Id }, tx), ct);
                continue;
            }

            string state;
            string? result = null;
            string? error = null;
            try
            {
                // The row was queued in the same transaction as the event it reports: its time is the event's time.
                (state, result) = await SendAsync(client, imis, row.Kind, row.Key, row.Payload, DbTime.ParseInstant(row.CreatedAt), ct);
            }
            catch (ImisRequestException ex)
            {
                state = "retry";
                error = ex.Message;
            }
            catch (HttpRequestException ex)
            {
                state = "retry";
                error = ex.Message;
            }

            var attempts = row.Attempts + 1;
            if (state == "retry" && attempts >= MaxAttempts) state = "failed";
            var backoff = TimeSpan.FromSeconds(Math.Min(3600, 15 * Math.Pow(2, attempts - 1)));
            await store.InTransactionAsync(async (c, tx) =>
            {
                await c.ExecuteAsync(
                    """
                    UPDATE imis_outbox SET state = @final, attempts = @attempts, last_error = @error, result = COALESCE(@result, result),
                        next_attempt_at = @next, done_at = CASE WHEN @final = 'done' THEN @now ELSE done_at END
                    WHERE outbox_id = @id
                    """,
                    new { final = state == "retry" ? "pending" : state, attempts, error, result, next = DbTime.Format(clock.GetUtcNow() + backoff), now = DbTime.Format(clock.GetUtcNow()), id = row.Id }, tx);
                if (state is "failed" or "conflict")
                {
                    await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", $"imis.write-{state}", $"imis:{row.Key}",
                        $"{row.Kind} could not be written to iMIS: {error ?? result}", Inputs: row.Payload));
                }
            }, ct);
            switch (state)
            {
                case "done": sent++; break;
                case "retry": retrying++; break;
                case "conflict": conflicts++; break;
                default: failed++; break;
            }
        }

        return new Outcome(sent, retrying, failed, conflicts) { Paused = paused };
    }

    private static async Task<(string State, string? Result)> SendAsync(IImisClient client, ImisOptions imis, string kind, string key, string payload, DateTimeOffset happenedAt, CancellationToken ct)
    {
        switch (kind)
        {
            case ImisWriteKinds.ApplyPayment:
            {
                var write = JsonSerializer.Deserialize<PaymentWrite>(payload)!;
                var currency = Currency.Parse(write.Currency);
                var payor = new MemberId(write.PayerMemberId);
                if (write.Invoices.Count > 0)
                {
                    var method = imis.PaymentMethods.TryGetValue(write.Method, out var m) ? m : imis.PaymentMethods["cash"];
                    var outcome = await client.ApplyPaymentAsync(new ImisPaymentRequest(
                        $"DP-{write.PaymentId}"[..Math.Min(60, 3 + write.PaymentId.Length)], payor, method,
                        write.Invoices.Select(i => new ImisInvoicePayment(new InvoiceId(i.InvoiceId), Money.FromMinor(i.AmountMinor, currency))).ToList()), ct);
                    switch (outcome.Status)
                    {
                        case ImisPaymentStatus.Unavailable:
                            return ("retry", outcome.Failure?.ToString());
                        case ImisPaymentStatus.Conflict:
                            return ("conflict", $"a payment with reference DP-{write.PaymentId} exists in iMIS with other data");
                        case ImisPaymentStatus.Rejected:
                            return ("failed", outcome.Failure?.ToString() ?? "rejected by iMIS");
                    }
                }

                if (write.CreditOnAccountMinor > 0)
                {
                    await client.AddPartyNoteAsync(payor, "DuesPilot",
                        $"DuesPilot kept {Money.FromMinor(write.CreditOnAccountMinor, currency).ToDisplayString()} of payment {write.PaymentId} ({write.Reference}) as credit on account; record it as open credit.", ct);
                }

                return ("done", $"applied {Money.FromMinor(write.AmountMinor, currency).ToDisplayString()}");
            }

            case ImisWriteKinds.ReviewQueueRow:
            {
                var row = JsonSerializer.Deserialize<ReviewQueueRow>(payload)!;
                var panel = await client.AddReviewItemAsync(new ImisReviewItem(new MemberId(row.MemberId), row.InvoiceId is null ? null : new InvoiceId(row.InvoiceId),
                    row.ProposedAmountMinor is { } a ? Money.FromMinor(a, Currency.USD) : null, row.NeedsHumanReview, $"[{row.State}] {row.Notes}", row.ItemId, null, null, happenedAt), ct);
                return ("done", $"{panel.Entity} ~{panel.PartyId}|{panel.Ordinal}");
            }

            case ImisWriteKinds.AuditLogRow:
            {
                var row = JsonSerializer.Deserialize<AuditLogRow>(payload)!;
                var party = new MemberId(row.MemberId);
                var panel = await client.AddAuditEntryAsync(new ImisAuditEntry(party, happenedAt, row.Actor, row.Action, $"audit #{row.Seq}", row.Outcome, null, row.Hash), ct);
                await client.AddPartyNoteAsync(party, "DuesPilot", $"{row.Actor}: {row.Action} — {row.Outcome} (audit #{row.Seq})", ct);
                return ("done", $"{panel.Entity} ~{panel.PartyId}|{panel.Ordinal}");
            }

            default:
                return ("failed", $"unknown outbox kind '{kind}' ({key})");
        }
    }

    /// <summary>The job wrapper: one bounded batch per run.</summary>
    public static async Task<JobResult> RunJobAsync(Store store, IImisClient client, TimeProvider clock, ImisOptions imis, CancellationToken ct)
    {
        var o = await HandleAsync(store, client, clock, imis, ct: ct);
        return new JobResult($"sent {o.Sent}, retrying {o.Retrying}, failed {o.Failed}, conflicts {o.Conflicts}" + (o.Paused > 0 ? $", {o.Paused} payment(s) paused by the iMIS probe's findings (see `duespilot imis probe`)" : ""),
            new Dictionary<string, long> { ["sent"] = o.Sent, ["retrying"] = o.Retrying, ["failed"] = o.Failed, ["conflicts"] = o.Conflicts, ["paused"] = o.Paused });
    }
}
