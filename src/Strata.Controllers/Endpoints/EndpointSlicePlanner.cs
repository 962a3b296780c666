using k8s;
using k8s.Models;

using Strata.Controllers.Machinery;

namespace Strata.Controllers.Endpoints;

/// <summary>The writes that bring a Service's EndpointSlices to the desired state.</summary>
public sealed record SlicePlan(
    IReadOnlyList<V1EndpointSlice> Create,
    IReadOnlyList<V1EndpointSlice> Update,
    IReadOnlyList<V1EndpointSlice> Delete,
    IReadOnlyList<string> Errors)
{
    public bool IsEmpty => Create.Count == 0 && Update.Count == 0 && Delete.Count == 0;
}

/// <summary>
/// The EndpointSlice reconciler's pure part (staging/src/k8s.io/endpointslice/reconciler.go and utils.go): from a
/// Service, the pods its selector matches, the nodes, and the slices this controller already made for it, which
/// slices to create, update and delete. Minimal churn as upstream: existing slices keep their endpoints (changed ones
/// are rewritten in place, gone ones removed), new endpoints first fill slices that are being updated anyway, then the
/// unchanged slice closest to full that takes all of the rest, then new slices of at most
/// <see cref="MaxEndpointsPerSlice"/>; creates become updates of slices that would be deleted.
/// Deviations: endpoints are placed in pod-name order (upstream pops from a map), and ports are compared by
/// name/port/protocol rather than upstream's object hash.
/// </summary>
public sealed class EndpointSlicePlanner(string controllerName = EndpointSlicePlanner.ControllerName, int maxEndpointsPerSlice = 100)
{
    public const string ControllerName = "endpointslice-controller.k8s.io";
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";
    public const string ZoneLabel = "topology.kubernetes.io/zone";

    public int MaxEndpointsPerSlice { get; } = maxEndpointsPerSlice;

    public SlicePlan Plan(V1Service service, IEnumerable<V1Pod> pods, Func<string, V1Node?> nodes, IEnumerable<V1EndpointSlice> existing, DateTime? triggerTime)
    {
        var addressTypes = AddressTypes(service);
        var create = new List<V1EndpointSlice>();
        var update = new List<V1EndpointSlice>();
        var delete = new List<V1EndpointSlice>();
        var errors = new List<string>();
        var podList = pods.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).ToList();
        var existingList = existing.OrderBy(s => s.Metadata.Name, StringComparer.Ordinal).ToList();

        foreach (var slice in existingList.Where(s => !addressTypes.Contains(s.AddressType)))
        {
            delete.Add(slice);
        }

        foreach (var addressType in addressTypes)
        {
            var (c, u, d) = PlanAddressType(service, podList, nodes, existingList.Where(s => s.AddressType == addressType).ToList(), addressType, errors);
            Finalize(service, c, u, d, triggerTime);
            create.AddRange(c);
            update.AddRange(u);
            delete.AddRange(d);
        }

