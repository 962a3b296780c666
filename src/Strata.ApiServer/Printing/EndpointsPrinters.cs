using System.Globalization;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// Endpoints and EndpointSlices: <c>printEndpoints</c> / <c>formatEndpoints</c> and <c>printEndpointSlice</c> /
/// <c>formatDiscoveryPorts</c> / <c>formatDiscoveryEndpoints</c> in pkg/printers/internalversion/printers.go.
/// </summary>
internal static class EndpointsPrinters
{
    private const int Shown = 3;

    private static readonly TableColumn[] EndpointsColumns =
    [
        Col.Name,
        Col.String("Endpoints", SwaggerDocs.EndpointsSubsets),
        Col.Age,
    ];

    private static readonly TableColumn[] SliceColumns =
    [
        Col.Name,
        Col.String("AddressType", SwaggerDocs.EndpointSliceAddressType),
        Col.String("Ports", SwaggerDocs.EndpointSlicePorts),
        Col.String("Endpoints", SwaggerDocs.EndpointSliceEndpoints),
        Col.Age,
    ];

    public static TablePrinter Endpoints() => new(EndpointsColumns, (obj, now) =>
    [
        Cell.Of(obj.Name()),
        Cell.Of(FormatEndpoints(obj.Objects("subsets"))),
        Cell.Of(obj.Age(now)),
    ]);

    public static TablePrinter EndpointSlice() => new(SliceColumns, (obj, now) =>
    [
        Cell.Of(obj.Name()),
        Cell.Of(obj.Str("addressType")),
        Cell.Of(Cell.ListWithMore(obj.Objects("ports").Select(SlicePort).ToList(), Shown, "<unset>")),
        Cell.Of(Cell.ListWithMore(obj.Objects("endpoints").SelectMany(e => e.Strings("addresses")).ToList(), Shown, "<unset>")),
        Cell.Of(obj.Age(now)),
    ]);

    /// <summary>
    /// <c>formatEndpoints</c> with all ports: <c>ip:port</c> for every port of every subset (just <c>ip</c> for a
    /// subset without ports), the first three, then " + N more..."; <c>&lt;none&gt;</c> without subsets.
    /// </summary>
    private static string FormatEndpoints(IReadOnlyList<JsonObject> subsets)
    {
        if (subsets.Count == 0)
        {
            return "<none>";
        }

        var all = new List<string>();
        foreach (var subset in subsets)
        {
            var addresses = subset.Objects("addresses").Select(a => a.Str("ip")).ToList();
            var ports = subset.Objects("ports");
            if (ports.Count == 0)
            {
                all.AddRange(addresses);
                continue;
            }

            foreach (var port in ports)
            {
                var number = port.Int("port").ToString(CultureInfo.InvariantCulture);
                all.AddRange(addresses.Select(ip => JoinHostPort(ip, number)));
            }
        }

        // Unlike listWithMoreString, formatEndpoints prints nothing (not <unset>) for subsets without addresses.
        var text = string.Join(",", all.Take(Shown));
        return all.Count > Shown ? $"{text} + {all.Count - Shown} more..." : text;
    }

    /// <summary>Go's <c>net.JoinHostPort</c>: brackets around a host that contains a colon.</summary>
    private static string JoinHostPort(string host, string port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>The port number, else its name, else <c>*</c>.</summary>
    private static string SlicePort(JsonObject port) =>
        port.OptionalInt("port") is { } number ? number.ToString(CultureInfo.InvariantCulture)
        : port.OptionalStr("name") is { } name ? name
        : "*";
}
