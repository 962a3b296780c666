using System.Globalization;
using System.Text;

namespace Strata.ApiServer.Protobuf;

/// <summary>The text forms Go's time package gives the meta/v1 Time, MicroTime and Duration types.</summary>
internal static class GoFormats
{
    /// <summary>Unix seconds of Go's zero time.Time, 0001-01-01T00:00:00Z: <c>IsZero()</c> is true there.</summary>
    public const long ZeroTimeUnixSeconds = -62_135_596_800;

    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>meta/v1 Time as MarshalJSON prints it: <c>2006-01-02T15:04:05Z</c> in UTC, or null when zero.</summary>
    public static string? FormatTime(long seconds)
    {
        if (seconds == ZeroTimeUnixSeconds)
        {
            return null;
        }
        return ToDateTime(seconds, 0).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>meta/v1 MicroTime as MarshalJSON prints it: <c>2006-01-02T15:04:05.000000Z</c>, or null when zero.</summary>
    public static string? FormatMicroTime(long seconds, int nanos)
    {
        var micros = nanos / 1000;
        if (seconds == ZeroTimeUnixSeconds && micros == 0)
        {
            return null;
        }
        return ToDateTime(seconds, micros * 1000).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>Parses an RFC 3339 time as Go's time.Parse(time.RFC3339, ...) does; returns Unix seconds and nanoseconds.</summary>
    public static (long Seconds, int Nanos) ParseTime(string text)
    {
        // .NET parses at most 7 fractional digits (100 ns ticks); Go takes up to 9.
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var trimmed = text;
        if (dot >= 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }
            if (end - dot - 1 > 7)
            {
                trimmed = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end));
            }
        }
        if (!DateTimeOffset.TryParseExact(trimmed, s_rfc3339Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            throw new KubeProtobufException($"time \"{text}\" is not RFC 3339");
        }
        var ticks = value.UtcTicks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }
        // .NET keeps 100 ns ticks; digits beyond that are dropped, as MicroTime keeps only microseconds anyway.
        return (seconds, (int)(rest * 100));
    }

    private static readonly string[] s_rfc3339Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    private static DateTime ToDateTime(long seconds, int nanos)
    {
        const long MaxSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z
        if (seconds < ZeroTimeUnixSeconds || seconds > MaxSeconds)
        {
            throw new KubeProtobufException($"time {seconds}s is outside the years 1 to 9999 that JSON can hold");
        }
        return DateTime.UnixEpoch.AddTicks(seconds * TimeSpan.TicksPerSecond + nanos / 100);
    }

    /// <summary>Go's time.Duration.String(): <c>1h2m3.5s</c>, <c>1.5ms</c>, <c>0s</c>.</summary>
    public static string FormatDuration(long nanoseconds)
    {
        if (nanoseconds == 0)
        {
            return "0s";
        }
        var negative = nanoseconds < 0;
        var u = negative ? (ulong)(-(nanoseconds + 1)) + 1 : (ulong)nanoseconds;
        var sb = new StringBuilder();
        if (negative)
        {
            sb.Append('-');
        }
        if (u < NanosPerSecond)
        {
            if (u < 1000)
            {
                return sb.Append(u).Append("ns").ToString();
            }
            if (u < 1_000_000)
            {
                return AppendFraction(sb, u, 3).Append('\u00b5').Append('s').ToString();
            }
            return AppendFraction(sb, u, 6).Append("ms").ToString();
        }
        var fraction = u % NanosPerSecond;
        var totalSeconds = u / NanosPerSecond;
        var secondsText = AppendFraction(new StringBuilder(), (totalSeconds % 60 * NanosPerSecond) + fraction, 9).Append('s').ToString();
        var totalMinutes = totalSeconds / 60;
        if (totalMinutes > 0)
        {
            var hours = totalMinutes / 60;
            if (hours > 0)
            {
                sb.Append(hours).Append('h');
            }
            sb.Append(totalMinutes % 60).Append('m');
        }
        return sb.Append(secondsText).ToString();
    }

    private static StringBuilder AppendFraction(StringBuilder sb, ulong value, int digits)
    {
        var scale = 1UL;
        for (var i = 0; i < digits; i++)
        {
            scale *= 10;
        }
        sb.Append(value / scale);
        var fraction = value % scale;
        if (fraction != 0)
        {
            var text = fraction.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
            sb.Append('.').Append(text);
        }
        return sb;
    }

    /// <summary>Go's time.ParseDuration: a sequence of decimal numbers with units ns, us, µs, ms, s, m, h.</summary>
    public static long ParseDuration(string text)
    {
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.SequenceEqual("0"))
        {
            return 0;
        }
        if (s.IsEmpty)
        {
            throw new KubeProtobufException($"invalid duration \"{text}\"");
        }
        decimal total = 0;
        while (!s.IsEmpty)
        {
            var i = 0;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            var number = s[..i];
            if (number.IsEmpty || number.SequenceEqual(".")
                || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                throw new KubeProtobufException($"invalid duration \"{text}\"");
            }
            s = s[i..];
            var j = 0;
            while (j < s.Length && !char.IsAsciiDigit(s[j]) && s[j] != '.')
            {
                j++;
            }
            decimal unit = s[..j] switch
            {
                "ns" => 1m,
                "us" or "\u00b5s" or "\u03bcs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => throw new KubeProtobufException($"unknown or missing unit in duration \"{text}\""),
            };
            s = s[j..];
            total += value * unit;
        }
        total = decimal.Truncate(total);
        if (negative)
        {
            total = -total;
        }
        if (total > long.MaxValue || total < long.MinValue)
        {
            throw new KubeProtobufException($"invalid duration \"{text}\"");
        }
        return (long)total;
    }
}
