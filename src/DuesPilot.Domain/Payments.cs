namespace DuesPilot.Domain;

/// <summary>How the money came in. Each channel says different things about the payer.</summary>
public enum PaymentChannel
{
    Card,
    Ach,
    Check,
    Wire,
}

/// <summary>A payment received, before or after matching.</summary>
/// <param name="Reference">The channel's own reference: check number, ACH trace, gateway id, end-to-end id. Not what the payer wrote.</param>
/// <param name="Memo">What the payer wrote (memo line, remittance text, description); may be blank.</param>
public sealed record Payment(
    PaymentId Id,
    PaymentChannel Channel,
    Money Amount,
    DateTimeOffset ReceivedAt,
    string? PayerName,
    string? PayerEmail,
    string? Reference,
    string? Memo)
{
    public static PaymentChannel ParseChannel(string method) => method.Trim().ToUpperInvariant() switch
    {
        "CARD" or "CREDIT" or "CREDITCARD" => PaymentChannel.Card,
        "ACH" => PaymentChannel.Ach,
        "CHECK" or "CHEQUE" => PaymentChannel.Check,
        "WIRE" => PaymentChannel.Wire,
        _ => throw new FormatException($"Unknown payment method '{method}' (expected card, ach, check or wire)."),
    };

    public static string ChannelCode(PaymentChannel channel) => channel switch
    {
        PaymentChannel.Card => "card",
        PaymentChannel.Ach => "ach",
        PaymentChannel.Check => "check",
        PaymentChannel.Wire => "wire",
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };
}

/// <summary>Part of a payment given to one member and one invoice; no invoice means credit on the member's account.</summary>
public sealed record Allocation(PaymentId PaymentId, MemberId MemberId, InvoiceId? InvoiceId, Money Amount)
{
    public bool IsCreditOnAccount => InvoiceId is null;

    /// <summary>Checks that a payment's allocations are positive, of its currency and sum to its amount exactly.</summary>
    public static void RequireCovers(Payment payment, IReadOnlyCollection<Allocation> allocations)
    {
        if (allocations.Count == 0) throw new ArgumentException($"Payment {payment.Id} has no allocations.", nameof(allocations));
        if (allocations.Any(a => a.PaymentId != payment.Id)) throw new ArgumentException("An allocation belongs to another payment.", nameof(allocations));
        if (allocations.Any(a => !a.Amount.IsPositive)) throw new ArgumentException("Allocations must be positive.", nameof(allocations));
        var total = Money.Sum(allocations.Select(a => a.Amount), payment.Amount.Currency);
        if (total != payment.Amount)
            throw new ArgumentException($"Allocations of payment {payment.Id} sum to {total}, not {payment.Amount}.", nameof(allocations));
    }
}
