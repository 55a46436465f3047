using Dapper;
using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Jobs;
using DuesPilot.Imis;
using DuesPilot.ImisSandbox;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;

namespace DuesPilot.Reliability.Tests;

/// <summary>The outbox sends payment applications first, in rounds, with bounded concurrency; job runs carry a lease.</summary>
public sealed class OutboxAndJobLeaseTests
{
    [Fact]
    public async Task Outbox_AuditRowsQueuedBeforePayments_PaymentsSentFirstThenDrainedInRounds()
    {
        await using var sandbox = await ImisSandboxHost.StartAsync(new ImisSandboxOptions { Members = 100, Seed = 4, AsOf = new DateOnly(2026, 6, 15) });
        var imis = new ImisOptions { BaseUrl = sandbox.BaseUrl, Username = "admin", Password = "admin", RetryBaseDelayMs = 5, WriteReadbackDelayMs = 5 };
        var client = ImisClient.Create(imis, TimeProvider.System);
        var open = (await client.ReadInvoicesPageAsync(new InvoiceQuery(OpenOnly: true), 0)).Items.Where(i => i.Invoice.Balance.MinorUnits > 0).Take(3).ToList();
        Assert.Equal(3, open.Count);
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var clock = TimeProvider.System;
        await store.InTransactionAsync(async (c, tx) =>
        {
            // Five audit rows first, then the payments: creation order alone would send the audit rows first.
            for (var n = 0; n < 5; n++)
                await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.AuditLogRow, $"imis:audit:t{n}", new AuditLogRow(n + 1, open[0].Invoice.MemberId.Value, "test.action", "tester", "ok", $"hash{n}"));
            await Task.Delay(5);
            foreach (var i in open)
            {
                var id = $"prio-{i.Invoice.Id.Value}";
                await ImisOutbox.EnqueueAsync(c, tx, clock, ImisWriteKinds.ApplyPayment, $"imis:payment:{id}",
                    new PaymentWrite(id, i.Invoice.MemberId.Value, "USD", i.Invoice.Balance.MinorUnits, "card", id, "1000", [new PaymentWriteLine(i.Invoice.Id.Value, i.Invoice.Balance.MinorUnits)], 0));
            }
        });

        var backlog = await SendImisWrites.BacklogAsync(store);
        Assert.Equal(3, backlog.Single(b => b.Kind == ImisWriteKinds.ApplyPayment).Pending);
        Assert.Equal(5, backlog.Single(b => b.Kind == ImisWriteKinds.AuditLogRow).Pending);
        Assert.Equal(ImisWriteKinds.ApplyPayment, backlog[0].Kind);

