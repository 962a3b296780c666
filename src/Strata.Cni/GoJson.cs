using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>
/// Writes JSON byte for byte as Go's encoding/json does, which is what libcni sends plugins and
/// writes to its cache: numbers as float64 (1.0 → 1, 1e3 → 1000, 1e21 → 1e+21), the characters
/// &lt; &gt; &amp; U+2028 U+2029 escaped, and, for values that went through a Go map, keys sorted
/// (<see cref="Sorted"/>). Objects are written in their insertion order, so a caller builds a Go
/// struct by adding its fields in declaration order. Pure.
/// </summary>
public static class GoJson
{
    /// <summary>Compact encoding (json.Marshal).</summary>
    public static string Serialize(JsonNode? node)
    {
        var builder = new StringBuilder();
        Write(builder, node, indent: null, depth: 0);
        return builder.ToString();
    }

    /// <summary>Indented encoding (json.MarshalIndent(v, "", indent)).</summary>
    public static string Serialize(JsonNode? node, string indent)
    {
        var builder = new StringBuilder();
        Write(builder, node, indent, depth: 0);
        return builder.ToString();
    }

    public static byte[] SerializeToUtf8(JsonNode? node) => Encoding.UTF8.GetBytes(Serialize(node));

    /// <summary>
    /// A deep copy with every object's keys in Go's map order (sort.Strings: bytewise on UTF-8), which
    /// is what a value gets after json.Unmarshal into interface{} and json.Marshal again.
    /// </summary>
    public static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, Utf8Order.Instance)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Sorted).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    /// <summary>The same object with only its own keys sorted; the values are moved, not copied.</summary>
    public static JsonObject SortedTopLevel(JsonObject obj)
    {
        var pairs = obj.OrderBy(p => p.Key, Utf8Order.Instance).ToList();
        obj.Clear();
        return new JsonObject(pairs);
    }

    private static void Write(StringBuilder builder, JsonNode? node, string? indent, int depth)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                break;
            case JsonObject obj:
                if (obj.Count == 0)
                {
                    builder.Append("{}");
                    break;
                }

                builder.Append('{');
                bool first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }

                    first = false;
                    NewLine(builder, indent, depth + 1);
                    WriteString(builder, key);
                    builder.Append(indent is null ? ":" : ": ");
                    Write(builder, value, indent, depth + 1);
                }

                NewLine(builder, indent, depth);
                builder.Append('}');
                break;
            case JsonArray array:
                if (array.Count == 0)
                {
                    builder.Append("[]");
                    break;
                }

                builder.Append('[');
                for (int i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    NewLine(builder, indent, depth + 1);
                    Write(builder, array[i], indent, depth + 1);
                }

                NewLine(builder, indent, depth);
                builder.Append(']');
                break;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        WriteString(builder, value.GetValue<string>());
                        break;
                    case JsonValueKind.Number:
                        builder.Append(FormatNumber(value.ToJsonString()));
                        break;
                    case JsonValueKind.True:
                        builder.Append("true");
                        break;
                    case JsonValueKind.False:
                        builder.Append("false");
                        break;
                    default:
                        builder.Append("null");
                        break;
                }

                break;
        }
    }

    private static void NewLine(StringBuilder builder, string? indent, int depth)
    {
        if (indent is null)
        {
            return;
        }

        builder.Append('\n');
        for (int i = 0; i < depth; i++)
        {
            builder.Append(indent);
        }
    }

    /// <summary>A JSON number as Go writes the float64 it decodes to (encoding/json floatEncoder).</summary>
    public static string FormatNumber(string literal)
    {
        if (!double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !double.IsFinite(number))
        {
            throw new FormatException($"the number {literal} does not fit a float64");
        }

        return FormatFloat(number);
    }

    public static string FormatFloat(double number)
    {
        if (number == 0)
        {
            return double.IsNegative(number) ? "-0" : "0";
        }

        // The shortest digits that round-trip, as strconv.FormatFloat(f, fmt, -1, 64) uses.
        string shortest = Math.Abs(number).ToString("R", CultureInfo.InvariantCulture);
        int e = shortest.IndexOfAny(['E', 'e']);
        string mantissa = e < 0 ? shortest : shortest[..e];
        int exponent = e < 0 ? 0 : int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int dot = mantissa.IndexOf('.');
        string digits = dot < 0 ? mantissa : mantissa[..dot] + mantissa[(dot + 1)..];
        int point = (dot < 0 ? mantissa.Length : dot) + exponent; // value = 0.<digits> × 10^point
        int leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits[leading..].TrimEnd('0');
        point -= leading;

        var builder = new StringBuilder();
        if (number < 0)
        {
            builder.Append('-');
        }

        double abs = Math.Abs(number);
        if (abs < 1e-6 || abs >= 1e21)
        {
            builder.Append(digits[0]);
            if (digits.Length > 1)
            {
                builder.Append('.').Append(digits, 1, digits.Length - 1);
            }

            int exp = point - 1;
            builder.Append('e').Append(exp < 0 ? '-' : '+');
            // Go's %e writes at least two exponent digits, then encoding/json turns e-07 into e-7.
            builder.Append(Math.Abs(exp).ToString(exp < 0 ? "0" : "00", CultureInfo.InvariantCulture));
        }
        else if (point <= 0)
        {
            builder.Append("0.").Append('0', -point).Append(digits);
        }
        else if (point >= digits.Length)
        {
            builder.Append(digits).Append('0', point - digits.Length);
        }
        else
        {
            builder.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
        }

        return builder.ToString();
    }

    /// <summary>encoding/json's string encoder with HTML escaping on (the json.Marshal default).</summary>
    private static void WriteString(StringBuilder builder, string text)
    {
        const string hex = "0123456789abcdef";
        builder.Append('"');
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    continue;
                case '\\':
                    builder.Append("\\\\");
                    continue;
                case '\b':
                    builder.Append("\\b");
                    continue;
                case '\f':
                    builder.Append("\\f");
                    continue;
                case '\n':
                    builder.Append("\\n");
                    continue;
                case '\r':
                    builder.Append("\\r");
                    continue;
                case '\t':
                    builder.Append("\\t");
                    continue;
                case '<' or '>' or '&' or '\u2028' or '\u2029' or < ' ':
                    builder.Append("\\u").Append(hex[c >> 12]).Append(hex[c >> 8 & 0xf]).Append(hex[c >> 4 & 0xf]).Append(hex[c & 0xf]);
                    continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                builder.Append("\\ufffd"); // Go replaces invalid UTF-8 with U+FFFD
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append('"');
    }

    /// <summary>Orders strings bytewise on their UTF-8 encoding, as Go compares strings.</summary>
    private sealed class Utf8Order : IComparer<string>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(string? x, string? y) =>
            Encoding.UTF8.GetBytes(x ?? string.Empty).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y ?? string.Empty));
    }
}
