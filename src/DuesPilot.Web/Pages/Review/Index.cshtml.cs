using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Review;

public sealed class IndexModel(Store store, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string State { get; set; } = "open";

    [BindProperty(SupportsGet = true)]
    public string? Kind { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? AssignedTo { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Search { get; set; }

    public IReadOnlyList<ReviewItemView> Items { get; private set; } = [];

    public DateTimeOffset Now { get; private set; }

    /// <summary>The members named on the listed items, by member id.</summary>
    public IReadOnlyDictionary<string, PersonView> People { get; private set; } = new Dictionary<string, PersonView>();

    /// <summary>The payments the listed items are about, by payment id.</summary>
    public IReadOnlyDictionary<string, PaymentSummary> Payments { get; private set; } = new Dictionary<string, PaymentSummary>();

    /// <summary>What a row is called: the payer for payments, the item's headline otherwise.</summary>
    public string Title(ReviewItemView item)
    {
        var payment = ReviewItemDetails.PaymentIdOf(item) is { } p ? Payments.GetValueOrDefault(p) : null;
        if (item.Kind == ReviewKinds.Payment) return payment?.PayerName ?? "Unnamed payer";
        return ReviewItemDetails.Headline(item, payment, item.MemberId is null ? null : People.GetValueOrDefault(item.MemberId), null);
    }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        Items = await ReviewQueue.ListAsync(store, new ReviewQueueFilter(
            string.IsNullOrEmpty(State) ? null : State,
            string.IsNullOrEmpty(Kind) ? null : Kind,
            string.IsNullOrWhiteSpace(AssignedTo) ? null : AssignedTo.Trim(),
            Search), ct);
        (People, Payments) = await store.InTransactionAsync(async (c, tx) => (
            await ReviewItemDetails.PeopleAsync(c, tx, Items.Select(i => i.MemberId)),
            await ReviewItemDetails.PaymentsAsync(c, tx, Items.Select(ReviewItemDetails.PaymentIdOf).OfType<string>())), ct);
    }
}
