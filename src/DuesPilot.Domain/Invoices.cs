namespace DuesPilot.Domain;

/// <summary>One line of an invoice: a product billed for a period.</summary>
public sealed record InvoiceLine(
    string ProductCode,
    string Description,
    Money Amount,
    int Quantity = 1,
    string? TaxCode = null,
    DateOnly? PeriodStart = null,
    DateOnly? PeriodEnd = null);

/// <summary>A dues invoice as DuesPilot caches it from iMIS.</summary>
/// <remarks>Balance = amount − applied payments − credits; an invoice is open while its balance is above zero.</remarks>
public sealed record Invoice(
    InvoiceId Id,
    MemberId MemberId,
    DateOnly InvoiceDate,
    DateOnly DueDate,
    Money Amount,
    Money Balance,
    string ProductCode,
    string Description,
    IReadOnlyList<InvoiceLine> Lines)
{
    public bool IsOpen => Balance.IsPositive;

    /// <summary>An invoice with one line carrying its whole amount (the shape of golden-dataset rows).</summary>
    public static Invoice SingleLine(InvoiceId id, MemberId memberId, DateOnly invoiceDate, DateOnly dueDate, Money amount, Money balance, string productCode, string description)
    {
        if (balance > amount) throw new ArgumentException($"Invoice {id}: balance {balance} exceeds amount {amount}.", nameof(balance));
        return new Invoice(id, memberId, invoiceDate, dueDate, amount, balance, productCode, description,
            [new InvoiceLine(productCode, description, amount)]);
    }
}