        return new SlicePlan(create, update, delete, errors.Distinct().ToList());
    }

    /// <summary>getAddressTypesForService: the Service's ipFamilies; else its ClusterIP's family; headless: both.</summary>
    public static IReadOnlyList<string> AddressTypes(V1Service service)
    {
        var families = (service.Spec?.IpFamilies ?? []).Where(f => f is "IPv4" or "IPv6").Distinct().ToList();
        if (families.Count > 0)
        {
            return families;
        }

        if (PodEndpoints.IsServiceIPSet(service))
        {
            return [PodEndpoints.IsIPv6(service.Spec!.ClusterIP) ? "IPv6" : "IPv4"];
        }

        return ["IPv4", "IPv6"];
    }

    private (List<V1EndpointSlice> Create, List<V1EndpointSlice> Update, List<V1EndpointSlice> Delete) PlanAddressType(
        V1Service service, List<V1Pod> pods, Func<string, V1Node?> nodes, List<V1EndpointSlice> existing, string addressType, List<string> errors)
    {
        var create = new List<V1EndpointSlice>();
        var update = new List<V1EndpointSlice>();
        var delete = new List<V1EndpointSlice>();

        var existingByPorts = new Dictionary<string, List<V1EndpointSlice>>();
        foreach (var slice in existing)
        {
            if (OwnedBy(slice, service))
            {
                var key = PortsKey(slice.Ports);
                if (!existingByPorts.TryGetValue(key, out var list))
                {
                    existingByPorts[key] = list = [];
                }

                list.Add(slice);
            }
            else
            {
                delete.Add(slice);
            }
        }

        var desiredPorts = new Dictionary<string, List<Discoveryv1EndpointPort>>();
        var desiredByPorts = new Dictionary<string, EndpointSet>();
        foreach (var pod in pods)
        {
            if (!PodEndpoints.ShouldBeInEndpoints(pod, includeTerminating: true))
            {
                continue;
            }

            var ports = EndpointPorts(service, pod);
            var key = PortsKey(ports);
            if (!desiredByPorts.TryGetValue(key, out var set))
            {
                desiredByPorts[key] = set = new EndpointSet();
                desiredPorts[key] = ports;
            }

            var node = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : nodes(pod.Spec.NodeName);
            if (node is null && service.Spec?.PublishNotReadyAddresses != true)
            {
                // As upstream: a pod on a node that does not exist is left out, and the Service retried.
                errors.Add($"skipping Pod {pod.Metadata.Name} for Service {service.Metadata.NamespaceProperty}/{service.Metadata.Name}: Node {pod.Spec?.NodeName} Not Found");
                continue;
            }

            var endpoint = PodToEndpoint(pod, node, service, addressType);
            if (endpoint.Addresses.Count > 0)
            {
                set.Add(endpoint);
            }
        }

        foreach (var (key, desired) in desiredByPorts)
        {
            var (c, u, d) = PlanPortMapping(service, existingByPorts.GetValueOrDefault(key) ?? [], desired, desiredPorts[key], addressType);
            create.AddRange(c);
            update.AddRange(u);
            delete.AddRange(d);
        }

        foreach (var (key, slices) in existingByPorts)
        {
            if (!desiredByPorts.ContainsKey(key))
            {
                delete.AddRange(slices);
            }
        }

        // A Service with no endpoints keeps one empty placeholder slice per address type.
        if (existing.Count == delete.Count && create.Count == 0)
        {
            var placeholder = NewSlice(service, [], addressType);
            if (delete.Count == 1 && IsPlaceholder(delete[0], placeholder))
            {
                delete.Clear();
            }
            else
            {
                create.Add(placeholder);
            }
        }

        return (create, update, delete);
    }

    private (List<V1EndpointSlice> Create, List<V1EndpointSlice> Update, List<V1EndpointSlice> Delete) PlanPortMapping(
        V1Service service, List<V1EndpointSlice> existing, EndpointSet desired, List<Discoveryv1EndpointPort> ports, string addressType)
    {
        var byName = new Dictionary<string, V1EndpointSlice>();
        var unchanged = new List<string>();
        var toUpdate = new List<string>();
        var toDelete = new List<string>();

        // 1. Keep the endpoints still desired (rewriting changed ones), drop the rest.
        foreach (var slice in existing)
        {
            byName[slice.Metadata.Name] = slice;
            var kept = new List<V1Endpoint>();
            var endpointChanged = false;
            foreach (var endpoint in slice.Endpoints ?? [])
            {
                var want = desired.Take(endpoint);
                if (want is not null)
                {
                    kept.Add(want);
                    endpointChanged |= !EqualBeyondKey(want, endpoint);
                }
            }

            var (labels, labelsChanged) = Labels(slice, service);
            if (endpointChanged || kept.Count != (slice.Endpoints?.Count ?? 0))
            {
                if (kept.Count == 0)
                {
                    toDelete.Add(slice.Metadata.Name);
                }
                else
                {
                    var copy = Clone(slice);
                    copy.Endpoints = kept;
                    copy.Metadata.Labels = labels;
                    byName[copy.Metadata.Name] = copy;
                    toUpdate.Add(copy.Metadata.Name);
                }
            }
            else if (labelsChanged)
            {
                var copy = Clone(slice);
                copy.Metadata.Labels = labels;
                byName[copy.Metadata.Name] = copy;
                toUpdate.Add(copy.Metadata.Name);
            }
            else
            {
                unchanged.Add(slice.Metadata.Name);
            }
        }

        // 2. Fill the slices being written anyway, fullest first.
        if (desired.Count > 0)
        {
            foreach (var slice in toUpdate.Select(n => byName[n]).OrderByDescending(s => s.Endpoints.Count).ToList())
            {
                while (desired.Count > 0 && slice.Endpoints.Count < MaxEndpointsPerSlice)
                {
                    slice.Endpoints.Add(desired.Pop());
                }
            }
        }

        // 3. The rest into the unchanged slice they all fit in most tightly, else into new slices.
        var create = new List<V1EndpointSlice>();
        while (desired.Count > 0)
        {
            V1EndpointSlice? fill = null;
            if (desired.Count < MaxEndpointsPerSlice && unchanged.Count > 0)
            {
                fill = SliceToFill(unchanged.Select(n => byName[n]), desired.Count);
            }

            if (fill is null)
            {
                fill = NewSlice(service, ports, addressType);
            }
            else
            {
                fill = Clone(fill);
                byName[fill.Metadata.Name] = fill;
            }

            while (desired.Count > 0 && fill.Endpoints.Count < MaxEndpointsPerSlice)
            {
                fill.Endpoints.Add(desired.Pop());
            }

            if (!string.IsNullOrEmpty(fill.Metadata.Name))
            {
                toUpdate.Add(fill.Metadata.Name);
                unchanged.Remove(fill.Metadata.Name);
            }
            else
            {
                create.Add(fill);
            }
        }

        return (create, [.. toUpdate.Select(n => byName[n])], [.. toDelete.Select(n => byName[n])]);
    }

    private V1EndpointSlice? SliceToFill(IEnumerable<V1EndpointSlice> slices, int count)
    {
        var closestDiff = MaxEndpointsPerSlice;
        V1EndpointSlice? closest = null;
        foreach (var slice in slices)
        {
            var diff = MaxEndpointsPerSlice - (count + (slice.Endpoints?.Count ?? 0));
            if (diff >= 0 && diff < closestDiff)
            {
                closestDiff = diff;
                closest = slice;
                if (diff == 0)
                {
                    break;
                }
            }
        }

        return closest;
    }

    /// <summary>finalize: creates become updates of slices about to be deleted; the trigger-time annotation.</summary>
    private static void Finalize(V1Service service, List<V1EndpointSlice> create, List<V1EndpointSlice> update, List<V1EndpointSlice> delete, DateTime? triggerTime)
    {
        for (var i = 0; i < delete.Count && create.Count > 0;)
        {
            var victim = delete[i];
            var slice = create[^1];
            if (victim.AddressType == slice.AddressType && OwnedBy(victim, service))
            {
                slice.Metadata.Name = victim.Metadata.Name;
                slice.Metadata.GenerateName = victim.Metadata.GenerateName;
                slice.Metadata.ResourceVersion = victim.Metadata.ResourceVersion;
                slice.Metadata.Uid = victim.Metadata.Uid;
                slice.Metadata.Annotations = victim.Metadata.Annotations;
                create.RemoveAt(create.Count - 1);
                update.Add(slice);
                delete.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }

        // Slices are not created for a Service being deleted (the garbage collector would race with them).
        if (service.Metadata.DeletionTimestamp is not null)
        {
            create.Clear();
        }

        foreach (var slice in create.Concat(update))
        {
            slice.Metadata.Annotations ??= new Dictionary<string, string>();
            if (triggerTime is { } time)
            {
                slice.Metadata.Annotations[PodEndpoints.LastChangeTriggerTime] = TriggerTimeTracker.Format(time);
            }
            else
            {
                slice.Metadata.Annotations.Remove(PodEndpoints.LastChangeTriggerTime);
            }
        }
    }

    /// <summary>podToEndpoint.</summary>
    public static V1Endpoint PodToEndpoint(V1Pod pod, V1Node? node, V1Service service, string addressType)
    {
        var serving = PodConditions.IsReady(pod);
        var terminating = pod.Metadata.DeletionTimestamp is not null;
        var ready = service.Spec?.PublishNotReadyAddresses == true || (serving && !terminating);
        var endpoint = new V1Endpoint
        {
            Addresses = [.. PodEndpoints.IPs(pod).Where(ip => PodEndpoints.IsIPv6(ip) == (addressType == "IPv6"))],
            Conditions = new V1EndpointConditions { Ready = ready, Serving = serving, Terminating = terminating },
            TargetRef = new V1ObjectReference { Kind = "Pod", NamespaceProperty = pod.Metadata.NamespaceProperty, Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
        };
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            endpoint.NodeName = pod.Spec.NodeName;
        }

        if (node?.Metadata.Labels?.TryGetValue(ZoneLabel, out var zone) == true && zone != "")
        {
            endpoint.Zone = zone;
        }

        if (PodEndpoints.ShouldSetHostname(pod, service))
        {
            endpoint.Hostname = pod.Spec!.Hostname;
        }

        return endpoint;
    }

    /// <summary>getEndpointPorts: each Service port resolved on the pod; ports the pod lacks are left out.</summary>
    public static List<Discoveryv1EndpointPort> EndpointPorts(V1Service service, V1Pod pod)
    {
        var result = new List<Discoveryv1EndpointPort>();
        foreach (var servicePort in service.Spec?.Ports ?? [])
        {
            if (PodEndpoints.FindPort(pod, servicePort) is { } number)
            {
                result.Add(new Discoveryv1EndpointPort
                {
                    Name = servicePort.Name ?? "",
                    Port = number,
                    Protocol = servicePort.Protocol ?? "TCP",
                    AppProtocol = servicePort.AppProtocol,
                });
            }
        }

        return result;
    }

    public V1EndpointSlice NewSlice(V1Service service, List<Discoveryv1EndpointPort> ports, string addressType) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta
        {
            GenerateName = service.Metadata.Name + "-",
            NamespaceProperty = service.Metadata.NamespaceProperty,
            Labels = Labels(null, service).Labels,
            OwnerReferences =
            [
                new V1OwnerReference
                {
                    ApiVersion = "v1", Kind = "Service", Name = service.Metadata.Name, Uid = service.Metadata.Uid,
                    Controller = true, BlockOwnerDeletion = true,
                },
            ],
        },
        AddressType = addressType,
        Ports = [.. ports.Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = p.Port, Protocol = p.Protocol, AppProtocol = p.AppProtocol })],
        Endpoints = [],
    };

    /// <summary>setEndpointSliceLabels: the Service's labels (without the reserved ones) plus the reserved ones.</summary>
    public (Dictionary<string, string> Labels, bool Changed) Labels(V1EndpointSlice? slice, V1Service service)
    {
        var sliceLabels = (slice?.Metadata.Labels ?? new Dictionary<string, string>()).Where(kv => !IsReserved(kv.Key)).ToDictionary();
        var labels = (service.Metadata.Labels ?? new Dictionary<string, string>()).Where(kv => !IsReserved(kv.Key)).ToDictionary();
        var changed = sliceLabels.Count != labels.Count || sliceLabels.Any(kv => !labels.TryGetValue(kv.Key, out var v) || v != kv.Value);
        if (!PodEndpoints.IsServiceIPSet(service))
        {
            labels[PodEndpoints.HeadlessLabel] = "";
        }

        labels[ServiceNameLabel] = service.Metadata.Name;
        labels[ManagedByLabel] = controllerName;
        return (labels, changed);
    }

    private static bool IsReserved(string key) => key is ServiceNameLabel or ManagedByLabel or PodEndpoints.HeadlessLabel;

    public static bool OwnedBy(V1EndpointSlice slice, V1Service service) =>
        slice.Metadata.OwnerReferences?.Any(o => o.Uid == service.Metadata.Uid && o.Kind == "Service" && o.ApiVersion == "v1") == true;

    private static bool IsPlaceholder(V1EndpointSlice existing, V1EndpointSlice placeholder)
    {
        static string Owners(V1EndpointSlice s) => string.Join(";", (s.Metadata.OwnerReferences ?? []).Select(o => $"{o.ApiVersion}/{o.Kind}/{o.Name}/{o.Uid}/{o.Controller}/{o.BlockOwnerDeletion}"));
        var a = existing.Metadata.Labels ?? new Dictionary<string, string>();
        var b = placeholder.Metadata.Labels ?? new Dictionary<string, string>();
        return existing.Metadata.NamespaceProperty == placeholder.Metadata.NamespaceProperty
            && a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value)
            && Owners(existing) == Owners(placeholder)
            && existing.AddressType == placeholder.AddressType
            && (existing.Ports?.Count ?? 0) == 0
            && (existing.Endpoints?.Count ?? 0) == 0;
    }

    /// <summary>NewPortMapKey: the port set, in a canonical order.</summary>
    public static string PortsKey(IEnumerable<Discoveryv1EndpointPort>? ports) =>
        string.Join(";", (ports ?? []).Select(p => $"{p.Name}|{p.Port}|{p.Protocol ?? "TCP"}|{p.AppProtocol}").Order(StringComparer.Ordinal));

    /// <summary>hashEndpoint: what identifies an endpoint across syncs (addresses, hostname, target pod).</summary>
    public static string EndpointKey(V1Endpoint endpoint) =>
        string.Join(",", (endpoint.Addresses ?? []).Order(StringComparer.Ordinal)) + "|" + endpoint.Hostname + "|"
        + endpoint.TargetRef?.NamespaceProperty + "/" + endpoint.TargetRef?.Name;

    /// <summary>EndpointsEqualBeyondHash.</summary>
    public static bool EqualBeyondKey(V1Endpoint a, V1Endpoint b) =>
        a.NodeName == b.NodeName && a.Zone == b.Zone
        && a.Conditions?.Ready == b.Conditions?.Ready
        && a.Conditions?.Serving == b.Conditions?.Serving
        && a.Conditions?.Terminating == b.Conditions?.Terminating
        && a.TargetRef?.Kind == b.TargetRef?.Kind && a.TargetRef?.NamespaceProperty == b.TargetRef?.NamespaceProperty
        && a.TargetRef?.Name == b.TargetRef?.Name && a.TargetRef?.Uid == b.TargetRef?.Uid
        && a.TargetRef?.ApiVersion == b.TargetRef?.ApiVersion && a.TargetRef?.FieldPath == b.TargetRef?.FieldPath;

    public static V1EndpointSlice Clone(V1EndpointSlice slice)
    {
        var copy = KubernetesJson.Deserialize<V1EndpointSlice>(KubernetesJson.Serialize(slice));
        copy.Endpoints ??= [];
        return copy;
    }

    /// <summary>The desired endpoints of one port set, taken out as they are placed, in insertion order.</summary>
    private sealed class EndpointSet
    {
        private readonly Dictionary<string, V1Endpoint> _byKey = [];
        private readonly Queue<string> _order = new();

        public int Count => _byKey.Count;

        public void Add(V1Endpoint endpoint)
        {
            var key = EndpointKey(endpoint);
            if (_byKey.TryAdd(key, endpoint))
            {
                _order.Enqueue(key);
            }
        }

        public V1Endpoint? Take(V1Endpoint like) => _byKey.Remove(EndpointKey(like), out var endpoint) ? endpoint : null;

        public V1Endpoint Pop()
        {
            while (true)
            {
                var key = _order.Dequeue();
                if (_byKey.Remove(key, out var endpoint))
                {
                    return endpoint;
                }
            }
        }
    }
}
