using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static DuesPilot.ImisSandbox.SandboxEndpoints;

namespace DuesPilot.ImisSandbox;

/// <summary>
/// Custom multi-instance contact panels (<c>AI_Review_Queue</c>, <c>AI_Audit_Log</c>, whatever
/// <see cref="ImisSandboxOptions.CustomObjects"/> lists) as <c>GenericEntityData</c> rows keyed by
/// (<c>ID</c> = PartyId, <c>Ordinal</c>), Party as primary parent. A POST without <c>Identity</c> gets the party's next
/// ordinal from the site ([ACH] utils.js posts rows that way); an <c>Identity</c> must carry both elements (party id and
/// ordinal, [PM-SDK] Name_CEU), and one with another count is refused with iMIS's "Incorrect number of identity element".
/// Any other entity name is a 404, as an undefined business object is on a real site.
/// </summary>
internal static class CustomObjects
{
    private const string EntityType = Wire.Core + "GenericEntityData";

    private static readonly Dictionary<string, Column> RowColumns = Columns(
        ("ID", "party_id", ColumnKind.Text), ("PartyId", "party_id", ColumnKind.Text), ("Ordinal", "ordinal", ColumnKind.Int),
        ("UpdatedOn", "updated_on", ColumnKind.Instant));

    public static void Map(WebApplication app)
    {
        app.MapGet("/api/{entity}", (string entity, HttpContext ctx) =>
        {
            var name = Resolve(ctx, entity);
            return PagedAsync(ctx, EntityType, "custom_rows", RowColumns, "party_id, ordinal", "entity = '" + name + "'", r => Render(name, r));
        });
        app.MapGet("/api/{entity}/{id}", async (string entity, string id, HttpContext ctx) =>
        {
            var name = Resolve(ctx, entity);
            var (party, ordinal) = Key(id);
            await using var c = await ctx.RequestServices.GetRequiredService<SandboxState>().Db.OpenAsync();
            var row = (IDictionary<string, object?>?)await c.QueryFirstOrDefaultAsync(
                "SELECT * FROM custom_rows WHERE entity = @name AND party_id = @party AND ordinal = @ordinal", new { name, party, ordinal });
            return row is null ? NotFound(name, id) : Json(Render(name, row));
        });
        app.MapPost("/api/{entity}", async (string entity, HttpContext ctx) =>
        {
            var name = Resolve(ctx, entity);
            var body = await ReadBodyAsync(ctx);
            var identity = Wire.Values(Wire.Get(Wire.Get(body, "Identity"), "IdentityElements")).Select(Wire.Str).ToList();
            if (Wire.Get(body, "Identity") is JsonObject && identity.Count != 2) throw new SandboxFault(400, "ArgumentFault: Incorrect number of identity element");
            var parent = Wire.Values(Wire.Get(Wire.Get(body, "PrimaryParentIdentity"), "IdentityElements")).Select(Wire.Str).ToList();
            var properties = PropertiesOf(body);
            var party = parent.FirstOrDefault() ?? identity.FirstOrDefault() ?? Wire.Str(Wire.Unwrap(Find(properties, "ID")));
            if (string.IsNullOrWhiteSpace(party)) throw new SandboxFault(400, "ArgumentFault: Incorrect number of identity element");
            var ordinalText = identity.Count > 1 ? identity[1] : Wire.Str(Wire.Unwrap(Find(properties, "Ordinal")));
            return await WriteAsync(ctx, name, party, ordinalText is null ? null : ParseOrdinal(ordinalText), properties, create: true);
        });
        app.MapPut("/api/{entity}/{id}", async (string entity, string id, HttpContext ctx) =>
        {
            var name = Resolve(ctx, entity);
            var (party, ordinal) = Key(id);
            return await WriteAsync(ctx, name, party, ordinal, PropertiesOf(await ReadBodyAsync(ctx)), create: false);
        });
        app.MapDelete("/api/{entity}/{id}", async (string entity, string id, HttpContext ctx) =>
        {
            var name = Resolve(ctx, entity);
            var (party, ordinal) = Key(id);
            var s = ctx.RequestServices.GetRequiredService<SandboxState>();
            await s.Db.WriteLock.WaitAsync();
            try
            {
                await using var c = await s.Db.OpenAsync();
                var n = await c.ExecuteAsync("DELETE FROM custom_rows WHERE entity = @name AND party_id = @party AND ordinal = @ordinal", new { name, party, ordinal });
                return n == 0 ? NotFound(name, id) : Results.Ok();
            }
            finally
            {
                s.Db.WriteLock.Release();
            }
        });
    }

    private static string Resolve(HttpContext ctx, string entity)
    {
        var options = ctx.RequestServices.GetRequiredService<SandboxState>().Options;
        return options.CustomObjects.FirstOrDefault(e => string.Equals(e, entity, StringComparison.OrdinalIgnoreCase))
            ?? throw new SandboxFault(404, $"NotFound: no business object named '{entity}' is defined on this site.");
    }

