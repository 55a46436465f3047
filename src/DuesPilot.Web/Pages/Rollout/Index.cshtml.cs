using DuesPilot.Features.Review;
using DuesPilot.Features.Rollout;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Rollout;

public sealed class IndexModel(Store store, TimeProvider clock, RolloutPhases phases) : PageModel
{
    public IReadOnlyList<SegmentPhaseView> Segments { get; private set; } = [];
    public IReadOnlyList<SegmentMeasure> Measures { get; private set; } = [];
    public bool CanChange { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        CanChange = User.IsInRole(StaffRoles.Administrator);
        Segments = await phases.ListAsync(ct);
        Measures = await SegmentMetrics.MeasureAsync(store, clock.GetUtcNow().AddDays(-30), ct);
    }

    public async Task<IActionResult> OnPostAsync(string channel, string segment, string phase, string reason, CancellationToken ct)
    {
        if (!User.IsInRole(StaffRoles.Administrator)) return Forbid();
        if (!Enum.TryParse<RolloutPhase>(phase, ignoreCase: true, out var parsed) || string.IsNullOrWhiteSpace(reason))
        {
            TempData["Flash"] = "Choose a phase and give a reason.";
            TempData["FlashKind"] = "error";
            return RedirectToPage();
        }

        await phases.SetAsync(channel, segment, parsed, User.Identity?.Name ?? "unknown", reason.Trim(), ct);
        TempData["Flash"] = $"{channel} × {segment} is now {parsed.ToString().ToLowerInvariant()}.";
        return RedirectToPage();
    }
}
