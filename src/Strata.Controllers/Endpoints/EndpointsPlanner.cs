using k8s.Models;

using Strata.Controllers.Machinery;

namespace Strata.Controllers.Endpoints;

/// <summary>
/// The Endpoints controller's pure part (pkg/controller/endpoint/endpoints_controller.go syncService, and
/// pkg/api/v1/endpoints/util.go RepackSubsets): a Service and the pods its selector matches give the core/v1
/// Endpoints subsets; with the Endpoints as stored, the object to write, or null when nothing changed.
/// Deviation: upstream orders ports and subsets by an object hash; here ports sort by name, port and protocol, and
/// subsets by their first port and address (addresses sort by IP then pod UID as upstream).
/// </summary>
public static class EndpointsPlanner
{
    public const int MaxCapacity = 1000;
    public const string OverCapacityAnnotation = "endpoints.kubernetes.io/over-capacity";
    public const string Truncated = "truncated";
    public const string LeaderAnnotation = "control-plane.alpha.kubernetes.io/leader";

    /// <summary>The repacked subsets for the Service's pods.</summary>
    public static List<V1EndpointSubset> Subsets(V1Service service, IEnumerable<V1Pod> pods)
    {
        var publishNotReady = service.Spec?.PublishNotReadyAddresses == true;
        var subsets = new List<V1EndpointSubset>();
        foreach (var pod in pods)
        {
            if (!PodEndpoints.ShouldBeInEndpoints(pod, publishNotReady) || Address(service, pod) is not { } address)
            {
                continue;
            }

            var ready = publishNotReady || PodConditions.IsReady(pod);
            var ports = service.Spec?.Ports ?? [];
            if (ports.Count == 0)
            {
                if (service.Spec?.ClusterIP == PodEndpoints.ClusterIPNone)
                {
                    subsets.Add(Subset(address, null, ready));
                }

                continue;
            }

            foreach (var servicePort in ports)
            {
                if (PodEndpoints.FindPort(pod, servicePort) is { } number)
                {
                    subsets.Add(Subset(address, new Corev1EndpointPort
                    {
                        Name = string.IsNullOrEmpty(servicePort.Name) ? null : servicePort.Name,
                        Port = number,
                        Protocol = servicePort.Protocol ?? "TCP",
                        AppProtocol = servicePort.AppProtocol,
                    }, ready));
                }
            }
        }

        return Repack(subsets);
    }

    /// <summary>
    /// The Endpoints to write for the Service, starting from <paramref name="current"/> (null when there is none), or
    /// null when the stored one already matches.
    /// </summary>
    public static V1Endpoints? Desired(V1Service service, IEnumerable<V1Pod> pods, V1Endpoints? current, DateTime? triggerTime)
    {
        var subsets = Subsets(service, pods);
        var serviceLabels = service.Metadata.Labels ?? new Dictionary<string, string>();
        if (current is not null)
        {
            var compareLabels = (current.Metadata.Labels ?? new Dictionary<string, string>()).Where(kv => kv.Key != PodEndpoints.HeadlessLabel).ToDictionary();
            if (SubsetsKey(current.Subsets) == SubsetsKey(subsets)
                && SameLabels(compareLabels, serviceLabels)
                && CapacityAnnotationSetCorrectly(current))
            {
                return null;
            }
        }

        var result = new V1Endpoints
        {
            ApiVersion = "v1",
            Kind = "Endpoints",
            Metadata = new V1ObjectMeta
            {
                Name = service.Metadata.Name,
                NamespaceProperty = service.Metadata.NamespaceProperty,
                ResourceVersion = current?.Metadata.ResourceVersion,
                Uid = current?.Metadata.Uid,
                Annotations = current?.Metadata.Annotations is { } a ? new Dictionary<string, string>(a) : [],
                Labels = new Dictionary<string, string>(serviceLabels),
                OwnerReferences = current?.Metadata.OwnerReferences,
                Finalizers = current?.Metadata.Finalizers,
            },
            Subsets = subsets,
        };
        if (triggerTime is { } time)
        {
            result.Metadata.Annotations[PodEndpoints.LastChangeTriggerTime] = TriggerTimeTracker.Format(time);
        }
        else
        {
            result.Metadata.Annotations.Remove(PodEndpoints.LastChangeTriggerTime);
        }

        if (Truncate(result))
        {
            result.Metadata.Annotations[OverCapacityAnnotation] = Truncated;
        }
        else
        {
            result.Metadata.Annotations.Remove(OverCapacityAnnotation);
        }

        if (!PodEndpoints.IsServiceIPSet(service))
        {
            result.Metadata.Labels[PodEndpoints.HeadlessLabel] = "";
        }
        else
        {
            result.Metadata.Labels.Remove(PodEndpoints.HeadlessLabel);
        }

        return result;
    }

