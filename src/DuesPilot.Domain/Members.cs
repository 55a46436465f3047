namespace DuesPilot.Domain;

public enum PartyKind
{
    Person,
    Organization,
}

/// <summary>iMIS party status codes: A active, I inactive, L lapsed.</summary>
public enum MemberStatus
{
    Active,
    Inactive,
    Lapsed,
}

/// <summary>A member (iMIS party) as DuesPilot caches it.</summary>
/// <param name="Tier">The iMIS member type / customer type code (REG, STU, RET, CORP…).</param>
/// <param name="PaidThrough">Last day covered by dues; iMIS keeps it at a month end.</param>
/// <param name="HouseholdId">Shared by members of one family account; payments from one may cover another.</param>
/// <param name="OrganizationId">The company a person belongs to, which may pay their dues.</param>
/// <param name="ChapterId">The chapter code; chapters sometimes remit lump sums for their members.</param>
public sealed record Member(
    MemberId Id,
    PartyKind Kind,
    string FullName,
    string? FirstName,
    string? LastName,
    string? Email,
    string Tier,
    MemberStatus Status,
    DateOnly? JoinDate,
    DateOnly? PaidThrough,
    string? HouseholdId = null,
    MemberId? OrganizationId = null,
    string? ChapterId = null)
{
    public static MemberStatus ParseStatus(string code) => code.Trim().ToUpperInvariant() switch
    {
        "A" or "ACTIVE" => MemberStatus.Active,
        "I" or "INACTIVE" => MemberStatus.Inactive,
        "L" or "LAPSED" => MemberStatus.Lapsed,
        _ => throw new FormatException($"Unknown member status '{code}' (expected A, I or L)."),
    };

    public static string StatusCode(MemberStatus status) => status switch
    {
        MemberStatus.Active => "A",
        MemberStatus.Inactive => "I",
        MemberStatus.Lapsed => "L",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
