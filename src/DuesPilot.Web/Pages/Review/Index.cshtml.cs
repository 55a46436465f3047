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

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        Items = await ReviewQueue.ListAsync(store, new ReviewQueueFilter(
            string.IsNullOrEmpty(State) ? null : State,
            string.IsNullOrEmpty(Kind) ? null : Kind,
            string.IsNullOrWhiteSpace(AssignedTo) ? null : AssignedTo.Trim(),
            Search), ct);
    }
}