    /// <summary>podToEndpointAddressForService: the pod's IP of the Service's (first) family.</summary>
    public static V1EndpointAddress? Address(V1Service service, V1Pod pod)
    {
        bool ipv6;
        if (service.Spec?.IpFamilies is { Count: > 0 } families)
        {
            ipv6 = families[0] == "IPv6";
        }
        else if (PodEndpoints.IsServiceIPSet(service))
        {
            ipv6 = PodEndpoints.IsIPv6(service.Spec!.ClusterIP);
        }
        else
        {
            ipv6 = PodEndpoints.IsIPv6(pod.Status?.PodIP ?? "");
        }

        var ip = PodEndpoints.IPs(pod).FirstOrDefault(i => PodEndpoints.IsIPv6(i) == ipv6);
        if (ip is null)
        {
            return null;
        }

        return new V1EndpointAddress
        {
            Ip = ip,
            NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
            Hostname = PodEndpoints.ShouldSetHostname(pod, service) ? pod.Spec!.Hostname : null,
            TargetRef = new V1ObjectReference { Kind = "Pod", NamespaceProperty = pod.Metadata.NamespaceProperty, Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
        };
    }

    private static V1EndpointSubset Subset(V1EndpointAddress address, Corev1EndpointPort? port, bool ready) => new()
    {
        Addresses = ready ? [address] : null,
        NotReadyAddresses = ready ? null : [address],
        Ports = port is null ? null : [port],
    };

    /// <summary>
    /// RepackSubsets: expand to (address, port) pairs, then group the ports offered by exactly the same addresses
    /// into one subset each. An address both ready and not ready for a port counts as ready.
    /// </summary>
    public static List<V1EndpointSubset> Repack(IEnumerable<V1EndpointSubset> subsets)
    {
        var addresses = new Dictionary<string, V1EndpointAddress>();
        var byPort = new Dictionary<string, (Corev1EndpointPort? Port, Dictionary<string, bool> Ready)>();
        foreach (var subset in subsets)
        {
            var ports = subset.Ports is { Count: > 0 } p ? p.Select(x => (Corev1EndpointPort?)x).ToList() : [null];
            foreach (var port in ports)
            {
                var portKey = port is null ? "" : PortKey(port);
                if (!byPort.TryGetValue(portKey, out var entry))
                {
                    byPort[portKey] = entry = (port, []);
                }

                foreach (var address in subset.Addresses ?? [])
                {
                    var key = AddressKey(address);
                    addresses.TryAdd(key, address);
                    entry.Ready[key] = true;
                }

                foreach (var address in subset.NotReadyAddresses ?? [])
                {
                    var key = AddressKey(address);
                    addresses.TryAdd(key, address);
                    entry.Ready.TryAdd(key, false);
                }
            }
        }

        var groups = new Dictionary<string, (Dictionary<string, bool> Ready, List<Corev1EndpointPort> Ports)>();
        foreach (var (_, (port, ready)) in byPort)
        {
            var groupKey = string.Join(";", ready.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
            if (!groups.TryGetValue(groupKey, out var group))
            {
                groups[groupKey] = group = (ready, []);
            }

            if (port is not null)
            {
                group.Ports.Add(port);
            }
        }

        var result = new List<V1EndpointSubset>();
        foreach (var (_, (ready, ports)) in groups)
        {
            var readyAddresses = ready.Where(kv => kv.Value).Select(kv => addresses[kv.Key]).OrderBy(a => a, AddressOrder.Instance).ToList();
            var notReady = ready.Where(kv => !kv.Value).Select(kv => addresses[kv.Key]).OrderBy(a => a, AddressOrder.Instance).ToList();
            result.Add(new V1EndpointSubset
            {
                Addresses = readyAddresses.Count > 0 ? readyAddresses : null,
                NotReadyAddresses = notReady.Count > 0 ? notReady : null,
                Ports = ports.Count > 0 ? [.. ports.OrderBy(p => p.Name ?? "", StringComparer.Ordinal).ThenBy(p => p.Port).ThenBy(p => p.Protocol, StringComparer.Ordinal)] : null,
            });
        }

        return [.. result.OrderBy(SubsetOrderKey, StringComparer.Ordinal)];
    }

    /// <summary>
    /// truncateEndpoints: over <see cref="MaxCapacity"/> addresses, keep ready ones first, each subset its share
    /// (rounded up) of the room. True when something was cut.
    /// </summary>
    public static bool Truncate(V1Endpoints endpoints)
    {
        var subsets = endpoints.Subsets ?? [];
        var totalReady = subsets.Sum(s => s.Addresses?.Count ?? 0);
        var totalNotReady = subsets.Sum(s => s.NotReadyAddresses?.Count ?? 0);
        if (totalReady + totalNotReady <= MaxCapacity)
        {
            return false;
        }

        var truncateReady = totalReady > MaxCapacity;
        var max = truncateReady ? MaxCapacity : MaxCapacity - totalReady;
        var total = truncateReady ? totalReady : totalNotReady;
        var room = max;
        foreach (var subset in subsets)
        {
            var inSubset = truncateReady ? subset.Addresses?.Count ?? 0 : subset.NotReadyAddresses?.Count ?? 0;
            var share = Math.Min((int)Math.Ceiling((double)inSubset / total * max), room);
            if (truncateReady)
            {
                subset.Addresses = subset.Addresses is null ? null : [.. subset.Addresses.Take(share)];
                subset.NotReadyAddresses = null;
                room -= subset.Addresses?.Count ?? 0;
            }
            else
            {
                subset.NotReadyAddresses = subset.NotReadyAddresses is null ? null : [.. subset.NotReadyAddresses.Take(share)];
                room -= subset.NotReadyAddresses?.Count ?? 0;
            }
        }

        return true;
    }

    private static bool CapacityAnnotationSetCorrectly(V1Endpoints endpoints)
    {
        var count = (endpoints.Subsets ?? []).Sum(s => (s.Addresses?.Count ?? 0) + (s.NotReadyAddresses?.Count ?? 0));
        return count <= MaxCapacity && endpoints.Metadata.Annotations?.ContainsKey(OverCapacityAnnotation) != true;
    }

    /// <summary>A canonical text of subsets for equality (ignoring the pods' resourceVersions; nil equals empty).</summary>
    public static string SubsetsKey(IEnumerable<V1EndpointSubset>? subsets) =>
        string.Join("\n", (subsets ?? []).Select(s =>
            "A:" + string.Join(",", (s.Addresses ?? []).Select(AddressText))
            + " N:" + string.Join(",", (s.NotReadyAddresses ?? []).Select(AddressText))
            + " P:" + string.Join(",", (s.Ports ?? []).Select(PortKey))));

    private static string AddressText(V1EndpointAddress a) =>
        $"{a.Ip}|{a.Hostname}|{a.NodeName}|{a.TargetRef?.Kind}|{a.TargetRef?.NamespaceProperty}|{a.TargetRef?.Name}|{a.TargetRef?.Uid}";

    private static string AddressKey(V1EndpointAddress a) => $"{a.Ip}|{a.TargetRef?.Uid}";

    private static string PortKey(Corev1EndpointPort p) => $"{p.Name}|{p.Port}|{p.Protocol ?? "TCP"}|{p.AppProtocol}";

    private static string SubsetOrderKey(V1EndpointSubset s) =>
        (s.Ports is { Count: > 0 } p ? PortKey(p[0]) : "") + "#"
        + ((s.Addresses ?? s.NotReadyAddresses)?.FirstOrDefault()?.Ip ?? "");

    private static bool SameLabels(IDictionary<string, string> a, IDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>Addresses by IP, then by the target's UID, as upstream's addrsByIPAndUID.</summary>
    private sealed class AddressOrder : IComparer<V1EndpointAddress>
    {
        public static AddressOrder Instance { get; } = new();

        public int Compare(V1EndpointAddress? x, V1EndpointAddress? y)
        {
            var byIp = string.CompareOrdinal(x?.Ip, y?.Ip);
            return byIp != 0 ? byIp : string.CompareOrdinal(x?.TargetRef?.Uid, y?.TargetRef?.Uid);
        }
    }
}
