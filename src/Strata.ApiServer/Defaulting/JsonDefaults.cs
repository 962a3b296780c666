using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Defaulting;

/// <summary>Helpers that set a field only when the user left it unset (absent or null), as Go defaulters do for nil or zero values.</summary>
internal static class JsonDefaults
{
    public static JsonObject Object(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing)
        {
            return existing;
        }
        var created = new JsonObject();
        parent[name] = created;
        return created;
    }

    public static bool IsUnset(JsonObject o, string name) =>
        o[name] is null;

    /// <summary>Unset or Go's zero value for a string field.</summary>
    public static bool IsEmptyString(JsonObject o, string name) =>
        o[name] is null || o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0;

    /// <summary>Unset or Go's zero value for an int field.</summary>
    public static bool IsZeroNumber(JsonObject o, string name) =>
        o[name] is null || o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.ToJsonString() is "0" or "0.0";

    public static void String(JsonObject o, string name, string value)
    {
        if (IsEmptyString(o, name))
        {
            o[name] = value;
        }
    }

    public static void Number(JsonObject o, string name, long value)
    {
        if (IsZeroNumber(o, name))
        {
            o[name] = value;
        }
    }

    /// <summary>For pointer fields: set only when absent (a pointer to zero is a user value).</summary>
    public static void Pointer(JsonObject o, string name, JsonNode value)
    {
        if (IsUnset(o, name))
        {
            o[name] = value;
        }
    }

    public static IEnumerable<JsonObject> Objects(JsonObject? o, string name) =>
        o?[name] is JsonArray array ? array.OfType<JsonObject>() : [];
}
