using DuesPilot.Features.Audit;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Audit;

public sealed class IndexModel(Store store, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Subject { get; set; }

    public IReadOnlyList<AuditRecord> Rows { get; private set; } = [];
    public AuditVerification Verification { get; private set; } = new(0, null, null);

    public async Task OnGetAsync(CancellationToken ct)
    {
        var trail = new AuditTrail(store, clock);
        Rows = await trail.ListAsync(string.IsNullOrWhiteSpace(Subject) ? null : Subject.Trim(), 300, ct);
        Verification = await trail.VerifyAsync(ct);
    }
}
