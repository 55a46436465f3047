using DuesPilot.TestSupport;

namespace DuesPilot.Tests.Cli;

/// <summary>The CLI reads the store and settings the way the service does, and says so when there is nothing to read.</summary>
public class ConfigurationCliTests
{
    [Fact]
    public async Task LedgerAudit_OutsideAnyDataFolder_SaysThereIsNoStore()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-empty-").FullName;
        var result = await CliProcess.RunAsync(folder, "ledger", "audit");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"duespilot: error: no DuesPilot store at {Path.Combine(folder, ".duespilot", "duespilot.db")} (from data folder)", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, ".duespilot")));
    }

    [Fact]
    public async Task Serve_MisspeltSetting_StopsWithOneLineNamingIt()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-misspelt-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), """{ "Posting": { "HoldWindowHuors": 12 } }""");
        var result = await CliProcess.RunAsync(folder, "serve", "--port", "0");
        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("duespilot: error: Posting:HoldWindowHuors is not a setting (did you mean Posting:HoldWindowHours?", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LedgerAudit_ConnectionStringInAppSettings_ReadsThatPostgres()
    {
        var folder = Directory.CreateTempSubdirectory("duespilot-pg-").FullName;
        var connection = await TestStores.CreatePostgresDatabaseAsync();
        var b = new Npgsql.NpgsqlConnectionStringBuilder(connection);
        var uri = $"postgresql://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), $$"""{ "ConnectionStrings": { "DuesPilot": "{{uri}}" } }""");
        var result = await CliProcess.RunAsync(folder, "ledger", "audit");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("0 entries", result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, ".duespilot")));
    }
}
