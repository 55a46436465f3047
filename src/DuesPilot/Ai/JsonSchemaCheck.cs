using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DuesPilot.Ai;

/// <summary>
/// Validates a JSON value against the subset of JSON Schema our prompts use: <c>type</c> (one or a list),
/// <c>properties</c>, <c>required</c>, <c>additionalProperties: false</c>, <c>items</c>, <c>enum</c>,
/// <c>maxLength</c>, <c>maxItems</c>, <c>minimum</c>, <c>maximum</c>, <c>pattern</c>.
/// </summary>
/// <remarks>
/// Small on purpose: a model's answer is untrusted input, and a checker we can read line by line is
/// easier to trust than a general one. A schema keyword outside the subset is a bug in the prompt file,
/// so it throws instead of being ignored.
/// </remarks>
public static class JsonSchemaCheck
{
    private static readonly HashSet<string> Known =
    [
        "type", "properties", "required", "additionalProperties", "items", "enum", "maxLength", "maxItems",
        "minimum", "maximum", "pattern", "description", "title", "$schema",
    ];

    /// <summary>The problems found, empty when the value fits.</summary>
    public static IReadOnlyList<string> Validate(JsonElement schema, JsonElement value)
    {
        var problems = new List<string>();
        Check(schema, value, "$", problems);
        return problems;
    }

    private static void Check(JsonElement schema, JsonElement value, string path, List<string> problems)
    {
        if (schema.ValueKind != JsonValueKind.Object) throw new InvalidOperationException($"Schema at {path} is not an object.");
        foreach (var p in schema.EnumerateObject())
            if (!Known.Contains(p.Name)) throw new InvalidOperationException($"Schema keyword '{p.Name}' at {path} is not supported.");

        if (schema.TryGetProperty("type", out var type) && !TypeMatches(type, value))
        {
            problems.Add($"{path}: expected {type.GetRawText()}, got {value.ValueKind}");
            return;
        }

        if (schema.TryGetProperty("enum", out var options) && !options.EnumerateArray().Any(o => JsonElement.DeepEquals(o, value)))
            problems.Add($"{path}: value not in enum");

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var props = schema.TryGetProperty("properties", out var pr) ? pr : default;
                if (schema.TryGetProperty("required", out var req))
                    foreach (var r in req.EnumerateArray())
                        if (!value.TryGetProperty(r.GetString()!, out _)) problems.Add($"{path}: missing required '{r.GetString()}'");
                var closed = schema.TryGetProperty("additionalProperties", out var ap) && ap.ValueKind == JsonValueKind.False;
                foreach (var p in value.EnumerateObject())
                {
                    if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty(p.Name, out var sub)) Check(sub, p.Value, $"{path}.{p.Name}", problems);
                    else if (closed) problems.Add($"{path}: unexpected property '{p.Name}'");
                }

                break;
            case JsonValueKind.Array:
                if (schema.TryGetProperty("maxItems", out var mi) && value.GetArrayLength() > mi.GetInt32()) problems.Add($"{path}: more than {mi.GetInt32()} items");
                if (schema.TryGetProperty("items", out var items))
                {
                    var i = 0;
                    foreach (var item in value.EnumerateArray()) Check(items, item, $"{path}[{i++}]", problems);
                }

                break;
            case JsonValueKind.String:
                var s = value.GetString()!;
                if (schema.TryGetProperty("maxLength", out var ml) && s.Length > ml.GetInt32()) problems.Add($"{path}: longer than {ml.GetInt32()}");
                if (schema.TryGetProperty("pattern", out var pat) && !Regex.IsMatch(s, pat.GetString()!, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
                    problems.Add($"{path}: does not match pattern");
                break;
            case JsonValueKind.Number:
                var n = value.GetDecimal();
                if (schema.TryGetProperty("minimum", out var min) && n < min.GetDecimal()) problems.Add($"{path}: below {min.GetDecimal().ToString(CultureInfo.InvariantCulture)}");
                if (schema.TryGetProperty("maximum", out var max) && n > max.GetDecimal()) problems.Add($"{path}: above {max.GetDecimal().ToString(CultureInfo.InvariantCulture)}");
                break;
            default:
                break;
        }
    }

    private static bool TypeMatches(JsonElement type, JsonElement value)
    {
        if (type.ValueKind == JsonValueKind.Array) return type.EnumerateArray().Any(t => TypeMatches(t, value));
        return type.GetString() switch
        {
            "object" => value.ValueKind == JsonValueKind.Object,
            "array" => value.ValueKind == JsonValueKind.Array,
            "string" => value.ValueKind == JsonValueKind.String,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "null" => value.ValueKind == JsonValueKind.Null,
            "number" => value.ValueKind == JsonValueKind.Number,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            var other => throw new InvalidOperationException($"Schema type '{other}' is not supported."),
        };
    }
}