    private static (string Party, long Ordinal) Key(string id)
    {
        var key = IdElements(id);
        if (key.Length != 2) throw new SandboxFault(400, "ArgumentFault: Incorrect number of identity element");
        return (key[0], ParseOrdinal(key[1]));
    }

    private static long ParseOrdinal(string text) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
        ? v
        : throw new SandboxFault(400, $"ArgumentFault: '{text}' is not a valid Ordinal.");

    private static JsonArray PropertiesOf(JsonNode body)
    {
        var result = new JsonArray();
        foreach (var p in Wire.Values(Wire.Get(body, "Properties")))
        {
            var name = Wire.Str(Wire.Get(p, "Name"));
            if (string.IsNullOrWhiteSpace(name)) throw new SandboxFault(400, "BadRequest: ValidationError: a property has no Name.");
            var value = Wire.Get(p, "Value");
            result.Add(Wire.Property(name, value?.DeepClone()));
        }

        return result;
    }

    private static JsonNode? Find(JsonArray properties, string name) =>
        properties.FirstOrDefault(p => string.Equals(Wire.Str(Wire.Get(p, "Name")), name, StringComparison.OrdinalIgnoreCase)) is { } found ? Wire.Get(found, "Value") : null;

    private static async Task<IResult> WriteAsync(HttpContext ctx, string name, string party, long? ordinal, JsonArray properties, bool create)
    {
        var s = ctx.RequestServices.GetRequiredService<SandboxState>();
        var kept = new JsonArray();
        foreach (var p in properties)
        {
            var n = Wire.Str(Wire.Get(p, "Name"));
            if (!string.Equals(n, "ID", StringComparison.OrdinalIgnoreCase) && !string.Equals(n, "Ordinal", StringComparison.OrdinalIgnoreCase)) kept.Add(p!.DeepClone());
        }

        await s.Db.WriteLock.WaitAsync();
        try
        {
            await using var c = await s.Db.OpenAsync();
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM parties WHERE party_id = @party", new { party }) == 0)
                throw new SandboxFault(400, $"BadRequest: ValidationError: Party '{party}' does not exist.");
            var now = Wire.Instant(s.Clock.GetUtcNow());
            if (create)
            {
                ordinal ??= await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(ordinal), 0) + 1 FROM custom_rows WHERE entity = @name AND party_id = @party", new { name, party });
                var inserted = await c.ExecuteAsync("""
                    INSERT INTO custom_rows (entity, party_id, ordinal, properties, updated_on) VALUES (@name, @party, @ordinal, @json, @now)
                    ON CONFLICT DO NOTHING
                    """, new { name, party, ordinal, json = kept.ToJsonString(), now });
                if (inserted == 0) throw new SandboxFault(400, $"BadRequest: ValidationError: {name} ~{party}|{ordinal} already exists.");
            }
            else
            {
                var updated = await c.ExecuteAsync("UPDATE custom_rows SET properties = @json, updated_on = @now WHERE entity = @name AND party_id = @party AND ordinal = @ordinal",
                    new { name, party, ordinal, json = kept.ToJsonString(), now });
                if (updated == 0) return NotFound(name, $"~{party}|{ordinal}");
            }

            var row = (IDictionary<string, object?>)await c.QueryFirstAsync("SELECT * FROM custom_rows WHERE entity = @name AND party_id = @party AND ordinal = @ordinal", new { name, party, ordinal });
            return Json(Render(name, row), create ? 201 : 200);
        }
        finally
        {
            s.Db.WriteLock.Release();
        }
    }

    /// <summary>A row in the shape of imis-api.md §8.4: identity (PartyId, Ordinal), Party parent, ID and Ordinal first among the properties.</summary>
    private static JsonObject Render(string name, IDictionary<string, object?> r)
    {
        var party = S(r, "party_id")!;
        var ordinal = L(r, "ordinal");
        var o = Wire.Obj(EntityType + Wire.Asm);
        o["EntityTypeName"] = name;
        o["PrimaryParentEntityTypeName"] = "Party";
        o["Identity"] = Wire.Identity(name, party, ordinal.ToString(CultureInfo.InvariantCulture));
        o["PrimaryParentIdentity"] = Wire.Identity("Party", party);
        var values = new List<JsonNode?>
        {
            Wire.Property("ID", party),
            Wire.Property("Ordinal", Wire.Typed("System.Int32", (int)ordinal)),
        };
        values.AddRange(JsonNode.Parse(S(r, "properties")!)!.AsArray().Select(p => p?.DeepClone()));
        o["Properties"] = Wire.Collection(Wire.Core + "GenericPropertyDataCollection" + Wire.Asm, values);
        return o;
    }
}
