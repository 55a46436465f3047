using System.Data.Common;
using System.Threading.Channels;
using DuesPilot.Persistence;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace DuesPilot.Features.Intake;

/// <summary>
/// Group commit for webhook deliveries: requests that arrive while a commit is in progress are
/// written together in the next transaction, and each caller is answered only after the commit
/// that holds its item. Durability per acknowledgement is unchanged (nothing is acknowledged before
/// its commit); one fsync covers many deliveries, which is what bounds the rate.
/// <para>
/// SQLite (one writer per file): a dedicated thread owns one connection and prepared single-row
/// statements, and writes every delivery waiting when the previous commit ends in one transaction.
/// PostgreSQL: <see cref="PostgresWriters"/> tasks each take what is waiting and write it with one
/// multi-row <c>INSERT … SELECT FROM unnest(…)</c> that is its own transaction (one round trip), so one
/// batch is inserted while another commits.
/// Either way an item whose key is already there (before the batch or earlier in it) gets the outcome
/// <see cref="QueueInboxItem.RunAsync(DbConnection, DbTransaction, TimeProvider, InboxItem)"/> gives:
/// duplicate when the payload hash is equal, conflict plus an alert row when not. See decision 0171.
/// </para>
/// </summary>
public sealed class InboxWriter : IAsyncDisposable
{
    /// <summary>Most deliveries per transaction: keeps a transaction short under a burst.</summary>
    public const int MaxBatch = 256;

    /// <summary>Concurrent batch writers on PostgreSQL.</summary>
    public const int PostgresWriters = 4;

    private const string InsertColumns = "item_id, source, idempotency_key, payload_hash, content_type, headers, body, state, attempts, received_at, amount_minor, currency";

    private readonly Store _store;
    private readonly TimeProvider _clock;
    private readonly Channel<Pending> _queue =
        Channel.CreateBounded<Pending>(new BoundedChannelOptions(8192) { SingleReader = false, SingleWriter = false });
    private readonly Task _loops;

