using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using k8s.Models;

namespace Strata.Dns.Cluster;

public enum ServiceKind
{
    ClusterIP,
    Headless,
    ExternalName,
}

/// <summary>A Service port (or an EndpointSlice port): name, protocol in lower case, number.</summary>
public sealed record PortEntry(string Name, string Protocol, int Port);

/// <summary>One endpoint address of a Service, with the hostname the EndpointSlice controller gave it.</summary>
public sealed record EndpointEntry(IPAddress Address, string? Hostname, bool Ready)
{
    /// <summary>
    /// The endpoint's first label: its hostname, or its address with dots or colons as dashes
    /// (CoreDNS endpointHostname: 172-0-0-2, 5678-abcd--1).
    /// </summary>
    public string Label => !string.IsNullOrEmpty(Hostname) ? Hostname : DashedIp.Format(Address);
}

/// <summary>The endpoints of one EndpointSlice: its ports apply to each of its addresses.</summary>
public sealed record EndpointGroup(IReadOnlyList<PortEntry> Ports, IReadOnlyList<EndpointEntry> Endpoints);

/// <summary>What DNS needs of a Service and its EndpointSlices.</summary>
public sealed record ServiceEntry(
    string Namespace,
    string Name,
    ServiceKind Kind,
    IReadOnlyList<IPAddress> ClusterIPs,
    string? ExternalName,
    IReadOnlyList<PortEntry> Ports,
    bool PublishNotReadyAddresses,
    IReadOnlyList<EndpointGroup> EndpointGroups)
{
    /// <summary>Endpoints DNS publishes: ready ones, or all of them with <c>publishNotReadyAddresses</c>.</summary>
    public IEnumerable<(EndpointGroup Group, EndpointEntry Endpoint)> PublishedEndpoints =>
        EndpointGroups.SelectMany(g => g.Endpoints.Where(e => e.Ready || PublishNotReadyAddresses).Select(e => (g, e)));
}

/// <summary>
/// An immutable view of the cluster for answering queries (CoreDNS keeps the same split: controller.go's indexes,
/// read by handler.go). Lookups are by lower-case names; Kubernetes object names are lower case already.
/// </summary>
public sealed class ClusterSnapshot
{
    public static ClusterSnapshot NotSynced { get; } = new(false, FrozenSet<string>.Empty, FrozenDictionary<string, ServiceEntry>.Empty, FrozenDictionary<IPAddress, string[]>.Empty, FrozenDictionary<IPAddress, string[]>.Empty, 0);

    private ClusterSnapshot(bool synced, FrozenSet<string> namespaces, FrozenDictionary<string, ServiceEntry> services, FrozenDictionary<IPAddress, string[]> podNamespacesByIp, FrozenDictionary<IPAddress, string[]> reverse, uint serial)
    {
        Synced = synced;
        Namespaces = namespaces;
        Services = services;
        PodNamespacesByIp = podNamespacesByIp;
        Reverse = reverse;
        Serial = serial;
    }

    /// <summary>False until every informer has listed once: answers are then SERVFAIL, never a wrong NXDOMAIN.</summary>
    public bool Synced { get; }

    public FrozenSet<string> Namespaces { get; }

    /// <summary>Keyed "name.namespace".</summary>
    public FrozenDictionary<string, ServiceEntry> Services { get; }

    /// <summary>The namespaces of running pods by IP (pods verified).</summary>
    public FrozenDictionary<IPAddress, string[]> PodNamespacesByIp { get; }

    /// <summary>PTR targets relative to the zone: "svc.ns.svc" for ClusterIPs, "label.svc.ns.svc" for endpoints.</summary>
    public FrozenDictionary<IPAddress, string[]> Reverse { get; }

    /// <summary>The SOA serial: when the snapshot was built, in seconds since the epoch (CoreDNS uses the last change).</summary>
    public uint Serial { get; }

    public ServiceEntry? Service(string ns, string name) => Services.GetValueOrDefault(name + "." + ns);

    public static ClusterSnapshot Build(
        IEnumerable<V1Namespace> namespaces,
        IEnumerable<V1Service> services,
        IEnumerable<V1EndpointSlice> slices,
        IEnumerable<V1Pod> pods,
        uint serial)
    {
        var groups = new Dictionary<string, List<EndpointGroup>>();
        foreach (var slice in slices)
        {
            if (slice.AddressType is not ("IPv4" or "IPv6")
                || slice.Metadata.Labels?.TryGetValue("kubernetes.io/service-name", out var owner) != true
                || string.IsNullOrEmpty(owner))
            {
                continue;
            }

            var ports = (slice.Ports ?? []).Select(p => new PortEntry(p.Name ?? "", (p.Protocol ?? "TCP").ToLowerInvariant(), p.Port ?? -1)).ToList();
            var endpoints = new List<EndpointEntry>();
            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // EndpointSlice conditions: a nil ready means ready (discovery/v1 EndpointConditions).
                var ready = endpoint.Conditions?.Ready != false;
                foreach (var address in endpoint.Addresses ?? [])
                {
                    if (IPAddress.TryParse(address, out var ip))
                    {
                        endpoints.Add(new EndpointEntry(ip, endpoint.Hostname, ready));
                    }
                }
            }

            var key = owner + "." + slice.Metadata.NamespaceProperty;
            if (!groups.TryGetValue(key, out var list))
            {
                groups[key] = list = [];
            }

            list.Add(new EndpointGroup(ports, endpoints));
        }

