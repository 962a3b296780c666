using System.Runtime.CompilerServices;

namespace Strata.Proxy.Model;

/// <summary>One Service port with the endpoints this node uses for it, per traffic policy (the desired state).</summary>
public sealed record ServicePlan(
    ServicePortInfo Info,
    IReadOnlyList<EndpointInfo> ClusterEndpoints,
    IReadOnlyList<EndpointInfo> LocalEndpoints,
    IReadOnlyList<EndpointInfo> AllReachableEndpoints,
    bool HasEndpoints)
{
    public int TotalEndpoints { get; init; }
}

/// <summary>
/// The desired state every proxy mode renders from: the Service ports in a stable order, each with its endpoints
/// categorised as upstream's CategorizeEndpoints does (pkg/proxy/topology.go). Pure.
/// </summary>
public sealed record ProxyModel(IReadOnlyList<ServicePlan> Services, int TotalEndpoints)
{
    public static ProxyModel Build(ProxySnapshot snapshot, string zone = "") =>
        Build(snapshot.Services, snapshot.Endpoints, zone);

    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ProxyModel Build(
        IReadOnlyDictionary<ServicePortName, ServicePortInfo> services,
        IReadOnlyDictionary<ServicePortName, IReadOnlyList<EndpointInfo>> endpoints,
        string zone = "")
    {
        var plans = new List<ServicePlan>(services.Count);
        var total = 0;
        foreach (var name in services.Keys.Order())
        {
            var all = endpoints.GetValueOrDefault(name) ?? [];
            total += all.Count;
            plans.Add(Categorize(services[name], all, zone) with { TotalEndpoints = all.Count });
        }

        return new ProxyModel(plans, total);
    }

    /// <summary>
    /// Ready endpoints by default; serving-terminating ones (independently for Cluster and Local) when none is ready.
    /// </summary>
    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ServicePlan Categorize(ServicePortInfo info, IReadOnlyList<EndpointInfo> endpoints, string zone)
    {
        List<EndpointInfo> cluster = [];
        List<EndpointInfo> local = [];
        var hasAny = false;
        var topologyByZone = false;
        if (info.UsesClusterEndpoints)
        {
            topologyByZone = UsesZoneHints(endpoints, zone);
            cluster = [.. endpoints.Where(e => e.Ready && (!topologyByZone || e.ZoneHints!.Contains(zone)))];
            if (cluster.Count == 0)
            {
                cluster = [.. endpoints.Where(e => e.Serving && e.Terminating)];
            }

            hasAny = cluster.Count > 0;
        }

        if (!info.UsesLocalEndpoints)
        {
            return new ServicePlan(info, cluster, local, cluster, hasAny);
        }

        bool localReady = false, localServingTerminating = false;
        foreach (var e in endpoints)
        {
            if (e.Ready)
            {
                hasAny = true;
                localReady |= e.IsLocal;
            }
            else if (e.Serving && e.Terminating)
            {
                hasAny = true;
                localServingTerminating |= e.IsLocal;
            }
        }

        var useTerminating = false;
        if (localReady)
        {
            local = [.. endpoints.Where(e => e.IsLocal && e.Ready)];
        }
        else if (localServingTerminating)
        {
            useTerminating = true;
            local = [.. endpoints.Where(e => e.IsLocal && e.Serving && e.Terminating)];
        }

        if (!info.UsesClusterEndpoints)
        {
            return new ServicePlan(info, cluster, local, local, hasAny);
        }

        if (!topologyByZone && !useTerminating)
        {
            return new ServicePlan(info, cluster, local, cluster, hasAny);
        }

        // Cluster may hold remote endpoints Local lacks, and Local terminating or out-of-zone ones Cluster lacks.
        var merged = new Dictionary<string, EndpointInfo>(StringComparer.Ordinal);
        foreach (var e in cluster.Concat(local))
        {
            merged[e.ToString()] = e;
        }

        return new ServicePlan(info, cluster, local, [.. merged.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value)], hasAny);
    }

    /// <summary>Zone hints apply when every ready endpoint has one and at least one names this node's zone.</summary>
    private static bool UsesZoneHints(IReadOnlyList<EndpointInfo> endpoints, string zone)
    {
        var all = true;
        var forZone = false;
        foreach (var e in endpoints.Where(e => e.Ready))
        {
            if (e.ZoneHints is not { Count: > 0 } hints)
            {
                all = false;
            }
            else if (hints.Contains(zone))
            {
                forZone = true;
            }
        }

        return all && forZone;
    }
}
