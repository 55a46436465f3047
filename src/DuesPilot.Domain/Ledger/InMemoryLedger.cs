namespace DuesPilot.Domain.Ledger;

/// <summary>
/// The ledger's rules over an in-memory list: the reference model the stores are tested against,
/// and what simulations and previews (shadow mode, dry runs) use.
/// </summary>
public sealed class InMemoryLedger
{
    private readonly Dictionary<string, JournalEntry> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<EntryId, JournalEntry> _byId = [];
    private readonly Dictionary<EntryId, JournalEntry> _resolvedBy = [];
    private readonly List<JournalEntry> _entries = [];

    public IReadOnlyList<JournalEntry> Entries => _entries;

    public LedgerResult Record(JournalEntry entry)
    {
        if (_byKey.TryGetValue(entry.IdempotencyKey, out var existing))
            return existing.PayloadHash == entry.PayloadHash ? LedgerResult.Exists : LedgerResult.ExistsWithDifferentData;

        var check = LedgerRules.Check(entry, id => _byId.GetValueOrDefault(id), id => _resolvedBy.GetValueOrDefault(id));
        if (check != LedgerResult.Created) return check;

        _byKey[entry.IdempotencyKey] = entry;
        _byId[entry.Id] = entry;
        if (entry.Resolves is { } target) _resolvedBy[target] = entry;
        _entries.Add(entry);
        return LedgerResult.Created;
    }

    public JournalEntry? Find(EntryId id) => _byId.GetValueOrDefault(id);

    /// <summary>Debits minus credits of an account over every recorded line.</summary>
    public Money Balance(AccountCode account, Currency currency) =>
        Money.Sum(_entries.SelectMany(e => e.Lines).Where(l => l.Account == account && l.Amount.Currency == currency).Select(l => l.Amount), currency);

    /// <summary>Pending entries that are neither posted nor voided.</summary>
    public IEnumerable<JournalEntry> OpenHolds() => _entries.Where(e => e.Kind == EntryKind.Pending && !_resolvedBy.ContainsKey(e.Id));
}

/// <summary>The checks that need the ledger's state, shared by every ledger implementation.</summary>
public static class LedgerRules
{
    /// <summary>Returns <see cref="LedgerResult.Created"/> when the entry may be recorded, otherwise why not.</summary>
    public static LedgerResult Check(JournalEntry entry, Func<EntryId, JournalEntry?> find, Func<EntryId, JournalEntry?> resolvedBy)
    {
        if (entry.Resolves is not { } targetId) return LedgerResult.Created;
        var target = find(targetId);
        switch (entry.Kind)
        {
            case EntryKind.Post or EntryKind.Void:
                if (target is null) return LedgerResult.PendingNotFound;
                if (target.Kind != EntryKind.Pending) return LedgerResult.NotPending;
                if (resolvedBy(targetId) is { } earlier)
                    return earlier.Kind == EntryKind.Post ? LedgerResult.AlreadyPosted : LedgerResult.AlreadyVoided;
                if (entry.Kind == EntryKind.Post && -entry.HeldAmount != target.HeldAmount) return LedgerResult.AmountMismatch;
                if (entry.Kind == EntryKind.Void && !IsNegation(entry, target)) return LedgerResult.AmountMismatch;
                return LedgerResult.Created;
            case EntryKind.Reversal:
                if (target is null) return LedgerResult.TargetNotFound;
                if (target.Kind != EntryKind.Standard) return LedgerResult.NotPending;
                if (resolvedBy(targetId) is not null) return LedgerResult.AlreadyReversed;
                return IsNegation(entry, target) ? LedgerResult.Created : LedgerResult.AmountMismatch;
            default:
                return LedgerResult.Created;
        }
    }

    private static bool IsNegation(JournalEntry a, JournalEntry b)
    {
        static IEnumerable<(string, long)> Key(JournalEntry e, int sign) =>
            e.Lines.Select(l => (l.Account.Value, sign * l.Amount.MinorUnits)).OrderBy(x => x.Value, StringComparer.Ordinal).ThenBy(x => x.Item2);
        return a.Currency == b.Currency && Key(a, 1).SequenceEqual(Key(b, -1));
    }
}