    public InboxWriter(Store store, TimeProvider clock)
    {
        _store = store;
        _clock = clock;
        if (store.Engine == StoreEngine.Sqlite)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    RunSqlite();
                    done.TrySetResult();
                }
                catch (Exception ex)
                {
                    done.TrySetException(ex);
                }
            })
            { IsBackground = true, Name = "inbox-writer" };
            thread.Start();
            _loops = done.Task;
        }
        else
        {
            _loops = Task.WhenAll(Enumerable.Range(0, PostgresWriters).Select(_ => Task.Run(RunPostgresAsync)));
        }
    }

    public async Task<QueueResult> QueueAsync(InboxItem item, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<QueueResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(new Pending(item, done), ct);
        // Not cancelled with the request: once queued, the item is committed (or fails) regardless.
        return await done.Task;
    }

    private readonly record struct Pending(InboxItem Item, TaskCompletionSource<QueueResult> Done);

    // ---- SQLite: one thread, one connection, prepared statements ----

    private void RunSqlite()
    {
        var batch = new List<Pending>(MaxBatch);
        SqliteLane? lane = null;
        try
        {
            while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next)) batch.Add(next);
                if (batch.Count == 0) continue;
                try
                {
                    lane ??= new SqliteLane(_store.OpenSqliteConnection());
                    var results = lane.Write(batch, _clock);
                    for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
                }
                catch (Exception first)
                {
                    // A connection that failed mid-transaction is not trusted again: open a fresh one.
                    lane?.Dispose();
                    lane = null;
                    if (batch.Count == 1)
                    {
                        batch[0].Done.TrySetException(first);
                        continue;
                    }

                    // One bad item must not fail its neighbours: write them one by one, each with its own outcome.
                    foreach (var pending in batch)
                    {
                        try
                        {
                            lane ??= new SqliteLane(_store.OpenSqliteConnection());
                            pending.Done.TrySetResult(lane.Write([pending], _clock)[0]);
                        }
                        catch (Exception ex)
                        {
                            lane?.Dispose();
                            lane = null;
                            pending.Done.TrySetException(ex);
                        }
                    }
                }
            }
        }
        finally
        {
            lane?.Dispose();
        }
    }

    /// <summary>The SQLite writer's connection and its three prepared statements, reused for every batch.</summary>
    private sealed class SqliteLane : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _existing;
        private readonly SqliteCommand _alert;

        public SqliteLane(SqliteConnection connection)
        {
            _connection = connection;
            _insert = Command($"INSERT INTO inbox ({InsertColumns}) VALUES ($id, $source, $key, $hash, $type, $headers, $body, 'pending', 0, $at, $amount, $currency) ON CONFLICT (idempotency_key) DO NOTHING RETURNING item_id",
                "$id", "$source", "$key", "$hash", "$type", "$headers", "$body", "$at", "$amount", "$currency");
            _existing = Command("SELECT item_id, payload_hash FROM inbox WHERE idempotency_key = $key", "$key");
            _alert = Command(
                """
                INSERT INTO inbox_alerts (alert_id, kind, source, idempotency_key, existing_hash, incoming_hash, incoming_body, received_at)
                VALUES ($id, 'duplicate-key-different-payload', $source, $key, $existing, $hash, $body, $at)
                """,
                "$id", "$source", "$key", "$existing", "$hash", "$body", "$at");
        }

        private SqliteCommand Command(string sql, params string[] names)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in names) command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            return command;
        }

        public QueueResult[] Write(List<Pending> batch, TimeProvider clock)
        {
            var now = clock.GetUtcNow();
            var at = DbTime.Format(now);
            var results = new QueueResult[batch.Count];
            // IMMEDIATE: the write lock up front, waiting (busy_timeout) for another writer rather than failing later.
            using var tx = _connection.BeginTransaction(deferred: false);
            _insert.Transaction = tx;
            _existing.Transaction = tx;
            _alert.Transaction = tx;
            for (var i = 0; i < batch.Count; i++)
            {
                var item = batch[i].Item;
                var id = Guid.CreateVersion7(now).ToString("D");
                var p = _insert.Parameters;
                p[0].Value = id;
                p[1].Value = item.Source;
                p[2].Value = item.IdempotencyKey;
                p[3].Value = item.PayloadHash;
                p[4].Value = (object?)item.ContentType ?? DBNull.Value;
                p[5].Value = (object?)item.Headers ?? DBNull.Value;
                p[6].Value = item.Body;
                p[7].Value = at;
                p[8].Value = (object?)item.AmountMinor ?? DBNull.Value;
                p[9].Value = (object?)item.Currency ?? DBNull.Value;
                if (_insert.ExecuteScalar() is string inserted)
                {
                    results[i] = new QueueResult(QueueOutcome.Queued, inserted);
                    continue;
                }

                // The key is there (committed earlier or written earlier in this batch): compare payloads.
                _existing.Parameters[0].Value = item.IdempotencyKey;
                string existingId, existingHash;
                using (var reader = _existing.ExecuteReader())
                {
                    if (!reader.Read()) throw new InvalidOperationException($"inbox key {item.IdempotencyKey} conflicted but no row holds it");
                    existingId = reader.GetString(0);
                    existingHash = reader.GetString(1);
                }

                if (existingHash == item.PayloadHash)
                {
                    results[i] = new QueueResult(QueueOutcome.Duplicate, existingId);
                    continue;
                }

                var a = _alert.Parameters;
                a[0].Value = Guid.CreateVersion7(now).ToString("D");
                a[1].Value = item.Source;
                a[2].Value = item.IdempotencyKey;
                a[3].Value = existingHash;
                a[4].Value = item.PayloadHash;
                a[5].Value = item.Body;
                a[6].Value = at;
                _alert.ExecuteNonQuery();
                results[i] = new QueueResult(QueueOutcome.Conflict, existingId);
            }

            tx.Commit();
            return results;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _existing.Dispose();
            _alert.Dispose();
            _connection.Dispose();
        }
    }

    // ---- PostgreSQL: several writers, one unnest insert per batch ----

    private async Task RunPostgresAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next)) batch.Add(next);
            if (batch.Count == 0) continue;
            try
            {
                var items = batch.Select(b => b.Item).ToList();
                var results = await WriteUnnestAsync(_store, _clock, items);
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var (item, done) in batch)
                {
                    try
                    {
                        done.TrySetResult(await QueueInboxItem.RunAsync(_store, _clock, item));
                    }
                    catch (Exception ex)
                    {
                        done.TrySetException(ex);
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Done.TrySetException(ex);
            }
        }
    }

    /// <summary>
    /// Inserts a batch in one statement: one array per column, unnested into rows in order. The statement is
    /// its own transaction (one round trip; committed, and with fsync on flushed, before it returns). Rows whose
    /// key is already taken are skipped by <c>ON CONFLICT DO NOTHING</c> — which waits for a concurrent insert of
    /// the key to commit or roll back — and are then compared one by one, each in its own transaction.
    /// </summary>
    private static async Task<QueueResult[]> WriteUnnestAsync(Store store, TimeProvider clock, IReadOnlyList<InboxItem> items)
    {
        var now = clock.GetUtcNow();
        var n = items.Count;
        var ids = new string[n];
        var sources = new string[n];
        var keys = new string[n];
        var hashes = new string[n];
        var types = new string?[n];
        var headers = new string?[n];
        var bodies = new byte[n][];
        var amounts = new long?[n];
        var currencies = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var item = items[i];
            ids[i] = Guid.CreateVersion7(now).ToString("D");
            sources[i] = item.Source;
            keys[i] = item.IdempotencyKey;
            hashes[i] = item.PayloadHash;
            types[i] = item.ContentType;
            headers[i] = item.Headers;
            bodies[i] = item.Body;
            amounts[i] = item.AmountMinor;
            currencies[i] = item.Currency;
        }

        await using var connection = (NpgsqlConnection)await store.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO inbox ({InsertColumns})
            SELECT i, s, k, h, c, hd, b, 'pending', 0, $10, am, cu
            FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9) AS t(i, s, k, h, c, hd, b, am, cu)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING item_id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = ids });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = sources });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = keys });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = hashes });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = types });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = headers });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = bodies });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = amounts });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = currencies });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = DbTime.Format(now) });
        // Prepared once per pooled connection (a no-op after the first time): no parse and plan per batch.
        await command.PrepareAsync();
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) inserted.Add(reader.GetString(0));
        }

        var results = new QueueResult[n];
        for (var i = 0; i < n; i++)
        {
            // Not inserted: the key was already there (before this batch or earlier in it); compare as one item would.
            results[i] = inserted.Contains(ids[i]) ? new QueueResult(QueueOutcome.Queued, ids[i]) : await QueueInboxItem.RunAsync(store, clock, items[i]);
        }

        return results;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loops;
    }
}
