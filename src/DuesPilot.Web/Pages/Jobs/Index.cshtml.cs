using DuesPilot.Features.Jobs;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Jobs;

public sealed class IndexModel(JobRuns runs) : PageModel
{
    public IReadOnlyList<JobRunView> Runs { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Runs = await runs.RecentAsync(200, ct);
}
