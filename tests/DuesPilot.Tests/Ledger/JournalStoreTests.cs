using System.Data.Common;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Ledger;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Tests.Ledger;

/// <summary>The ledger's store rules, run once per engine by the two subclasses below.</summary>
public abstract class JournalStoreTests(StoreEngine engine) : IAsyncLifetime
{
    private static readonly AccountCode Cash = new("1010-Operating-Cash");
    private static readonly AccountCode Unapplied = new("2150-Unapplied-Cash");
    private static readonly AccountCode Receivable = new("1200-Dues-Receivable");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero));
    private Store _store = null!;
    private Journal _journal = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.CreateAsync(engine);
        _journal = new Journal(_store);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private JournalEntry Receipt(string key, decimal amount) => JournalEntry.Standard(EntryId.New(_clock), key, _clock.GetUtcNow(), "receipt",
        [LedgerLine.Debit(Cash, Money.Usd(amount)), LedgerLine.Credit(Unapplied, Money.Usd(amount))]);

    private JournalEntry Hold(string key, decimal amount) => JournalEntry.Pending(EntryId.New(_clock), key, _clock.GetUtcNow(), _clock.GetUtcNow().AddHours(24), "hold",
        [LedgerLine.Debit(Unapplied, Money.Usd(amount)), LedgerLine.Credit(AccountCode.Hold, Money.Usd(amount))]);

    [Fact]
    public async Task Record_SameKeySamePayload_IsExistsAndBooksOnce()
    {
        Assert.Equal(LedgerResult.Created, await _journal.RecordAsync(Receipt("p1", 395m)));
        Assert.Equal(LedgerResult.Exists, await _journal.RecordAsync(Receipt("p1", 395m)));
        Assert.Equal(Money.Usd(395m), await _journal.BalanceAsync(Cash, Currency.USD));
    }

    [Fact]
    public async Task Record_SameKeyDifferentPayload_IsRefused()
    {
        await _journal.RecordAsync(Receipt("p1", 395m));
        Assert.Equal(LedgerResult.ExistsWithDifferentData, await _journal.RecordAsync(Receipt("p1", 359m)));
        Assert.Equal(Money.Usd(395m), await _journal.BalanceAsync(Cash, Currency.USD));
    }

    [Fact]
    public async Task PendingThenPost_MovesHeldAmountToFinalAccount_HoldBackToZero()
    {
        await _journal.RecordAsync(Receipt("p1:receipt", 395m));
        var hold = Hold("p1:hold", 395m);
        Assert.Equal(LedgerResult.Created, await _journal.RecordAsync(hold));
        Assert.Equal(Money.Usd(-395m), await _journal.BalanceAsync(AccountCode.Hold, Currency.USD));

        var post = JournalEntry.Post(EntryId.New(_clock), "p1:post", hold, _clock.GetUtcNow(), "posted", [LedgerLine.Credit(Receivable, Money.Usd(395m))]);
        Assert.Equal(LedgerResult.Created, await _journal.RecordAsync(post));
        Assert.Equal(Money.Usd(0m), await _journal.BalanceAsync(AccountCode.Hold, Currency.USD));
        Assert.Equal(Money.Usd(-395m), await _journal.BalanceAsync(Receivable, Currency.USD));
        Assert.True((await _journal.AuditAsync()).IsClean);
    }

    [Fact]
    public async Task Post_OfUnknownPending_IsPendingNotFound()
    {
        var ghost = Hold("ghost", 10m); // never recorded
        var post = JournalEntry.Post(EntryId.New(_clock), "ghost:post", ghost, _clock.GetUtcNow(), "posted", [LedgerLine.Credit(Receivable, Money.Usd(10m))]);
        Assert.Equal(LedgerResult.PendingNotFound, await _journal.RecordAsync(post));
    }

    [Fact]
    public async Task Post_OfVoidedPending_IsAlreadyVoided()
    {
        var hold = Hold("p2:hold", 50m);
        await _journal.RecordAsync(hold);
        Assert.Equal(LedgerResult.Created, await _journal.RecordAsync(JournalEntry.Void(EntryId.New(_clock), "p2:void", hold, _clock.GetUtcNow(), "override")));
        var post = JournalEntry.Post(EntryId.New(_clock), "p2:post", hold, _clock.GetUtcNow(), "posted", [LedgerLine.Credit(Receivable, Money.Usd(50m))]);
        Assert.Equal(LedgerResult.AlreadyVoided, await _journal.RecordAsync(post));
        Assert.Equal(LedgerResult.AlreadyVoided, await _journal.RecordAsync(JournalEntry.Void(EntryId.New(_clock), "p2:void-again", hold, _clock.GetUtcNow(), "again")));
        Assert.Equal(Money.Usd(0m), await _journal.BalanceAsync(AccountCode.Hold, Currency.USD));
    }

    [Fact]
    public async Task Reversal_UndoesAnEntryOnce()
    {
        var receipt = Receipt("p3", 20m);
        await _journal.RecordAsync(receipt);
        Assert.Equal(LedgerResult.Created, await _journal.RecordAsync(JournalEntry.Reversal(EntryId.New(_clock), "p3:rev", receipt, _clock.GetUtcNow(), "bounced")));
        Assert.Equal(LedgerResult.AlreadyReversed, await _journal.RecordAsync(JournalEntry.Reversal(EntryId.New(_clock), "p3:rev2", receipt, _clock.GetUtcNow(), "twice")));
        Assert.Equal(Money.Usd(0m), await _journal.BalanceAsync(Cash, Currency.USD));
    }

    [Fact]
    public async Task Database_RefusesUnbalancedEntryWrittenBehindTheDomainsBack()
    {
        var ex = await Assert.ThrowsAnyAsync<DbException>(() => _store.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO journal_lines (entry_id, line_no, account, currency, amount_minor) VALUES ('e1', 1, 'A', 'USD', 100)", transaction: tx);
            await c.ExecuteAsync("INSERT INTO journal_lines (entry_id, line_no, account, currency, amount_minor) VALUES ('e1', 2, 'B', 'USD', -99)", transaction: tx);
            await c.ExecuteAsync(
                "INSERT INTO journal_entries (entry_id, idempotency_key, kind, currency, total_minor, created_at, memo, payload_hash) VALUES ('e1', 'k1', 'Standard', 'USD', 100, '2027-01-01T00:00:00.0000000Z', '', 'x')",
                transaction: tx);
        }));
        Assert.Contains("unbalanced", Store.RuleViolation(ex));
        Assert.Empty(await _journal.TrialBalanceAsync());
    }

    [Fact]
    public async Task Database_RefusesEditsAndDeletesOfLedgerRows()
    {
        await _journal.RecordAsync(Receipt("p4", 10m));
        var update = await Assert.ThrowsAnyAsync<DbException>(() => _store.InTransactionAsync((c, tx) => c.ExecuteAsync("UPDATE journal_lines SET amount_minor = amount_minor * 2", transaction: tx)));
        Assert.Contains("immutable", Store.RuleViolation(update));
        var delete = await Assert.ThrowsAnyAsync<DbException>(() => _store.InTransactionAsync((c, tx) => c.ExecuteAsync("DELETE FROM journal_entries", transaction: tx)));
        Assert.Contains("immutable", Store.RuleViolation(delete));
    }

    [Fact]
    public void Domain_RefusesUnbalancedAndMixedCurrencyEntries()
    {
        var unbalanced = Assert.Throws<UnbalancedEntryException>(() => JournalEntry.Standard(EntryId.New(_clock), "bad", _clock.GetUtcNow(), "",
            [LedgerLine.Debit(Cash, Money.Usd(10m)), LedgerLine.Credit(Unapplied, Money.Usd(9.99m))]));
        Assert.Contains("debits 10.00 ≠ credits 9.99", unbalanced.Message);
        Assert.Throws<CurrencyMismatchException>(() => JournalEntry.Standard(EntryId.New(_clock), "mixed", _clock.GetUtcNow(), "",
            [LedgerLine.Debit(Cash, Money.Usd(10m)), LedgerLine.Credit(Unapplied, Money.FromDecimal(10m, Currency.EUR))]));
    }

    [Fact]
    public async Task ConcurrentPostsOfOneHold_OnlyOneWins()
    {
        var hold = Hold("p5:hold", 75m);
        await _journal.RecordAsync(hold);
        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(() => _journal.RecordAsync(
            JournalEntry.Post(EntryId.New(_clock), $"p5:post:{i}", hold, _clock.GetUtcNow(), "posted", [LedgerLine.Credit(Receivable, Money.Usd(75m))])))).ToArray();
        var results = await Task.WhenAll(attempts);
        Assert.Equal(1, results.Count(r => r == LedgerResult.Created));
        Assert.All(results.Where(r => r != LedgerResult.Created), r => Assert.Equal(LedgerResult.AlreadyPosted, r));
        Assert.Equal(Money.Usd(-75m), await _journal.BalanceAsync(Receivable, Currency.USD));
    }

    [Fact]
    public async Task RandomSequences_MatchTheInMemoryModel()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var model = new InMemoryLedger();
        var holds = new List<JournalEntry>();
        for (var i = 0; i < 60; i++)
        {
            JournalEntry entry;
            var roll = random.Next(4);
            if (roll == 0 || holds.Count == 0) { entry = Hold($"h{i}", random.Next(1, 50000) / 100m); holds.Add(entry); }
            else if (roll == 1) entry = Receipt($"r{i}", random.Next(1, 50000) / 100m);
            else
            {
                var target = holds[random.Next(holds.Count)];
                entry = roll == 2
                    ? JournalEntry.Post(EntryId.New(_clock), $"post{i}", target, _clock.GetUtcNow(), "", [LedgerLine.Credit(Receivable, target.HeldAmount)])
                    : JournalEntry.Void(EntryId.New(_clock), $"void{i}", target, _clock.GetUtcNow(), "");
            }

            Assert.True(model.Record(entry) == await _journal.RecordAsync(entry), $"seed {seed}, step {i}");
        }

        foreach (var account in new[] { Cash, Unapplied, Receivable, AccountCode.Hold })
            Assert.True(model.Balance(account, Currency.USD) == await _journal.BalanceAsync(account, Currency.USD), $"seed {seed}, account {account}");
        Assert.True((await _journal.AuditAsync()).IsClean, $"seed {seed}");
    }
}

public sealed class SqliteJournalStoreTests() : JournalStoreTests(StoreEngine.Sqlite);

public sealed class PostgresJournalStoreTests() : JournalStoreTests(StoreEngine.Postgres);
