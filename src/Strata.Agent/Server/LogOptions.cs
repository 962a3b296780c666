using System.Globalization;

namespace Strata.Agent.Server;

/// <summary>
/// <c>v1.PodLogOptions</c> as the kubelet reads them from the query of <c>/containerLogs</c> (server.go getContainerLogs),
/// validated as ValidatePodLogOptions does.
/// </summary>
public sealed record LogOptions
{
    public bool Follow { get; init; }

    public bool Previous { get; init; }

    public bool Timestamps { get; init; }

    public long? TailLines { get; init; }

    public long? LimitBytes { get; init; }

    public long? SinceSeconds { get; init; }

    public DateTimeOffset? SinceTime { get; init; }

    /// <summary>The earliest time asked for (sinceTime, or now minus sinceSeconds), or null.</summary>
    public DateTimeOffset? Since(DateTimeOffset now) => SinceTime ?? (SinceSeconds is { } seconds ? now.AddSeconds(-seconds) : null);

    /// <summary>
    /// Reads the options, or returns the kubelet's answer for a bad query: 400 <c>{"message": "Unable to decode query."}</c>
    /// for a value that does not parse, 422 <c>{"message": "Invalid request."}</c> for one that fails validation.
    /// </summary>
    public static LogOptionsResult Parse(Func<string, IReadOnlyList<string>> query)
    {
        var tail = query("tailLines");
        // The kubelet's backwards compatibility: "tail" sets tailLines, "all" is the same as no tail.
        if (query("tail") is { Count: > 0 } legacy && legacy[0].Length > 0)
        {
            tail = legacy[0] == "all" ? [] : legacy;
        }

        if (!TryInt64(tail, out var tailLines) || !TryInt64(query("limitBytes"), out var limitBytes)
            || !TryInt64(query("sinceSeconds"), out var sinceSeconds) || !TryTime(query("sinceTime"), out var sinceTime))
        {
            return new LogOptionsResult(null, 400, """{"message": "Unable to decode query."}""");
        }

        var options = new LogOptions
        {
            Follow = QueryValues.Bool(query("follow")),
            Previous = QueryValues.Bool(query("previous")),
            Timestamps = QueryValues.Bool(query("timestamps")),
            TailLines = tailLines,
            LimitBytes = limitBytes,
            SinceSeconds = sinceSeconds,
            SinceTime = sinceTime,
        };
        var invalid = tailLines < 0 || limitBytes < 1 || sinceSeconds < 1 || (sinceSeconds is not null && sinceTime is not null);
        return invalid ? new LogOptionsResult(null, 422, """{"message": "Invalid request."}""") : new LogOptionsResult(options, 200, null);
    }

    private static bool TryInt64(IReadOnlyList<string> values, out long? value)
    {
        value = null;
        if (values.Count == 0 || values[0].Length == 0)
        {
            return true;
        }

        if (long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }

    private static bool TryTime(IReadOnlyList<string> values, out DateTimeOffset? value)
    {
        value = null;
        if (values.Count == 0 || values[0].Length == 0)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(values[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }
}

/// <summary>The parsed options, or the status and body to answer with.</summary>
public sealed record LogOptionsResult(LogOptions? Options, int Status, string? Error);
