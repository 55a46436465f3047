using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Http;

namespace DuesPilot.ImisSandbox;

internal enum ColumnKind
{
    Text,
    Money,
    Date,
    Instant,
    Int,
    Bool,
}

internal sealed record Column(string Sql, ColumnKind Kind);

/// <summary>A parsed list query: WHERE clause, parameters, ORDER BY and the page window.</summary>
internal sealed record ListQuery(string Where, DynamicParameters Parameters, string OrderBy, int Offset, int Limit);

/// <summary>
/// iMIS query-string filters: <c>?Property=operation:value</c> (or a bare value for equality), ANDed,
/// repeatable; <c>OrderBy=Prop[:Descending]</c>; <c>limit</c>/<c>offset</c> paging clamped to the cap.
/// <c>In</c> takes values separated by <c>|</c> or <c>,</c>; <c>Between</c> takes two values separated by <c>|</c>
/// (both unconfirmed syntaxes in iMIS). An unknown property is a 400, so client typos show up.
/// </summary>
internal static class Filters
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase) { "limit", "offset", "orderby", "sandbox-faults" };

    private static readonly Dictionary<string, string> Ops = new(StringComparer.OrdinalIgnoreCase)
    {
        ["between"] = "between", ["contains"] = "contains", ["endswith"] = "endswith",
        ["equal"] = "eq", ["eq"] = "eq", ["=="] = "eq",
        ["greaterthan"] = "gt", ["gt"] = "gt", [">"] = "gt",
        ["greaterthanorequal"] = "ge", ["ge"] = "ge", [">="] = "ge",
        ["in"] = "in", ["isempty"] = "empty", ["empty"] = "empty", ["isfalse"] = "false", ["false"] = "false",
        ["istrue"] = "true", ["true"] = "true",
        ["lessthan"] = "lt", ["lt"] = "lt", ["<"] = "lt",
        ["lessthanorequal"] = "le", ["le"] = "le", ["<="] = "le",
        ["notcontain"] = "notcontain", ["!contain"] = "notcontain",
        ["notempty"] = "notempty", ["!empty"] = "notempty",
        ["notequal"] = "ne", ["ne"] = "ne", ["!="] = "ne",
        ["startswith"] = "startswith",
    };

    public static ListQuery Parse(IQueryCollection query, IReadOnlyDictionary<string, Column> columns, string defaultOrder, ImisSandboxOptions options)
    {
        var clauses = new List<string>();
        var p = new DynamicParameters();
        foreach (var (key, values) in query)
        {
            if (Reserved.Contains(key)) continue;
            if (!columns.TryGetValue(key, out var column))
                throw new SandboxFault(400, $"BadRequest: ValidationError: '{key}' is not a filterable property.");
            foreach (var raw in values)
            {
                if (raw is null) continue;
                var (op, value) = Split(raw);
                clauses.Add(Clause(column, op, value, p));
            }
        }

        var order = defaultOrder;
        if (query.TryGetValue("OrderBy", out var orderValues) && orderValues.Count > 0 && !string.IsNullOrWhiteSpace(orderValues[0]))
        {
            var parts = orderValues[0]!.Split(':', 2);
            if (!columns.TryGetValue(parts[0].Trim('[', ']'), out var oc))
                throw new SandboxFault(400, $"BadRequest: ValidationError: cannot order by '{parts[0]}'.");
            var desc = parts.Length > 1 && parts[1].StartsWith("desc", StringComparison.OrdinalIgnoreCase);
            order = $"{oc.Sql} {(desc ? "DESC" : "ASC")}, {defaultOrder}";
        }

        var limit = options.DefaultLimit;
        if (query.TryGetValue("limit", out var l) && int.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out var lv)) limit = lv;
        limit = Math.Clamp(limit, 1, options.MaxLimit);
        var offset = 0;
        if (query.TryGetValue("offset", out var o) && int.TryParse(o, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ov)) offset = Math.Max(0, ov);
        return new ListQuery(clauses.Count == 0 ? "1 = 1" : string.Join(" AND ", clauses), p, order, offset, limit);
    }

    private static (string Op, string Value) Split(string raw)
    {
        var colon = raw.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && Ops.TryGetValue(raw[..colon], out var op)) return (op, raw[(colon + 1)..]);
        if (Ops.TryGetValue(raw, out var bare) && bare is "empty" or "notempty" or "true" or "false") return (bare, "");
        return ("eq", raw);
    }

    private static string Clause(Column c, string op, string value, DynamicParameters p)
    {
        string Param(string v)
        {
            var name = "f" + p.ParameterNames.Count().ToString(CultureInfo.InvariantCulture);
            p.Add(name, Convert(c, v));
            return "@" + name;
        }

        var col = c.Kind == ColumnKind.Text ? c.Sql + " COLLATE NOCASE" : c.Sql;
        return op switch
        {
            "eq" => $"{col} = {Param(value)}",
            "ne" => $"({col} IS NULL OR {col} <> {Param(value)})",
            "gt" => $"{col} > {Param(value)}",
            "ge" => $"{col} >= {Param(value)}",
            "lt" => $"{col} < {Param(value)}",
            "le" => $"{col} <= {Param(value)}",
            "contains" => $"{c.Sql} LIKE '%' || {Param(value)} || '%'",
            "notcontain" => $"({c.Sql} IS NULL OR {c.Sql} NOT LIKE '%' || {Param(value)} || '%')",
            "startswith" => $"{c.Sql} LIKE {Param(value)} || '%'",
            "endswith" => $"{c.Sql} LIKE '%' || {Param(value)}",
            "empty" => $"({c.Sql} IS NULL OR {c.Sql} = '')",
            "notempty" => $"({c.Sql} IS NOT NULL AND {c.Sql} <> '')",
            "true" => $"{c.Sql} = 1",
            "false" => $"{c.Sql} = 0",
            "in" => $"{col} IN ({string.Join(", ", value.Split(['|', ','], StringSplitOptions.TrimEntries).Select(Param))})",
            "between" => value.Split('|', StringSplitOptions.TrimEntries) is [var lo, var hi]
                ? $"{col} BETWEEN {Param(lo)} AND {Param(hi)}"
                : throw new SandboxFault(400, "BadRequest: ValidationError: Between needs two values separated by '|'."),
            _ => throw new SandboxFault(400, $"BadRequest: ValidationError: unsupported operation '{op}'."),
        };
    }

    private static object Convert(Column c, string v)
    {
        var inv = CultureInfo.InvariantCulture;
        try
        {
            return c.Kind switch
            {
                ColumnKind.Money => (long)(decimal.Parse(v, NumberStyles.Number, inv) * 100m),
                ColumnKind.Int => long.Parse(v, inv),
                ColumnKind.Bool => bool.Parse(v) ? 1L : 0L,
                ColumnKind.Date => DateTime.Parse(v, inv, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).ToString("yyyy-MM-dd", inv),
                ColumnKind.Instant => Wire.Instant(new DateTimeOffset(DateTime.SpecifyKind(DateTime.Parse(v, inv, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), DateTimeKind.Utc))),
                _ => v,
            };
        }
        catch (FormatException)
        {
            throw new SandboxFault(400, $"BadRequest: ValidationError: '{v}' is not a valid value for this property.");
        }
    }
}

/// <summary>An expected failure answered with the iMIS error envelope and a status code.</summary>
internal sealed class SandboxFault(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
