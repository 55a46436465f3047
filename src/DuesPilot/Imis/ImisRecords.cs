using DuesPilot.Domain;

namespace DuesPilot.Imis;

/// <summary>An invoice read from <c>/api/Invoice</c>: the domain invoice plus the iMIS facts DuesPilot needs around it.</summary>
/// <param name="BillTo">Who is billed: the member, or their employer/organization paying for them.</param>
/// <param name="UpdatedOn">iMIS's UpdateInformation.UpdatedOn as the server wrote it (site-local, unzoned); the polling high-water mark.</param>
public sealed record ImisInvoice(Invoice Invoice, MemberId BillTo, string? InvoiceNumber, string? SourceSystem, string? Purpose, DateTime? UpdatedOn)
{
    /// <summary>Lines whose price staff set by hand (0-based line index, the reason given, possibly blank).</summary>
    public IReadOnlyList<ImisPriceOverride> PriceOverrides { get; init; } = [];
}

/// <summary>A line priced by hand: <c>IsUnitPriceOverridden</c> with <c>PriceOverrideReason</c> on the invoice line (sandbox shape; iMIS's is unconfirmed).</summary>
public sealed record ImisPriceOverride(int LineIndex, string Reason);

/// <summary>A header from <c>/api/InvoiceSummary</c> (no lines).</summary>
public sealed record ImisInvoiceSummary(
    InvoiceId Id,
    MemberId SoldTo,
    string? SoldToName,
    MemberId BillTo,
    string? Description,
    DateOnly? InvoiceDate,
    DateOnly? DueDate,
    Money? Amount,
    Money Balance,
    string? SourceSystem,
    DateTime? UpdatedOn);

/// <summary>A member read from Party, with the timestamp used for change polling.</summary>
public sealed record ImisMember(Member Member, DateTime? UpdatedOn);

/// <summary>A product (<c>/api/Item</c>) and its price history (<c>/api/ItemPrice</c>).</summary>
public sealed record ImisItem(string ItemId, string ItemCode, string Name, string? ItemClassId, string? MemberType, PriceSchedule Prices);

/// <summary>A subscription (<c>/api/Subscription</c>, id <c>~PartyId|ItemId</c>): what is billed and how far it is paid.</summary>
public sealed record ImisSubscription(MemberId PartyId, string ItemId, bool IsActive, DateOnly? PaidThrough, Money? BilledAmount, Money? Balance, InvoiceId? InvoiceId, MemberId? BillTo);

/// <summary>A receipt line (<c>ReceiptLineData</c>): how much of which payment went to which invoice.</summary>
public sealed record ImisReceiptLine(InvoiceId InvoiceId, Money Amount, string? PaymentId);

/// <summary>
/// The acknowledgement iMIS issues for money received (<c>/api/Receipt</c>, <c>ReceiptData</c>): number, status, who it was
/// issued to and its lines. It does not carry the remittance's reference; the payment does (<see cref="ImisPayment"/>).
/// </summary>
public sealed record ImisReceipt(string ReceiptId, string? ReceiptNumber, string? Status, MemberId? IssuedTo, IReadOnlyList<ImisReceiptLine> Lines);

/// <summary>
/// A payment as iMIS keeps it (<c>/api/Payment</c>): the remittance DuesPilot sent in the ComboOrder, with the
/// <c>ReferenceNumber</c> that finds it again. Payor and amount may be missing on a site whose payment shape differs.
/// </summary>
public sealed record ImisPayment(string PaymentId, string? ReferenceNumber, MemberId? Payor, Money? Amount, string? PaymentMethodId);

/// <summary>A note on the member record (<c>/api/PartyNote</c>).</summary>
public sealed record ImisPartyNote(string? PartyNoteId, MemberId PartyId, string? Purpose, string Text);

