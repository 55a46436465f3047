using System.Globalization;
using System.Text.Json.Nodes;

namespace DuesPilot.ImisSandbox;

/// <summary>
/// The sandbox's own rendering of iMIS's Json.NET wire format (<c>$type</c>, <c>$values</c>, typed
/// <c>$value</c> wrappers). Written independently of the DuesPilot client, from imis-api.md.
/// </summary>
internal static class Wire
{
    public const string Asm = ", Asi.Contracts";
    public const string Core = "Asi.Soa.Core.DataContracts.";
    public const string Commerce = "Asi.Soa.Commerce.DataContracts.";
    public const string Membership = "Asi.Soa.Membership.DataContracts.";

    public static JsonObject Obj(string type) => new() { ["$type"] = type };

    public static JsonObject Collection(string type, IEnumerable<JsonNode?> values)
    {
        var arr = new JsonArray();
        foreach (var v in values) arr.Add(v);
        return new JsonObject { ["$type"] = type, ["$values"] = arr };
    }

    public static JsonObject StringCollection(IEnumerable<string> values) =>
        Collection("System.Collections.ObjectModel.Collection`1[[System.String, mscorlib]], mscorlib", values.Select(v => (JsonNode?)JsonValue.Create(v)));

    public static decimal AmountOf(long cents) => decimal.Parse(FormatCents(cents), CultureInfo.InvariantCulture);

    public static string FormatCents(long cents)
    {
        var abs = Math.Abs(cents);
        return (cents < 0 ? "-" : "") + (abs / 100).ToString(CultureInfo.InvariantCulture) + "." + (abs % 100).ToString("00", CultureInfo.InvariantCulture);
    }

    public static JsonObject CurrencyUsd() => new()
    {
        ["$type"] = Core + "CurrencyData" + Asm,
        ["CurrencyCode"] = "USD",
        ["DecimalPositions"] = 2,
    };

    public static JsonObject Money(long cents) => new()
    {
        ["$type"] = Core + "MonetaryAmountData" + Asm,
        ["Amount"] = AmountOf(cents),
        ["Currency"] = CurrencyUsd(),
        ["IsAmountDefined"] = true,
    };

    public static JsonObject PartySummary(string partyId, string? name)
    {
        var o = Obj(Membership + "PartySummaryData" + Asm);
        o["PartyId"] = partyId;
        if (name is not null)
        {
            o["Id"] = partyId;
            o["Name"] = name;
        }

        return o;
    }

    public static JsonObject Property(string name, JsonNode? value)
    {
        var o = Obj(Core + "GenericPropertyData" + Asm);
        o["Name"] = name;
        if (value is not null) o["Value"] = value;
        return o;
    }

    public static JsonObject Typed(string clrType, JsonNode value) => new() { ["$type"] = clrType, ["$value"] = value };

    public static JsonObject Identity(string entity, params string[] elements) => new()
    {
        ["$type"] = Core + "IdentityData" + Asm,
        ["EntityTypeName"] = entity,
        ["IdentityElements"] = StringCollection(elements),
    };

    public static JsonObject UpdateInfo(string createdOn, string updatedOn) => new()
    {
        ["$type"] = Core + "EntityUpdateInformationData" + Asm,
        ["CreatedBy"] = "ADMINISTRATOR",
        ["CreatedOn"] = createdOn,
        ["UpdatedBy"] = "ADMINISTRATOR",
        ["UpdatedOn"] = updatedOn,
    };

    public static JsonObject Paged(string itemType, IEnumerable<JsonNode?> items, int offset, int limit, int totalCount)
    {
        var list = items.ToList();
        var hasNext = offset + list.Count < totalCount;
        return new JsonObject
        {
            ["$type"] = $"Asi.Soa.Core.DataContracts.PagedResult`1[[{itemType}, Asi.Contracts]], Asi.Contracts",
            ["Items"] = Collection($"System.Collections.Generic.List`1[[{itemType}, Asi.Contracts]], mscorlib", list),
            ["Offset"] = offset,
            ["Limit"] = limit,
            ["Count"] = list.Count,
            ["TotalCount"] = totalCount,
            ["NextPageLink"] = null,
            ["HasNext"] = hasNext,
            ["NextOffset"] = hasNext ? offset + list.Count : 0,
        };
    }

    /// <summary>The error envelope. Only <c>Errors.$values[].Message</c> is confirmed for iMIS; the type names are the suggested ones.</summary>
    public static JsonObject Errors(params string[] messages) => new()
    {
        ["$type"] = Core + "ValidationResultsData" + Asm,
        ["Errors"] = Collection(Core + "ValidationResultDataCollection" + Asm,
            messages.Select(m => (JsonNode?)new JsonObject { ["$type"] = Core + "ValidationResultData" + Asm, ["Message"] = m })),
        ["IsValid"] = false,
    };

    /// <summary>Dates as iMIS writes them: ISO without offset.</summary>
    public static string Date(string isoDate) => isoDate + "T00:00:00";

    public static string Instant(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture);

    /// <summary>Case-insensitive property lookup: iMIS accepts other casings on input.</summary>
    public static JsonNode? Get(JsonNode? node, string name)
    {
        if (node is not JsonObject o) return null;
        foreach (var kv in o)
            if (string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)) return kv.Value;
        return null;
    }

    public static IEnumerable<JsonNode?> Values(JsonNode? node) => node switch
    {
        JsonArray a => a,
        JsonObject => Get(node, "$values") as JsonArray ?? [],
        _ => [],
    };

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node is JsonValue n ? n.ToJsonString() : null;

    /// <summary>Reads a money amount as cents: a MonetaryAmountData object, or a bare number.</summary>
    public static long? Cents(JsonNode? node)
    {
        var amount = node is JsonObject ? Get(node, "Amount") : node;
        if (amount is not JsonValue v) return null;
        decimal d;
        if (v.TryGetValue<decimal>(out var dec)) d = dec;
        else if (v.TryGetValue<string>(out var s) && decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed)) d = parsed;
        else return null;
        var cents = d * 100m;
        return cents == decimal.Truncate(cents) ? (long)cents : null;
    }

    /// <summary>Unwraps a GenericPropertyData value: bare string, or <c>{"$type":…,"$value":…}</c>.</summary>
    public static JsonNode? Unwrap(JsonNode? value) => value is JsonObject o && Get(o, "$value") is { } inner ? inner : value;
}
