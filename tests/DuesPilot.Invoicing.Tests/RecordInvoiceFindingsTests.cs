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
        Assert.Equal(report.Flagged.ToDictionary(r => r.Invoice.Id.Value, r => r.PriorityCents), rows.ToDictionary(r => r.Subject, r => r.Priority));
        Assert.Equal(planted.Manifest.Count, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'invoice.flagged'"));
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
