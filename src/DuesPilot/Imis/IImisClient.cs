using DuesPilot.Domain;

namespace DuesPilot.Imis;

/// <summary>
/// What DuesPilot reads from and writes to iMIS. Reads that fail after retries throw
/// <see cref="ImisRequestException"/> carrying a typed <see cref="ImisFailure"/>; the payment write returns an
/// <see cref="ImisPaymentOutcome"/>, because "rejected", "already applied" and "unreachable" are all expected.
/// </summary>
public interface IImisClient
{
    Task<Member?> GetMemberAsync(MemberId id, CancellationToken ct = default);

    /// <summary>Every party (persons and organizations), paged; optionally only those updated at or after a site-local timestamp.</summary>
    IAsyncEnumerable<ImisMember> ListMembersAsync(DateTime? updatedSince = null, CancellationToken ct = default);

    Task<ImisPage<ImisMember>> ReadMembersPageAsync(DateTime? updatedSince, int offset, CancellationToken ct = default);

    Task<ImisInvoice?> GetInvoiceAsync(InvoiceId id, CancellationToken ct = default);

    /// <summary>Invoices with their lines (<c>/api/Invoice</c>), paged until iMIS says there is no next page.</summary>
    IAsyncEnumerable<ImisInvoice> ListInvoicesAsync(InvoiceQuery query, CancellationToken ct = default);

    Task<ImisPage<ImisInvoice>> ReadInvoicesPageAsync(InvoiceQuery query, int offset, CancellationToken ct = default);

    /// <summary>Invoice headers (<c>/api/InvoiceSummary</c>), e.g. open dues invoices of one member.</summary>
    IAsyncEnumerable<ImisInvoiceSummary> ListInvoiceSummariesAsync(InvoiceQuery query, CancellationToken ct = default);

    /// <summary>Products of an item class (dues by default) with their price schedules.</summary>
    Task<IReadOnlyList<ImisItem>> ListItemsAsync(string itemClassId = "DUES", CancellationToken ct = default);

    Task<IReadOnlyList<ImisSubscription>> ListSubscriptionsAsync(MemberId party, CancellationToken ct = default);

    Task<ImisSubscription?> GetSubscriptionAsync(MemberId party, string itemId, CancellationToken ct = default);

    /// <summary>Receipts (<c>ReceiptData</c>), optionally only those issued to one party.</summary>
    IAsyncEnumerable<ImisReceipt> ListReceiptsAsync(MemberId? issuedTo = null, CancellationToken ct = default);

    /// <summary>Payments carrying a remittance reference (<c>/api/Payment?ReferenceNumber=…</c>); only exact matches are returned.</summary>
    Task<IReadOnlyList<ImisPayment>> FindPaymentsAsync(string referenceNumber, CancellationToken ct = default);

    /// <summary>Applies a payment to existing invoices through ComboOrder (<c>_validate</c>, then POST), never twice: an unanswered attempt is read back before any retry.</summary>
    Task<ImisPaymentOutcome> ApplyPaymentAsync(ImisPaymentRequest request, CancellationToken ct = default);

    /// <summary>Brings a billed invoice to the expected amount through the subscription that bills it (<c>PUT /api/Subscription</c>, <c>BilledAmount</c> + <c>AdjustmentReason</c>); reads first, so never twice.</summary>
    Task<ImisInvoiceChangeOutcome> CorrectInvoiceAsync(ImisInvoiceCorrection request, CancellationToken ct = default);

    /// <summary>Voids what an invoice still owes: <c>POST /api/Invoice/_execute</c> <c>CanInvoiceBeReversed</c> then <c>ProcessAccrualReversal</c> (numeric ids), or its subscription's <c>BilledAmount</c> (cash invoices).</summary>
    Task<ImisInvoiceChangeOutcome> VoidInvoiceAsync(ImisInvoiceVoid request, bool earlierAttemptMayHaveLanded = false, CancellationToken ct = default);

    Task<ImisPartyNote> AddPartyNoteAsync(MemberId party, string purpose, string text, CancellationToken ct = default);

    Task<IReadOnlyList<ImisPartyNote>> ListPartyNotesAsync(MemberId party, CancellationToken ct = default);

    /// <summary>Adds a row to a multi-instance contact panel (GenericEntityData with the Party as primary parent).</summary>
    Task<ImisPanelRow> AddPanelRowAsync(string entity, MemberId party, IReadOnlyList<KeyValuePair<string, object?>> properties, CancellationToken ct = default);

    Task<ImisPanelRow> UpdatePanelRowAsync(string entity, MemberId party, int ordinal, IReadOnlyList<KeyValuePair<string, object?>> properties, CancellationToken ct = default);

    Task<ImisPanelRow?> GetPanelRowAsync(string entity, MemberId party, int ordinal, CancellationToken ct = default);

    IAsyncEnumerable<ImisPanelRow> ListPanelRowsAsync(string entity, MemberId? party = null, CancellationToken ct = default);

    Task<bool> DeletePanelRowAsync(string entity, MemberId party, int ordinal, CancellationToken ct = default);

    Task<ImisPanelRow> AddReviewItemAsync(ImisReviewItem item, CancellationToken ct = default);

    Task<ImisPanelRow> AddAuditEntryAsync(ImisAuditEntry entry, CancellationToken ct = default);

    /// <summary>TotalCount of a filtered list; null when the entity does not exist on the site (404), e.g. a panel nobody created.</summary>
    Task<int?> CountAsync(string entity, IReadOnlyList<KeyValuePair<string, string>>? filters = null, CancellationToken ct = default);
}
