using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DuesPilot.Domain.Ledger;

/// <summary>One line of a journal entry. A positive amount is a debit, a negative amount a credit.</summary>
public sealed record LedgerLine(AccountCode Account, Money Amount)
{
    public static LedgerLine Debit(AccountCode account, Money amount) => new(account, RequirePositive(amount));
    public static LedgerLine Credit(AccountCode account, Money amount) => new(account, -RequirePositive(amount));

    public bool IsDebit => Amount.IsPositive;

    private static Money RequirePositive(Money amount) =>
        amount.IsPositive ? amount : throw new LedgerRuleException($"A debit or credit must be a positive amount, not {amount}.");
}

/// <summary>What an entry does in the two-phase posting scheme.</summary>
public enum EntryKind
{
    /// <summary>An ordinary balanced entry, final on recording.</summary>
    Standard,
    /// <summary>Moves money into <c>GL_AI_Hold</c> until it is posted or voided; carries a release time.</summary>
    Pending,
    /// <summary>Moves a pending entry's held amount from <c>GL_AI_Hold</c> to the final accounts.</summary>
    Post,
    /// <summary>Undoes a pending entry exactly: the money goes back where it came from.</summary>
    Void,
    /// <summary>Undoes a standard entry exactly. Ledger rows are never edited; this is how they are corrected.</summary>
    Reversal,
}

/// <summary>An immutable, balanced journal entry. Construction refuses anything unbalanced.</summary>
/// <remarks>
/// The id is made by the caller (UUIDv7) and the idempotency key names the outside event, so a
/// retried command finds its earlier result instead of booking twice. <see cref="PayloadHash"/>
/// lets the ledger tell "already recorded" from "same key, different data".
/// </remarks>
public sealed record JournalEntry
{
    /// <summary>Entries are bounded so one command can never write an unbounded amount of rows.</summary>
    public const int MaxLines = 500;

