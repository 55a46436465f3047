using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static DuesPilot.ImisSandbox.SandboxEndpoints;

namespace DuesPilot.ImisSandbox;

/// <summary><c>/api/PartyNote</c>: notes on a member record (<c>PartyId</c>, <c>Purpose</c>, <c>Text</c>).</summary>
internal static class Notes
{
    private const string NoteType = Wire.Membership + "PartyNoteData";

    private static readonly Dictionary<string, Column> NoteColumns = Columns(
        ("PartyId", "party_id", ColumnKind.Text), ("Purpose", "purpose", ColumnKind.Text), ("PartyNoteId", "note_id", ColumnKind.Int));

    public static void Map(WebApplication app)
    {
        app.MapGet("/api/PartyNote", (HttpContext ctx, SandboxState state) => PagedAsync(ctx, NoteType, "party_notes", NoteColumns, "note_id", null, Render));
        app.MapPost("/api/PartyNote", async (HttpContext ctx, SandboxState state) =>
        {
            var s = ctx.RequestServices.GetRequiredService<SandboxState>();
            var body = await ReadBodyAsync(ctx);
            var partyId = Wire.Str(Wire.Get(body, "PartyId"));
            var text = Wire.Str(Wire.Get(body, "Text"));
            if (string.IsNullOrWhiteSpace(partyId) || string.IsNullOrWhiteSpace(text))
                throw new SandboxFault(400, "BadRequest: ValidationError: PartyId and Text are required.");
            await s.Db.WriteLock.WaitAsync();
            try
            {
                await using var c = await s.Db.OpenAsync();
                if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM parties WHERE party_id = @partyId", new { partyId }) == 0)
                    throw new SandboxFault(400, $"BadRequest: ValidationError: Party '{partyId}' does not exist.");
                var id = await c.ExecuteScalarAsync<long>(
                    "INSERT INTO party_notes (party_id, purpose, text, created_on) VALUES (@partyId, @purpose, @text, @at) RETURNING note_id",
                    new { partyId, purpose = Wire.Str(Wire.Get(body, "Purpose")), text, at = Wire.Instant(s.Clock.GetUtcNow()) });
                var row = (IDictionary<string, object?>)(await c.QueryFirstAsync("SELECT * FROM party_notes WHERE note_id = @id", new { id }));
                return Json(Render(row), 201);
            }
            finally
            {
                s.Db.WriteLock.Release();
            }
        });
    }

    private static JsonNode Render(IDictionary<string, object?> r)
    {
        var o = Wire.Obj(NoteType + Wire.Asm);
        o["PartyNoteId"] = L(r, "note_id").ToString(CultureInfo.InvariantCulture);
        o["PartyId"] = S(r, "party_id");
        o["Purpose"] = S(r, "purpose");
        o["Text"] = S(r, "text");
        o["UpdateInformation"] = Wire.UpdateInfo(S(r, "created_on")!, S(r, "created_on")!);
        return o;
    }
}
