using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// Lenient reads of a stored object's JSON: a missing, null or wrongly typed field reads as Go's zero value,
/// which is what the printers upstream see after decoding into the internal types.
/// </summary>
internal static class JsonFields
{
    public static JsonNode? At(this JsonNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(key, out node))
            {
                return null;
            }
        }

        return node;
    }

    public static string Str(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue v && v.TryGetValue(out string? s) ? s : "";

    /// <summary>A string field that upstream holds as a pointer: null when absent.</summary>
    public static string? OptionalStr(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    public static long Int(this JsonNode? node, params string[] path) => OptionalInt(node, path) ?? 0;

    public static long? OptionalInt(this JsonNode? node, params string[] path)
    {
        if (node.At(path) is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        return v.TryGetValue(out long l) ? l : (long)v.GetValue<double>();
    }

    public static bool Bool(this JsonNode? node, params string[] path) => OptionalBool(node, path) ?? false;

    public static bool? OptionalBool(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue v && v.TryGetValue(out bool b) ? b : null;

    public static JsonObject? Obj(this JsonNode? node, params string[] path) => node.At(path) as JsonObject;

    /// <summary>The elements of an array field that are objects; empty when the field is absent.</summary>
    public static IReadOnlyList<JsonObject> Objects(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonArray a ? a.OfType<JsonObject>().ToList() : [];

    public static IReadOnlyList<string> Strings(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonArray a
            ? a.Select(e => e is JsonValue v && v.TryGetValue(out string? s) ? s : "").ToList()
            : [];

    /// <summary>A <c>map[string]string</c> field (labels, selectors); empty when absent.</summary>
    public static IReadOnlyDictionary<string, string> StringMap(this JsonNode? node, params string[] path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node.At(path) is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                map[key] = value is JsonValue v && v.TryGetValue(out string? s) ? s : "";
            }
        }

        return map;
    }

    /// <summary>The number of keys of a map field (Secret data, ConfigMap data).</summary>
    public static int Count(this JsonNode? node, params string[] path) => node.At(path) switch
    {
        JsonObject o => o.Count,
        JsonArray a => a.Count,
        _ => 0,
    };

    /// <summary>
    /// A <c>metav1.Time</c> or <c>metav1.MicroTime</c> field. Null when unset, including Go's zero time
    /// (0001-01-01T00:00:00Z), which <c>IsZero()</c> treats as unset too.
    /// </summary>
    public static DateTimeOffset? Time(this JsonNode? node, params string[] path)
    {
        var text = node.Str(path);
        if (text.Length == 0 ||
            !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return null;
        }

        return t.UtcTicks == 0 ? null : t;
    }

    public static string Name(this JsonObject obj) => obj.Str("metadata", "name");

    public static string Age(this JsonObject obj, DateTimeOffset now) =>
        HumanDuration.Since(obj.Time("metadata", "creationTimestamp"), now);
}
