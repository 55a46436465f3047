using System.ComponentModel.DataAnnotations;

namespace DuesPilot.Imis;

/// <summary>
/// How DuesPilot reaches iMIS; bound from the configuration section <c>Imis</c>. The properties under
/// "Assumptions" are the points imis-api.md marks UNCONFIRMED: each has the default that matches the
/// bundled sandbox and is documented in docs/imis.md so an integrator can match their site.
/// </summary>
public sealed class ImisOptions
{
    public const string SectionName = "Imis";

    /// <summary>The site root including any virtual directory, e.g. <c>https://example.imiscloud.com/Asi.Scheduler_Site</c>. The token is at <c>{BaseUrl}/token</c>, the API at <c>{BaseUrl}/api</c>.</summary>
    [Required]
    public string BaseUrl { get; set; } = "";

    /// <summary>The iMIS staff service user (password grant; iMIS documents no client-credentials grant).</summary>
    [Required]
    public string Username { get; set; } = "";

    [Required]
    public string Password { get; set; } = "";

    /// <summary>Rows per page; iMIS's default is 100 and its maximum is unconfirmed, so at most 100.</summary>
    [Range(1, 100)]
    public int PageSize { get; set; } = 100;

    /// <summary>Requests in flight at once. iMIS documents no rate limit; integrators self-throttle.</summary>
    [Range(1, 64)]
    public int MaxConcurrency { get; set; } = 5;

    /// <summary>Time one HTTP attempt may take before it counts as timed out.</summary>
    [Range(1, 600)]
    public int AttemptTimeoutSeconds { get; set; } = 30;

    /// <summary>Retries after the first attempt for reads and other safe requests (5xx, 429, timeouts, dropped connections).</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 4;

    /// <summary>Base delay of the exponential, jittered backoff.</summary>
    [Range(0, 60000)]
    public int RetryBaseDelayMs { get; set; } = 200;

    /// <summary>Attempts of a payment write (ComboOrder) in total; between two, the client reads back whether the previous one landed.</summary>
    [Range(1, 20)]
    public int MaxWriteAttempts { get; set; } = 6;

    /// <summary>Wait before reading back a write whose answer was lost, so a write still being processed by the server can land first.</summary>
    [Range(0, 600000)]
    public int WriteReadbackDelayMs { get; set; } = 250;

    /// <summary>Renew the token this long before iMIS says it expires.</summary>
    [Range(0, 86400)]
    public int TokenRenewalMarginSeconds { get; set; } = 300;

    // ---- Assumptions (UNCONFIRMED in imis-api.md) ----

    /// <summary><c>SourceSystem</c> value of dues invoices (seen as "DUES" in community code).</summary>
    public string DuesSourceSystem { get; set; } = "DUES";

    /// <summary>Party AdditionalAttributes holding the member type (confirmed: CustomerTypeCode).</summary>
    public string MemberTypeAttribute { get; set; } = "CustomerTypeCode";

    /// <summary>Party AdditionalAttributes holding the join date (confirmed: JoinDate).</summary>
    public string JoinDateAttribute { get; set; } = "JoinDate";

    /// <summary>Party attribute with the paid-through date (unconfirmed name; empty to ignore and read it from subscriptions).</summary>
    public string PaidThroughAttribute { get; set; } = "PaidThrough";

    /// <summary>Party attribute with the household (family account) id (site-specific; empty to ignore).</summary>
    public string HouseholdAttribute { get; set; } = "HouseholdId";

    /// <summary>Party attribute with the chapter code (site-specific; empty to ignore).</summary>
    public string ChapterAttribute { get; set; } = "Chapter";

    /// <summary>Property filtered for member change polling on Party. Invoices are not polled this way: their change filter, if any, is what <c>imis probe</c> confirmed.</summary>
    public string UpdatedOnProperty { get; set; } = "UpdatedOn";

    /// <summary>Entity read to find a payment whose write answer was lost (the payment side carries the remittance reference; receipts do not).</summary>
    public string PaymentEntity { get; set; } = "Payment";

    /// <summary>Property of <see cref="PaymentEntity"/> holding the remittance's <c>ReferenceNumber</c>, filtered by it (unconfirmed; settled by <c>imis probe</c>).</summary>
    public string PaymentReferenceProperty { get; set; } = "ReferenceNumber";

    /// <summary>Entity name of the review-queue panel (Panel Designer source name).</summary>
    public string ReviewQueueEntity { get; set; } = "AI_Review_Queue";

    /// <summary>Entity name of the audit-log panel.</summary>
    public string AuditLogEntity { get; set; } = "AI_Audit_Log";

    /// <summary>Panel key properties: <c>ID</c>/<c>Ordinal</c> for version-3 panels, <c>PartyId</c>/<c>SEQN</c> for legacy UD tables.</summary>
    public string PanelPartyKeyProperty { get; set; } = "ID";

    public string PanelOrdinalProperty { get; set; } = "Ordinal";

    /// <summary>Whether iMIS assigns the next ordinal on POST (unconfirmed). When false, the client reads the party's highest ordinal and sends the next one.</summary>
    public bool ServerAssignsPanelOrdinal { get; set; } = true;

    /// <summary>Payment methods by DuesPilot channel name (card, ach, check, wire): the iMIS PaymentMethodId, its name and PaymentType.</summary>
    public Dictionary<string, ImisPaymentMethod> PaymentMethods { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["card"] = new ImisPaymentMethod("VISA", "Visa", "CreditCard"),
        ["ach"] = new ImisPaymentMethod("ACH", "ACH Transfer", "Cash"),
        ["check"] = new ImisPaymentMethod("CHECK", "Check", "Check"),
        ["wire"] = new ImisPaymentMethod("WIRE", "Wire Transfer", "Cash"),
        ["cash"] = new ImisPaymentMethod("CASH", "Main Checking Account", "Cash"),
    };

    public Uri SiteUri => new(BaseUrl.TrimEnd('/') + "/");

    /// <summary>Checks the options at start, so a bad value fails with a clear message instead of on the first call.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
            throw new InvalidOperationException("Imis options: " + string.Join("; ", results.Select(r => r.ErrorMessage)));
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new InvalidOperationException($"Imis options: BaseUrl '{BaseUrl}' is not an http(s) URL.");
    }
}

/// <summary>An iMIS payment method (<c>PaymentMethodData</c>): id, display name and PaymentType (Cash, Check, CreditCard).</summary>
public sealed record ImisPaymentMethod(string PaymentMethodId, string Name, string PaymentType);
