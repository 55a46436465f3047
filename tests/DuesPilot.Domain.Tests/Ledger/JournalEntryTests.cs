using DuesPilot.Domain.Ledger;

namespace DuesPilot.Domain.Tests.Ledger;

public class JournalEntryTests
{
    private static readonly AccountCode Cash = new("1010-Operating-Cash");
    private static readonly AccountCode Unapplied = new("2150-Unapplied-Cash");
    private static readonly AccountCode Receivable = new("1200-Dues-Receivable");
    private static readonly DateTimeOffset T0 = new(2027, 3, 15, 9, 0, 0, TimeSpan.Zero);

    private static EntryId Id(int n) => new(Guid.CreateVersion7(T0.AddMilliseconds(n)));

    private static JournalEntry Hold(int n, decimal amount) => JournalEntry.Pending(Id(n), $"hold:{n}", T0, T0.AddHours(24), "",
        [LedgerLine.Debit(Unapplied, Money.Usd(amount)), LedgerLine.Credit(AccountCode.Hold, Money.Usd(amount))]);

    [Fact]
    public void Standard_Unbalanced_ThrowsNamingBothSides()
    {
        var ex = Assert.Throws<UnbalancedEntryException>(() => JournalEntry.Standard(Id(1), "k", T0, "",
            [LedgerLine.Debit(Cash, Money.Usd(100m)), LedgerLine.Credit(Unapplied, Money.Usd(90m))]));
        Assert.Equal(Money.Usd(100m), ex.Debits);
        Assert.Equal(Money.Usd(90m), ex.Credits);
    }

    [Fact]
    public void Standard_OneLine_Throws() =>
        Assert.Throws<LedgerRuleException>(() => JournalEntry.Standard(Id(1), "k", T0, "", [LedgerLine.Debit(Cash, Money.Usd(1m))]));

    [Fact]
    public void Standard_TouchingHold_Throws() =>
        Assert.Throws<LedgerRuleException>(() => JournalEntry.Standard(Id(1), "k", T0, "",
            [LedgerLine.Debit(Cash, Money.Usd(1m)), LedgerLine.Credit(AccountCode.Hold, Money.Usd(1m))]));

    [Fact]
    public void Pending_NotCreditingHold_Throws() =>
        Assert.Throws<LedgerRuleException>(() => JournalEntry.Pending(Id(1), "k", T0, T0.AddHours(1), "",
            [LedgerLine.Debit(Cash, Money.Usd(1m)), LedgerLine.Credit(Unapplied, Money.Usd(1m))]));

    [Fact]
    public void Debit_OfZeroOrNegative_Throws()
    {
        Assert.Throws<LedgerRuleException>(() => LedgerLine.Debit(Cash, Money.Usd(0m)));
        Assert.Throws<LedgerRuleException>(() => LedgerLine.Credit(Cash, Money.Usd(-1m)));
    }

    [Fact]
    public void Post_OfUnknownPending_IsPendingNotFound()
    {
        var ledger = new InMemoryLedger();
        var post = JournalEntry.Post(Id(2), "post", Hold(1, 10m), T0, "", [LedgerLine.Credit(Receivable, Money.Usd(10m))]);
        Assert.Equal(LedgerResult.PendingNotFound, ledger.Record(post));
    }

    [Fact]
    public void Post_AfterVoid_IsAlreadyVoided_AndVoidAfterPost_IsAlreadyPosted()
    {
        var ledger = new InMemoryLedger();
        var a = Hold(1, 10m);
        var b = Hold(2, 20m);
        ledger.Record(a);
        ledger.Record(b);
        Assert.Equal(LedgerResult.Created, ledger.Record(JournalEntry.Void(Id(3), "void-a", a, T0, "")));
        Assert.Equal(LedgerResult.AlreadyVoided, ledger.Record(JournalEntry.Post(Id(4), "post-a", a, T0, "", [LedgerLine.Credit(Receivable, Money.Usd(10m))])));
        Assert.Equal(LedgerResult.Created, ledger.Record(JournalEntry.Post(Id(5), "post-b", b, T0, "", [LedgerLine.Credit(Receivable, Money.Usd(20m))])));
        Assert.Equal(LedgerResult.AlreadyPosted, ledger.Record(JournalEntry.Void(Id(6), "void-b", b, T0, "")));
    }

    [Fact]
    public void Post_OfAStandardEntry_IsRefusedAtConstruction()
    {
        var receipt = JournalEntry.Standard(Id(1), "r", T0, "", [LedgerLine.Debit(Cash, Money.Usd(5m)), LedgerLine.Credit(Unapplied, Money.Usd(5m))]);
        Assert.Throws<LedgerRuleException>(() => JournalEntry.Post(Id(2), "p", receipt, T0, "", [LedgerLine.Credit(Receivable, Money.Usd(5m))]));
    }

    [Fact]
    public void Post_WithCreditsNotEqualToHeldAmount_IsUnbalanced() =>
        Assert.Throws<UnbalancedEntryException>(() => JournalEntry.Post(Id(2), "p", Hold(1, 10m), T0, "", [LedgerLine.Credit(Receivable, Money.Usd(9.99m))]));

    [Fact]
    public void PayloadHash_IgnoresIdAndCreationTime_ButNotLines()
    {
        JournalEntry Make(int n, decimal amount, DateTimeOffset at) => JournalEntry.Standard(Id(n), "same-key", at, "memo",
            [LedgerLine.Debit(Cash, Money.Usd(amount)), LedgerLine.Credit(Unapplied, Money.Usd(amount))]);
        Assert.Equal(Make(1, 5m, T0).PayloadHash, Make(2, 5m, T0.AddDays(1)).PayloadHash);
        Assert.NotEqual(Make(1, 5m, T0).PayloadHash, Make(1, 6m, T0).PayloadHash);
    }
}
