using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Features.BillingSetup;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.BillingSetup;

/// <summary>Staff see the suggested default billing package for a new member and accept or change it; the decision is audited.</summary>
public sealed class IndexModel(Store store, TimeProvider clock) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? MemberId { get; set; }
    [BindProperty(SupportsGet = true)] public bool Organization { get; set; }
    [BindProperty(SupportsGet = true)] public string? Tier { get; set; }
    [BindProperty(SupportsGet = true)] public bool Student { get; set; }
    [BindProperty(SupportsGet = true)] public bool Retired { get; set; }
    [BindProperty(SupportsGet = true)] public string? Employer { get; set; }
    [BindProperty(SupportsGet = true)] public string? Household { get; set; }
    [BindProperty(SupportsGet = true)] public string? Email { get; set; }

    public BillingPackageSuggestion? Suggestion { get; private set; }
    public bool CanDecide { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        CanDecide = User.ToActor().CanResolve;
        if (string.IsNullOrWhiteSpace(MemberId)) return;
        var domain = Email is { } e && e.Contains('@', StringComparison.Ordinal) ? e[(e.IndexOf('@', StringComparison.Ordinal) + 1)..] : null;
        Suggestion = await SuggestBillingPackage.HandleAsync(store, clock, new NewMemberProfile(new MemberId(MemberId.Trim()),
            Organization ? PartyKind.Organization : PartyKind.Person, string.IsNullOrWhiteSpace(Tier) ? null : Tier.Trim(), Student, Retired,
            string.IsNullOrWhiteSpace(Employer) ? null : new MemberId(Employer.Trim()), string.IsNullOrWhiteSpace(Household) ? null : Household.Trim(), domain), ct);
    }

    public async Task<IActionResult> OnPostAsync(string memberId, string suggested, string tier, string? chapter, BillingCycle cycle, CancellationToken ct)
    {
        var actor = User.ToActor();
        if (!actor.CanResolve) return Forbid();
        var chosen = $"{tier}|{chapter}|{cycle}";
        await new AuditTrail(store, clock).AppendAsync(new AuditEvent(actor.UserName, chosen == suggested ? "billing-setup.accepted" : "billing-setup.changed",
            $"member:{memberId}", $"billing package {tier}, chapter {(string.IsNullOrWhiteSpace(chapter) ? "none" : chapter)}, {cycle}", memberId,
            Before: suggested, After: chosen), ct);
        TempData["Flash"] = chosen == suggested ? "Suggested package accepted." : "Package changed and recorded.";
        return RedirectToPage(new { MemberId = memberId });
    }
}
