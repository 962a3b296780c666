using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Patching;

/// <summary>Comparisons of JSON values with the semantics of Go's decoded values.</summary>
internal static class JsonValues
{
    /// <summary>
    /// A number whose text is an integer: apimachinery's decoder keeps those as int64 and
    /// everything else as float64, and Go never finds an int64 equal to a float64.
    /// </summary>
    public static bool IsInteger(JsonNode node) =>
        long.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    /// <summary>Go's <c>==</c> between two decoded scalars (strings, numbers, booleans, nil).</summary>
    public static bool ScalarEquals(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a is JsonObject || a is JsonArray || b is JsonObject || b is JsonArray)
        {
            return ReferenceEquals(a, b);
        }

        var kindA = a.GetValueKind();
        var kindB = b.GetValueKind();
        if (kindA != kindB)
        {
            return false;
        }

        switch (kindA)
        {
            case JsonValueKind.String:
                return string.Equals(a.GetValue<string>(), b.GetValue<string>(), StringComparison.Ordinal);
            case JsonValueKind.Number:
                var intA = IsInteger(a);
                if (intA != IsInteger(b))
                {
                    return false;
                }

                if (intA)
                {
                    return long.Parse(a.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
                        == long.Parse(b.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                }

                return double.Parse(a.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
                    == double.Parse(b.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
            default:
                return true;
        }
    }

    /// <summary>The Go type of a decoded value, for "same type" checks.</summary>
    public static string GoType(JsonNode? node) => GoFormat.TypeName(node);
}
