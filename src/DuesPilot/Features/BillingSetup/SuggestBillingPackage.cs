using System.Globalization;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.BillingSetup;

public enum BillingCycle
{
    Annual,
    Quarterly,
    Monthly,
}

/// <summary>What the application form tells us about a new member.</summary>
/// <param name="DeclaredTier">The tier the applicant chose, if any; kept unless a rule says otherwise.</param>
/// <param name="EmailDomain">Used to find colleagues; free-mail domains are ignored.</param>
public sealed record NewMemberProfile(
    MemberId MemberId,
    PartyKind Kind,
    string? DeclaredTier = null,
    bool IsStudent = false,
    bool IsRetired = false,
    MemberId? OrganizationId = null,
    string? HouseholdId = null,
    string? EmailDomain = null);

public sealed record AddOnSuggestion(string ProductCode, string Reason);

/// <summary>The suggested default billing package, each part with its reason, for staff to accept or change.</summary>
public sealed record BillingPackageSuggestion(
    string Tier,
    string TierReason,
    string? Chapter,
    string ChapterReason,
    IReadOnlyList<AddOnSuggestion> AddOns,
    BillingCycle Cycle,
    string CycleReason,
    int SimilarMembers);

/// <summary>
/// Suggests the default billing package (tier, chapter, add-ons, billing cycle) for a new member: the tier from the
/// application's facts by plain rules, the rest from what similar members have (same household, same employer,
/// same e-mail domain, same tier, in that order of weight). Read-only apart from its audit row; staff decide.
/// </summary>
public static class SuggestBillingPackage
{
    /// <summary>How many similar members are consulted.</summary>
    public const int Neighbours = 25;

    /// <summary>An add-on is suggested when at least this share of (at least three) similar members have it.</summary>
    public const double AddOnShare = 0.5;

    private static readonly HashSet<string> FreeMail = new(StringComparer.OrdinalIgnoreCase) { "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com", "proton.me" };

