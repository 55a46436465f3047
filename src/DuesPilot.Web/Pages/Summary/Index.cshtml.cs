using DuesPilot.Domain;
using DuesPilot.Features.Reports;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Summary;

public sealed class IndexModel(Store store, TimeProvider clock, Domain.Proration.BillingPolicy policy) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public DateOnly? Date { get; set; }

    public DailySummaryReport Report { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken ct) => Report = await BuildAsync(ct);

    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        var report = await BuildAsync(ct);
        return File(System.Text.Encoding.UTF8.GetBytes(DailySummary.ToCsv(report)), "text/csv", $"daily-summary-{report.Date:yyyy-MM-dd}.csv");
    }

    public async Task<IActionResult> OnGetHtmlAsync(CancellationToken ct) =>
        Content(DailySummary.ToHtml(await BuildAsync(ct)), "text/html");

    private Task<DailySummaryReport> BuildAsync(CancellationToken ct) =>
        DailySummary.BuildAsync(store, clock, Date ?? Domain.BusinessClock.Of(clock).Today, policy.Currency, ct);
}
