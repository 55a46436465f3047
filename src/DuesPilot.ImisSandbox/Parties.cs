using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DuesPilot.ImisSandbox.SandboxEndpoints;

namespace DuesPilot.ImisSandbox;

/// <summary><c>/api/Party</c>, <c>/api/Person</c>, <c>/api/Organization</c>: list (paged, filtered) and get by id.</summary>
internal static class Parties
{
    private static readonly Dictionary<string, Column> PartyColumns = Columns(
        ("PartyId", "party_id", ColumnKind.Text), ("Id", "party_id", ColumnKind.Text),
        ("FirstName", "first_name", ColumnKind.Text), ("LastName", "last_name", ColumnKind.Text),
        ("FullName", "full_name", ColumnKind.Text), ("Name", "full_name", ColumnKind.Text),
        ("OrganizationName", "org_name", ColumnKind.Text), ("Email", "email", ColumnKind.Text),
        ("Status", "status", ColumnKind.Text), ("CustomerTypeCode", "member_type", ColumnKind.Text),
        ("IsOrganization", "is_org", ColumnKind.Bool), ("JoinDate", "join_date", ColumnKind.Date),
        ("OrganizationPartyId", "org_party_id", ColumnKind.Text), ("HouseholdId", "household_id", ColumnKind.Text),
        ("Chapter", "chapter", ColumnKind.Text), ("UpdatedOn", "updated_on", ColumnKind.Instant));

    public static void Map(WebApplication app)
    {
        foreach (var (entity, filter) in new[] { ("Party", (string?)null), ("Person", "is_org = 0"), ("Organization", "is_org = 1") })
        {
            app.MapGet("/api/" + entity, (HttpContext ctx, SandboxState state) => PagedAsync(ctx, ItemType(filter), "party_view", PartyColumns, "seq", filter, Render, countFrom: "parties"));
            app.MapGet("/api/" + entity + "/{id}", async (string id, SandboxState s) =>
            {
                await using var c = await s.Db.OpenAsync();
                var row = (IDictionary<string, object?>?)await c.QueryFirstOrDefaultAsync(
                    "SELECT * FROM party_view WHERE party_id = @id" + (filter is null ? "" : " AND " + filter), new { id });
                return row is null ? NotFound(entity, id) : Json(Render(row));
            });
        }
    }

    private static string ItemType(string? filter) => filter switch
    {
        "is_org = 0" => Wire.Membership + "PersonData",
        "is_org = 1" => Wire.Membership + "OrganizationData",
        _ => Wire.Membership + "PartyData",
    };

    /// <summary>A party in the shape of imis-api.md §8.3 (field order kept), with membership facts in AdditionalAttributes.</summary>
    public static JsonObject Render(IDictionary<string, object?> r)
    {
        var isOrg = L(r, "is_org") == 1;
        var id = S(r, "party_id")!;
        var o = Wire.Obj(Wire.Membership + (isOrg ? "OrganizationData" : "PersonData") + Wire.Asm);
        o["PartyId"] = id;
        o["Id"] = id;
        o["UniformId"] = S(r, "uniform_id");
        if (isOrg)
        {
            o["OrganizationName"] = S(r, "org_name");
        }
        else
        {
            var name = Wire.Obj(Wire.Membership + "PersonNameData" + Wire.Asm);
            name["FirstName"] = S(r, "first_name");
            name["LastName"] = S(r, "last_name");
            if (S(r, "prefix") is { } prefix) name["NamePrefix"] = prefix;
            name["FullName"] = S(r, "full_name");
            o["PersonName"] = name;
        }

        if (S(r, "org_party_id") is { } orgId)
        {
            var po = Wire.Obj(Wire.Membership + "PrimaryOrganizationInformationData" + Wire.Asm);
            po["OrganizationPartyId"] = orgId;
            po["Name"] = S(r, "employer_name");
            po["Title"] = S(r, "title");
            o["PrimaryOrganization"] = po;
        }

        var status = S(r, "status")!;
        var statusName = status switch { "A" => "Active", "I" => "Inactive", _ => "Lapsed" };
        var st = Wire.Obj(Wire.Membership + "PartyStatusData" + Wire.Asm);
        st["PartyStatusId"] = status;
        st["Name"] = statusName;
        st["Description"] = statusName;
        o["Status"] = st;
        if (S(r, "email") is { } email)
        {
            var e = Wire.Obj(Wire.Membership + "EmailData" + Wire.Asm);
            e["Address"] = email;
            e["EmailType"] = "Address";
            o["Emails"] = Wire.Collection(Wire.Membership + "EmailDataCollection" + Wire.Asm, [e]);
        }

        var attributes = new List<JsonNode?>
        {
            Wire.Property("CustomerTypeCode", S(r, "member_type")),
            Wire.Property("IsMember", Wire.Typed("System.Boolean", status == "A")),
            Wire.Property("JoinDate", S(r, "join_date") is { } jd ? Wire.Date(jd) : null),
            Wire.Property("CustomerTypeDescription", S(r, "member_type") switch
            {
                "REG" => "Regular Member", "STU" => "Student Member", "RET" => "Retired Member", _ => "Corporate Member",
            }),
            Wire.Property("PaidThrough", S(r, "paid_through") is { } pt ? Wire.Date(pt) : null),
            Wire.Property("HouseholdId", S(r, "household_id")),
            Wire.Property("Chapter", S(r, "chapter")),
        };
        o["AdditionalAttributes"] = Wire.Collection(Wire.Core + "GenericPropertyDataCollection" + Wire.Asm, attributes);
        o["UpdateInformation"] = Wire.UpdateInfo(S(r, "created_on")!, S(r, "updated_on")!);
        return o;
    }
}
