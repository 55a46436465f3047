using Dapper;
using DuesPilot.Features.Intake;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Inbox;

public sealed record ExceptionLine(string At, string Text);

/// <summary>Everything that needs an operator: dead letters (with retry), payload alerts, rejected requests, unsent iMIS writes.</summary>
public sealed class IndexModel(Store store, TimeProvider clock, InboxWorkerOptions worker) : PageModel
{
    public IReadOnlyList<InboxSummary> Dead { get; private set; } = [];
    public IReadOnlyList<ExceptionLine> Alerts { get; private set; } = [];
    public IReadOnlyList<ExceptionLine> Rejections { get; private set; } = [];
    public IReadOnlyList<ExceptionLine> Outbox { get; private set; } = [];
    public bool CanRetry { get; private set; }
    public int MaxAttempts => worker.MaxAttempts;

    public async Task OnGetAsync(CancellationToken ct)
    {
        CanRetry = User.ToActor().CanResolve;
        Dead = await ListInbox.RunAsync(store, "dead", 500, ct);
        await using var c = await store.OpenConnectionAsync(ct);
        Alerts = await LinesAsync(c, "SELECT * FROM inbox_alerts ORDER BY 1 DESC LIMIT 100");
        Rejections = await LinesAsync(c, "SELECT * FROM inbox_rejections ORDER BY 1 DESC LIMIT 100");
        Outbox = (await c.QueryAsync<(string Created, string Kind, string Key, string State, long Attempts, string? Error)>(
            "SELECT created_at, kind, idempotency_key, state, attempts, last_error FROM imis_outbox WHERE state <> 'done' ORDER BY created_at LIMIT 200"))
            .Select(o => new ExceptionLine(o.Created, $"{o.Kind} {o.Key}: {o.State}, {o.Attempts} attempt(s){(o.Error is null ? "" : " — " + o.Error)}")).ToList();
    }

    public async Task<IActionResult> OnPostAsync(string itemId, CancellationToken ct)
    {
        var actor = User.ToActor();
        if (!actor.CanResolve) return Forbid();
        var outcome = await RetryInboxItem.RunAsync(store, clock, itemId, actor.UserName, ct);
        TempData["Flash"] = $"{itemId}: {outcome}";
        return RedirectToPage();
    }

    /// <summary>Any table's rows as text (the alert and rejection tables are for reading, not for logic).</summary>
    private static async Task<IReadOnlyList<ExceptionLine>> LinesAsync(System.Data.Common.DbConnection c, string sql)
    {
        var rows = await c.QueryAsync(sql);
        return rows.Cast<IDictionary<string, object?>>()
            .Select(r => new ExceptionLine(r.Values.OfType<string>().FirstOrDefault(v => v.Length >= 19 && v[4] == '-' && v[10] == 'T') ?? "",
                string.Join(" · ", r.Where(kv => kv.Value is not null and not byte[]).Select(kv => $"{kv.Key}: {kv.Value}"))))
            .ToList();
    }
}
