using System.Text.Json;

namespace DuesPilot;

/// <summary>
/// The one way DuesPilot walks into a JSON document it did not write (webhooks, Event Grid, iMIS, stored
/// analyses): a property by exact name, else case-insensitively; a path of properties; a missing step or a JSON
/// <c>null</c> at the end is "absent". What a value <em>means</em> stays with each format (Stripe's expandable
/// objects, iMIS's <c>$value</c> wrappers), on top of this.
/// </summary>
public static class JsonPath
{
    /// <summary>The property <paramref name="name"/> of an object (exact name first, then any casing); null when absent or not an object.</summary>
    public static JsonElement? Property(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        if (e.TryGetProperty(name, out var exact)) return exact;
        foreach (var p in e.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        }

        return null;
    }

    /// <summary>The value at <paramref name="path"/> (property names); null when a step is missing or the value is JSON <c>null</c>.</summary>
    public static JsonElement? Find(JsonElement e, params string[] path)
    {
        ArgumentNullException.ThrowIfNull(path);
        JsonElement? current = e;
        foreach (var name in path)
        {
            if (current is not { } c) return null;
            current = Property(c, name);
        }

        return current is { ValueKind: not JsonValueKind.Null } v ? v : null;
    }

    /// <summary>The string at <paramref name="path"/>; null when absent or not a string.</summary>
    public static string? Text(JsonElement e, params string[] path) =>
        Find(e, path) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;
}
