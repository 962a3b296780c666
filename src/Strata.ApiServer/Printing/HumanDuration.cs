namespace Strata.ApiServer.Printing;

/// <summary>
/// The AGE-style durations of k8s.io/apimachinery/pkg/util/duration/duration.go: <see cref="Format"/> is
/// <c>HumanDuration</c> ("2m5s", "3h10m", "2d3h", "3y20d"), <see cref="FormatShort"/> is <c>ShortHumanDuration</c>.
/// Integer division truncates toward zero as Go's does.
/// </summary>
public static class HumanDuration
{
    private const long TicksPerMinute = TimeSpan.TicksPerMinute;
    private const long TicksPerHour = TimeSpan.TicksPerHour;

    public static string Format(TimeSpan d)
    {
        // Up to two seconds in the future counts as now, to tolerate clock skew between machines.
        var seconds = d.Ticks / TimeSpan.TicksPerSecond;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return $"{seconds}s";
        }

        var minutes = d.Ticks / TicksPerMinute;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }

        if (minutes < 60 * 3)
        {
            return $"{minutes}m";
        }

        var hours = d.Ticks / TicksPerHour;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{dy}d";
        }

        return $"{hours / 24 / 365}y";
    }

    public static string FormatShort(TimeSpan d)
    {
        var seconds = d.Ticks / TimeSpan.TicksPerSecond;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60)
        {
            return $"{seconds}s";
        }

        var minutes = d.Ticks / TicksPerMinute;
        if (minutes < 60)
        {
            return $"{minutes}m";
        }

        var hours = d.Ticks / TicksPerHour;
        if (hours < 24)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 365)
        {
            return $"{hours / 24}d";
        }

        // Go computes int(d.Hours()/24/365) in floating point; truncating the integer hours gives the same year.
        return $"{hours / 24 / 365}y";
    }

    /// <summary>
    /// printers.go's <c>translateTimestampSince</c>: <c>&lt;unknown&gt;</c> for an unset timestamp, otherwise the
    /// <see cref="Format"/>ted time between it and <paramref name="now"/>.
    /// </summary>
    public static string Since(DateTimeOffset? timestamp, DateTimeOffset now) =>
        timestamp is { } t ? Format(now - t) : "<unknown>";
}
