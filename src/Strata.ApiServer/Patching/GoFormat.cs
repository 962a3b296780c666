using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Patching;

/// <summary>
/// Renders JSON values the way Go's fmt renders the decoded <c>interface{}</c> values
/// (<c>%v</c> and <c>reflect.TypeOf</c>), so that error messages read as upstream's do.
/// </summary>
internal static class GoFormat
{
    public static string Value(JsonNode? node)
    {
        var builder = new StringBuilder();
        Append(builder, node);
        return builder.ToString();
    }

    public static string List(IEnumerable<JsonNode?> items)
    {
        var builder = new StringBuilder("[");
        var first = true;
        foreach (var item in items)
        {
            if (!first)
            {
                builder.Append(' ');
            }

            first = false;
            Append(builder, item);
        }

        return builder.Append(']').ToString();
    }

    /// <summary>Go's <c>reflect.TypeOf(v)</c> printed with <c>%s</c>.</summary>
    public static string TypeName(JsonNode? node) => node switch
    {
        null => "%!s(<nil>)",
        JsonObject => "map[string]interface {}",
        JsonArray => "[]interface {}",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "bool",
            JsonValueKind.Number => JsonValues.IsInteger(node) ? "int64" : "float64",
            _ => "%!s(<nil>)",
        },
    };

    private static void Append(StringBuilder builder, JsonNode? node)
    {
        switch (node)
        {
            case null:
                builder.Append("<nil>");
                break;
            case JsonObject obj:
                builder.Append("map[");
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        builder.Append(' ');
                    }

                    first = false;
                    builder.Append(key).Append(':');
                    Append(builder, value);
                }

                builder.Append(']');
                break;
            case JsonArray array:
                builder.Append(List(array));
                break;
            default:
                switch (node.GetValueKind())
                {
                    case JsonValueKind.String:
                        builder.Append(node.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                        builder.Append("true");
                        break;
                    case JsonValueKind.False:
                        builder.Append("false");
                        break;
                    case JsonValueKind.Number:
                        var text = node.ToJsonString();
                        if (JsonValues.IsInteger(node))
                        {
                            builder.Append(text);
                        }
                        else
                        {
                            var d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                            builder.Append(FormatFloat(d));
                        }

                        break;
                    default:
                        builder.Append("<nil>");
                        break;
                }

                break;
        }
    }

    // Go's %v for float64 is %g with the shortest representation: exponent form below 1e-4
    // and from 1e21 up.
    private static string FormatFloat(double d)
    {
        var abs = Math.Abs(d);
        if (abs != 0 && (abs < 1e-4 || abs >= 1e21))
        {
            var s = d.ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant();
            var e = s.IndexOf('e');
            if (e < 0)
            {
                return s;
            }

            var mantissa = s[..e];
            var exponent = int.Parse(s[(e + 1)..], CultureInfo.InvariantCulture);
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }

        return d.ToString("R", CultureInfo.InvariantCulture);
    }
}
