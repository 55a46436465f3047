using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuesPilot.Domain;

namespace DuesPilot.Imis;

/// <summary>
/// The client's reading and writing of iMIS's Json.NET format: <c>$type</c> annotations, <c>$values</c>
/// collections, typed <c>$value</c> wrappers and <c>MonetaryAmountData</c>. Reading is lenient (any property
/// casing, the assembly part of <c>$type</c> ignored, bare or wrapped values); writing always sends full <c>$type</c>s.
/// </summary>
public static class ImisJson
{
    public const string Contracts = ", Asi.Contracts";
    public const string CoreNs = "Asi.Soa.Core.DataContracts.";
    public const string CommerceNs = "Asi.Soa.Commerce.DataContracts.";
    public const string MembershipNs = "Asi.Soa.Membership.DataContracts.";
    public const string StringCollectionType = "System.Collections.ObjectModel.Collection`1[[System.String, mscorlib]], mscorlib";

    // ---- reading ----

    public static JsonElement? Prop(JsonElement e, string name) => JsonPath.Property(e, name);

    public static JsonElement? Path(JsonElement e, params string[] names) => JsonPath.Find(e, names);

    /// <summary>The items of a collection: a <c>{"$values": […]}</c> object or a bare array.</summary>
    public static IEnumerable<JsonElement> Values(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => e.EnumerateArray(),
        JsonValueKind.Object when Prop(e, "$values") is { ValueKind: JsonValueKind.Array } v => v.EnumerateArray(),
        _ => [],
    };

    /// <summary>A typed wrapper <c>{"$type":"System.Int32","$value":2}</c> unwrapped; other values unchanged.</summary>
    public static JsonElement Unwrap(JsonElement e) => e.ValueKind == JsonValueKind.Object && Prop(e, "$value") is { } inner ? inner : e;

