using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Strata.Cni;

namespace Strata.Agent.Agnhost;

/// <summary>Go's spellings of values that agnhost prints: JSON, quoted strings, times, durations, addresses.</summary>
public static class GoFormat
{
    /// <summary>A JSON object of string values with sorted keys, as Go's <c>json.Marshal</c> writes a map[string]string.</summary>
    public static string JsonObject(IEnumerable<KeyValuePair<string, string>> values) =>
        GoJson.Serialize(GoJson.Sorted(new JsonObject(values.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value))))));

    /// <summary>A JSON object of string arrays with sorted keys (Go's map[string][]string).</summary>
    public static string JsonObject(IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> values) =>
        GoJson.Serialize(GoJson.Sorted(new JsonObject(values.Select(p =>
            KeyValuePair.Create(p.Key, (JsonNode?)new JsonArray([.. p.Value.Select(v => (JsonNode?)JsonValue.Create(v))]))))));

    /// <summary>A JSON string as Go writes it: HTML-safe (&lt; &gt; &amp; escaped), other characters as they are.</summary>
    public static string JsonString(string value) => GoJson.Serialize(JsonValue.Create(value));

    /// <summary>Go's <c>%q</c> of a string (for ASCII text: a C-style double-quoted string).</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case < ' ' or '\u007f': text.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }

        return text.Append('"').ToString();
    }

    /// <summary>
    /// <c>time.Now()</c> printed with <c>%v</c>: <c>2006-01-02 15:04:05.999999999 -0700 MST m=+0.000000001</c> (the
    /// monotonic reading is the time since the process started).
    /// </summary>
    public static string Time(DateTimeOffset now, TimeSpan sinceStart)
    {
        string fraction = now.ToString("fffffff", CultureInfo.InvariantCulture).TrimEnd('0');
        string offset = now.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal);
        string zone = now.Offset == TimeSpan.Zero ? "UTC" : offset;
        string seconds = sinceStart.TotalSeconds.ToString("0.000000000", CultureInfo.InvariantCulture);
        return now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + (fraction.Length > 0 ? "." + fraction : "") +
            $" {offset} {zone} m=+{seconds}";
    }

    /// <summary>A duration as Go's <c>time.Duration.String()</c> writes it (<c>0s</c>, <c>1.5s</c>, <c>1m30s</c>, <c>250ms</c>).</summary>
    public static string Duration(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        string sign = duration < TimeSpan.Zero ? "-" : "";
        duration = duration.Duration();
        if (duration < TimeSpan.FromSeconds(1))
        {
            double ms = duration.TotalMilliseconds;
            return ms >= 1
                ? sign + ms.ToString("0.######", CultureInfo.InvariantCulture) + "ms"
                : sign + (duration.Ticks / 10.0).ToString("0.###", CultureInfo.InvariantCulture) + "µs";
        }

        var text = new StringBuilder(sign);
        if (duration.TotalHours >= 1)
        {
            text.Append((long)duration.TotalHours).Append('h');
        }

        if (duration.TotalMinutes >= 1)
        {
            text.Append(duration.Minutes).Append('m');
        }

        double secs = duration.Seconds + (duration.Ticks % TimeSpan.TicksPerSecond) / (double)TimeSpan.TicksPerSecond;
        text.Append(secs.ToString("0.#######", CultureInfo.InvariantCulture)).Append('s');
        return text.ToString();
    }

    /// <summary>Parses a Go duration (<c>time.ParseDuration</c>): <c>300ms</c>, <c>1.5h</c>, <c>2h45m</c>, <c>0</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        int i = 0;
        bool negative = false;
        if (text[0] is '+' or '-')
        {
            negative = text[0] == '-';
            i++;
        }

        if (text[i..] == "0")
        {
            return true;
        }

        double total = 0;
        bool any = false;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(text[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            {
                return false;
            }

            int unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.')
            {
                i++;
            }

            double? scale = text[unitStart..i] switch
            {
                "ns" => 1e-9, "us" or "µs" or "μs" => 1e-6, "ms" => 1e-3, "s" => 1, "m" => 60, "h" => 3600, _ => null,
            };
            if (scale is null)
            {
                return false;
            }

            total += number * scale.Value;
            any = true;
        }

        duration = TimeSpan.FromSeconds(negative ? -total : total);
        return any;
    }

    /// <summary>An endpoint as Go prints a net.Addr: <c>10.0.0.1:80</c>, <c>[fe80::1]:80</c>; IPv4 seen on a dual-stack socket as IPv4.</summary>
    public static string Endpoint(IPAddress address, int port)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{address}]:{port}"
            : $"{address}:{port}";
    }
}
