using Dapper;
using DuesPilot.Persistence;
using DuesPilot.Tooling.Persistence;
using Npgsql;

namespace DuesPilot.TestSupport;

/// <summary>
/// Throwaway stores for tests. SQLite: a fresh file in a temp folder. PostgreSQL: one real server per
/// test run (started on first use, stopped at process exit), a fresh database per store.
/// </summary>
public static class TestStores
{
    private static readonly Lock Gate = new();
    private static TemporaryPostgres? _server;
    private static int _counter;

    /// <summary>The shared PostgreSQL server of this test run; a failed start (a busy machine) is retried, not remembered.</summary>
    public static TemporaryPostgres Postgres
    {
        get
        {
            lock (Gate)
            {
                for (var attempt = 1; _server is null; attempt++)
                {
                    try
                    {
                        _server = TemporaryPostgres.Start(durable: false);
                    }
                    catch (InvalidOperationException) when (attempt < 3)
                    {
                        Thread.Sleep(TimeSpan.FromSeconds(2 * attempt));
                    }
                }

                return _server;
            }
        }
    }

    public static async Task<Store> CreateAsync(StoreEngine engine, bool migrate = true)
    {
        var options = await CreateOptionsAsync(engine);
        return migrate ? await Store.OpenAsync(options) : Store.Create(options);
    }

    /// <summary>Options for a fresh, empty store (a new temp folder or a new database), to open and reopen.</summary>
    public static async Task<StoreOptions> CreateOptionsAsync(StoreEngine engine) =>
        engine == StoreEngine.Sqlite
            ? new StoreOptions(Directory.CreateTempSubdirectory("duespilot-test-").FullName)
            : new StoreOptions("", await CreatePostgresDatabaseAsync());

    /// <summary>Creates an empty database on the shared server and returns its connection string.</summary>
    public static async Task<string> CreatePostgresDatabaseAsync()
    {
        // At most 40 characters; a low process id (ids wrap at pid_max) must not make it shorter than the cut.
        var full = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}";
        var name = full[..Math.Min(40, full.Length)];
        await using (var admin = new NpgsqlConnection(Postgres.ConnectionString()))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync($"CREATE DATABASE \"{name}\"");
        }

        return Postgres.ConnectionString(name);
    }
}
