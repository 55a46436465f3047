using DuesPilot.Domain.Ledger;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DuesPilot.Domain.Tests.Ledger;

/// <summary>
/// Randomised sequences of pending / post / void / reversal commands (FsCheck; a failure prints the
/// seed to replay). Properties: every account's balance equals the sum of its recorded lines as
/// tracked independently; the hold account equals the open holds; once every hold is resolved it is zero.
/// </summary>
public class LedgerPropertyTests
{
    private static readonly AccountCode Cash = new("1010-Operating-Cash");
    private static readonly AccountCode Unapplied = new("2150-Unapplied-Cash");
    private static readonly AccountCode Receivable = new("1200-Dues-Receivable");
    private static readonly AccountCode Credit = new("2160-Member-Credit");
    private static readonly DateTimeOffset T0 = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>One command: 0 hold, 1 post, 2 void, 3 replay an earlier command, 4 receipt, 5 reverse a receipt. Amounts in cents.</summary>
    public sealed record Command(int Op, int Target, int Cents, int Split);

    private static Arbitrary<Command[]> Commands() =>
        (from op in Gen.Choose(0, 5)
         from target in Gen.Choose(0, 1000)
         from cents in Gen.Choose(1, 1_000_000)
         from split in Gen.Choose(0, 100)
         select new Command(op, target, cents, split)).ArrayOf().ToArbitrary();

    [Property(MaxTest = 300)]
    public Property AnySequence_BalancesMatchLines_HoldEqualsOpenHolds() =>
        Prop.ForAll(Commands(), commands =>
        {
            var (ledger, expected, _) = Run(commands, resolveAll: false);
            var holdMatches = -ledger.Balance(AccountCode.Hold, Currency.USD) == Money.Sum(ledger.OpenHolds().Select(h => h.HeldAmount), Currency.USD);
            var balancesMatch = expected.All(kv => ledger.Balance(kv.Key, Currency.USD).MinorUnits == kv.Value);
            var everyEntryBalanced = ledger.Entries.All(e => e.Lines.Sum(l => l.Amount.MinorUnits) == 0);
            return holdMatches && balancesMatch && everyEntryBalanced;
        });

    [Property(MaxTest = 300)]
    public Property AnySequence_ResolvingEveryHold_LeavesHoldAtZero() =>
        Prop.ForAll(Commands(), commands =>
        {
            var (ledger, _, _) = Run(commands, resolveAll: true);
            return ledger.Balance(AccountCode.Hold, Currency.USD).IsZero && !ledger.OpenHolds().Any();
        });

    [Property(MaxTest = 200)]
    public Property AnySequence_ReplayingEveryCommand_ChangesNothing() =>
        Prop.ForAll(Commands(), commands =>
        {
            var (ledger, _, recorded) = Run(commands, resolveAll: false);
            var before = ledger.Entries.Count;
            var replays = recorded.Select(ledger.Record).ToList();
            return ledger.Entries.Count == before && replays.All(r => r == LedgerResult.Exists);
        });

    private static (InMemoryLedger Ledger, Dictionary<AccountCode, long> Expected, List<JournalEntry> Recorded) Run(Command[] commands, bool resolveAll)
    {
        var ledger = new InMemoryLedger();
        var expected = new Dictionary<AccountCode, long>();
        var recorded = new List<JournalEntry>();
        var holds = new List<JournalEntry>();
        var receipts = new List<JournalEntry>();
        var n = 0;

        void Apply(JournalEntry e)
        {
            var result = ledger.Record(e);
            if (result == LedgerResult.Created)
            {
                recorded.Add(e);
                foreach (var line in e.Lines) expected[line.Account] = expected.GetValueOrDefault(line.Account) + line.Amount.MinorUnits;
            }
        }

        EntryId NextId() => new(Guid.CreateVersion7(T0.AddSeconds(n)));

        foreach (var c in commands)
        {
            n++;
            var amount = Money.FromMinor(c.Cents, Currency.USD);
            switch (c.Op)
            {
                case 0:
                    var hold = JournalEntry.Pending(NextId(), $"hold:{n}", T0, T0.AddHours(24), "",
                        [LedgerLine.Debit(Unapplied, amount), LedgerLine.Credit(AccountCode.Hold, amount)]);
                    holds.Add(hold);
                    Apply(hold);
                    break;
                case 1 when holds.Count > 0:
                    var toPost = holds[c.Target % holds.Count];
                    Apply(PostOf(toPost, $"post:{n}", c.Split, NextId()));
                    break;
                case 2 when holds.Count > 0:
                    Apply(JournalEntry.Void(NextId(), $"void:{n}", holds[c.Target % holds.Count], T0, ""));
                    break;
                case 3 when recorded.Count > 0:
                    Assert.Equal(LedgerResult.Exists, ledger.Record(recorded[c.Target % recorded.Count]));
                    break;
                case 4:
                    var receipt = JournalEntry.Standard(NextId(), $"receipt:{n}", T0, "", [LedgerLine.Debit(Cash, amount), LedgerLine.Credit(Unapplied, amount)]);
                    receipts.Add(receipt);
                    Apply(receipt);
                    break;
                case 5 when receipts.Count > 0:
                    Apply(JournalEntry.Reversal(NextId(), $"rev:{n}", receipts[c.Target % receipts.Count], T0, ""));
                    break;
            }
        }

        if (resolveAll)
        {
            foreach (var open in ledger.OpenHolds().ToList())
            {
                n++;
                Apply(n % 2 == 0 ? PostOf(open, $"final-post:{n}", n, NextId()) : JournalEntry.Void(NextId(), $"final-void:{n}", open, T0, ""));
            }
        }

        return (ledger, expected, recorded);
    }

    /// <summary>A post that splits the held amount between receivable and member credit by <paramref name="split"/> percent.</summary>
    private static JournalEntry PostOf(JournalEntry hold, string key, int split, EntryId id)
    {
        var parts = hold.HeldAmount.Allocate([split % 101, 100 - split % 101]);
        var credits = new List<LedgerLine>();
        if (parts[0].IsPositive) credits.Add(LedgerLine.Credit(Receivable, parts[0]));
        if (parts[1].IsPositive) credits.Add(LedgerLine.Credit(Credit, parts[1]));
        return JournalEntry.Post(id, key, hold, T0, "", credits);
    }
}
