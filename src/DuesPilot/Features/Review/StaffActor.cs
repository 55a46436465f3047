namespace DuesPilot.Features.Review;

/// <summary>The staff roles. Auditors read everything and change nothing.</summary>
public static class StaffRoles
{
    public const string Reviewer = "reviewer";
    public const string Approver = "approver";
    public const string Administrator = "administrator";
    public const string Auditor = "auditor";

    public static readonly IReadOnlyList<string> All = [Reviewer, Approver, Administrator, Auditor];
}

/// <summary>Who is acting, with their roles, as the sign-in established them.</summary>
public sealed record StaffActor(string UserName, IReadOnlySet<string> Roles)
{
    public bool CanResolve => Roles.Contains(StaffRoles.Reviewer) || Roles.Contains(StaffRoles.Approver) || Roles.Contains(StaffRoles.Administrator);
    public bool CanApproveLargeAmounts => Roles.Contains(StaffRoles.Approver) || Roles.Contains(StaffRoles.Administrator);
}
