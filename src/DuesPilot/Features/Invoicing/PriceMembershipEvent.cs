using DuesPilot.Domain.Proration;
using DuesPilot.Features.Posting;

namespace DuesPilot.Features.Invoicing;

/// <summary>
/// Prices a membership event (join, upgrade, downgrade, cancel, reinstate, extend) under an
/// association's billing policy, with entries booked to the application's chart of accounts.
/// </summary>
public static class PriceMembershipEvent
{
    /// <summary>The chart of accounts' codes for the roles proration entries use.</summary>
    public static ProrationAccounts AccountsFrom(ChartOfAccounts chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        return new ProrationAccounts(chart.DuesReceivable, chart.DeferredDues, chart.DuesRevenue, chart.RefundsPayable, chart.MemberCredit);
    }

    public static ProrationOutcome Handle(BillingPolicy policy, ProrationRequest request, ChartOfAccounts chart, TimeProvider clock) =>
        Prorate.Compute(policy, request, AccountsFrom(chart), clock);
}
