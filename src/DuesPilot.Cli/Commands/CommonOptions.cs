using System.CommandLine;
using DuesPilot.Features.Posting;
using DuesPilot.Hosting;
using DuesPilot.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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
        Description = "PostgreSQL connection string (Host=…;Database=… or postgresql://user@host/db). Default: DUESPILOT_DB, else ConnectionStrings:DuesPilot (appsettings.json or ConnectionStrings__DuesPilot), else the SQLite file in the data folder.",
    };

    /// <summary>
    /// The configuration the service reads, read the same way: appsettings.json in the working directory, user
    /// secrets, environment variables. Every command takes its settings from here.
    /// </summary>
    public static IConfiguration Configuration() =>
        new ConfigurationBuilder()
            .SetBasePath(Environment.CurrentDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddUserSecrets("duespilot")
            .AddEnvironmentVariables()
            .Build();

    /// <summary>Which store, resolved like the service does (<see cref="StoreSettings.Resolve"/>).</summary>
    public static StoreOptions StoreOptionsFrom(string? data, string? db) => StoreSettings.Resolve(Configuration(), data, db);

    /// <summary>
    /// Opens the store a command reads. An SQLite store that does not exist yet is not created silently: the
    /// command says where it looked and how to point it elsewhere, instead of printing zeros from an empty store.
    /// </summary>
    public static async Task<Store> OpenStoreAsync(string? data, string? db, CancellationToken ct, bool create = false)
    {
        var options = StoreOptionsFrom(data, db);
        if (!create && options.SqlitePath is { } path && !File.Exists(path))
        {
            throw new UserInputException(
                $"no DuesPilot store at {path} (from {options.Source}): run the command where the service keeps its data, or pass --data DIR or --db CONNECTION (or set DUESPILOT_DB / ConnectionStrings:DuesPilot)");
        }

        return await Store.OpenAsync(options, ct);
    }

    /// <summary>
    /// The association's clock (<c>Association:TimeZone</c>), built by the same registration as the service: every
    /// command's "today", month and date range is the association's, not UTC's.
    /// </summary>
    public static DuesPilot.Domain.BusinessClock Clock() => CoreServices.BusinessClockFrom(Configuration(), TimeProvider.System);

    /// <summary>The association's currency: the billing policy's (<c>Billing:PolicyFile</c>, else the bundled example), as the service reads it.</summary>
    public static DuesPilot.Domain.Currency Currency() => DuesPilot.Features.Invoicing.LoadBillingPolicy.FromConfiguration(Configuration()).Currency;

    /// <summary>The chart of accounts and posting controls, bound and validated by the same registration as the service.</summary>
    public static PostingBooks Books() => Bound<PostingBooks>();

    /// <summary>The <c>Imis</c> section bound as the service binds it (a misspelt key is an error); not validated, so a command can fill in the site.</summary>
    public static DuesPilot.Imis.ImisOptions Imis()
    {
        var options = new DuesPilot.Imis.ImisOptions();
        Settings.Bind(Configuration(), DuesPilot.Imis.ImisOptions.SectionName, options, "Writes");
        return options;
    }

    /// <summary>
    /// Settings bound and validated by the same registration as the service (<see cref="CoreServices.AddDuesPilotSettings"/>):
    /// the posting books, the job schedules, the intake and inbox worker options.
    /// </summary>
    public static T Bound<T>()
        where T : notnull
    {
        var services = new ServiceCollection().AddOptions().AddDuesPilotSettings(Configuration());
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<T>();
    }
}
