using System.Net.Sockets;
using System.Net;
using System.Runtime.CompilerServices;
using k8s.Models;

namespace Strata.Proxy.Model;

/// <summary>
/// The EndpointSlices of one Service to its endpoints per port, as upstream's EndpointSliceCache
/// (pkg/proxy/endpointslicecache.go): one endpoint per <c>ip:port</c> (a non-terminating one wins over a terminating
/// one with the same address), sorted by that text.
/// </summary>
public static class EndpointSliceConversion
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public static string? ServiceKeyOf(V1EndpointSlice slice) =>
        slice.Metadata?.Labels is { } labels && labels.TryGetValue(ServiceNameLabel, out var name) && !string.IsNullOrEmpty(name)
            ? $"{slice.Metadata.NamespaceProperty ?? "default"}/{name}"
            : null;

    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Dictionary<ServicePortName, IReadOnlyList<EndpointInfo>> ToEndpoints(
        string serviceKey, IEnumerable<V1EndpointSlice> slices, AddressFamily family, string nodeName)
    {
        var wantedType = family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
        var byPort = new Dictionary<ServicePortName, Dictionary<string, EndpointInfo>>();
        var slash = serviceKey.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (serviceKey[..slash], serviceKey[(slash + 1)..]);
        foreach (var slice in slices)
        {
            if (slice.AddressType != wantedType)
            {
                continue;
            }

            foreach (var port in slice.Ports ?? [])
            {
                if (port.Port is null or 0)
                {
                    continue;
                }

                // The API defaults an omitted name to "" and protocol to TCP; a file given to `proxy render` may omit them.
                var portName = new ServicePortName(ns, name, port.Name ?? "", string.IsNullOrEmpty(port.Protocol) ? "TCP" : port.Protocol);
                if (!byPort.TryGetValue(portName, out var set))
                {
                    byPort[portName] = set = new Dictionary<string, EndpointInfo>(StringComparer.Ordinal);
                }

                foreach (var endpoint in slice.Endpoints ?? [])
                {
                    if (endpoint.Addresses is not { Count: > 0 } || !IPAddress.TryParse(endpoint.Addresses[0], out var address))
                    {
                        continue;
                    }

                    var conditions = endpoint.Conditions;
                    var terminating = conditions?.Terminating == true;
                    var info = new EndpointInfo(
                        address,
                        port.Port.Value,
                        IsLocal: nodeName.Length > 0 && endpoint.NodeName == nodeName,
                        Ready: conditions?.Ready ?? true,
                        Serving: conditions?.Serving ?? true,
                        Terminating: terminating,
                        ZoneHints: endpoint.Hints?.ForZones is { Count: > 0 } zones ? zones.Select(z => z.Name).ToHashSet(StringComparer.Ordinal) : null);
                    var key = info.ToString();
                    if (!set.ContainsKey(key) || !terminating)
                    {
                        set[key] = info;
                    }
                }
            }
        }

        var result = new Dictionary<ServicePortName, IReadOnlyList<EndpointInfo>>();
        foreach (var (portName, set) in byPort)
        {
            if (set.Count > 0)
            {
                result[portName] = [.. set.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value)];
            }
        }

        return result;
    }
}