    public static Task<BillingPackageSuggestion> HandleAsync(Store store, TimeProvider clock, NewMemberProfile profile, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var (tier, tierReason) = TierFor(profile);
            var members = (await c.QueryAsync<(string Id, string Tier, string? Email, string? Household, string? Organization, string? Chapter)>(
                "SELECT member_id, tier, email, household_id, organization_id, chapter_id FROM members WHERE member_id <> @id AND status = 'A'",
                new { id = profile.MemberId.Value }, tx)).ToList();
            var domain = profile.EmailDomain is { } d && !FreeMail.Contains(d) ? d.ToLowerInvariant() : null;
            var similar = members
                .Select(m => (Member: m, Score:
                    (profile.HouseholdId is not null && m.Household == profile.HouseholdId ? 8 : 0)
                    + (profile.OrganizationId is { } org && m.Organization == org.Value ? 4 : 0)
                    + (domain is not null && m.Email is { } e && e.EndsWith("@" + domain, StringComparison.OrdinalIgnoreCase) ? 2 : 0)
                    + (m.Tier == tier ? 1 : 0)))
                .Where(x => x.Score > 0)
                .OrderByDescending(x => x.Score).ThenBy(x => x.Member.Id, StringComparer.Ordinal)
                .Take(Neighbours)
                .ToList();

            // Chapter: the family's chapter first, then the colleagues' most common one.
            string? chapter = null;
            string chapterReason;
            var household = similar.Where(x => profile.HouseholdId is not null && x.Member.Household == profile.HouseholdId && x.Member.Chapter is not null).Select(x => x.Member).FirstOrDefault();
            if (household.Id is not null)
            {
                chapter = household.Chapter;
                chapterReason = $"the household's chapter (member {household.Id})";
            }
            else
            {
                var withChapter = similar.Where(x => x.Score > 1 && x.Member.Chapter is not null).ToList();
                var top = withChapter.GroupBy(x => x.Member.Chapter!, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).FirstOrDefault();
                if (top is not null)
                {
                    chapter = top.Key;
                    chapterReason = $"{top.Count()} of {withChapter.Count} colleagues (same employer or e-mail domain) belong to it";
                }
                else
                {
                    chapterReason = "no household member or colleague with a chapter; staff to choose";
                }
            }

            var ids = similar.Select(x => x.Member.Id).ToList();
            var lines = new List<(string Member, string Product, string Due)>();
            if (ids.Count > 0)
            {
                // Parameters spelled out: a list parameter expands on SQLite but becomes an array on PostgreSQL.
                var args = new DynamicParameters();
                args.Add("since", DbTime.Format(Domain.BusinessClock.Of(clock).Today.AddDays(-365)));
                for (var i = 0; i < ids.Count; i++) args.Add("m" + i.ToString(CultureInfo.InvariantCulture), ids[i]);
                var inList = string.Join(", ", ids.Select((_, i) => "@m" + i.ToString(CultureInfo.InvariantCulture)));
                lines = (await c.QueryAsync<(string Member, string Product, string Due)>(
                    $"""
                    SELECT i.member_id, l.product_code, i.due_date FROM invoice_lines l JOIN invoices i ON i.invoice_id = l.invoice_id
                    WHERE i.member_id IN ({inList}) AND i.due_date >= @since
                    """, args, tx)).ToList();
            }

            var addOns = new List<AddOnSuggestion>();
            if (ids.Count >= 3)
            {
                foreach (var product in lines.Where(l => !IsDues(l.Product)).GroupBy(l => l.Product, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    var holders = product.Select(l => l.Member).Distinct(StringComparer.Ordinal).Count();
                    if (holders >= AddOnShare * ids.Count)
                        addOns.Add(new AddOnSuggestion(product.Key, $"held by {holders} of {ids.Count} similar members"));
                }
            }

            // Votes weighted by similarity, so colleagues and family count for more than members who only share the tier.
            var cycles = similar.Select(x => (Cycle: CycleOf(lines.Count(l => l.Member == x.Member.Id && IsDues(l.Product))), x.Score)).Where(x => x.Cycle is not null).ToList();
            var cycle = BillingCycle.Annual;
            string cycleReason;
            if (cycles.Count > 0)
            {
                var top = cycles.GroupBy(x => x.Cycle!.Value).OrderByDescending(g => g.Sum(x => x.Score)).ThenBy(g => g.Key).First();
                cycle = top.Key;
                cycleReason = $"{top.Count()} of {cycles.Count} similar members are billed {cycle.ToString().ToLowerInvariant()}, and they are the closest (votes weighted by similarity)";
            }
            else
            {
                cycleReason = "annual: the association's default (no similar member's dues history)";
            }

            var suggestion = new BillingPackageSuggestion(tier, tierReason, chapter, chapterReason, addOns, cycle, cycleReason, ids.Count);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", "billing-setup.suggested", $"member:{profile.MemberId}",
                string.Create(CultureInfo.InvariantCulture, $"{tier}, chapter {chapter ?? "none"}, {addOns.Count} add-on(s), {cycle}; from {ids.Count} similar members"),
                profile.MemberId.Value, RuleVersion: "billing-setup/1"));
            return suggestion;
        }, ct);

    /// <summary>The tier rules, most specific first. A declared tier stands unless a fact contradicts it.</summary>
    public static (string Tier, string Reason) TierFor(NewMemberProfile p) => p switch
    {
        { Kind: PartyKind.Organization } => ("CORP", "an organization joins at the corporate tier"),
        { IsStudent: true } => ("STU", "the applicant is a student"),
        { IsRetired: true } => ("RET", "the applicant is retired"),
        { DeclaredTier: { Length: > 0 } declared } => (declared.ToUpperInvariant(), "the tier chosen on the application"),
        _ => ("REG", "the regular tier: no fact points to another"),
    };

    private static bool IsDues(string product) => product.StartsWith("DUES", StringComparison.OrdinalIgnoreCase);

    /// <summary>Dues invoices in the last year: 10+ monthly, 3–9 quarterly, 1–2 annual, none unknown.</summary>
    private static BillingCycle? CycleOf(int duesInvoices) => duesInvoices switch
    {
        >= 10 => BillingCycle.Monthly,
        >= 3 => BillingCycle.Quarterly,
        >= 1 => BillingCycle.Annual,
        _ => null,
    };
}