    public static string? Str(JsonElement e, params string[] path)
    {
        var v = path.Length == 0 ? e : Path(e, path);
        if (v is not { } value) return null;
        value = Unwrap(value);
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        };
    }

    public static bool? Bool(JsonElement e, params string[] path) => Path(e, path) is { } v && Unwrap(v) is var u
        ? u.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(u.GetString(), out var b) => b,
            _ => null,
        }
        : null;

    public static int? Int(JsonElement e, params string[] path) => Str(e, path) is { } s && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null;

    /// <summary>The type name of <c>$type</c> without its assembly part, so old split assemblies read the same.</summary>
    public static string? TypeName(JsonElement e)
    {
        var t = Str(e, "$type");
        if (t is null) return null;
        var depth = 0;
        for (var i = 0; i < t.Length; i++)
        {
            if (t[i] == '[') depth++;
            else if (t[i] == ']') depth--;
            else if (t[i] == ',' && depth == 0) return t[..i].Trim();
        }

        return t.Trim();
    }

    /// <summary>Reads a <c>MonetaryAmountData</c> (or a bare number) as exact money; the currency defaults to USD when iMIS leaves it out.</summary>
    public static Money? Money(JsonElement e, params string[] path)
    {
        if (Path(e, path) is not { } v) return null;
        var amountElement = v.ValueKind == JsonValueKind.Object ? Prop(v, "Amount") : v;
        if (amountElement is not { } a) return null;
        a = Unwrap(a);
        decimal amount;
        if (a.ValueKind == JsonValueKind.Number) amount = a.GetDecimal();
        else if (a.ValueKind == JsonValueKind.String && decimal.TryParse(a.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed)) amount = parsed;
        else return null;
        var code = v.ValueKind == JsonValueKind.Object ? Str(v, "Currency", "CurrencyCode") : null;
        var currency = string.IsNullOrWhiteSpace(code) ? Currency.USD : Currency.Parse(code);
        return Domain.Money.FromDecimal(amount, currency);
    }

    /// <summary>iMIS dates are ISO strings without offset (<c>2019-05-28T00:00:00</c>).</summary>
    public static DateOnly? Date(JsonElement e, params string[] path) =>
        Str(e, path) is { } s && DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? DateOnly.FromDateTime(d) : null;

    /// <summary>An iMIS timestamp as the server wrote it (site-local, no offset), kept unzoned.</summary>
    public static DateTime? Timestamp(JsonElement e, params string[] path) =>
        Str(e, path) is { } s && DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? DateTime.SpecifyKind(d, DateTimeKind.Unspecified) : null;

    public static string FormatTimestamp(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture);

    /// <summary>Reads a GenericPropertyData collection into name → CLR value (string, int, decimal, bool).</summary>
    public static Dictionary<string, object?> Properties(JsonElement? collection)
    {
        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (collection is not { } c) return result;
        foreach (var p in Values(c))
        {
            var name = Str(p, "Name");
            if (name is null) continue;
            result[name] = Prop(p, "Value") is { } v ? ValueOf(v) : null;
        }

        return result;
    }

    private static object? ValueOf(JsonElement v)
    {
        var type = v.ValueKind == JsonValueKind.Object ? Str(v, "$type") : null;
        var u = Unwrap(v);
        return (type, u.ValueKind) switch
        {
            (_, JsonValueKind.Null) => null,
            ("System.Int32", JsonValueKind.Number) => u.GetInt32(),
            ("System.Int64", JsonValueKind.Number) => u.GetInt64(),
            ("System.Decimal" or "System.Double", JsonValueKind.Number) => u.GetDecimal(),
            (_, JsonValueKind.True) => true,
            (_, JsonValueKind.False) => false,
            (_, JsonValueKind.String) => u.GetString(),
            (_, JsonValueKind.Number) => u.GetDecimal(),
            _ => u.GetRawText(),
        };
    }

    // ---- writing ----

    public static JsonObject Typed(string type) => new() { ["$type"] = type };

    public static JsonObject Collection(string type, IEnumerable<JsonNode?> values)
    {
        var array = new JsonArray();
        foreach (var v in values) array.Add(v);
        return new JsonObject { ["$type"] = type, ["$values"] = array };
    }

    /// <summary>The decimal iMIS expects: the amount with exactly the currency's minor digits (150.00, not 150).</summary>
    public static decimal WireAmount(Money money) => decimal.Parse(money.ToPlainString(), NumberStyles.Number, CultureInfo.InvariantCulture);

    public static JsonObject CurrencyData(Currency currency) => new()
    {
        ["$type"] = CoreNs + "CurrencyData" + Contracts,
        ["CurrencyCode"] = currency.Code,
        ["DecimalPositions"] = currency.MinorDigits,
    };

    /// <summary>A MonetaryAmountData as iMIS request bodies carry it: amount, its <c>Currency</c> (every money value in ASI's samples has one) and IsAmountDefined.</summary>
    public static JsonObject MonetaryAmount(Money money) => new()
    {
        ["$type"] = CoreNs + "MonetaryAmountData" + Contracts,
        ["Amount"] = WireAmount(money),
        ["Currency"] = CurrencyData(money.Currency),
        ["IsAmountDefined"] = true,
    };

    public static JsonObject Identity(string entity, IEnumerable<string> elements) => new()
    {
        ["$type"] = CoreNs + "IdentityData" + Contracts,
        ["EntityTypeName"] = entity,
        ["IdentityElements"] = Collection(StringCollectionType, elements.Select(e => (JsonNode?)JsonValue.Create(e))),
    };

    /// <summary>A GenericPropertyData: strings bare, numbers and booleans in their typed wrapper (iMIS rejects a bare Boolean), dates as ISO text, null without Value.</summary>
    public static JsonObject Property(string name, object? value)
    {
        var o = new JsonObject { ["$type"] = CoreNs + "GenericPropertyData" + Contracts, ["Name"] = name };
        JsonNode? wire = value switch
        {
            null => null,
            string s => JsonValue.Create(s),
            int i => Wrapped("System.Int32", JsonValue.Create(i)),
            long l => Wrapped("System.Int64", JsonValue.Create(l)),
            decimal d => Wrapped("System.Decimal", JsonValue.Create(d)),
            Money m => Wrapped("System.Decimal", JsonValue.Create(WireAmount(m))),
            bool b => Wrapped("System.Boolean", JsonValue.Create(b)),
            DateOnly d => JsonValue.Create(d.ToString("yyyy-MM-dd'T'00:00:00", CultureInfo.InvariantCulture)),
            DateTime t => JsonValue.Create(t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)),
            DateTimeOffset t => JsonValue.Create(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"Property {name}: values of type {value.GetType().Name} have no iMIS wire form.", nameof(value)),
        };
        if (wire is not null) o["Value"] = wire;
        return o;
    }

    private static JsonObject Wrapped(string type, JsonNode? value) => new() { ["$type"] = type, ["$value"] = value };
}
