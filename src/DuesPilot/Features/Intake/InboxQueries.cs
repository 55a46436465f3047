using Dapper;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Intake;

/// <summary>An inbox item as the CLI and the staff screens show it (the body is fetched only by <see cref="ShowInboxItem"/>).</summary>
public sealed class InboxSummary
{
    public string ItemId { get; init; } = "";
    public string Source { get; init; } = "";
    public string IdempotencyKey { get; init; } = "";
    public string State { get; init; } = "";
    public long Attempts { get; init; }
    public long? AmountMinor { get; init; }
    public string? Currency { get; init; }
    public string ReceivedAt { get; init; } = "";
    public string? ProcessedAt { get; init; }
    public string? LastError { get; init; }
    public string? Outcome { get; init; }
}

public sealed record InboxDetail(InboxSummary Item, string? ContentType, string? Headers, byte[] Body, string PayloadHash, string? NextAttemptAt);

/// <summary>Lists inbox items, newest first, optionally of one state.</summary>
public static class ListInbox
{
    public const string Columns =
        "item_id AS ItemId, source AS Source, idempotency_key AS IdempotencyKey, state AS State, attempts AS Attempts, amount_minor AS AmountMinor, currency AS Currency, received_at AS ReceivedAt, processed_at AS ProcessedAt, last_error AS LastError, outcome AS Outcome";

    public static async Task<IReadOnlyList<InboxSummary>> RunAsync(Store store, string? state = null, int limit = 1000, CancellationToken ct = default)
    {
        await using var c = await store.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<InboxSummary>(
            $"SELECT {Columns} FROM inbox WHERE (@state IS NULL OR state = @state) ORDER BY received_at DESC, item_id DESC LIMIT @limit",
            new { state, limit });
        return [.. rows];
    }

    public static async Task<long> CountAsync(Store store, CancellationToken ct = default)
    {
        await using var c = await store.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox");
    }
}

/// <summary>One inbox item with its body and headers; found by item id or idempotency key.</summary>
public static class ShowInboxItem
{
    public static async Task<InboxDetail?> RunAsync(Store store, string idOrKey, CancellationToken ct = default)
    {
        await using var c = await store.OpenConnectionAsync(ct);
        var summary = await c.QuerySingleOrDefaultAsync<InboxSummary>(
            $"SELECT {ListInbox.Columns} FROM inbox WHERE item_id = @idOrKey OR idempotency_key = @idOrKey", new { idOrKey });
        if (summary is null) return null;
        var rest = await c.QuerySingleAsync<(string? ContentType, string? Headers, byte[] Body, string PayloadHash, string? NextAttemptAt)>(
            "SELECT content_type, headers, body, payload_hash, next_attempt_at FROM inbox WHERE item_id = @id", new { id = summary.ItemId });
        return new InboxDetail(summary, rest.ContentType, rest.Headers, rest.Body, rest.PayloadHash, rest.NextAttemptAt);
    }
}

public enum RetryOutcome
{
    /// <summary>Back to pending with its attempts reset; the worker picks it up on its next tick.</summary>
    Requeued,

    /// <summary>Already pending: nothing to do.</summary>
    AlreadyPending,

    /// <summary>Processed items are not re-run: that would book the money twice.</summary>
    AlreadyProcessed,

    NotFound,
}

/// <summary>Puts a dead-lettered item back in the queue after the cause was fixed. The earlier error stays in the audit log.</summary>
public static class RetryInboxItem
{
    public static Task<RetryOutcome> RunAsync(Store store, TimeProvider clock, string idOrKey, string actor, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var row = await c.QuerySingleOrDefaultAsync<(string ItemId, string State, string? LastError)>(
                "SELECT item_id, state, last_error FROM inbox WHERE item_id = @idOrKey OR idempotency_key = @idOrKey", new { idOrKey }, tx);
            if (row.ItemId is null) return RetryOutcome.NotFound;
            if (row.State == InboxStates.Processed) return RetryOutcome.AlreadyProcessed;
            if (row.State == InboxStates.Pending) return RetryOutcome.AlreadyPending;
            await c.ExecuteAsync(
                "UPDATE inbox SET state = 'pending', attempts = 0, next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, dead_at = NULL WHERE item_id = @id",
                new { id = row.ItemId }, tx);
            await Audit.AuditTrail.AppendAsync(c, tx, clock, new Audit.AuditEvent(actor, "inbox.retried", $"inbox:{row.ItemId}", "requeued", Before: $"dead: {row.LastError}", After: "pending"));
            return RetryOutcome.Requeued;
        }, ct);
}
