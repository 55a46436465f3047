using DuesPilot.Domain;

namespace DuesPilot.Features.Posting;

/// <summary>
/// The GL accounts DuesPilot books to. Defaults follow a typical association chart; an integrator maps
/// them to the iMIS GL account codes in configuration (<c>Accounts:Cash</c> etc.).
/// </summary>
public sealed record ChartOfAccounts
{
    /// <summary>The bank account payments land in.</summary>
    public AccountCode Cash { get; init; } = new("1010-Operating-Cash");

    /// <summary>Money received but not (yet) applied to an invoice: review items sit here.</summary>
    public AccountCode UnappliedCash { get; init; } = new("2150-Unapplied-Cash");

    /// <summary>Dues receivable: open invoices.</summary>
    public AccountCode DuesReceivable { get; init; } = new("1200-Dues-Receivable");

    /// <summary>Overpayments kept as credit on the member's account.</summary>
    public AccountCode MemberCredit { get; init; } = new("2160-Member-Credit");

    /// <summary>Dues billed for future months (deferred revenue liability).</summary>
    public AccountCode DeferredDues { get; init; } = new("2400-Deferred-Dues");

    /// <summary>Dues revenue recognised.</summary>
    public AccountCode DuesRevenue { get; init; } = new("4100-Dues-Revenue");

    /// <summary>Refunds payable to members.</summary>
    public AccountCode RefundsPayable { get; init; } = new("2170-Refunds-Payable");

    /// <summary>Small differences written off (bank fees on short payments).</summary>
    public AccountCode WriteOffs { get; init; } = new("6150-Dues-Write-Offs");

    /// <summary>The suspense account for the hold window.</summary>
    public AccountCode Hold { get; init; } = AccountCode.Hold;
}
