using System.Data;
using System.Data.Common;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DuesPilot.Persistence;

public enum StoreEngine
{
    Sqlite,
    Postgres,
}

/// <summary>Where the store lives. An empty connection string means the embedded SQLite file under <see cref="DataDirectory"/>.</summary>
public sealed record StoreOptions(string DataDirectory, string? ConnectionString = null)
{
    public const string SqliteFileName = "duespilot.db";

    /// <summary>The default data folder: <c>.duespilot/</c> in the working directory.</summary>
    public static string DefaultDataDirectory => Path.Combine(Environment.CurrentDirectory, ".duespilot");

    /// <summary>PostgreSQL when the connection string names a host; SQLite otherwise.</summary>
    public StoreEngine Engine =>
        !string.IsNullOrWhiteSpace(ConnectionString) && ConnectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? StoreEngine.Postgres
            : StoreEngine.Sqlite;
}

/// <summary>
/// One schema on two engines: the embedded SQLite file (WAL, full sync) and PostgreSQL. Every unit of
/// work goes through <see cref="InTransactionAsync{T}"/>, the single place where transactions open.
/// </summary>
public sealed class Store : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly string _sqliteConnectionString = "";

    private Store(StoreEngine engine, string description, NpgsqlDataSource? postgres, string sqliteConnectionString)
    {
        Engine = engine;
        Description = description;
        _postgres = postgres;
        _sqliteConnectionString = sqliteConnectionString;
    }

    public StoreEngine Engine { get; }

    /// <summary>Where the data is, without secrets: a file path or host/database.</summary>
    public string Description { get; }

    /// <summary>Opens (creating when needed) and migrates the store.</summary>
    public static async Task<Store> OpenAsync(StoreOptions options, CancellationToken ct = default)
    {
        var store = Create(options);
        await Migrations.ApplyAsync(store, ct);
        await StoreRepairs.MaskCardNumbersAsync(store, TimeProvider.System, ct);
        return store;
    }

    /// <summary>Creates the store object without touching the database.</summary>
    public static Store Create(StoreOptions options)
    {
        if (options.Engine == StoreEngine.Postgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
            return new Store(StoreEngine.Postgres, $"postgres://{builder.Host}:{builder.Port}/{builder.Database}", dataSource, "");
        }

        string path;
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            path = new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
        }
        else
        {
            SecureFiles.Folder(options.DataDirectory);
            path = Path.Combine(options.DataDirectory, StoreOptions.SqliteFileName);
        }

        if (!path.Equals(":memory:", StringComparison.Ordinal) && !path.StartsWith("file:", StringComparison.OrdinalIgnoreCase)) SecureFiles.SqliteDatabase(path);

        var csb = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        };
        return new Store(StoreEngine.Sqlite, Path.GetFullPath(path), null, csb.ConnectionString);
    }

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken ct = default)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(ct);
        var connection = new SqliteConnection(_sqliteConnectionString);
        await connection.OpenAsync(ct);
        using var pragma = connection.CreateCommand();
        // WAL lets readers run beside the writer; FULL sync makes a commit survive power loss, which an
        // inbox that has acknowledged a payment must. busy_timeout waits for the writer instead of failing.
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>
    /// Runs one unit of work in one transaction. A unique-key conflict or a serialization failure
    /// rolls back and runs the work again (at most twice more), so its own idempotency checks see the
    /// row the winner committed: that is how "processed twice = processed once" holds under races.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var tx = await BeginAsync(connection, ct);
            try
            {
                var result = await work(connection, tx);
                await tx.CommitAsync(ct);
                return result;
            }
            catch (DbException ex) when (attempt < 3 && IsRetryableConflict(ex))
            {
                await tx.RollbackAsync(CancellationToken.None);
            }
        }
    }

    public Task InTransactionAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken ct = default) =>
        InTransactionAsync<bool>(async (c, t) => { await work(c, t); return true; }, ct);

    private async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken ct)
    {
        if (connection is SqliteConnection sqlite)
        {
            // IMMEDIATE takes the write lock up front, so two writers never deadlock on a lock upgrade.
            return sqlite.BeginTransaction(IsolationLevel.Serializable, deferred: false);
        }

        return await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
    }

    /// <summary>True for a violated unique or primary key.</summary>
    public static bool IsUniqueViolation(Exception ex) => ex switch
    {
        SqliteException s => s.SqliteErrorCode == 19 && (s.SqliteExtendedErrorCode is 2067 or 1555),
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    private static bool IsRetryableConflict(DbException ex) => IsUniqueViolation(ex) || ex is PostgresException
    {
        SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected,
    };

    /// <summary>The message a store trigger raised ("ledger: …", "audit: …"), if this is one.</summary>
    public static string? RuleViolation(Exception ex)
    {
        var message = ex switch
        {
            SqliteException s when s.SqliteErrorCode == 19 => s.Message,
            PostgresException p when p.SqlState == "P0001" => p.MessageText,
            _ => null,
        };
        if (message is null) return null;
        var at = message.IndexOf("ledger:", StringComparison.Ordinal);
        if (at < 0) at = message.IndexOf("audit:", StringComparison.Ordinal);
        return at < 0 ? null : message[at..].TrimEnd('\'', '.');
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        else SqliteConnection.ClearAllPools();
    }

    internal static IEnumerable<(int Version, string Name, string Sql)> ReadMigrations(StoreEngine engine)
    {
        var folder = engine == StoreEngine.Sqlite ? ".sqlite." : ".postgres.";
        var assembly = typeof(Store).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.Contains(".Migrations" + folder, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var file = resource[(resource.IndexOf(folder, StringComparison.Ordinal) + folder.Length)..];
            var name = file[..^4];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(name[..underscore], System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (version, name[(underscore + 1)..], reader.ReadToEnd());
        }
    }
}
