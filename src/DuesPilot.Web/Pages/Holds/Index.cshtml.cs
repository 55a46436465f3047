using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Holds;

public sealed record HoldView(string PaymentId, string MemberId, string AppliedTo, Money Amount, DateTimeOffset ReleaseAt, string Reason, string? Payer = null, string? MemberName = null, string? Channel = null, DateTimeOffset? ReceivedAt = null);

public sealed class IndexModel(Store store, TimeProvider clock, PostingOptions options) : PageModel
{
    public IReadOnlyList<HoldView> Holds { get; private set; } = [];
    public string Total { get; private set; } = "";
    public DateTimeOffset Now { get; private set; }
    public bool CanOverride { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        CanOverride = User.ToActor().CanResolve;
        Holds = await store.InTransactionAsync<IReadOnlyList<HoldView>>(async (c, tx) =>
        {
            var rows = await c.QueryAsync<(string Payment, string Member, string? Invoice, string Currency, long Amount, string Release, string Memo)>(
                """
                SELECT a.payment_id, a.member_id, a.invoice_id, a.currency, a.amount_minor, e.release_at, e.memo
                FROM allocations a JOIN journal_entries e ON e.entry_id = a.entry_id
                WHERE a.mode = 'hold' AND a.voided_by IS NULL AND e.kind = 'Pending'
                  AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.resolves_entry_id = e.entry_id)
                ORDER BY e.release_at, a.payment_id
                LIMIT 2000
                """, transaction: tx);
            var list = rows.ToList();
            var payments = await ReviewItemDetails.PaymentsAsync(c, tx, list.Select(r => r.Payment));
            var people = await ReviewItemDetails.PeopleAsync(c, tx, list.Select(r => r.Member));
            return list.GroupBy(r => r.Payment).Select(g =>
            {
                var p = payments.GetValueOrDefault(g.Key);
                return new HoldView(g.Key, g.First().Member,
                    string.Join(", ", g.Select(r => r.Invoice is null ? "on account" : "INV " + r.Invoice)),
                    Money.FromMinor(g.Sum(r => r.Amount), Currency.Parse(g.First().Currency)), DbTime.ParseInstant(g.First().Release), g.First().Memo,
                    p?.PayerName, people.GetValueOrDefault(g.First().Member)?.Name, p?.Channel, p?.ReceivedAt);
            }).ToList();
        }, ct);
        Total = Holds.Count == 0 ? "$0.00" : Money.Sum(Holds.Select(h => h.Amount), Holds[0].Amount.Currency).ToDisplayString();
    }

    public async Task<IActionResult> OnPostOverrideAsync(string paymentId, string reason, CancellationToken ct)
    {
        var actor = User.ToActor();
        if (!actor.CanResolve) return Forbid();
        var outcome = await store.InTransactionAsync((c, tx) => OverrideHold.HandleAsync(c, tx, clock, options, new PaymentId(paymentId), actor.UserName, string.IsNullOrWhiteSpace(reason) ? "override" : reason.Trim()), ct);
        TempData["Flash"] = outcome.Result == OverrideHold.Result.Voided ? $"Overridden: {outcome.Detail}; the payment is in the review queue." : $"Not overridden: {outcome.Detail}";
        TempData["FlashKind"] = outcome.Result == OverrideHold.Result.Voided ? "" : "error";
        return outcome.ReviewItemId is { } item ? Redirect($"/Review/Item/{item}") : RedirectToPage();
    }
}
