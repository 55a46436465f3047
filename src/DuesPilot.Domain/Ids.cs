namespace DuesPilot.Domain;

/// <summary>An iMIS party id (person or organization), e.g. "23179". Opaque: never parsed as a number.</summary>
public readonly record struct MemberId
{
    public MemberId(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Value = value.Trim();
    }

    public string Value { get; }
    public override string ToString() => Value;
}

/// <summary>An iMIS invoice id, e.g. "CASH:23373:20220615-1" or "10938". Opaque; not the same as an invoice number.</summary>
public readonly record struct InvoiceId
{
    public InvoiceId(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Value = value.Trim();
    }

    public string Value { get; }
    public override string ToString() => Value;
}

/// <summary>The id of a received payment, unique within its channel (gateway id, bank reference, file line).</summary>
public readonly record struct PaymentId
{
    public PaymentId(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Value = value.Trim();
    }

    public string Value { get; }
    public override string ToString() => Value;
}

/// <summary>The id of one of our own ledger entries; chosen by the client (UUIDv7) before saving, so it doubles as an idempotency key.</summary>
public readonly record struct EntryId(Guid Value)
{
    public static EntryId New(TimeProvider clock) => new(Guid.CreateVersion7(clock.GetUtcNow()));
    public static EntryId Parse(string text) => new(Guid.Parse(text));
    public override string ToString() => Value.ToString("D");
}

/// <summary>A general-ledger account code as the association's chart of accounts names it.</summary>
public readonly record struct AccountCode
{
    public AccountCode(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Value = value.Trim();
    }

    public string Value { get; }

    /// <summary>The suspense account where auto-applied payments wait out the hold window.</summary>
    public static AccountCode Hold { get; } = new("GL_AI_Hold");

    public override string ToString() => Value;
}
