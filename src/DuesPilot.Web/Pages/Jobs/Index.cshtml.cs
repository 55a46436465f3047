using DuesPilot.Features.ImisSync;
using DuesPilot.Features.Jobs;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Jobs;

public sealed class IndexModel(JobRuns runs, Store store, TimeProvider clock) : PageModel
{
    public IReadOnlyList<JobRunView> Runs { get; private set; } = [];

    /// <summary>The iMIS outbox backlog by kind: what <c>imis-writes</c> still has to send.</summary>
    public IReadOnlyList<SendImisWrites.BacklogRow> Backlog { get; private set; } = [];

    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        Runs = await runs.RecentAsync(200, ct);
        Backlog = await SendImisWrites.BacklogAsync(store, ct);
    }
}
