using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Intake;

/// <summary>Where an inbox item came from. The text is what the <c>source</c> column holds.</summary>
public static class InboxSources
{
    public const string Stripe = "stripe";
    public const string AuthorizeNet = "authorizenet";
    public const string Imis = "imis";
    public const string Nacha = "nacha";
    public const string Bai2 = "bai2";
    public const string Camt = "camt";
    public const string Csv = "csv";
}

/// <summary>The states of an inbox item. Nothing is ever deleted; items only move forward (or back to pending by a retry).</summary>
public static class InboxStates
{
    public const string Pending = "pending";
    public const string Processed = "processed";
    public const string Dead = "dead";
}

/// <summary>Something received, to be written to the inbox before its sender is told "received".</summary>
/// <param name="PayloadHash">Hash of what identifies the payload's meaning (see <see cref="QueueInboxItem.Hash(byte[])"/>); a redelivery with the same hash is a duplicate.</param>
/// <param name="Headers">JSON of the allow-listed request headers: never a secret.</param>
public sealed record InboxItem(
    string Source,
    string IdempotencyKey,
    string PayloadHash,
    byte[] Body,
    string? ContentType = null,
    string? Headers = null,
    long? AmountMinor = null,
    string? Currency = null);

/// <summary>What queueing did.</summary>
public enum QueueOutcome
{
    /// <summary>New: written durably; the sender may be told it was received.</summary>
    Queued,

    /// <summary>The same key with the same payload was already queued: success, nothing new.</summary>
    Duplicate,

    /// <summary>The same key with a different payload: refused and recorded as an alert. Never overwrites.</summary>
    Conflict,
}

public sealed record QueueResult(QueueOutcome Outcome, string ItemId);

/// <summary>
/// Writes an item to the inbox under its idempotency key. The key is unique in the table, so two
/// deliveries racing each other cannot both insert: the loser sees the winner's row and compares
/// payload hashes (insert-then-compare, never check-then-insert).
/// </summary>
public static class QueueInboxItem
{
    public static string Hash(byte[] payload) => Convert.ToHexStringLower(SHA256.HashData(payload));

    public static Task<QueueResult> RunAsync(Store store, TimeProvider clock, InboxItem item, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => RunAsync(c, tx, clock, item), ct);

    public static async Task<QueueResult> RunAsync(DbConnection connection, DbTransaction tx, TimeProvider clock, InboxItem item)
    {
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now).ToString("D");
        var inserted = await connection.ExecuteScalarAsync<string?>(
            """
            INSERT INTO inbox (item_id, source, idempotency_key, payload_hash, content_type, headers, body, state, attempts, received_at, amount_minor, currency)
            VALUES (@id, @Source, @IdempotencyKey, @PayloadHash, @ContentType, @Headers, @Body, 'pending', 0, @at, @AmountMinor, @Currency)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING item_id
            """,
            new { id, item.Source, item.IdempotencyKey, item.PayloadHash, item.ContentType, item.Headers, item.Body, at = DbTime.Format(now), item.AmountMinor, item.Currency },
            tx);
        if (inserted is not null) return new QueueResult(QueueOutcome.Queued, inserted);

        var existing = await connection.QuerySingleAsync<(string ItemId, string PayloadHash)>(
            "SELECT item_id AS ItemId, payload_hash AS PayloadHash FROM inbox WHERE idempotency_key = @IdempotencyKey", new { item.IdempotencyKey }, tx);
        if (existing.PayloadHash == item.PayloadHash) return new QueueResult(QueueOutcome.Duplicate, existing.ItemId);

        await connection.ExecuteAsync(
            """
            INSERT INTO inbox_alerts (alert_id, kind, source, idempotency_key, existing_hash, incoming_hash, incoming_body, received_at)
            VALUES (@alertId, 'duplicate-key-different-payload', @Source, @IdempotencyKey, @existing, @PayloadHash, @Body, @at)
            """,
            new { alertId = Guid.CreateVersion7(now).ToString("D"), item.Source, item.IdempotencyKey, existing = existing.PayloadHash, item.PayloadHash, item.Body, at = DbTime.Format(now) },
            tx);
        return new QueueResult(QueueOutcome.Conflict, existing.ItemId);
    }
}

/// <summary>A request refused at the door (bad or stale signature, wrong secret): recorded without its body or any secret.</summary>
public sealed record RejectedRequest(string Source, string Reason, string? RemoteAddress, string? Headers, byte[] Body);

public static class RecordRejectedRequest
{
    public static Task RunAsync(Store store, TimeProvider clock, RejectedRequest request, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        return store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(
                """
                INSERT INTO inbox_rejections (rejection_id, source, reason, remote_addr, headers, body_sha256, body_length, received_at)
                VALUES (@id, @Source, @Reason, @RemoteAddress, @Headers, @hash, @length, @at)
                """,
                new
                {
                    id = Guid.CreateVersion7(now).ToString("D"), request.Source, request.Reason, request.RemoteAddress, request.Headers,
                    hash = QueueInboxItem.Hash(request.Body), length = (long)request.Body.Length, at = DbTime.Format(now),
                },
                tx);
        }, ct);
    }
}
