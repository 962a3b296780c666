using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// Go's value printing as the validation messages use it: <c>strconv.Quote</c> (<c>%q</c>) and
/// <c>encoding/json.Marshal</c> (HTML-safe escaping, compact, object members in the order given).
/// </summary>
public static class GoFormat
{
    /// <summary><c>strconv.Quote</c>: printable runes kept, the rest escaped as Go does.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (var rune in value.EnumerateRunes())
        {
            var r = rune.Value;
            switch (r)
            {
                case '"': sb.Append("\\\""); continue;
                case '\\': sb.Append("\\\\"); continue;
                case '\a': sb.Append("\\a"); continue;
                case '\b': sb.Append("\\b"); continue;
                case '\f': sb.Append("\\f"); continue;
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
                case '\v': sb.Append("\\v"); continue;
            }
            if (IsPrint(rune))
            {
                sb.Append(rune.ToString());
            }
            else if (r < ' ' || r == 0x7f)
            {
                sb.Append("\\x").Append(r.ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (r == Rune.ReplacementChar.Value)
            {
                sb.Append(rune.ToString());
            }
            else if (r < 0x10000)
            {
                sb.Append("\\u").Append(r.ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\U").Append(r.ToString("x8", CultureInfo.InvariantCulture));
            }
        }
        sb.Append('"');
        return sb.ToString();
    }

    /// <summary><c>json.Marshal</c> of a Go string.</summary>
    public static string MarshalString(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        AppendJsonString(sb, value);
        return sb.ToString();
    }

    /// <summary><c>json.Marshal</c> of a value; a null node is Go's <c>nil</c> and prints <c>null</c>.</summary>
    public static string Marshal(JsonNode? value)
    {
        var sb = new StringBuilder();
        AppendJson(sb, value);
        return sb.ToString();
    }

    private static void AppendJson(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                var first = true;
                foreach (var (key, child) in obj)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    AppendJsonString(sb, key);
                    sb.Append(':');
                    AppendJson(sb, child);
                }
                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }
                    AppendJson(sb, array[i]);
                }
                sb.Append(']');
                break;
            default:
                switch (node.GetValueKind())
                {
                    case JsonValueKind.String:
                        AppendJsonString(sb, node.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                        sb.Append("true");
                        break;
                    case JsonValueKind.False:
                        sb.Append("false");
                        break;
                    case JsonValueKind.Null:
                        sb.Append("null");
                        break;
                    default:
                        sb.Append(node.ToJsonString());
                        break;
                }
                break;
        }
    }

    // encoding/json's encodeState.string with escapeHTML set, as json.Marshal uses.
    private static void AppendJsonString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (var rune in value.EnumerateRunes())
        {
            var r = rune.Value;
            switch (r)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<' or '>' or '&' or 0x2028 or 0x2029:
                    sb.Append("\\u").Append(r.ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (r < 0x20)
                    {
                        sb.Append("\\u").Append(r.ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(rune.ToString());
                    }
                    break;
            }
        }
        sb.Append('"');
    }

    // unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    private static bool IsPrint(Rune rune)
    {
        if (rune.Value == ' ')
        {
            return true;
        }
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator => false,
            _ => true,
        };
    }
}