/// <summary>A row of a multi-instance contact panel (custom business object), keyed by party and ordinal.</summary>
public sealed record ImisPanelRow(string Entity, MemberId PartyId, int Ordinal, IReadOnlyDictionary<string, object?> Properties);

/// <summary>One invoice a payment goes to and the amount applied to it.</summary>
public sealed record ImisInvoicePayment(InvoiceId InvoiceId, Money Amount);

/// <summary>
/// A payment to apply in iMIS to existing invoices through ComboOrder.
/// </summary>
/// <param name="ReferenceNumber">DuesPilot's idempotency key for the payment, sent as the remittance's ReferenceNumber and used to find the payment again (<c>/api/Payment</c>) when a write's answer was lost. Must be unique per payment.</param>
public sealed record ImisPaymentRequest(string ReferenceNumber, MemberId Payor, ImisPaymentMethod Method, IReadOnlyList<ImisInvoicePayment> Invoices)
{
    public Money Total => Money.Sum(Invoices.Select(i => i.Amount), Invoices[0].Amount.Currency);
}

/// <summary>What happened to a payment write.</summary>
public enum ImisPaymentStatus
{
    /// <summary>This call applied the payment.</summary>
    Applied,
    /// <summary>A payment with this reference (and the same payor and amount) already existed: applied earlier (or by an attempt whose answer was lost).</summary>
    AlreadyApplied,
    /// <summary>A payment with this reference exists with a different payor or amount: someone else's payment, or ours changed. Needs a human.</summary>
    Conflict,
    /// <summary>iMIS refused the order (a 4xx, or <c>_validate</c> answering <c>IsValid: false</c>); nothing was applied.</summary>
    Rejected,
    /// <summary>iMIS could not be reached reliably; nothing was applied (checked by reading back). Retry later.</summary>
    Unavailable,
}

/// <summary>The outcome of <see cref="IImisClient.ApplyPaymentAsync"/>.</summary>
/// <param name="Attempts">ComboOrder POSTs sent.</param>
public sealed record ImisPaymentOutcome(ImisPaymentStatus Status, ImisPayment? Payment, ImisFailure? Failure, int Attempts)
{
    public bool IsRetryable => Status == ImisPaymentStatus.Unavailable;
}

/// <summary>A row for the <c>AI_Review_Queue</c> panel: a payment, invoice or adjustment that needs a human.</summary>
public sealed record ImisReviewItem(
    MemberId PartyId,
    InvoiceId? InvoiceId,
    Money? ProposedAmount,
    bool NeedsHumanReview,
    string Notes,
    string? PaymentReference,
    string? SuggestedAction,
    decimal? Confidence,
    DateTimeOffset CreatedAt);

/// <summary>A row for the <c>AI_Audit_Log</c> panel: DuesPilot acting on this member's account.</summary>
public sealed record ImisAuditEntry(
    MemberId PartyId,
    DateTimeOffset EventTime,
    string Actor,
    string Action,
    string Subject,
    string Outcome,
    string? RuleVersion,
    string? Inputs);

/// <summary>Which invoices to read.</summary>
/// <param name="DuesOnly">Only invoices whose SourceSystem is the configured dues source.</param>
/// <param name="UpdatedSince">Only invoices changed at or after this site-local timestamp; needs <paramref name="ChangeFilter"/>.</param>
/// <param name="ChangeFilter">The filter property that selects invoices by last change, as the probe confirmed it on the site
/// (e.g. <c>UpdateInformation.UpdatedOn</c>); <c>InvoiceSummaryData</c> has no top-level <c>UpdatedOn</c>.</param>
public sealed record InvoiceQuery(MemberId? SoldTo = null, bool OpenOnly = false, bool DuesOnly = true, DateTime? UpdatedSince = null, bool OrderByUpdatedOn = false, string? ChangeFilter = null);

/// <summary>A page of a PagedResult.</summary>
public sealed record ImisPage<T>(IReadOnlyList<T> Items, int Offset, int TotalCount, bool HasNext, int NextOffset);
