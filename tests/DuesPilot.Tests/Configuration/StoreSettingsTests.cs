using DuesPilot.Hosting;
using DuesPilot.Persistence;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace DuesPilot.Tests.Configuration;

/// <summary>One reading of "which store" for the service and every command, parsed by Npgsql's own builder.</summary>
public class StoreSettingsTests
{
    [Theory]
    [InlineData("Host=db.example.org;Database=dues;Username=app", "db.example.org", 5432, "dues")]
    [InlineData("Server=db.example.org;Port=6432;Database=dues;User ID=app", "db.example.org", 6432, "dues")]
    [InlineData("postgresql://app:s%40cret@db.example.org:5433/dues?sslmode=disable", "db.example.org", 5433, "dues")]
    [InlineData("postgres://db.example.org/dues", "db.example.org", 5432, "dues")]
    public void Parse_EveryPostgresForm_IsPostgres(string text, string host, int port, string database)
    {
        var (engine, parsed) = StoreSettings.Parse(text);
        Assert.Equal(StoreEngine.Postgres, engine);
        var b = new NpgsqlConnectionStringBuilder(parsed);
        Assert.Equal((host, port, database), (b.Host, b.Port, b.Database));
    }

    [Fact]
    public void Parse_Uri_KeepsUserAndEscapedPassword()
    {
        var b = new NpgsqlConnectionStringBuilder(StoreSettings.Parse("postgresql://app:s%40cret@h/d?sslmode=require").ConnectionString);
        Assert.Equal(("app", "s@cret", SslMode.Require), (b.Username, b.Password, b.SslMode));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Data Source=/tmp/x.db")]
    public void Parse_NothingOrSqliteString_IsSqlite(string? text) => Assert.Equal(StoreEngine.Sqlite, StoreSettings.Parse(text).Engine);

    [Theory]
    [InlineData("Hots=db;Database=dues")]
    [InlineData("Database=dues")]
    public void Parse_NotAConnectionString_OneLineNamingTheSource(string text)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => StoreSettings.Parse(text, "ConnectionStrings:DuesPilot"));
        Assert.StartsWith("ConnectionStrings:DuesPilot: not a PostgreSQL connection string", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Resolve_AppSettingsConnectionString_UsedUnlessDbGiven()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:DuesPilot"] = "Server=cfg;Database=dues" }).Build();
        var fromConfig = StoreSettings.Resolve(configuration, null, null);
        var fromFlag = StoreSettings.Resolve(configuration, null, "postgresql://flag/dues");
        if (Environment.GetEnvironmentVariable(StoreSettings.EnvironmentVariable) is null)
            Assert.Equal(("ConnectionStrings:DuesPilot", StoreEngine.Postgres), (fromConfig.Source, fromConfig.Engine));
        Assert.Equal(("--db", StoreEngine.Postgres), (fromFlag.Source, fromFlag.Engine));
    }

    [Fact]
    public void Store_Description_NamesEngineWhereAndSource()
    {
        var store = Store.Create(new StoreOptions("", "postgresql://app@db.example.org:5433/dues", "ConnectionStrings:DuesPilot"));
        Assert.Equal("PostgreSQL db.example.org:5433/dues (from ConnectionStrings:DuesPilot)", store.Description);
    }

    [Fact]
    public void Settings_MisspeltPostingKey_OneLineNamingItAndTheRightOne()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Posting:HoldWindowHuors"] = "12" }).Build();
        var ex = Assert.Throws<SettingsException>(() => Settings.Bind(configuration, "Posting", new Features.Posting.PostingOptions()));
        Assert.StartsWith("Posting:HoldWindowHuors is not a setting (did you mean Posting:HoldWindowHours?", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_UnparsableNumber_NamesTheKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Matching:AutoApplyConfidence"] = "high" }).Build();
        Assert.Equal("Matching:AutoApplyConfidence: 'high' is not a number",
            Assert.Throws<SettingsException>(() => Settings.Decimal(configuration, "Matching:AutoApplyConfidence", 0.9m)).Message);
    }
}
