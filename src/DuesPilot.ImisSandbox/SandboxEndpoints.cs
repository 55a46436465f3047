using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DuesPilot.ImisSandbox;

/// <summary>The routes: <c>/token</c>, the <c>/api/*</c> entities DuesPilot uses, and <c>/sandbox/*</c> controls for tests.</summary>
internal static class SandboxEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/token", TokenAsync);
        app.MapPost("/sandbox/expire-tokens", (SandboxState s) => { s.ExpireAllTokens(); return Results.NoContent(); });
        app.MapGet("/sandbox/planted-defects", async (SandboxState s) => Results.Json(await PlantedDefects.ReadAsync(s.Db)));
        app.MapGet("/sandbox/stats", (SandboxState s) => Results.Json(new { s.Requests, s.TokensIssued, s.FaultsInjected, s.WritesDropped }));

        Parties.Map(app);
        Invoices.Map(app);
        Catalog.Map(app);
        InvoiceAdjustments.Map(app);
        Commerce.Map(app);
        Notes.Map(app);
        CustomObjects.Map(app);
    }

    /// <summary>OWIN-style password grant: form fields in any casing; the full OWIN response shape (only access_token and expires_in are confirmed for iMIS).</summary>
    private static async Task TokenAsync(HttpContext context)
    {
        var state = context.RequestServices.GetRequiredService<SandboxState>();
        if (!context.Request.HasFormContentType)
        {
            await ImisSandboxHost.WriteAsync(context, 400, new JsonObject { ["error"] = "unsupported_grant_type" });
            return;
        }

        var form = await context.Request.ReadFormAsync();
        string? Field(string name) => form.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)).Value.FirstOrDefault();
        if (!string.Equals(Field("grant_type"), "password", StringComparison.Ordinal))
        {
            await ImisSandboxHost.WriteAsync(context, 400, new JsonObject { ["error"] = "unsupported_grant_type" });
            return;
        }

        var user = Field("username") ?? "";
        if (!string.Equals(user, state.Options.Username, StringComparison.OrdinalIgnoreCase) || Field("password") != state.Options.Password)
        {
            await ImisSandboxHost.WriteAsync(context, 400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "The user name or password is incorrect." });
            return;
        }

        var (token, issued, expires) = state.IssueToken();
        await ImisSandboxHost.WriteAsync(context, 200, new JsonObject
        {
            ["access_token"] = token,
            ["token_type"] = "bearer",
            ["expires_in"] = state.Options.TokenLifetimeSeconds,
            ["userName"] = user,
            [".issued"] = issued.ToString("r", CultureInfo.InvariantCulture),
            [".expires"] = expires.ToString("r", CultureInfo.InvariantCulture),
        });
    }

    public static IResult Json(JsonNode node, int status = 200) =>
        Results.Content(node.ToJsonString(), "application/json; charset=utf-8", System.Text.Encoding.UTF8, status);

    public static IResult NotFound(string entity, string id) => Json(Wire.Errors($"NotFound: {entity} '{id}' was not found."), 404);

    /// <summary>Runs a paged list query over <paramref name="from"/> and renders each row.</summary>
    public static async Task<IResult> PagedAsync(HttpContext context, string itemType, string from, IReadOnlyDictionary<string, Column> columns,
        string defaultOrder, string? fixedWhere, Func<IDictionary<string, object?>, JsonNode> render, string? countFrom = null)
    {
        var state = context.RequestServices.GetRequiredService<SandboxState>();
        var q = Filters.Parse(context.Request.Query, columns, defaultOrder, state.Options);
        var where = fixedWhere is null ? q.Where : $"({fixedWhere}) AND ({q.Where})";
        await using var c = await state.Db.OpenAsync();
        var total = await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM {countFrom ?? from} WHERE {where}", q.Parameters);
        q.Parameters.Add("lim", q.Limit);
        q.Parameters.Add("off", q.Offset);
        var rows = await c.QueryAsync($"SELECT * FROM {from} WHERE {where} ORDER BY {q.OrderBy} LIMIT @lim OFFSET @off", q.Parameters);
        var items = new List<JsonNode?>();
        foreach (var row in rows) items.Add(render((IDictionary<string, object?>)row));
        return Json(Wire.Paged(itemType, items, q.Offset, q.Limit, total));
    }

    public static string? S(IDictionary<string, object?> row, string column) => row[column] is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
    public static long L(IDictionary<string, object?> row, string column) => Convert.ToInt64(row[column], CultureInfo.InvariantCulture);

    public static Dictionary<string, Column> Columns(params (string Name, string Sql, ColumnKind Kind)[] columns) =>
        columns.ToDictionary(c => c.Name, c => new Column(c.Sql, c.Kind), StringComparer.OrdinalIgnoreCase);

    public static async Task<JsonNode> ReadBodyAsync(HttpContext context)
    {
        var node = await JsonNode.ParseAsync(context.Request.Body);
        return node ?? throw new SandboxFault(400, "BadRequest: the request body is empty.");
    }

    /// <summary>Splits a composite URL id <c>~a|b</c> into its elements; a plain id is one element.</summary>
    public static string[] IdElements(string id) => id.StartsWith('~') ? id[1..].Split('|') : [id];
}
