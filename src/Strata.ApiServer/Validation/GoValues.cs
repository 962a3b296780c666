using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>The Go type an unstructured JSON value has after apimachinery's JSON decoding.</summary>
internal enum GoKind
{
    Nil,
    Bool,
    Int,
    Float,
    String,
    Array,
    Object,
}

/// <summary>
/// Custom resources as the API server holds them: <c>map[string]interface{}</c> decoded by apimachinery's
/// <c>util/json</c>, where a number is an <c>int64</c> when it parses as one and a <c>float64</c> otherwise.
/// This class classifies <see cref="JsonNode"/>s that way and prints them as Go would: <c>%v</c> for the
/// simple values of <c>field.Error.ErrorBody()</c>, <c>encoding/json</c> (map keys sorted) for the rest.
/// </summary>
internal static class GoValues
{
    public static GoKind KindOf(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return GoKind.Nil;
            case JsonObject:
                return GoKind.Object;
            case JsonArray:
                return GoKind.Array;
        }
        switch (node.GetValueKind())
        {
            case JsonValueKind.String:
                return GoKind.String;
            case JsonValueKind.True or JsonValueKind.False:
                return GoKind.Bool;
            case JsonValueKind.Number:
                return long.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? GoKind.Int : GoKind.Float;
            default:
                return GoKind.Nil;
        }
    }

    public static long AsInt(JsonNode node) => long.Parse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public static double AsFloat(JsonNode node) => double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    public static string AsString(JsonNode node) => node.GetValue<string>();

    public static bool AsBool(JsonNode node) => node.GetValueKind() == JsonValueKind.True;

    /// <summary>A number as a float64, whichever Go type it has.</summary>
    public static double AsNumber(JsonNode node) => KindOf(node) == GoKind.Int ? AsInt(node) : AsFloat(node);

    /// <summary>How <c>field.Error.ErrorBody()</c> prints a bad value: <c>%q</c> for strings, <c>%v</c> for numbers and booleans, JSON for the rest.</summary>
    public static string ErrorBodyValue(JsonNode? value) => KindOf(value) switch
    {
        GoKind.String => GoFormat.Quote(AsString(value!)),
        GoKind.Int => AsInt(value!).ToString(CultureInfo.InvariantCulture),
        GoKind.Float => FormatFloatV(AsFloat(value!)),
        GoKind.Bool => AsBool(value!) ? "true" : "false",
        _ => Marshal(value),
    };

    /// <summary><c>json.Marshal</c> of an unstructured value: map keys sorted, numbers as Go encodes int64 and float64.</summary>
    public static string Marshal(JsonNode? value)
    {
        var sb = new StringBuilder();
        AppendJson(sb, value);
        return sb.ToString();
    }

    private static void AppendJson(StringBuilder sb, JsonNode? value)
    {
        switch (KindOf(value))
        {
            case GoKind.Object:
                sb.Append('{');
                var first = true;
                foreach (var (key, child) in ((JsonObject)value!).OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    sb.Append(GoFormat.MarshalString(key)).Append(':');
                    AppendJson(sb, child);
                }
                sb.Append('}');
                break;
            case GoKind.Array:
                sb.Append('[');
                var array = (JsonArray)value!;
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
            case GoKind.String:
                sb.Append(GoFormat.MarshalString(AsString(value!)));
                break;
            case GoKind.Int:
                sb.Append(AsInt(value!).ToString(CultureInfo.InvariantCulture));
                break;
            case GoKind.Float:
                sb.Append(FormatFloatJson(AsFloat(value!)));
                break;
            case GoKind.Bool:
                sb.Append(AsBool(value!) ? "true" : "false");
                break;
            default:
                sb.Append("null");
                break;
        }
    }

    /// <summary><c>reflect.DeepEqual</c> on unstructured values: an int64 never equals a float64.</summary>
    public static bool DeepEqual(JsonNode? a, JsonNode? b)
    {
        var kind = KindOf(a);
        if (kind != KindOf(b))
        {
            return false;
        }
        switch (kind)
        {
            case GoKind.Nil:
                return true;
            case GoKind.Bool:
                return AsBool(a!) == AsBool(b!);
            case GoKind.Int:
                return AsInt(a!) == AsInt(b!);
            case GoKind.Float:
                return AsFloat(a!).Equals(AsFloat(b!)) && !double.IsNaN(AsFloat(a!));
            case GoKind.String:
                return AsString(a!) == AsString(b!);
            case GoKind.Array:
                var x = (JsonArray)a!;
                var y = (JsonArray)b!;
                if (x.Count != y.Count)
                {
                    return false;
                }
                for (var i = 0; i < x.Count; i++)
                {
                    if (!DeepEqual(x[i], y[i]))
                    {
                        return false;
                    }
                }
                return true;
            default:
                var m = (JsonObject)a!;
                var n = (JsonObject)b!;
                if (m.Count != n.Count)
                {
                    return false;
                }
                foreach (var (key, child) in m)
                {
                    if (!n.TryGetPropertyValue(key, out var other) || !DeepEqual(child, other))
                    {
                        return false;
                    }
                }
                return true;
        }
    }

    /// <summary><c>fmt.Sprintf("%v", f)</c> for a float64: <c>%g</c> with the shortest digits, exponent form from 1e+06 up and below 1e-04.</summary>
    public static string FormatFloatV(double f)
    {
        if (double.IsNaN(f))
        {
            return "NaN";
        }
        if (double.IsInfinity(f))
        {
            return f > 0 ? "+Inf" : "-Inf";
        }
        var (neg, digits, dp) = ShortestDigits(f);
        var exp = dp - 1;
        return exp < -4 || exp >= 6 ? FormatE(neg, digits, dp, twoDigitExponent: true) : FormatF(neg, digits, dp);
    }

    /// <summary><c>strconv.FormatFloat(f, 'f', -1, 64)</c>: the shortest digits, never an exponent.</summary>
    public static string FormatFloatPlain(double f)
    {
        if (double.IsNaN(f) || double.IsInfinity(f))
        {
            return FormatFloatV(f);
        }
        var (neg, digits, dp) = ShortestDigits(f);
        return FormatF(neg, digits, dp);
    }

    /// <summary>encoding/json's float64 encoding: plain unless below 1e-6 or from 1e21 up, then <c>1e-7</c>/<c>1e+21</c>.</summary>
    public static string FormatFloatJson(double f)
    {
        var abs = Math.Abs(f);
        var (neg, digits, dp) = ShortestDigits(f);
        if (abs != 0 && (abs < 1e-6 || abs >= 1e21))
        {
            return FormatE(neg, digits, dp, twoDigitExponent: false);
        }
        return FormatF(neg, digits, dp);
    }

    // The shortest round-trip decimal digits of f and the position of the decimal point (0.d1d2... × 10^dp).
    private static (bool Neg, string Digits, int Dp) ShortestDigits(double f)
    {
        var neg = f < 0 || (f == 0 && double.IsNegative(f));
        var text = Math.Abs(f).ToString("R", CultureInfo.InvariantCulture);
        var mantissa = text;
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            mantissa = text[..e];
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var intPart = point >= 0 ? mantissa[..point] : mantissa;
        var fracPart = point >= 0 ? mantissa[(point + 1)..] : "";
        var digits = (intPart + fracPart).TrimStart('0');
        var dp = intPart.TrimStart('0').Length + exponent;
        if (intPart.TrimStart('0').Length == 0)
        {
            // 0.000ddd: the leading zeros of the fraction move the point left.
            var zeros = fracPart.Length - fracPart.TrimStart('0').Length;
            dp = -zeros + exponent;
        }
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            return (neg, "0", 1);
        }
        return (neg, digits, dp);
    }

    private static string FormatE(bool neg, string digits, int dp, bool twoDigitExponent)
    {
        var sb = new StringBuilder();
        if (neg)
        {
            sb.Append('-');
        }
        sb.Append(digits[0]);
        if (digits.Length > 1)
        {
            sb.Append('.').Append(digits, 1, digits.Length - 1);
        }
        var exp = digits == "0" ? 0 : dp - 1;
        sb.Append('e').Append(exp < 0 ? '-' : '+');
        var abs = Math.Abs(exp).ToString(CultureInfo.InvariantCulture);
        if (twoDigitExponent && abs.Length < 2)
        {
            sb.Append('0');
        }
        return sb.Append(abs).ToString();
    }

    private static string FormatF(bool neg, string digits, int dp)
    {
        var sb = new StringBuilder();
        if (neg)
        {
            sb.Append('-');
        }
        if (dp <= 0)
        {
            sb.Append('0');
            if (digits != "0")
            {
                sb.Append('.').Append('0', -dp).Append(digits);
            }
        }
        else if (dp >= digits.Length)
        {
            sb.Append(digits).Append('0', dp - digits.Length);
        }
        else
        {
            sb.Append(digits, 0, dp).Append('.').Append(digits, dp, digits.Length - dp);
        }
        return sb.ToString();
    }
}