        var first = await SendImisWrites.HandleAsync(store, client, clock, imis, batchSize: 3, concurrency: 3);
        Assert.Equal(3, first.Sent);
        await using (var c = await store.OpenConnectionAsync())
        {
            Assert.Equal(3, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM imis_outbox WHERE kind = 'apply-payment' AND state = 'done'"));
            Assert.Equal(5, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM imis_outbox WHERE kind = 'audit-log-row' AND state = 'pending'"));
        }

        foreach (var i in open) Assert.Equal(0, await sandbox.BalanceCentsAsync(i.Invoice.Id.Value));
        var rest = await SendImisWrites.DrainAsync(store, client, clock, imis, new ImisWriteOptions { BatchSize = 2, Concurrency = 2 });
        Assert.Equal(5, rest.Sent);
        Assert.DoesNotContain(await SendImisWrites.BacklogAsync(store), b => b.Pending > 0);
    }

    [Fact]
    public async Task Outbox_AuditRowWrittenByAnAttemptThatDiedBeforeMarkingIt_NotWrittenAgain()
    {
        await using var sandbox = await ImisSandboxHost.StartAsync(new ImisSandboxOptions { Members = 50, Seed = 5, AsOf = new DateOnly(2026, 6, 15) });
        var imis = new ImisOptions { BaseUrl = sandbox.BaseUrl, Username = "admin", Password = "admin", RetryBaseDelayMs = 5, WriteReadbackDelayMs = 5 };
        var client = ImisClient.Create(imis, TimeProvider.System);
        var party = (await client.ReadMembersPageAsync(null, 0)).Items[0].Member.Id;
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var row = new AuditLogRow(7, party.Value, "payment.auto-applied", "duespilot", "held", "hash7");
        await store.InTransactionAsync((c, tx) => ImisOutbox.EnqueueAsync(c, tx, TimeProvider.System, ImisWriteKinds.AuditLogRow, "imis:audit:7", row));
        // First attempt: marked attempted, wrote the panel row and the note, then the process died before recording "done".
        await store.InTransactionAsync((c, tx) => c.ExecuteAsync("UPDATE imis_outbox SET attempted_at = created_at", transaction: tx));
        await client.AddAuditEntryAsync(new ImisAuditEntry(party, DateTimeOffset.UnixEpoch, row.Actor, row.Action, "audit #7", row.Outcome, null, row.Hash));
        await client.AddPartyNoteAsync(party, "DuesPilot", $"{row.Actor}: {row.Action} — {row.Outcome} (audit #7)");

        var o = await SendImisWrites.HandleAsync(store, client, TimeProvider.System, imis);

        Assert.Equal(1, o.Sent);
        var rows = new List<ImisPanelRow>();
        await foreach (var r in client.ListPanelRowsAsync(imis.AuditLogEntity, party)) rows.Add(r);
        Assert.Single(rows, r => Equals(r.Properties.GetValueOrDefault("Subject")?.ToString(), "audit #7"));
        Assert.Single(await client.ListPartyNotesAsync(party), n => n.Text.EndsWith("(audit #7)", StringComparison.Ordinal));
    }

    [Fact]
    public void WriteOptions_ConcurrencyAboveTheClientsCap_Refused()
    {
        var imis = new ImisOptions { BaseUrl = "http://127.0.0.1:1", Username = "u", Password = "p", MaxConcurrency = 4 };
        var ex = Assert.Throws<InvalidOperationException>(() => new ImisWriteOptions { Concurrency = 8 }.Validate(imis));
        Assert.Contains("Imis:MaxConcurrency", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new ImisWriteOptions { BatchSize = 0 }.Validate(imis));
        new ImisWriteOptions { Concurrency = 4 }.Validate(imis);
    }

    [Fact]
    public async Task JobRuns_RunOfAKilledInstanceLeaseLapsed_MarkedAbandonedByTheNextRun()
    {
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var now = TimeProvider.System.GetUtcNow();
        await store.InTransactionAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO job_runs (run_id, job, instance, started_at, lease_until) VALUES
              ('dead', 'imis-writes', 'gone:1', @started, @lapsed),
              ('alive', 'hold-release', 'other:2', @started, @future)
            """,
            new { started = DbTime.Format(now.AddMinutes(-5)), lapsed = DbTime.Format(now.AddMinutes(-1)), future = DbTime.Format(now.AddMinutes(1)) }, tx));
        var runs = new JobRuns(store, TimeProvider.System, new JobScheduleOptions { LeaseSeconds = 30 });

        var run = await runs.RunAsync("match-payments", _ => Task.FromResult(new JobResult("ok", new Dictionary<string, long>())), CancellationToken.None);

        Assert.NotNull(run);
        var all = await runs.RecentAsync();
        Assert.Equal(JobRuns.Abandoned, all.Single(r => r.RunId == "dead").Outcome);
        Assert.NotNull(all.Single(r => r.RunId == "dead").FinishedAt);
        Assert.Null(all.Single(r => r.RunId == "alive").FinishedAt);
        Assert.Equal("ok", all.Single(r => r.Job == "match-payments").Outcome);
    }

    [Fact]
    public async Task JobRuns_LongRun_HeartbeatRenewsItsLease()
    {
        await using var store = await TestStores.CreateAsync(StoreEngine.Sqlite);
        var runs = new JobRuns(store, TimeProvider.System, new JobScheduleOptions { LeaseSeconds = 3 });
        string? first = null, renewed = null;
        await runs.RunAsync("long-job", async ct =>
        {
            await using var c = await store.OpenConnectionAsync(ct);
            first = await c.ExecuteScalarAsync<string>("SELECT lease_until FROM job_runs WHERE job = 'long-job'");
            // The heartbeat beats every second; wait (at most 20 s on a loaded machine) until it has moved the lease.
            for (var i = 0; i < 200 && (renewed is null || renewed == first); i++)
            {
                await Task.Delay(100, ct);
                renewed = await c.ExecuteScalarAsync<string>("SELECT lease_until FROM job_runs WHERE job = 'long-job'");
            }

            return new JobResult("done", new Dictionary<string, long>());
        }, CancellationToken.None);

        Assert.NotNull(first);
        Assert.True(string.CompareOrdinal(renewed, first) > 0, $"lease {first} was not renewed (still {renewed})");
        Assert.Equal(0, await runs.MarkAbandonedAsync());
    }
}
