using System.Data.Common;
using Dapper;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Audit;

public abstract class AuditTrailTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
    private Store _store = null!;
    private AuditTrail _trail = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.CreateAsync(engine);
        _trail = new AuditTrail(_store, _clock);
        for (var i = 0; i < 20; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await _trail.AppendAsync(new AuditEvent("duespilot", "payment.auto-applied", $"payment:p{i}", $"held ${i}.00", "10231", Inputs: "{\"e\":1}"));
        }
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private Task TamperAsync(string sql) => _store.InTransactionAsync(async (c, tx) =>
    {
        // An attacker with database access can drop the append-only triggers; the chain still tells.
        var drop = engine == StoreEngine.Sqlite
            ? "DROP TRIGGER audit_events_append_only_u; DROP TRIGGER audit_events_append_only_d;"
            : "DROP TRIGGER audit_events_append_only ON audit_events;";
        await c.ExecuteAsync(drop, transaction: tx);
        await c.ExecuteAsync(sql, transaction: tx);
    });

    [Fact]
    public async Task Verify_Untouched_IsIntact()
    {
        var result = await _trail.VerifyAsync();
        Assert.True(result.IsIntact);
        Assert.Equal(20, result.Rows);
    }

    [Fact]
    public async Task Append_AboutAMember_IsMirroredToImisThroughTheOutbox()
    {
        var queued = await _store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM imis_outbox WHERE kind = 'audit-log-row'", transaction: tx));
        Assert.Equal(20, queued);
    }

    [Fact]
    public async Task Verify_OneAlteredOutcome_NamesThatRow()
    {
        await TamperAsync("UPDATE audit_events SET outcome = 'held $900.00' WHERE subject = 'payment:p7'");
        var result = await _trail.VerifyAsync();
        Assert.False(result.IsIntact);
        Assert.Equal(8, result.FirstBrokenSeq);
        Assert.Contains("altered", result.Problem);
    }

    [Fact]
    public async Task Verify_DeletedRow_IsDetected()
    {
        await TamperAsync("DELETE FROM audit_events WHERE subject = 'payment:p3'");
        var result = await _trail.VerifyAsync();
        Assert.False(result.IsIntact);
        Assert.Equal(5, result.FirstBrokenSeq);
    }

    [Fact]
    public async Task Update_WithTriggersInPlace_IsRefusedByTheDatabase()
    {
        var ex = await Assert.ThrowsAnyAsync<DbException>(() => _store.InTransactionAsync((c, tx) => c.ExecuteAsync("UPDATE audit_events SET actor = 'x'", transaction: tx)));
        Assert.Contains("append-only", Store.RuleViolation(ex));
    }
}

public sealed class SqliteAuditTrailTests() : AuditTrailTests(StoreEngine.Sqlite);

public sealed class PostgresAuditTrailTests() : AuditTrailTests(StoreEngine.Postgres);
