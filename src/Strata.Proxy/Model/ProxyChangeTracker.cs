using System.Net.Sockets;
using System.Net;
using System.Runtime.CompilerServices;
using k8s.Models;

namespace Strata.Proxy.Model;

/// <summary>
/// The one change tracker every proxy mode shares (upstream's ServiceChangeTracker and EndpointsChangeTracker): it
/// takes Service and EndpointSlice events (never Endpoints), keeps the current ports and endpoints per Service, and
/// hands out a <see cref="ProxySnapshot"/> naming the Services that changed since the previous one. Thread-safe.
/// </summary>
public sealed class ProxyChangeTracker(string nodeName, AddressFamily family = AddressFamily.InterNetwork)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, IReadOnlyList<ServicePortInfo>> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, V1EndpointSlice>> _slices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<ServicePortName, IReadOnlyList<EndpointInfo>>> _endpoints = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pendingEndpoints = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);

    // What the previous snapshot held, for the conntrack clean-up of UDP ports whose endpoints changed.
    private Dictionary<ServicePortName, IReadOnlyList<EndpointInfo>> _appliedEndpoints = [];
    private Dictionary<ServicePortName, ServicePortInfo> _appliedServices = [];

    public string NodeName { get; } = nodeName;

    public AddressFamily Family { get; } = family;

    /// <summary>Records an added or updated Service; true if what the proxy programs for it changed.</summary>
    public bool UpsertService(V1Service service)
    {
        var key = $"{service.Metadata.NamespaceProperty ?? "default"}/{service.Metadata.Name}";
        var ports = ServiceConversion.ToServicePorts(service, Family);
        lock (_lock)
        {
            if (_services.TryGetValue(key, out var old) && old.Count == ports.Count && old.Zip(ports).All(p => p.First.SameAs(p.Second)))
            {
                return false;
            }

            if (ports.Count == 0)
            {
                _services.Remove(key);
            }
            else
            {
                _services[key] = ports;
            }

            _changed.Add(key);
            return true;
        }
    }

    public bool DeleteService(V1Service service)
    {
        var key = $"{service.Metadata.NamespaceProperty ?? "default"}/{service.Metadata.Name}";
        lock (_lock)
        {
            if (!_services.Remove(key))
            {
                return false;
            }

            _changed.Add(key);
            return true;
        }
    }

    /// <summary>Records an added or updated EndpointSlice; true if it differs from the one held.</summary>
    public bool UpsertEndpointSlice(V1EndpointSlice slice) => ChangeSlice(slice, remove: false);

    public bool DeleteEndpointSlice(V1EndpointSlice slice) => ChangeSlice(slice, remove: true);

    private bool ChangeSlice(V1EndpointSlice slice, bool remove)
    {
        if (EndpointSliceConversion.ServiceKeyOf(slice) is not { } key || string.IsNullOrEmpty(slice.Metadata?.Name))
        {
            return false;
        }

        lock (_lock)
        {
            if (!_slices.TryGetValue(key, out var byName))
            {
                if (remove)
                {
                    return false;
                }

                _slices[key] = byName = new Dictionary<string, V1EndpointSlice>(StringComparer.Ordinal);
            }

            if (remove)
            {
                if (!byName.Remove(slice.Metadata.Name))
                {
                    return false;
                }

                if (byName.Count == 0)
                {
                    _slices.Remove(key);
                }
            }
            else
            {
                byName[slice.Metadata.Name] = slice;
            }

            _pendingEndpoints.Add(key);
            return true;
        }
    }

    /// <summary>
    /// The current state, and which Services changed (ports or endpoints) since the previous call. The pending changes
    /// are consumed: a caller that fails to apply this snapshot must do a full sync next.
    /// </summary>
    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ProxySnapshot Checkout()
    {
        lock (_lock)
        {
            foreach (var key in _pendingEndpoints)
            {
                var before = _endpoints.GetValueOrDefault(key);
                var after = _slices.TryGetValue(key, out var byName)
                    ? EndpointSliceConversion.ToEndpoints(key, byName.Values, Family, NodeName)
                    : [];
                if (!SameEndpoints(before, after))
                {
                    _changed.Add(key);
                }

                if (after.Count == 0)
                {
                    _endpoints.Remove(key);
                }
                else
                {
                    _endpoints[key] = after;
                }
            }

            _pendingEndpoints.Clear();
            var services = new Dictionary<ServicePortName, ServicePortInfo>();
            foreach (var ports in _services.Values)
            {
                foreach (var port in ports)
                {
                    services[port.Name] = port;
                }
            }

            var endpoints = new Dictionary<ServicePortName, IReadOnlyList<EndpointInfo>>();
            foreach (var byPort in _endpoints.Values)
            {
                foreach (var (name, list) in byPort)
                {
                    endpoints[name] = list;
                }
            }

            var changed = _changed.ToHashSet(StringComparer.Ordinal);
            _changed.Clear();
            var cleanups = ConntrackCleanup.Compute(_appliedServices, _appliedEndpoints, services, endpoints, changed);
            _appliedServices = services;
            _appliedEndpoints = endpoints;
            return new ProxySnapshot(services, endpoints, changed, cleanups);
        }
    }

    private static bool SameEndpoints(
        Dictionary<ServicePortName, IReadOnlyList<EndpointInfo>>? a, Dictionary<ServicePortName, IReadOnlyList<EndpointInfo>> b)
    {
        if ((a?.Count ?? 0) != b.Count)
        {
            return false;
        }

        foreach (var (name, list) in b)
        {
            if (a is null || !a.TryGetValue(name, out var other) || !other.SequenceEqual(list))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>The proxy's input at one moment: every Service port, its endpoints, and what changed.</summary>
public sealed record ProxySnapshot(
    IReadOnlyDictionary<ServicePortName, ServicePortInfo> Services,
    IReadOnlyDictionary<ServicePortName, IReadOnlyList<EndpointInfo>> Endpoints,
    IReadOnlySet<string> ChangedServices,
    IReadOnlyList<ConntrackCleanup> ConntrackCleanups);

/// <summary>
/// A conntrack deletion a UDP change calls for (upstream's conntrack.CleanStaleEntries): flows to a removed endpoint
/// (<see cref="EndpointIp"/> set), or flows to a Service address or node port that had no endpoint before and may hold
/// an entry that blackholes it (<see cref="EndpointIp"/> null).
/// </summary>
public sealed record ConntrackCleanup(IPAddress? OriginalDestination, int NodePort, IPAddress? EndpointIp)
{
    internal static List<ConntrackCleanup> Compute(
        Dictionary<ServicePortName, ServicePortInfo> oldServices,
        Dictionary<ServicePortName, IReadOnlyList<EndpointInfo>> oldEndpoints,
        Dictionary<ServicePortName, ServicePortInfo> services,
        Dictionary<ServicePortName, IReadOnlyList<EndpointInfo>> endpoints,
        IReadOnlySet<string> changed)
    {
        var result = new List<ConntrackCleanup>();
        foreach (var (name, info) in services)
        {
            if (info.Protocol != "UDP" || !changed.Contains(name.ServiceKey))
            {
                continue;
            }

            var before = oldEndpoints.GetValueOrDefault(name) ?? [];
            var after = endpoints.GetValueOrDefault(name) ?? [];
            var destinations = new List<IPAddress> { info.ClusterIP };
            destinations.AddRange(info.ExternalIPs);
            destinations.AddRange(info.LoadBalancerVIPs);
            if (before.Count == 0 && after.Count > 0 && oldServices.ContainsKey(name))
            {
                foreach (var destination in destinations)
                {
                    result.Add(new ConntrackCleanup(destination, 0, null));
                }

                if (info.NodePort != 0)
                {
                    result.Add(new ConntrackCleanup(null, info.NodePort, null));
                }
            }

            var kept = after.Select(e => e.Address).ToHashSet();
            foreach (var gone in before.Where(e => !kept.Contains(e.Address)).Select(e => e.Address).Distinct())
            {
                foreach (var destination in destinations)
                {
                    result.Add(new ConntrackCleanup(destination, 0, gone));
                }

                if (info.NodePort != 0)
                {
                    result.Add(new ConntrackCleanup(null, info.NodePort, gone));
                }
            }
        }

        return result;
    }
}
