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

        public int Total => Sent + Retrying + Failed + Conflicts;

        public static Outcome operator +(Outcome a, Outcome b) => new(a.Sent + b.Sent, a.Retrying + b.Retrying, a.Failed + b.Failed, a.Conflicts + b.Conflicts) { Paused = a.Paused + b.Paused };
    }

    /// <summary>What waits in the outbox, by kind: rows pending (due now or backing off), failed, and the oldest pending row's creation time.</summary>
    public sealed record BacklogRow(string Kind, long Pending, long Failed, DateTimeOffset? OldestPending);

    /// <summary>
    /// One round: up to <paramref name="batchSize"/> due rows, payment applications first and then in creation
    /// order, sent with up to <paramref name="concurrency"/> writes in flight. Rows of one member go one after
    /// another in that order (one lane per member), so two writes for one payer never race each other.
    /// </summary>
    public static async Task<Outcome> HandleAsync(Store store, IImisClient client, TimeProvider clock, ImisOptions imis, int batchSize = 100, int concurrency = 1, int retryBaseSeconds = 15, CancellationToken ct = default)
    {
        var now = DbTime.Format(clock.GetUtcNow());
        var due = await store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<(string Id, string Kind, string Key, string Payload, long Attempts, string? AttemptedAt, string CreatedAt)>(
            "SELECT outbox_id, kind, idempotency_key, payload, attempts, attempted_at, created_at FROM imis_outbox WHERE state = 'pending' AND next_attempt_at <= @now ORDER BY priority, created_at LIMIT @batchSize",
            new { now, batchSize }, tx)).ToList(), ct);
        int sent = 0, retrying = 0, failed = 0, conflicts = 0, paused = 0;
        var blocking = await ImisProbeFindings.BlockingPaymentsAsync(store, ct);
        var lanes = due.GroupBy(r => LaneOf(r.Payload) ?? r.Id, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        await Parallel.ForEachAsync(lanes, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = ct }, async (lane, token) =>
        {
            foreach (var row in lane)
            {
                if (row.Kind == ImisWriteKinds.ApplyPayment && blocking.Count > 0)
                {
                    // Nothing is sent and nothing is lost: the payment waits, with the reason visible, until a probe clears the point.
                    Interlocked.Increment(ref paused);
                    var reason = "payment writes paused: the iMIS probe found " + string.Join("; ", blocking.Select(b => $"{b.Point} contradicted ({b.Evidence})"))
                        + "; fix the site or the settings and run `duespilot imis probe` again";
                    await store.InTransactionAsync((c, tx) => c.ExecuteAsync("UPDATE imis_outbox SET last_error = @reason, next_attempt_at = @next WHERE outbox_id = @id",
                        new { reason, next = DbTime.Format(clock.GetUtcNow() + TimeSpan.FromMinutes(15)), id = row.Id }, tx), token);
                    continue;
                }

                var state = await SendRowAsync(store, client, clock, imis, row, retryBaseSeconds, token);
                switch (state)
                {
                    case "done": Interlocked.Increment(ref sent); break;
                    case "retry": Interlocked.Increment(ref retrying); break;
                    case "conflict": Interlocked.Increment(ref conflicts); break;
                    default: Interlocked.Increment(ref failed); break;
                }
            }
        });

        return new Outcome(sent, retrying, failed, conflicts) { Paused = paused };
    }

    /// <summary>Rounds of <see cref="HandleAsync"/> until nothing is due (or only rows backing off) or the time budget is spent.</summary>
    public static async Task<Outcome> DrainAsync(Store store, IImisClient client, TimeProvider clock, ImisOptions imis, ImisWriteOptions writes, CancellationToken ct = default)
    {
        var total = new Outcome(0, 0, 0, 0);
        var until = clock.GetUtcNow().AddSeconds(writes.MaxSecondsPerRun);
        while (clock.GetUtcNow() < until)
        {
            var round = await HandleAsync(store, client, clock, imis, writes.BatchSize, writes.Concurrency, writes.RetryBaseSeconds, ct);
            total += round;
            // A short round means nothing else is due; a round of only retries means iMIS is failing: wait for the next run.
            if (round.Total < writes.BatchSize || round.Sent + round.Conflicts + round.Failed == 0) break;
        }

        return total;
    }

    /// <summary>The outbox backlog by kind, for /Jobs and <c>/metrics</c>.</summary>
    public static Task<IReadOnlyList<BacklogRow>> BacklogAsync(Store store, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<BacklogRow>>(async (c, tx) =>
            (await c.QueryAsync<(string Kind, long Pending, long Failed, string? Oldest)>(
                """
                SELECT kind, SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), SUM(CASE WHEN state IN ('failed', 'conflict') THEN 1 ELSE 0 END),
                       MIN(CASE WHEN state = 'pending' THEN created_at END)
                FROM imis_outbox WHERE state <> 'done' GROUP BY kind ORDER BY MIN(priority), kind
                """, transaction: tx))
            .Select(r => new BacklogRow(r.Kind, r.Pending, r.Failed, DbTime.ParseInstantOrNull(r.Oldest))).ToList(), ct);

    private static string? MemberOf(string payload) => LaneOf(payload);

    /// <summary>The member a write concerns (payer of a payment, member of a review or audit row); rows without one get a lane of their own.</summary>
    private static string? LaneOf(string payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            foreach (var name in (string[])["PayerMemberId", "MemberId"])
            {
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String) return v.GetString();
            }
        }
        catch (JsonException)
        {
            // A malformed payload fails in SendAsync with its own error; it just runs in a lane of its own.
        }

        return null;
    }

    private static async Task<string> SendRowAsync(Store store, IImisClient client, TimeProvider clock, ImisOptions imis, (string Id, string Kind, string Key, string Payload, long Attempts, string? AttemptedAt, string CreatedAt) row, int retryBaseSeconds, CancellationToken ct)
    {
        string state;
        string? result = null;
        string? error = null;
        // Committed before the first send: from then on the write may be in iMIS even if we never learn it.
        if (row.AttemptedAt is null)
        {
            await store.InTransactionAsync((c, tx) => c.ExecuteAsync("UPDATE imis_outbox SET attempted_at = @now WHERE outbox_id = @id AND attempted_at IS NULL",
                new { now = DbTime.Format(clock.GetUtcNow()), id = row.Id }, tx), ct);
        }

        try
        {
            // The row was queued in the same transaction as the event it reports: its time is the event's time.
            (state, result) = await SendAsync(client, imis, row.Kind, row.Key, row.Payload, DbTime.ParseInstant(row.CreatedAt), maybeSent: row.AttemptedAt is not null, ct);
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
        var backoff = TimeSpan.FromSeconds(Math.Min(3600, retryBaseSeconds * Math.Pow(2, attempts - 1)));
        await store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(
                """
                UPDATE imis_outbox SET state = @final, attempts = @attempts, last_error = @error, result = COALESCE(@result, result),
                    next_attempt_at = @next, done_at = CASE WHEN @final = 'done' THEN @now ELSE done_at END
                WHERE outbox_id = @id
                """,
                new { final = state == "retry" ? "pending" : state, attempts, error, result, next = DbTime.Format(clock.GetUtcNow() + backoff), now = DbTime.Format(clock.GetUtcNow()), id = row.Id }, tx);
            if (state == "done" && row.Kind is ImisWriteKinds.InvoiceCorrection or ImisWriteKinds.InvoiceVoid)
            {
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", row.Kind == ImisWriteKinds.InvoiceVoid ? "imis.invoice-voided" : "imis.invoice-corrected",
                    $"imis:{row.Key}", result ?? "done", MemberOf(row.Payload), Inputs: row.Payload));
            }

            if (state is "failed" or "conflict")
            {
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", $"imis.write-{state}", $"imis:{row.Key}",
                    $"{row.Kind} could not be written to iMIS: {error ?? result}", Inputs: row.Payload));
            }
        }, CancellationToken.None);
        return state;
    }

    /// <param name="maybeSent">An earlier attempt may have reached iMIS: panel rows and notes (which iMIS does not deduplicate) are looked for before they are written again.</param>
    private static async Task<(string State, string? Result)> SendAsync(IImisClient client, ImisOptions imis, string kind, string key, string payload, DateTimeOffset happenedAt, bool maybeSent, CancellationToken ct)
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
                    await AddNoteOnceAsync(client, payor,
                        $"DuesPilot kept {Money.FromMinor(write.CreditOnAccountMinor, currency).ToDisplayString()} of payment {write.PaymentId} ({write.Reference}) as credit on account; record it as open credit.", maybeSent, ct);
                }

                return ("done", $"applied {Money.FromMinor(write.AmountMinor, currency).ToDisplayString()}");
            }

            case ImisWriteKinds.ReviewQueueRow:
            {
                var row = JsonSerializer.Deserialize<ReviewQueueRow>(payload)!;
                if (maybeSent && await FindPanelRowAsync(client, imis.ReviewQueueEntity, new MemberId(row.MemberId), [new("PaymentReference", row.ItemId), new("Notes", $"[{row.State}] {row.Notes}")], ct) is { } found)
                    return ("done", $"{found.Entity} ~{found.PartyId}|{found.Ordinal} (already written)");
                var panel = await client.AddReviewItemAsync(new ImisReviewItem(new MemberId(row.MemberId), row.InvoiceId is null ? null : new InvoiceId(row.InvoiceId),
                    row.ProposedAmountMinor is { } a ? Money.FromMinor(a, row.Currency is { } code ? Currency.Parse(code) : Currency.USD) : null, row.NeedsHumanReview, $"[{row.State}] {row.Notes}", row.ItemId, null, null, happenedAt), ct);
                return ("done", $"{panel.Entity} ~{panel.PartyId}|{panel.Ordinal}");
            }

            case ImisWriteKinds.AuditLogRow:
            {
                var row = JsonSerializer.Deserialize<AuditLogRow>(payload)!;
                var party = new MemberId(row.MemberId);
                var subject = $"audit #{row.Seq}";
                var panel = (maybeSent ? await FindPanelRowAsync(client, imis.AuditLogEntity, party, [new("Subject", subject)], ct) : null)
                    ?? await client.AddAuditEntryAsync(new ImisAuditEntry(party, happenedAt, row.Actor, row.Action, subject, row.Outcome, null, row.Hash), ct);
                await AddNoteOnceAsync(client, party, $"{row.Actor}: {row.Action} — {row.Outcome} (audit #{row.Seq})", maybeSent, ct);
                return ("done", $"{panel.Entity} ~{panel.PartyId}|{panel.Ordinal}");
            }

            case ImisWriteKinds.InvoiceCorrection:
            {
                var write = JsonSerializer.Deserialize<InvoiceCorrectionWrite>(payload)!;
                var outcome = await client.CorrectInvoiceAsync(new ImisInvoiceCorrection(new InvoiceId(write.InvoiceId),
                    Money.FromMinor(write.ExpectedMinor, Currency.Parse(write.Currency)), $"{write.Reason} ({write.Actor} in DuesPilot)"), ct);
                return InvoiceState(outcome);
            }

            case ImisWriteKinds.InvoiceVoid:
            {
                var write = JsonSerializer.Deserialize<InvoiceVoidWrite>(payload)!;
                var outcome = await client.VoidInvoiceAsync(new ImisInvoiceVoid(new InvoiceId(write.InvoiceId), $"{write.Reason} ({write.Actor} in DuesPilot)",
                    DateOnly.ParseExact(write.AdjustmentDate, "O", System.Globalization.CultureInfo.InvariantCulture)), maybeSent, ct);
                return InvoiceState(outcome);
            }

            case Inquiries.Mail.AnswerInquiryMail.MemberNoteKind:
            {
                var note = JsonSerializer.Deserialize<Inquiries.Mail.MemberNote>(payload)!;
                var added = await client.AddPartyNoteAsync(new MemberId(note.MemberId), note.Purpose, note.Text, ct);
                return ("done", $"note {added.PartyNoteId}");
            }

            default:
                return ("failed", $"unknown outbox kind '{kind}' ({key})");
        }
    }

    private static (string State, string? Result) InvoiceState(ImisInvoiceChangeOutcome outcome) => outcome.Status switch
    {
        ImisChangeStatus.Applied or ImisChangeStatus.AlreadyApplied => ("done", outcome.Detail),
        ImisChangeStatus.Unavailable => ("retry", outcome.Detail),
        _ => ("failed", outcome.Detail),
    };

    /// <summary>The party's panel row whose properties have all these values, if one was written already.</summary>
    private static async Task<ImisPanelRow?> FindPanelRowAsync(IImisClient client, string entity, MemberId party, KeyValuePair<string, string>[] wanted, CancellationToken ct)
    {
        await foreach (var r in client.ListPanelRowsAsync(entity, party, ct))
        {
            if (wanted.All(w => r.Properties.TryGetValue(w.Key, out var v) && string.Equals(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture), w.Value, StringComparison.Ordinal)))
                return r;
        }

        return null;
    }

    private static async Task AddNoteOnceAsync(IImisClient client, MemberId party, string text, bool maybeSent, CancellationToken ct)
    {
        if (maybeSent && (await client.ListPartyNotesAsync(party, ct)).Any(n => n.Text == text)) return;
        await client.AddPartyNoteAsync(party, "DuesPilot", text, ct);
    }

    /// <summary>The job wrapper: rounds until the outbox has nothing due or the run's time budget is spent.</summary>
    public static async Task<JobResult> RunJobAsync(Store store, IImisClient client, TimeProvider clock, ImisOptions imis, ImisWriteOptions writes, CancellationToken ct)
    {
        var o = await DrainAsync(store, client, clock, imis, writes, ct);
        return new JobResult($"sent {o.Sent}, retrying {o.Retrying}, failed {o.Failed}, conflicts {o.Conflicts}" + (o.Paused > 0 ? $", {o.Paused} payment(s) paused by the iMIS probe's findings (see `duespilot imis probe`)" : ""),
            new Dictionary<string, long> { ["sent"] = o.Sent, ["retrying"] = o.Retrying, ["failed"] = o.Failed, ["conflicts"] = o.Conflicts, ["paused"] = o.Paused });
    }
}
