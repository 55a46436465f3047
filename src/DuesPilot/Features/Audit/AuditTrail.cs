using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Audit;

/// <summary>One thing DuesPilot or a person did, as the audit log keeps it.</summary>
/// <param name="Actor">"duespilot" for automatic actions, otherwise the staff user name.</param>
/// <param name="Action">What was done, e.g. <c>payment.auto-applied</c>, <c>hold.posted</c>.</param>
/// <param name="Subject">What it was done to, e.g. <c>payment:ch_123</c>.</param>
/// <param name="Inputs">The facts the decision used (JSON or text).</param>
/// <param name="RuleVersion">Rule set, model and prompt versions that decided.</param>
public sealed record AuditEvent(
    string Actor,
    string Action,
    string Subject,
    string Outcome,
    string? MemberId = null,
    string? Inputs = null,
    string? RuleVersion = null,
    string? Before = null,
    string? After = null);

/// <summary>A stored audit row with its place in the hash chain.</summary>
public sealed record AuditRecord(long Seq, string EventId, DateTimeOffset OccurredAt, AuditEvent Event, string PrevHash, string Hash);

/// <summary>The result of verifying the chain: the first broken row, if any.</summary>
public sealed record AuditVerification(long Rows, long? FirstBrokenSeq, string? Problem)
{
    public bool IsIntact => FirstBrokenSeq is null;
}

