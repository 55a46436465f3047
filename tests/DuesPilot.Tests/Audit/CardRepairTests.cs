using System.Text;
using Dapper;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Intake;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Audit;

/// <summary>
/// Security finding 1 (existing stores): the start-up repair masks card numbers that earlier versions stored, in
/// every table and in JSON bodies behind escapes, and re-anchors the audit chain with a recorded event — on both engines.
/// </summary>
public sealed class CardRepairTests
{
    private const string Card = "4111111111111111";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 2, 12, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task Repair_OldStoreWithCardNumbers_MaskedEverywhere_ChainReanchoredAndRecorded(StoreEngine engine)
    {
        await using var store = await TestStores.CreateAsync(engine);
        var audit = new AuditTrail(store, _clock);
        await store.InTransactionAsync(async (c, tx) =>
        {
            // What an earlier version left behind: the repair not yet run, card numbers in an audit row in the middle
            // of the chain, in a file name, and in an inbox body hidden behind a JSON escape.
            await c.ExecuteAsync("DELETE FROM data_repairs", transaction: tx);
            await AuditTrail.AppendAsync(c, tx, _clock, new AuditEvent("alice", "payment.note", "payment:p1", "ok", Inputs: "before"));
            await AuditTrail.AppendAsync(c, tx, _clock, new AuditEvent("alice", "payment.note", "payment:p2", "ok", Inputs: $"card {Card} on the phone"));
            await AuditTrail.AppendAsync(c, tx, _clock, new AuditEvent("bob", "payment.note", "payment:p3", "ok", After: "4111 1111 1111 1111"));
            await AuditTrail.AppendAsync(c, tx, _clock, new AuditEvent("bob", "payment.note", "payment:p4", "ok", Inputs: "after"));
            await c.ExecuteAsync(
                "INSERT INTO file_imports (file_hash, file_name, format, entries, queued, credits_minor, debits_minor, currency, imported_at) VALUES ('h1', @name, 'csv', 1, 1, 100, 0, 'USD', '2027-03-01T00:00:00.0000000Z')",
                new { name = $"lockbox-{Card}.csv" }, tx);
            await c.ExecuteAsync(
                "INSERT INTO inbox (item_id, source, idempotency_key, payload_hash, content_type, body, state, received_at) VALUES ('i1', 'stripe', 'stripe:evt_1', 'x', 'application/json', @body, 'processed', '2027-03-01T00:00:00.0000000Z')",
                new { body = Encoding.UTF8.GetBytes("{\"memo\":\"\\u0034111111111111111\"}") }, tx);
            return 0;
        });
        Assert.True((await audit.VerifyAsync()).IsIntact);

        var report = await StoreRepairs.MaskCardNumbersAsync(store, _clock);

        Assert.NotNull(report);
        Assert.Equal(2, report.AuditRowsMasked.Count);
        Assert.NotEqual(report.OldTailHash, report.NewTailHash);
        Assert.StartsWith("intact", report.ChainBefore, StringComparison.Ordinal);
        var verification = await audit.VerifyAsync();
        Assert.True(verification.IsIntact, verification.Problem);

        await using var c = await store.OpenConnectionAsync();
        var texts = (await c.QueryAsync<string>("SELECT COALESCE(inputs, '') || '|' || COALESCE(after_state, '') FROM audit_events")).ToList();
        Assert.DoesNotContain(texts, t => RedactCardNumbers.Find(t).Count > 0);
        Assert.Contains(texts, t => t.Contains("************1111", StringComparison.Ordinal));
        Assert.Equal("lockbox-************1111.csv", await c.ExecuteScalarAsync<string>("SELECT file_name FROM file_imports WHERE file_hash = 'h1'"));
        var body = Encoding.UTF8.GetString(await c.ExecuteScalarAsync<byte[]>("SELECT body FROM inbox WHERE item_id = 'i1'") ?? []);
        Assert.DoesNotContain("\\u0034111", body, StringComparison.Ordinal);
        Assert.DoesNotContain(Card, body, StringComparison.Ordinal);

        // The re-anchoring is in the log itself, naming the masked rows; the repair is recorded and runs once.
        var reanchored = (await audit.ListAsync("audit:chain")).Single(r => r.Event.Action == "audit.reanchored");
        Assert.Equal(report.NewTailHash, reanchored.Event.After);
        Assert.Equal(1L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM data_repairs WHERE repair = @r", new { r = StoreRepairs.CardNumbersRepair }));
        Assert.Null(await StoreRepairs.MaskCardNumbersAsync(store, _clock));
    }
}
