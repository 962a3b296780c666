using System.Globalization;
using System.Text;

namespace Strata.Proxy.Health;

/// <summary>What a health endpoint answers: status, headers in order, body (no Date or Content-Length, the server adds those).</summary>
public sealed record HealthResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    private static readonly KeyValuePair<string, string> Json = new("Content-Type", "application/json");
    private static readonly KeyValuePair<string, string> NoSniff = new("X-Content-Type-Options", "nosniff");

    /// <summary>Go's http.NotFound, what a ServeMux answers for a path it has no handler for.</summary>
    public static HealthResponse NotFound { get; } =
        new(404, [new("Content-Type", "text/plain; charset=utf-8"), NoSniff], "404 page not found\n");

    /// <summary>
    /// /healthz: upstream's healthzHandler; 503 when the proxy is unhealthy or the node is not eligible. When healthy,
    /// lastUpdated is "now" (older releases' semantics, kept upstream).
    /// </summary>
    public static HealthResponse Healthz(ProxyHealth health, bool nodeEligible)
    {
        var healthy = health.Healthy && nodeEligible;
        return new HealthResponse(healthy ? 200 : 503, [Json, NoSniff], HealthJson(health, healthy, nodeEligible));
    }

    /// <summary>/livez: upstream's livezHandler; like /healthz without the node's eligibility.</summary>
    public static HealthResponse Livez(ProxyHealth health) =>
        new(health.Healthy ? 200 : 503, [Json, NoSniff], HealthJson(health, health.Healthy, null));

    /// <summary>
    /// A Service's health check node port (upstream's hcHandler in service_health.go): 200 when the node has local ready
    /// endpoints and the proxy is healthy, else 503; the body is upstream's tab-indented text, the endpoint count also in
    /// X-Load-Balancing-Endpoint-Weight.
    /// </summary>
    public static HealthResponse Service(string ns, string name, int localEndpoints, bool proxyHealthy)
    {
        var count = localEndpoints.ToString(CultureInfo.InvariantCulture);
        var body = new StringBuilder()
            .Append("{\n")
            .Append("\t\"service\": {\n")
            .Append("\t\t\"namespace\": ").Append(GoFormat.Quote(ns)).Append(",\n")
            .Append("\t\t\"name\": ").Append(GoFormat.Quote(name)).Append('\n')
            .Append("\t},\n")
            .Append("\t\"localEndpoints\": ").Append(count).Append(",\n")
            .Append("\t\"serviceProxyHealthy\": ").Append(GoFormat.Bool(proxyHealthy)).Append('\n')
            .Append('}')
            .ToString();
        return new HealthResponse(
            localEndpoints != 0 && proxyHealthy ? 200 : 503,
            [Json, NoSniff, new("X-Load-Balancing-Endpoint-Weight", count)],
            body);
    }

    /// <summary>json.Marshal of upstream's ProxyHealth: fields in struct order, nodeEligible and an empty status omitted.</summary>
    private static string HealthJson(ProxyHealth health, bool healthy, bool? nodeEligible)
    {
        var lastUpdated = healthy ? health.CurrentTime : health.LastUpdated;
        var json = new StringBuilder()
            .Append("{\"lastUpdated\":\"").Append(GoFormat.Time(lastUpdated))
            .Append("\",\"currentTime\":\"").Append(GoFormat.Time(health.CurrentTime)).Append('"');
        if (nodeEligible is { } eligible)
        {
            json.Append(",\"nodeEligible\":").Append(GoFormat.Bool(eligible));
        }

        json.Append(",\"healthy\":").Append(GoFormat.Bool(health.Healthy));
        if (health.Status.Count > 0)
        {
            json.Append(",\"status\":{");
            var first = true;
            foreach (var (family, proxier) in health.Status.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                json.Append(first ? "" : ",").Append(GoFormat.Quote(family))
                    .Append(":{\"lastUpdated\":\"").Append(GoFormat.Time(proxier.LastUpdated))
                    .Append("\",\"healthy\":").Append(GoFormat.Bool(proxier.Healthy)).Append('}');
                first = false;
            }

            json.Append('}');
        }

        return json.Append('}').ToString();
    }
}

/// <summary>How Go prints what the health bodies hold.</summary>
public static class GoFormat
{
    public static string Bool(bool value) => value ? "true" : "false";

    /// <summary>time.Time as encoding/json writes it (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC.</summary>
    public static string Time(DateTime time)
    {
        var utc = time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time;
        var text = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var ticks = utc.Ticks % TimeSpan.TicksPerSecond;
        if (ticks != 0)
        {
            text += "." + ticks.ToString("D7", CultureInfo.InvariantCulture).TrimEnd('0');
        }

        return text + "Z";
    }

    /// <summary>%q of a Kubernetes name: a double-quoted string with Go's escapes for quotes, backslashes and controls.</summary>
    public static string Quote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                < ' ' => "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }
}
