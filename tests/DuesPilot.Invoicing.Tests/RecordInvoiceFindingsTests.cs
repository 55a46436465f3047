using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Domain.Proration;
using DuesPilot.Features.Invoicing;
using DuesPilot.Features.Ledger;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using DuesPilot.Tooling.Invoicing;
using Microsoft.Extensions.Time.Testing;
using static DuesPilot.Invoicing.Tests.TestPolicies;

namespace DuesPilot.Invoicing.Tests;

/// <summary>Review items and proration entries in the store, run once per engine by the two subclasses below.</summary>
public abstract class RecordInvoiceFindingsTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 20, 9, 0, 0, TimeSpan.Zero));
    private Store _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.CreateAsync(engine);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private static (BillingPolicy Policy, ValidationReport Report, PlantedBatch Planted) Flagged()
    {
        var policy = LoadBillingPolicy.Example();
        var planted = PlantInvoiceDefects.Plant(policy, GenerateInvoiceBatch.Create(policy, 400, 21, 2027), 1, 21);
        return (policy, ValidateInvoices.Run(policy, planted.Batch), planted);
    }

    [Fact]
    public async Task Record_SameFindingsTwice_CreatesOnceThenChangesNothing()
    {
        var (policy, report, planted) = Flagged();
        var first = await RecordInvoiceFindings.HandleAsync(_store, _clock, policy.Name, report.Flagged);
        _clock.Advance(TimeSpan.FromHours(1));
        var second = await RecordInvoiceFindings.HandleAsync(_store, _clock, policy.Name, report.Flagged);

        Assert.Equal(new RecordedFindings(planted.Manifest.Count, 0, 0), first);
        Assert.Equal(new RecordedFindings(0, 0, planted.Manifest.Count), second);
        await using var c = await _store.OpenConnectionAsync();
        var rows = (await c.QueryAsync<(string Subject, string Kind, long Priority)>("SELECT subject_id, kind, priority FROM review_items ORDER BY subject_id")).ToArray();
        Assert.Equal(planted.Manifest.Select(d => d.InvoiceId.Value).Order(StringComparer.Ordinal), rows.Select(r => r.Subject));
        Assert.All(rows, r => Assert.Equal("invoice", r.Kind));
        Assert.Equal(report.Flagged.ToDictionary(r => r.Invoice.Id.Value, r => (long)r.QueuePriority), rows.ToDictionary(r => r.Subject, r => r.Priority));
        Assert.All(rows, r => Assert.InRange(r.Priority, 0, 100));
        Assert.Equal(planted.Manifest.Count, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'invoice.flagged'"));
    }

    /// <summary>Migration 0150 turns the cents invoice items used to store into the 0–100 score the code now writes, on this engine.</summary>
    [Fact]
    public async Task Migration0150_CentsPriorities_BecomeTheScoreTheCodeWrites()
    {
        long[] cents = [0, 99, 105, 106, 1000, 2500, 19_999, 39_500, 199_975, 1_000_000, 50_000_000];
        await using var c = await _store.OpenConnectionAsync();
        for (var i = 0; i < cents.Length; i++)
        {
            await c.ExecuteAsync("INSERT INTO review_items (item_id, kind, subject_id, state, priority, created_at, updated_at) VALUES (@id, 'invoice', @id, 'open', @p, '2026-11-20T09:00:00Z', '2026-11-20T09:00:00Z')",
                new { id = $"m{i}", p = cents[i] });
        }

        await c.ExecuteAsync("INSERT INTO review_items (item_id, kind, subject_id, state, priority, created_at, updated_at) VALUES ('pay', 'payment', 'pay', 'open', 57, '2026-11-20T09:00:00Z', '2026-11-20T09:00:00Z')");
        var folder = engine == StoreEngine.Sqlite ? ".sqlite." : ".postgres.";
        var assembly = typeof(Store).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.Contains(folder, StringComparison.Ordinal) && n.EndsWith("0150_review_priority_scale.sql", StringComparison.Ordinal));
        using (var reader = new StreamReader(assembly.GetManifestResourceStream(name)!))
            await c.ExecuteAsync(await reader.ReadToEndAsync());

        var after = (await c.QueryAsync<(string Id, long Priority)>("SELECT item_id, priority FROM review_items")).ToDictionary(r => r.Id, r => r.Priority);
        for (var i = 0; i < cents.Length; i++)
            Assert.Equal(Features.Review.ReviewPriority.ForAmount(Money.FromMinor(cents[i], Currency.USD)), after[$"m{i}"]);
        Assert.Equal(57, after["pay"]);
    }

    [Fact]
    public async Task Record_ChangedFindings_UpdatesTheOpenItem()
    {
        var (policy, report, _) = Flagged();
        var one = report.Flagged.Take(1).ToArray();
        await RecordInvoiceFindings.HandleAsync(_store, _clock, policy.Name, one);
        var changed = new InvoiceReview(one[0].Invoice, [one[0].Findings[0] with { Explanation = "re-checked" }]);
        var outcome = await RecordInvoiceFindings.HandleAsync(_store, _clock, policy.Name, [changed]);
        Assert.Equal(new RecordedFindings(0, 1, 0), outcome);
    }

    [Fact]
    public async Task ProrationEntries_RecordedInTheJournal_KeepTheTrialBalanceAtZero()
    {
        var policy = Make(fee: "25.00");
        var journal = new Journal(_store);
        ProrationRequest[] events =
        [
            new(ProrationEvent.Join, "REG", D("2027-03-15"), Subject: "m1"),
            new(ProrationEvent.Upgrade, "STU", D("2027-07-10"), ToTier: "REG", Subject: "m2"),
            new(ProrationEvent.Downgrade, "REG", D("2027-04-15"), ToTier: "RET", Subject: "m3"),
            new(ProrationEvent.Cancel, "REG", D("2027-05-10"), Subject: "m4"),
            new(ProrationEvent.Reinstate, "REG", D("2027-09-15"), Subject: "m5"),
            new(ProrationEvent.Extend, "REG", D("2027-06-01"), Years: 3, Subject: "m6"),
        ];
        foreach (var e in events)
            foreach (var entry in Prorate.Compute(policy, e, Accounts, _clock).Entries)
                Assert.Equal(LedgerResult.Created, await journal.RecordAsync(entry));
        var balances = await journal.TrialBalanceAsync();
        Assert.Equal(0, balances.Sum(b => b.Balance.MinorUnits));
        // Join 329.17 + upgrade 150.00 + reinstatement 131.67 + extension 1,066.50 are receivable.
        Assert.Equal(32_917 + 15_000 + 13_167 + 106_650, balances.Single(b => b.Account == Accounts.Receivable).Balance.MinorUnits);
    }
}

public sealed class RecordInvoiceFindingsSqliteTests() : RecordInvoiceFindingsTests(StoreEngine.Sqlite);

public sealed class RecordInvoiceFindingsPostgresTests() : RecordInvoiceFindingsTests(StoreEngine.Postgres);
