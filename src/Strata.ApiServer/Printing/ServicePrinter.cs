using System.Globalization;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>Services: <c>printService</c> in pkg/printers/internalversion/printers.go.</summary>
internal static class ServicePrinter
{
    private static readonly TableColumn[] Columns =
    [
        Col.Name,
        Col.String("Type", SwaggerDocs.ServiceSpecType),
        Col.String("Cluster-IP", SwaggerDocs.ServiceSpecClusterIP),
        Col.String("External-IP", SwaggerDocs.ServiceSpecExternalIPs),
        Col.String("Port(s)", SwaggerDocs.ServiceSpecPorts),
        Col.Age,
        Col.String("Selector", SwaggerDocs.ServiceSpecSelector, 1),
    ];

    public static TablePrinter Create() => new(Columns, Cells);

    private static JsonNode?[] Cells(JsonObject service, DateTimeOffset now)
    {
        var spec = service.Obj("spec");
        var ports = PortString(spec.Objects("ports"));
        return
        [
            Cell.Of(service.Name()),
            Cell.Of(Type(spec)),
            Cell.Of(ClusterIP(spec) is { Length: > 0 } ip ? ip : "<none>"),
            Cell.Of(ExternalIP(service, wide: true)),
            Cell.Of(ports.Length == 0 ? "<none>" : ports),
            Cell.Of(service.Age(now)),
            Cell.Of(LabelFormatting.FormatLabels(spec.StringMap("selector"))),
        ];
    }

    /// <summary>The API server defaults an unset type to ClusterIP before anything is stored or printed.</summary>
    private static string Type(JsonObject? spec) => spec.Str("type") is { Length: > 0 } type ? type : "ClusterIP";

    /// <summary>
    /// printService shows <c>clusterIPs[0]</c>. The service registry fills <c>clusterIPs</c> from a lone
    /// <c>clusterIP</c> before storing (normalizeClusterIPs in pkg/registry/core/service/strategy.go), so an
    /// object that only has the singular field gets the same answer.
    /// </summary>
    private static string ClusterIP(JsonObject? spec) =>
        spec.Strings("clusterIPs") is [var first, ..] ? first : spec.Str("clusterIP");

    /// <summary>
    /// <c>getServiceExternalIP</c>. The server always prints wide, so a long load-balancer list is never cut
    /// to 16 characters in a Table; <paramref name="wide"/> exists to test the narrow form.
    /// </summary>
    internal static string ExternalIP(JsonObject service, bool wide)
    {
        var externalIPs = service.Strings("spec", "externalIPs");
        switch (Type(service.Obj("spec")))
        {
            case "ClusterIP":
            case "NodePort":
                return externalIPs.Count > 0 ? string.Join(",", externalIPs) : "<none>";
            case "LoadBalancer":
                var balancerIPs = LoadBalancerStatus(service.Objects("status", "loadBalancer", "ingress"), wide);
                if (externalIPs.Count > 0)
                {
                    var all = new List<string>();
                    if (balancerIPs.Length > 0)
                    {
                        all.AddRange(balancerIPs.Split(','));
                    }

                    all.AddRange(externalIPs);
                    return string.Join(",", all);
                }

                return balancerIPs.Length > 0 ? balancerIPs : "<pending>";
            case "ExternalName":
                return service.Str("spec", "externalName");
            default:
                return "<unknown>";
        }
    }

    /// <summary>
    /// <c>loadBalancerStatusStringer</c> (and the Ingress one, which is the same): each ingress point's IP, or its
    /// hostname when it has no IP, deduplicated and sorted; cut to 13 characters and "..." unless wide.
    /// </summary>
    internal static string LoadBalancerStatus(IReadOnlyList<JsonObject> ingress, bool wide)
    {
        const int width = 16;
        var points = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var point in ingress)
        {
            if (point.Str("ip") is { Length: > 0 } ip)
            {
                points.Add(ip);
            }
            else if (point.Str("hostname") is { Length: > 0 } hostname)
            {
                points.Add(hostname);
            }
        }

        var text = string.Join(",", points);
        return !wide && text.Length > width ? text[..(width - 3)] + "..." : text;
    }

    /// <summary><c>makePortString</c>: <c>port/PROTO</c>, or <c>port:nodePort/PROTO</c>, joined by commas.</summary>
    private static string PortString(IReadOnlyList<JsonObject> ports) => string.Join(",", ports.Select(port =>
    {
        // The API server defaults an unset protocol to TCP.
        var protocol = port.Str("protocol") is { Length: > 0 } p ? p : "TCP";
        var number = port.Int("port").ToString(CultureInfo.InvariantCulture);
        var nodePort = port.Int("nodePort");
        return nodePort > 0 ? $"{number}:{nodePort}/{protocol}" : $"{number}/{protocol}";
    }));
}
