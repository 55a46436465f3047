using System.CommandLine;
using DuesPilot.Persistence;

namespace DuesPilot.Cli.Commands;

/// <summary>Options every command shares, so <c>--data</c> means the same thing everywhere.</summary>
public static class CommonOptions
{
    public static Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Print stack traces and extra detail on errors.",
        Recursive = true,
    };

    /// <summary>A fresh <c>--data</c> option (each command owns its instance).</summary>
    public static Option<string?> Data() => new("--data")
    {
        Description = "Data folder (SQLite file, caches, reports). Default: .duespilot/ in the working directory.",
    };

    /// <summary>A fresh <c>--db</c> option: a PostgreSQL connection string instead of the embedded SQLite file.</summary>
    public static Option<string?> Database() => new("--db")
    {
        Description = "PostgreSQL connection string (Host=…;Database=…). Default: the SQLite file in the data folder, or DUESPILOT_DB / ConnectionStrings__DuesPilot.",
    };

    public static StoreOptions StoreOptionsFrom(string? data, string? db)
    {
        var folder = string.IsNullOrWhiteSpace(data) ? StoreOptions.DefaultDataDirectory : Path.GetFullPath(data);
        var connection = db
            ?? Environment.GetEnvironmentVariable("DUESPILOT_DB")
            ?? Environment.GetEnvironmentVariable("ConnectionStrings__DuesPilot");
        return new StoreOptions(folder, string.IsNullOrWhiteSpace(connection) ? null : connection);
    }
}