/// <summary>
/// The append-only audit log. Each row stores the hash of the previous row and its own hash over
/// its content and that link, so altering, removing or reordering any row breaks the chain from that
/// row on, which <see cref="VerifyAsync"/> reports. The database also refuses updates and deletes.
/// </summary>
public sealed class AuditTrail(Store store, TimeProvider clock)
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public Task<AuditRecord> AppendAsync(AuditEvent e, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => AppendAsync(c, tx, clock, e), ct);

    /// <summary>Appends inside the caller's unit of work, so the action and its audit row commit together.</summary>
    public static async Task<AuditRecord> AppendAsync(DbConnection connection, DbTransaction tx, TimeProvider clock, AuditEvent e)
    {
        // Serialise appenders on PostgreSQL so two transactions never chain onto the same previous row.
        if (connection is Npgsql.NpgsqlConnection)
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7401)", transaction: tx);
        var prev = await connection.ExecuteScalarAsync<string?>("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1", transaction: tx) ?? Genesis;
        var eventId = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D");
        var occurred = DbTime.Format(clock.GetUtcNow());
        var hash = ComputeHash(prev, eventId, occurred, e);
        var seq = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO audit_events (event_id, occurred_at, actor, action, subject, member_id, inputs, rule_version, outcome, before_state, after_state, prev_hash, hash)
            VALUES (@eventId, @occurred, @Actor, @Action, @Subject, @MemberId, @Inputs, @RuleVersion, @Outcome, @Before, @After, @prev, @hash)
            RETURNING seq
            """,
            new { eventId, occurred, e.Actor, e.Action, e.Subject, e.MemberId, e.Inputs, e.RuleVersion, e.Outcome, e.Before, e.After, prev, hash }, tx);
        if (e.MemberId is not null)
        {
            // Mirrored to iMIS as an AI_Audit_Log row and a note on the member, through the outbox.
            await ImisSync.ImisOutbox.EnqueueAsync(connection, tx, clock, ImisSync.ImisWriteKinds.AuditLogRow, $"imis:audit:{seq}",
                new ImisSync.AuditLogRow(seq, e.MemberId, e.Action, e.Actor, e.Outcome, hash));
        }

        return new AuditRecord(seq, eventId, DbTime.ParseInstant(occurred), e, prev, hash);
    }

    public Task<IReadOnlyList<AuditRecord>> ListAsync(string? subject = null, int limit = 200, CancellationToken ct = default) =>
        store.InTransactionAsync<IReadOnlyList<AuditRecord>>(async (c, tx) =>
        {
            var rows = await c.QueryAsync<Row>(
                "SELECT * FROM audit_events WHERE (@subject IS NULL OR subject = @subject) ORDER BY seq DESC LIMIT @limit",
                new { subject, limit }, tx);
            return rows.Select(ToRecord).ToList();
        }, ct);

    /// <summary>Walks the whole chain in order and recomputes every hash.</summary>
    public Task<AuditVerification> VerifyAsync(CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => VerifyWithinAsync(c, tx), ct);

    /// <summary>Verifies the chain inside the caller's transaction.</summary>
    internal static async Task<AuditVerification> VerifyWithinAsync(DbConnection c, DbTransaction tx)
    {
        var prev = Genesis;
        long count = 0;
        foreach (var row in await c.QueryAsync<Row>("SELECT * FROM audit_events ORDER BY seq", transaction: tx))
        {
            count++;
            var record = ToRecord(row);
            if (row.prev_hash != prev)
                return new AuditVerification(count, row.seq, $"row {row.seq} does not link to the row before it (a row was removed or reordered)");
            var expected = ComputeHash(prev, row.event_id, row.occurred_at, record.Event);
            if (expected != row.hash)
                return new AuditVerification(count, row.seq, $"row {row.seq} was altered: its content no longer matches its hash");
            prev = row.hash;
        }

        return new AuditVerification(count, null, null);
    }

    /// <summary>
    /// Recomputes the hash links from <paramref name="fromSeq"/> on, after a recorded repair changed row
    /// content (the caller has lifted the append-only trigger inside its transaction and records the
    /// re-anchoring as an audit event itself). Returns the tail hash.
    /// </summary>
    internal static async Task<string> RelinkFromAsync(DbConnection connection, DbTransaction tx, long fromSeq)
    {
        var prev = await connection.ExecuteScalarAsync<string?>("SELECT hash FROM audit_events WHERE seq < @fromSeq ORDER BY seq DESC LIMIT 1", new { fromSeq }, tx) ?? Genesis;
        foreach (var row in (await connection.QueryAsync<Row>("SELECT * FROM audit_events WHERE seq >= @fromSeq ORDER BY seq", new { fromSeq }, tx)).ToList())
        {
            var hash = ComputeHash(prev, row.event_id, row.occurred_at, ToRecord(row).Event);
            if (hash != row.hash || prev != row.prev_hash)
                await connection.ExecuteAsync("UPDATE audit_events SET prev_hash = @prev, hash = @hash WHERE seq = @seq", new { prev, hash, row.seq }, tx);
            prev = hash;
        }

        return prev;
    }

    private static string ComputeHash(string prev, string eventId, string occurred, AuditEvent e)
    {
        var sb = new StringBuilder();
        foreach (var part in new[] { prev, eventId, occurred, e.Actor, e.Action, e.Subject, e.MemberId, e.Inputs, e.RuleVersion, e.Outcome, e.Before, e.After })
        {
            // Length-prefixed so that moving text between fields changes the hash.
            var value = part ?? "\u0000";
            sb.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('|');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static AuditRecord ToRecord(Row r) => new(
        r.seq, r.event_id, DbTime.ParseInstant(r.occurred_at),
        new AuditEvent(r.actor, r.action, r.subject, r.outcome, r.member_id, r.inputs, r.rule_version, r.before_state, r.after_state),
        r.prev_hash, r.hash);

#pragma warning disable IDE1006, CA1812
    private sealed class Row
    {
        public long seq { get; set; }
        public string event_id { get; set; } = "";
        public string occurred_at { get; set; } = "";
        public string actor { get; set; } = "";
        public string action { get; set; } = "";
        public string subject { get; set; } = "";
        public string? member_id { get; set; }
        public string? inputs { get; set; }
        public string? rule_version { get; set; }
        public string outcome { get; set; } = "";
        public string? before_state { get; set; }
        public string? after_state { get; set; }
        public string prev_hash { get; set; } = "";
        public string hash { get; set; } = "";
    }
#pragma warning restore IDE1006, CA1812
}
