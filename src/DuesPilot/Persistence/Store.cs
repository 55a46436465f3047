using System.Data;
using System.Data.Common;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace DuesPilot.Persistence;

public enum StoreEngine
{
    Sqlite,
    Postgres,
}

/// <summary>Where the store lives. An empty connection string means the embedded SQLite file under <see cref="DataDirectory"/>.</summary>
/// <param name="Source">Where the setting came from (<c>--db</c>, <c>DUESPILOT_DB</c>, <c>ConnectionStrings:DuesPilot</c>, the data folder), for the start line and errors.</param>
public sealed record StoreOptions(string DataDirectory, string? ConnectionString = null, string Source = "data folder")
{
    public const string SqliteFileName = "duespilot.db";

    /// <summary>The default data folder: <c>.duespilot/</c> in the working directory.</summary>
    public static string DefaultDataDirectory => Path.Combine(Environment.CurrentDirectory, ".duespilot");

    /// <summary>PostgreSQL for any connection string Npgsql accepts or a <c>postgres(ql)://</c> URI; SQLite for none or a <c>Data Source=</c> string.</summary>
    public StoreEngine Engine => StoreSettings.Parse(ConnectionString, Source).Engine;

    /// <summary>The SQLite file this store uses (null on PostgreSQL).</summary>
    public string? SqlitePath => Engine == StoreEngine.Postgres ? null
        : string.IsNullOrWhiteSpace(ConnectionString) ? Path.Combine(DataDirectory, SqliteFileName)
        : new SqliteConnectionStringBuilder(ConnectionString).DataSource;
}

/// <summary>
/// The one reading of "which store": the service and every CLI command resolve it here, in the same order
/// (<c>--db</c>, then <c>DUESPILOT_DB</c>, then <c>ConnectionStrings:DuesPilot</c> from appsettings.json or
/// <c>ConnectionStrings__DuesPilot</c>, else the SQLite file in the data folder), and parse it with Npgsql's
/// own builder, so every form Npgsql accepts works (<c>Host=</c>, <c>Server=</c>…) plus <c>postgresql://</c> URIs.
/// </summary>
public static class StoreSettings
{
    public const string EnvironmentVariable = "DUESPILOT_DB";
    public const string ConnectionStringName = "DuesPilot";

    public static StoreOptions Resolve(IConfiguration? configuration, string? dataDirectory, string? explicitConnection)
    {
        var folder = string.IsNullOrWhiteSpace(dataDirectory) ? StoreOptions.DefaultDataDirectory : Path.GetFullPath(dataDirectory);
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        var configured = configuration?.GetConnectionString(ConnectionStringName);
        var (connection, source) =
            !string.IsNullOrWhiteSpace(explicitConnection) ? (explicitConnection, "--db")
            : !string.IsNullOrWhiteSpace(env) ? (env, EnvironmentVariable)
            : !string.IsNullOrWhiteSpace(configured) ? (configured, $"ConnectionStrings:{ConnectionStringName}")
            : (null, string.IsNullOrWhiteSpace(dataDirectory) ? "data folder" : "--data");
        var options = new StoreOptions(folder, connection, source);
        _ = Parse(connection, source); // a bad string fails here, naming where it came from
        return options;
    }

    /// <summary>The engine and the connection string to open it with; a string neither engine reads is one clear error naming its source.</summary>
    public static (StoreEngine Engine, string? ConnectionString) Parse(string? connection, string source = "connection string")
    {
        if (string.IsNullOrWhiteSpace(connection)) return (StoreEngine.Sqlite, null);
        var text = connection.Trim();
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return (StoreEngine.Postgres, FromUri(text, source));
        if (text.StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase) || text.StartsWith("DataSource=", StringComparison.OrdinalIgnoreCase) || text.StartsWith("Filename=", StringComparison.OrdinalIgnoreCase))
            return (StoreEngine.Sqlite, text);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(text);
            if (string.IsNullOrWhiteSpace(builder.Host)) throw new ArgumentException("it names no host (Host=… or Server=…)");
            return (StoreEngine.Postgres, builder.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{source}: not a PostgreSQL connection string ({ex.Message.Split('\n')[0].TrimEnd('.')}); use Host=…;Database=…;Username=… or postgresql://user@host/db");
        }
    }

    private static string FromUri(string text, string source)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new InvalidOperationException($"{source}: '{Redact(text)}' is not a postgresql:// URI");
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            try
            {
                builder[key switch { "sslmode" => "SSL Mode", "application_name" => "Application Name", "connect_timeout" => "Timeout", _ => key }] = value;
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"{source}: URI parameter '{key}' is not understood ({ex.Message.Split('\n')[0].TrimEnd('.')})");
            }
        }

        return builder.ConnectionString;
    }

    private static string Redact(string text) => text.Contains('@', StringComparison.Ordinal) ? "postgresql://…@" + text[(text.LastIndexOf('@') + 1)..] : text;
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
        var (engine, parsed) = StoreSettings.Parse(options.ConnectionString, options.Source);
        if (engine == StoreEngine.Postgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(parsed);
            var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
            return new Store(StoreEngine.Postgres, $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database} (from {options.Source})", dataSource, "");
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
        return new Store(StoreEngine.Sqlite, $"SQLite {Path.GetFullPath(path)} (from {options.Source})", null, csb.ConnectionString);
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
    /// A SQLite connection opened synchronously with the same settings as <see cref="OpenConnectionAsync"/>:
    /// for the inbox's dedicated writer thread, which keeps it open and its statements prepared.
    /// </summary>
    internal SqliteConnection OpenSqliteConnection()
    {
        if (_postgres is not null) throw new InvalidOperationException("not a SQLite store");
        var connection = new SqliteConnection(_sqliteConnectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
        pragma.ExecuteNonQuery();
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
