namespace DuesPilot.Features.Intake;

/// <summary>
/// Intake settings, bound from the <c>Intake</c> configuration section (so also environment
/// variables such as <c>Intake__Stripe__WebhookSecret</c>). An endpoint whose secret is missing is off.
/// </summary>
public sealed class IntakeOptions
{
    public StripeIntakeOptions Stripe { get; set; } = new();
    public AuthorizeNetIntakeOptions AuthorizeNet { get; set; } = new();
    public ImisIntakeOptions Imis { get; set; } = new();
    public InboxWorkerOptions Worker { get; set; } = new();

    /// <summary>Largest webhook body accepted; larger ones get 413 before they are read.</summary>
    public int MaxWebhookBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Longest a webhook body may take to arrive; a sender that stalls mid-body gets 408 (recorded).</summary>
    public double BodyTimeoutSeconds { get; set; } = 10;
}

public sealed class StripeIntakeOptions
{
    /// <summary>The endpoint's signing secret (<c>whsec_…</c>).</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Further active secrets while one is being rolled: a delivery signed with any of them is accepted.</summary>
    public List<string> WebhookSecrets { get; set; } = [];

    /// <summary>Largest accepted difference between the signature's timestamp and our clock, both ways.</summary>
    public int ToleranceSeconds { get; set; } = 300;

    public IReadOnlyList<string> AllSecrets() =>
        [.. new[] { WebhookSecret }.Concat(WebhookSecrets).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim()).Distinct(StringComparer.Ordinal)];
}

public sealed class AuthorizeNetIntakeOptions
{
    /// <summary>The 128-character Signature Key, used as text (its ASCII bytes), not hex-decoded.</summary>
    public string? SignatureKey { get; set; }

    /// <summary>The API endpoint for getTransactionDetails (production or sandbox, or a local fake in tests).</summary>
    public string ApiUrl { get; set; } = "https://api.authorize.net/xml/v1/request.api";

    public string? ApiLoginId { get; set; }
    public string? TransactionKey { get; set; }

    public bool CanFetchDetails => !string.IsNullOrWhiteSpace(ApiLoginId) && !string.IsNullOrWhiteSpace(TransactionKey);
}

public sealed class ImisIntakeOptions
{
    /// <summary>Shared secret the iMIS (Event Grid) subscription sends in <c>X-DuesPilot-Secret</c> or the <c>code</c> query parameter.</summary>
    public string? SharedSecret { get; set; }
}

/// <summary>The inbox worker: how often it looks, how much it takes, and when it gives up on an item.</summary>
public sealed class InboxWorkerOptions
{
    public bool Enabled { get; set; } = true;
    public int PollMilliseconds { get; set; } = 1000;
    public int BatchSize { get; set; } = 50;
    public int LeaseSeconds { get; set; } = 300;

    /// <summary>Failed attempts after which an item is dead-lettered (kept, with its error, until retried).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First retry delay; doubled per attempt.</summary>
    public int RetryDelaySeconds { get; set; } = 30;
}
