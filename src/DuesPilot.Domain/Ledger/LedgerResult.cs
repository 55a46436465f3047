namespace DuesPilot.Domain.Ledger;

/// <summary>The outcome of recording an entry. Only <see cref="Created"/> and <see cref="Exists"/> mean the ledger holds the entry.</summary>
public enum LedgerResult
{
    /// <summary>Recorded now.</summary>
    Created,
    /// <summary>The idempotency key was recorded before with the same payload: a retry, nothing changed.</summary>
    Exists,
    /// <summary>The idempotency key was recorded before with different data: refused, and worth an alert.</summary>
    ExistsWithDifferentData,
    /// <summary>The pending entry named does not exist.</summary>
    PendingNotFound,
    /// <summary>The entry named is not a pending entry.</summary>
    NotPending,
    /// <summary>The pending entry was already posted.</summary>
    AlreadyPosted,
    /// <summary>The pending entry was already voided.</summary>
    AlreadyVoided,
    /// <summary>The entry to reverse does not exist.</summary>
    TargetNotFound,
    /// <summary>The entry was already reversed.</summary>
    AlreadyReversed,
    /// <summary>A post that does not move exactly the held amount, or a reversal that is not the exact negation.</summary>
    AmountMismatch,
}

public static class LedgerResultExtensions
{
    /// <summary>True when the ledger now holds the entry (first time or retry).</summary>
    public static bool IsRecorded(this LedgerResult result) => result is LedgerResult.Created or LedgerResult.Exists;

    public static string Describe(this LedgerResult result) => result switch
    {
        LedgerResult.Created => "recorded",
        LedgerResult.Exists => "already recorded (retry)",
        LedgerResult.ExistsWithDifferentData => "idempotency key already used with different data",
        LedgerResult.PendingNotFound => "no such pending entry",
        LedgerResult.NotPending => "the entry is not pending",
        LedgerResult.AlreadyPosted => "the pending entry was already posted",
        LedgerResult.AlreadyVoided => "the pending entry was already voided",
        LedgerResult.TargetNotFound => "no such entry to reverse",
        LedgerResult.AlreadyReversed => "the entry was already reversed",
        LedgerResult.AmountMismatch => "amount does not match the entry it resolves",
        _ => result.ToString(),
    };
}
