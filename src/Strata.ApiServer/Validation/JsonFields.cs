using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// Typed reads from a decoded object, with Go's zero values for absent fields (an absent string is <c>""</c>,
/// an absent int is 0) and <c>null</c> where the Go field is a pointer, map or slice that can be nil.
/// </summary>
internal static class JsonFields
{
    public static JsonObject? Obj(this JsonObject? o, string name) => o?[name] as JsonObject;

    public static JsonArray? Arr(this JsonObject? o, string name) => o?[name] as JsonArray;

    public static bool Has(this JsonObject? o, string name) => o is not null && o[name] is not null;

    public static string Str(this JsonObject? o, string name) => StrOrNull(o, name) ?? "";

    public static string? StrOrNull(this JsonObject? o, string name) => AsString(o?[name]);

    public static long Int(this JsonObject? o, string name) => IntOrNull(o, name) ?? 0;

    public static long? IntOrNull(this JsonObject? o, string name) => AsInt64(o?[name]);

    public static bool Bool(this JsonObject? o, string name) => BoolOrNull(o, name) ?? false;

    public static bool? BoolOrNull(this JsonObject? o, string name) =>
        o?[name] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValueKind() == JsonValueKind.True
            : null;

    public static string? AsString(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static long? AsInt64(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }
        var text = v.ToJsonString();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d)
            ? (long)d
            : null;
    }

    /// <summary>The objects of an array with their indexes; entries that are not objects read as empty ones.</summary>
    public static IEnumerable<(int Index, JsonObject Item)> Items(this JsonArray? array)
    {
        if (array is null)
        {
            yield break;
        }
        for (var i = 0; i < array.Count; i++)
        {
            yield return (i, array[i] as JsonObject ?? []);
        }
    }

    /// <summary>The strings of an array (a Go <c>[]string</c>).</summary>
    public static List<string> Strings(this JsonArray? array) =>
        array is null ? [] : array.Select(n => AsString(n) ?? "").ToList();

    /// <summary>The members of a string map (a Go <c>map[string]string</c>), in document order.</summary>
    public static List<KeyValuePair<string, string>> StringMap(this JsonObject? o, string name) =>
        Obj(o, name) is { } map ? map.Select(kv => new KeyValuePair<string, string>(kv.Key, AsString(kv.Value) ?? "")).ToList() : [];

    /// <summary>A Go map as <c>json.Marshal</c> prints it: keys sorted; a missing map prints <c>null</c>.</summary>
    public static JsonObject? SortedStringMap(this JsonObject? o, string name)
    {
        if (Obj(o, name) is not { } map)
        {
            return null;
        }
        var sorted = new JsonObject();
        foreach (var kv in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sorted[kv.Key] = AsString(kv.Value) ?? "";
        }
        return sorted;
    }

    /// <summary>An intstr.IntOrString: the int when numeric, else the string.</summary>
    public static (bool IsInt, long IntValue, string StrValue) IntOrString(JsonNode? node)
    {
        if (AsInt64(node) is { } i)
        {
            return (true, i, "");
        }
        if (AsString(node) is { } s)
        {
            return (false, 0, s);
        }
        return (true, 0, "");
    }
}
