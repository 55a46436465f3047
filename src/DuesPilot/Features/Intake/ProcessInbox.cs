using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Intake;

/// <summary>An inbox item leased by one worker until <c>lease_expires_at</c>.</summary>
public sealed class LeasedItem
{
    public string ItemId { get; init; } = "";
    public string Source { get; init; } = "";
    public string IdempotencyKey { get; init; } = "";
    public byte[] Body { get; init; } = [];
    public long Attempts { get; init; }
}

/// <summary>What processing an item did, kept in its <c>outcome</c> column.</summary>
public sealed record ItemResult(string Outcome, Money? Amount);

/// <summary>An expected processing failure. Retryable ones come back later; the others dead-letter at once.</summary>
public sealed class InboxItemException : Exception
{
    public InboxItemException(string message, bool retryable)
        : base(message) => Retryable = retryable;

    public InboxItemException()
    {
    }

    public InboxItemException(string message)
        : base(message)
    {
    }

    public InboxItemException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool Retryable { get; } = true;
}

public sealed record ProcessInboxResult(int Leased, int Processed, int Failed, int DeadLettered);

/// <summary>
/// Processes inbox items into payments: leases a bounded batch (on PostgreSQL with
/// <c>FOR UPDATE SKIP LOCKED</c>, so several instances share one queue), processes each item in its own
/// transaction, and on failure counts the attempt, backs off, and after
/// <see cref="InboxWorkerOptions.MaxAttempts"/> moves the item to the dead-letter state with its error.
/// The server's worker calls this on a timer; the CLI can call it directly. An iMIS change notification makes
/// <paramref name="imisChanges"/> re-read the changed member or invoice; without an iMIS connection it is
/// dead-lettered, saying so, rather than kept unread.
/// </summary>
public sealed class ProcessInbox(Store store, TimeProvider clock, InboxWorkerOptions options, Posting.PostingBooks books, FetchAuthorizeNetTransaction? fetchAuthorizeNet, string owner,
    ImisSync.RereadImisChange? imisChanges = null)
{
    public async Task<ProcessInboxResult> RunOnceAsync(CancellationToken ct = default)
    {
        var items = await LeaseAsync(ct);
        int processed = 0, failed = 0, dead = 0;
        foreach (var item in items)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var apply = await PrepareAsync(item, ct);
                var done = await store.InTransactionAsync(async (c, tx) =>
                {
                    var result = await apply(c, tx);
                    var rows = await c.ExecuteAsync(
                        """
                        UPDATE inbox SET state = 'processed', processed_at = @at, outcome = @outcome, last_error = NULL, lease_owner = NULL, lease_expires_at = NULL,
                               amount_minor = COALESCE(@amount, amount_minor), currency = COALESCE(@currency, currency)
                        WHERE item_id = @id AND lease_owner = @owner AND state = 'pending'
                        """,
                        new { at = DbTime.Format(clock.GetUtcNow()), outcome = Truncate(result.Outcome), amount = result.Amount?.MinorUnits, currency = result.Amount?.Currency.Code, id = item.ItemId, owner },
                        tx);
                    if (rows != 1) throw new LeaseLostException();
                    return true;
                }, ct);
                if (done) processed++;
            }
            catch (LeaseLostException)
            {
                // Another worker took the item after our lease expired; its transaction decides.
            }
            catch (Exception ex) when (ex is not OperationCanceledException && ex is not OutOfMemoryException)
            {
                var retryable = ex is not InboxItemException { Retryable: false } && ex is not System.Text.Json.JsonException;
                if (await FailAsync(item, ex, retryable, ct)) dead++;
                else failed++;
            }
        }

        return new ProcessInboxResult(items.Count, processed, failed, dead);
    }

    /// <summary>Runs until nothing is due (for the CLI and tests): returns the totals.</summary>
    public async Task<ProcessInboxResult> DrainAsync(CancellationToken ct = default)
    {
        int leased = 0, processed = 0, failed = 0, dead = 0;
        while (true)
        {
            var r = await RunOnceAsync(ct);
            leased += r.Leased;
            processed += r.Processed;
            failed += r.Failed;
            dead += r.DeadLettered;
            if (r.Leased == 0) return new ProcessInboxResult(leased, processed, failed, dead);
        }
    }

    private async Task<Func<DbConnection, DbTransaction, Task<ItemResult>>> PrepareAsync(LeasedItem item, CancellationToken ct) => item.Source switch
    {
        InboxSources.Stripe => ProcessStripeEvent.Prepare(item, clock, books),
        InboxSources.AuthorizeNet => await ProcessAuthorizeNetNotification.PrepareAsync(item, clock, books, fetchAuthorizeNet, ct),
        InboxSources.Nacha or InboxSources.Bai2 or InboxSources.Camt or InboxSources.Csv => ProcessBankEntry.Prepare(item, clock, books),
        InboxSources.Imis => await RereadImisAsync(item, ct),
        _ => throw new InboxItemException($"no processor for source '{item.Source}'", retryable: false),
    };

    /// <summary>An iMIS change notification: the changed record is read again from iMIS (outside the item's transaction; re-reading is idempotent).</summary>
    private async Task<Func<DbConnection, DbTransaction, Task<ItemResult>>> RereadImisAsync(LeasedItem item, CancellationToken ct)
    {
        if (imisChanges is null)
            throw new InboxItemException("iMIS is not configured (Imis:BaseUrl): the changed record cannot be re-read", retryable: false);
        if (Imis.ReceiveImisChangeNotifications.Read(System.Text.Encoding.UTF8.GetString(item.Body)) is not Imis.ReceiveImisChangeNotifications.Delivery.Notices { Items: [var notice] })
            throw new InboxItemException("not one iMIS change notification", retryable: false);
        var outcome = await imisChanges.HandleAsync(notice, ct);
        return (_, _) => Task.FromResult(new ItemResult(outcome, null));
    }

    private async Task<IReadOnlyList<LeasedItem>> LeaseAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var skipLocked = store.Engine == StoreEngine.Postgres ? "FOR UPDATE SKIP LOCKED" : "";
        var sql = $"""
            UPDATE inbox SET lease_owner = @owner, lease_expires_at = @until, attempts = attempts + 1
            WHERE item_id IN (
                SELECT item_id FROM inbox
                WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= @now) AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
                ORDER BY received_at, item_id
                LIMIT @limit {skipLocked})
            RETURNING item_id AS ItemId, source AS Source, idempotency_key AS IdempotencyKey, body AS Body, attempts AS Attempts
            """;
        var rows = await store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<LeasedItem>(sql,
            new { owner, until = DbTime.Format(now.AddSeconds(options.LeaseSeconds)), now = DbTime.Format(now), limit = options.BatchSize }, tx)).ToList(), ct);
        return [.. rows.OrderBy(r => r.ItemId, StringComparer.Ordinal)];
    }

    /// <returns>True when the item was dead-lettered.</returns>
    private Task<bool> FailAsync(LeasedItem item, Exception ex, bool retryable, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var dead = !retryable || item.Attempts >= options.MaxAttempts;
        var delay = TimeSpan.FromSeconds(options.RetryDelaySeconds * Math.Pow(2, Math.Min(item.Attempts - 1, 10)));
        var error = Truncate(RedactCardNumbers.Run($"{ex.GetType().Name}: {ex.Message}"));
        return store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(
                """
                UPDATE inbox SET state = @state, last_error = @error, next_attempt_at = @next, dead_at = @deadAt, lease_owner = NULL, lease_expires_at = NULL
                WHERE item_id = @id AND lease_owner = @owner
                """,
                new
                {
                    state = dead ? InboxStates.Dead : InboxStates.Pending, error, next = dead ? null : DbTime.Format(now + delay),
                    deadAt = dead ? DbTime.Format(now) : null, id = item.ItemId, owner,
                },
                tx);
            if (dead)
            {
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", "inbox.dead-lettered", $"inbox:{item.ItemId}", "dead",
                    Inputs: $"{item.Source} {item.IdempotencyKey} after {item.Attempts} attempt(s)", After: error));
            }

            return dead;
        }, ct);
    }

    private static string Truncate(string s) => s.Length <= 2000 ? s : s[..2000];

    private sealed class LeaseLostException : Exception
    {
    }
}
