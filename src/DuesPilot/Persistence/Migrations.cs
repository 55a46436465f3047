using System.Data.Common;
using Dapper;

namespace DuesPilot.Persistence;

/// <summary>
/// Versioned, forward-only migrations, one SQL file per version and engine
/// (<c>Persistence/Migrations/{sqlite,postgres}/NNNN_name.sql</c>), applied at start in one
/// transaction each. On PostgreSQL an advisory lock keeps two starting instances from racing.
/// </summary>
public static class Migrations
{
    private const long AdvisoryLockKey = 0x44756573_50696C6F; // "DuesPilo"

    public static async Task<IReadOnlyList<int>> ApplyAsync(Store store, CancellationToken ct = default)
    {
        var applied = new List<int>();
        await using var connection = await store.OpenConnectionAsync(ct);
        if (store.Engine == StoreEngine.Postgres)
            await connection.ExecuteAsync("SELECT pg_advisory_lock(@k)", new { k = AdvisoryLockKey });
        try
        {
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
            var done = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations")).ToHashSet();
            foreach (var (version, name, sql) in Store.ReadMigrations(store.Engine))
            {
                if (done.Contains(version)) continue;
                await using var tx = await connection.BeginTransactionAsync(ct);
                await using (var command = connection.CreateCommand())
                {
                    command.Transaction = tx;
                    command.CommandText = sql;
                    await command.ExecuteNonQueryAsync(ct);
                }

                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)",
                    new { version, name, at = DbTime.Format(TimeProvider.System.GetUtcNow()) }, tx);
                await tx.CommitAsync(ct);
                applied.Add(version);
            }
        }
        finally
        {
            if (store.Engine == StoreEngine.Postgres)
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(@k)", new { k = AdvisoryLockKey });
        }

        return applied;
    }

    public static async Task<int> CurrentVersionAsync(DbConnection connection) =>
        await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_migrations") ?? 0;
}