        var entries = new Dictionary<string, ServiceEntry>();
        var reverse = new Dictionary<IPAddress, List<string>>();
        foreach (var service in services)
        {
            var entry = ToEntry(service, groups.GetValueOrDefault(service.Metadata.Name + "." + service.Metadata.NamespaceProperty) ?? []);
            entries[entry.Name + "." + entry.Namespace] = entry;
            var serviceName = $"{entry.Name}.{entry.Namespace}.svc";
            foreach (var ip in entry.ClusterIPs)
            {
                AddReverse(reverse, ip, serviceName);
            }

            if (entry.Kind != ServiceKind.ExternalName)
            {
                foreach (var (_, endpoint) in entry.PublishedEndpoints)
                {
                    AddReverse(reverse, endpoint.Address, endpoint.Label + "." + serviceName);
                }
            }
        }

        var podNamespaces = new Dictionary<IPAddress, List<string>>();
        foreach (var pod in pods)
        {
            if (pod.Spec?.HostNetwork == true || pod.Status?.Phase is "Succeeded" or "Failed")
            {
                continue;
            }

            foreach (var podIp in pod.Status?.PodIPs?.Select(p => p.Ip) ?? [pod.Status?.PodIP])
            {
                if (IPAddress.TryParse(podIp, out var ip))
                {
                    if (!podNamespaces.TryGetValue(ip, out var list))
                    {
                        podNamespaces[ip] = list = [];
                    }

                    list.Add(pod.Metadata.NamespaceProperty);
                }
            }
        }

        return new ClusterSnapshot(
            true,
            namespaces.Select(n => n.Metadata.Name).ToFrozenSet(),
            entries.ToFrozenDictionary(),
            podNamespaces.ToFrozenDictionary(p => p.Key, p => p.Value.Distinct().ToArray()),
            reverse.ToFrozenDictionary(p => p.Key, p => p.Value.Distinct().ToArray()),
            serial);
    }

    private static void AddReverse(Dictionary<IPAddress, List<string>> reverse, IPAddress ip, string name)
    {
        if (!reverse.TryGetValue(ip, out var names))
        {
            reverse[ip] = names = [];
        }

        names.Add(name);
    }

    private static ServiceEntry ToEntry(V1Service service, IReadOnlyList<EndpointGroup> groups)
    {
        var spec = service.Spec ?? new V1ServiceSpec();
        var ports = (spec.Ports ?? []).Select(p => new PortEntry(p.Name ?? "", (p.Protocol ?? "TCP").ToLowerInvariant(), p.Port)).ToList();
        if (spec.Type == "ExternalName")
        {
            return new ServiceEntry(service.Metadata.NamespaceProperty, service.Metadata.Name, ServiceKind.ExternalName, [],
                Wire.DnsName.Normalize(spec.ExternalName ?? ""), ports, false, []);
        }

        var clusterIps = (spec.ClusterIPs is { Count: > 0 } ips ? ips : [spec.ClusterIP])
            .Select(ip => IPAddress.TryParse(ip, out var a) ? a : null)
            .OfType<IPAddress>()
            .ToList();
        var headless = spec.ClusterIP == "None" || (clusterIps.Count == 0 && string.IsNullOrEmpty(spec.ClusterIP));
        return new ServiceEntry(service.Metadata.NamespaceProperty, service.Metadata.Name,
            headless ? ServiceKind.Headless : ServiceKind.ClusterIP, headless ? [] : clusterIps, null, ports,
            spec.PublishNotReadyAddresses == true, groups);
    }
}

/// <summary>IP addresses as one DNS label: dots (IPv4) or colons (IPv6) become dashes, as CoreDNS and the spec write them.</summary>
public static class DashedIp
{
    public static string Format(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString().Replace('.', '-');
        }

        // A label cannot end with a dash: "fd00::" becomes "fd00--0" (CoreDNS kubernetes.go endpointHostname).
        var dashed = address.ToString().Replace(':', '-');
        return dashed.EndsWith('-') ? dashed + "0" : dashed;
    }

    /// <summary>Parses "1-2-3-4" or "5678-abcd--1"; null for anything else.</summary>
    public static IPAddress? Parse(string label)
    {
        if (label.Count(c => c == '-') == 3 && IPAddress.TryParse(label.Replace('-', '.'), out var v4) && v4.AddressFamily == AddressFamily.InterNetwork
            && label.Split('-').All(p => p.Length > 0 && p.All(char.IsAsciiDigit)))
        {
            return v4;
        }

        if (label.Contains("--", StringComparison.Ordinal) || label.Count(c => c == '-') == 7)
        {
            if (IPAddress.TryParse(label.Replace('-', ':'), out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
            {
                return v6;
            }
        }

        return null;
    }
}