    private JournalEntry(EntryId id, string idempotencyKey, EntryKind kind, EntryId? resolves, DateTimeOffset createdAt, DateTimeOffset? releaseAt, string memo, IReadOnlyList<LedgerLine> lines)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idempotencyKey);
        if (idempotencyKey.Length > 200) throw new LedgerRuleException("An idempotency key is at most 200 characters.");
        if (lines.Count < 2) throw new LedgerRuleException($"Entry '{idempotencyKey}' needs at least two lines; it has {lines.Count}.");
        if (lines.Count > MaxLines) throw new LedgerRuleException($"Entry '{idempotencyKey}' has {lines.Count} lines; the limit is {MaxLines}.");
        var currency = lines[0].Amount.Currency;
        foreach (var line in lines)
        {
            if (line.Amount.Currency != currency)
                throw new CurrencyMismatchException(currency, line.Amount.Currency);
            if (line.Amount.IsZero)
                throw new LedgerRuleException($"Entry '{idempotencyKey}' has a zero line on {line.Account}.");
        }

        long sum = 0;
        foreach (var line in lines) sum = checked(sum + line.Amount.MinorUnits);
        if (sum != 0)
        {
            var debits = Money.Sum(lines.Where(l => l.IsDebit).Select(l => l.Amount), currency);
            var credits = -Money.Sum(lines.Where(l => !l.IsDebit).Select(l => l.Amount), currency);
            throw new UnbalancedEntryException(idempotencyKey, debits, credits);
        }

        Id = id;
        IdempotencyKey = idempotencyKey;
        Kind = kind;
        Resolves = resolves;
        CreatedAt = createdAt;
        ReleaseAt = releaseAt;
        Memo = memo ?? "";
        Lines = lines;
        Currency = currency;
        PayloadHash = ComputeHash();
    }

    public EntryId Id { get; }
    public string IdempotencyKey { get; }
    public EntryKind Kind { get; }

    /// <summary>For Post and Void, the pending entry; for Reversal, the standard entry it undoes.</summary>
    public EntryId? Resolves { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>For a pending entry: when the hold window ends and it may be posted without an override.</summary>
    public DateTimeOffset? ReleaseAt { get; }

    public string Memo { get; }
    public IReadOnlyList<LedgerLine> Lines { get; }
    public Currency Currency { get; }

    /// <summary>SHA-256 over kind, target, release time and lines (not id or creation time).</summary>
    public string PayloadHash { get; }

    /// <summary>
    /// The accounting date: the day of the books the entry belongs to, which is not always the day it was
    /// written (a month's recognition is written on the 1st of the next month, dated the month's last day).
    /// Handlers date every entry (<see cref="OnBusinessDay"/>): the association's day it was written. Null (an entry
    /// built bare, e.g. in a unit test): the UTC day it was written. Balances, reconciliation and the month's journal
    /// go by this date.
    /// </summary>
    public DateOnly? EffectiveDate { get; init; }

    /// <summary>This entry dated on the association's day of its creation (<see cref="BusinessClock"/>), unless it already carries a date.</summary>
    public JournalEntry OnBusinessDay(TimeProvider clock) => EffectiveDate is not null ? this : this with { EffectiveDate = BusinessClock.Of(clock).DateOf(CreatedAt) };

    /// <summary>Total of the debit side (equal to the credit side by construction).</summary>
    public Money Total => Money.Sum(Lines.Where(l => l.IsDebit).Select(l => l.Amount), Currency);

    /// <summary>For a pending entry, the amount credited to the hold account.</summary>
    public Money HeldAmount => -Money.Sum(Lines.Where(l => l.Account == AccountCode.Hold).Select(l => l.Amount), Currency);

    /// <summary>Rebuilds an entry read from the store; the same checks apply, so a tampered row fails here too.</summary>
    public static JournalEntry Restore(EntryId id, string idempotencyKey, EntryKind kind, EntryId? resolves, DateTimeOffset createdAt, DateTimeOffset? releaseAt, string memo, IReadOnlyList<LedgerLine> lines) =>
        new(id, idempotencyKey, kind, resolves, createdAt, releaseAt, memo, lines);

    public static JournalEntry Standard(EntryId id, string idempotencyKey, DateTimeOffset createdAt, string memo, IReadOnlyList<LedgerLine> lines)
    {
        if (lines.Any(l => l.Account == AccountCode.Hold))
            throw new LedgerRuleException("Only pending, post and void entries may touch GL_AI_Hold.");
        return new(id, idempotencyKey, EntryKind.Standard, null, createdAt, null, memo, lines);
    }

    /// <summary>A pending entry: its lines must credit <c>GL_AI_Hold</c> with the held amount and debit where the money comes from.</summary>
    public static JournalEntry Pending(EntryId id, string idempotencyKey, DateTimeOffset createdAt, DateTimeOffset releaseAt, string memo, IReadOnlyList<LedgerLine> lines)
    {
        if (releaseAt < createdAt) throw new LedgerRuleException("A hold cannot be released before it is created.");
        var entry = new JournalEntry(id, idempotencyKey, EntryKind.Pending, null, createdAt, releaseAt, memo, lines);
        if (lines.Any(l => l.Account == AccountCode.Hold && l.IsDebit) || !entry.HeldAmount.IsPositive)
            throw new LedgerRuleException("A pending entry must credit GL_AI_Hold and never debit it.");
        return entry;
    }

    /// <summary>Posts a pending entry: debits the hold with the held amount and credits the final accounts given.</summary>
    public static JournalEntry Post(EntryId id, string idempotencyKey, JournalEntry pending, DateTimeOffset createdAt, string memo, IReadOnlyList<LedgerLine> finalCredits)
    {
        RequirePending(pending);
        if (finalCredits.Any(l => l.Account == AccountCode.Hold)) throw new LedgerRuleException("A post cannot send money back to GL_AI_Hold.");
        var lines = new List<LedgerLine>(finalCredits.Count + 1) { LedgerLine.Debit(AccountCode.Hold, pending.HeldAmount) };
        lines.AddRange(finalCredits);
        return new JournalEntry(id, idempotencyKey, EntryKind.Post, pending.Id, createdAt, null, memo, lines);
    }

    /// <summary>Voids a pending entry: its exact negation, so the hold returns to zero and the source gets its money back.</summary>
    public static JournalEntry Void(EntryId id, string idempotencyKey, JournalEntry pending, DateTimeOffset createdAt, string memo)
    {
        RequirePending(pending);
        return new JournalEntry(id, idempotencyKey, EntryKind.Void, pending.Id, createdAt, null, memo, Negate(pending.Lines));
    }

    /// <summary>Reverses a standard entry with its exact negation.</summary>
    /// <remarks>
    /// Pending entries are undone by a void. A posted hold is not negated either, because that would put
    /// money back into GL_AI_Hold with no hold open: undoing a posted application is a standard entry
    /// from the final accounts back to unapplied cash, which sends the payment to review.
    /// </remarks>
    public static JournalEntry Reversal(EntryId id, string idempotencyKey, JournalEntry original, DateTimeOffset createdAt, string memo)
    {
        if (original.Kind != EntryKind.Standard)
            throw new LedgerRuleException($"Only standard entries are reversed; a {original.Kind} entry is resolved another way.");
        return new JournalEntry(id, idempotencyKey, EntryKind.Reversal, original.Id, createdAt, null, memo, Negate(original.Lines));
    }

    private static void RequirePending(JournalEntry pending)
    {
        if (pending.Kind != EntryKind.Pending) throw new LedgerRuleException($"Entry {pending.Id} is {pending.Kind}, not pending.");
    }

    private static LedgerLine[] Negate(IReadOnlyList<LedgerLine> lines) => lines.Select(l => l with { Amount = -l.Amount }).ToArray();

    private string ComputeHash()
    {
        var sb = new StringBuilder();
        sb.Append(Kind).Append('|').Append(Resolves?.ToString() ?? "-").Append('|')
          .Append(ReleaseAt?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "-").Append('|').Append(Currency.Code);
        foreach (var line in Lines.OrderBy(l => l.Account.Value, StringComparer.Ordinal).ThenBy(l => l.Amount.MinorUnits))
            sb.Append('|').Append(line.Account.Value).Append('=').Append(line.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}

/// <summary>A ledger rule broken by the caller: always a bug in the code that built the entry.</summary>
public class LedgerRuleException(string message) : InvalidOperationException(message);

/// <summary>Debits and credits differ. Raised by the domain before any I/O and, as a second line of defence, by the store.</summary>
public sealed class UnbalancedEntryException(string idempotencyKey, Money debits, Money credits)
    : LedgerRuleException($"Entry '{idempotencyKey}' is unbalanced: debits {debits.ToPlainString()} ≠ credits {credits.ToPlainString()} {debits.Currency.Code}.")
{
    public Money Debits { get; } = debits;
    public Money Credits { get; } = credits;
}
