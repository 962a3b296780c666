using System.Net;
using System.Text.Json.Nodes;
using Strata.ApiServer.Http;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;
using Strata.Controllers.NodeIpam;

namespace Strata.ApiServer.Allocation;

/// <summary>
/// ClusterIPs and NodePorts for Services at admission, as kube-apiserver's Service registry allocates them
/// (pkg/registry/core/service/storage/alloc.go): a requested value is reserved or refused with a field error,
/// a missing one is allocated, values the client left out on update are kept from the stored object
/// (patchAllocatedValues), and what a Service no longer uses is freed once the write is stored.
/// IPv4 single-stack only, as the lab's serviceCIDR is.
/// </summary>
public sealed class ServiceAdmission(PersistentAllocator<ClusterIpAllocator> clusterIps, PersistentAllocator<NodePortAllocator> nodePorts) : IAllocatingAdmission
{
    public bool Handles(ResourceInfo resource) => resource is { Group: "", Kind: "Service", IsCustom: false };

    public async Task<IReservation> BeginCreateAsync(JsonObject obj, bool dryRun, CancellationToken cancellationToken)
    {
        var reservation = new Reservation(this, dryRun);
        try
        {
            await AllocateClusterIpAsync(obj, null, reservation, cancellationToken);
            await AllocateNodePortsAsync(obj, null, reservation, cancellationToken);
            await AllocateHealthCheckNodePortAsync(obj, null, reservation, cancellationToken);
            return reservation;
        }
        catch
        {
            await reservation.FinishAsync(stored: false, CancellationToken.None);
            throw;
        }
    }

    public async Task<IReservation> BeginUpdateAsync(JsonObject obj, JsonObject old, bool dryRun, CancellationToken cancellationToken)
    {
        var reservation = new Reservation(this, dryRun);
        try
        {
            await AllocateClusterIpAsync(obj, old, reservation, cancellationToken);
            await AllocateNodePortsAsync(obj, old, reservation, cancellationToken);
            await AllocateHealthCheckNodePortAsync(obj, old, reservation, cancellationToken);

            // Freed on commit: what the old object held and the new one does not.
            var (newIp, newPorts) = Held(obj);
            var (oldIp, oldPorts) = Held(old);
            if (oldIp is not null && !oldIp.Equals(newIp))
            {
                reservation.FreeOnCommitIps.Add(oldIp);
            }

            reservation.FreeOnCommitPorts.AddRange(oldPorts.Except(newPorts));
            return reservation;
        }
        catch
        {
            await reservation.FinishAsync(stored: false, CancellationToken.None);
            throw;
        }
    }

    public async Task ReleaseAsync(JsonObject deleted, CancellationToken cancellationToken)
    {
        var (ip, ports) = Held(deleted);
        if (ip is not null)
        {
            await clusterIps.ReleaseAsync(ip, cancellationToken);
        }

        foreach (var port in ports)
        {
            await nodePorts.ReleaseAsync(port, cancellationToken);
        }
    }

    private async Task AllocateClusterIpAsync(JsonObject service, JsonObject? old, Reservation reservation, CancellationToken ct)
    {
        var spec = Spec(service);
        if ((string?)spec["type"] == "ExternalName")
        {
            spec.Remove("clusterIP");
            spec.Remove("clusterIPs");
            return;
        }

        var requested = (string?)spec["clusterIP"] ?? (string?)spec["clusterIPs"]?[0];
        var oldSpec = old?["spec"] as JsonObject;
        if (string.IsNullOrEmpty(requested) && oldSpec is not null && (string?)oldSpec["type"] != "ExternalName")
        {
            requested = (string?)oldSpec["clusterIP"]; // Left out of an update: the stored one stays.
        }

        if (requested == "None")
        {
            SetClusterIp(spec, "None");
            return;
        }

        if (string.IsNullOrEmpty(requested))
        {
            IPAddress next;
            try
            {
                next = reservation.DryRun
                    ? await clusterIps.ReadAsync(a => a.AllocateNext(), ct)
                    : await clusterIps.AllocateNextAsync(ct);
            }
            catch (AllocationException e)
            {
                throw ApiException.Internal(AllocationErrors.ServiceIpFailed(e));
            }

            if (!reservation.DryRun)
            {
                reservation.AllocatedIps.Add(next);
            }

            SetClusterIp(spec, next.ToString());
            return;
        }

        SetClusterIp(spec, requested);
        if (!IPAddress.TryParse(requested, out var ip) || (string?)oldSpec?["clusterIP"] == requested)
        {
            return; // Not an IP: validation names it. Unchanged: it is already held.
        }

        try
        {
            if (reservation.DryRun)
            {
                await clusterIps.ReadAsync(a => { a.Allocate(ip); return true; }, ct);
            }
            else
            {
                await clusterIps.AllocateAsync(ip, ct);
                reservation.AllocatedIps.Add(ip);
            }
        }
        catch (AllocationException e)
        {
            throw ApiException.Invalid(BuiltinResources.All.First(r => r.Kind == "Service"), service.Name() ?? "",
                [AllocationErrors.ClusterIp(spec["clusterIPs"] as JsonArray, requested, e)]);
        }
    }

    private async Task AllocateNodePortsAsync(JsonObject service, JsonObject? old, Reservation reservation, CancellationToken ct)
    {
        var spec = Spec(service);
        var type = (string?)spec["type"] ?? "ClusterIP";
        var ports = spec["ports"] as JsonArray ?? [];
        var oldPorts = (old?["spec"]?["ports"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var oldHeld = PortNodePorts(old?["spec"] as JsonObject);
        if (type is not ("NodePort" or "LoadBalancer"))
        {
            DropTypeDependentFields(spec, old?["spec"] as JsonObject, oldHeld);
            return;
        }

        // allocateLoadBalancerNodePorts: false reserves the node ports asked for and allocates none.
        var allocateMissing = type == "NodePort" || spec["allocateLoadBalancerNodePorts"]?.GetValue<bool>() != false;

        var byPortNumber = new Dictionary<int, int>();
        for (var i = 0; i < ports.Count; i++)
        {
            if (ports[i] is not JsonObject port)
            {
                continue;
            }

            var number = Int(port["port"]) ?? 0;
            var protocol = (string?)port["protocol"] ?? "TCP";
            if (port["nodePort"] is null)
            {
                var kept = oldPorts.FirstOrDefault(p => Int(p["port"]) == number && ((string?)p["protocol"] ?? "TCP") == protocol)?["nodePort"];
                if (kept is not null)
                {
                    port["nodePort"] = kept.DeepClone();
                }
                else if (byPortNumber.TryGetValue(number, out var shared))
                {
                    port["nodePort"] = shared; // One node port serves a port number over several protocols.
                }
            }

            if (Int(port["nodePort"]) is { } nodePort)
            {
                byPortNumber.TryAdd(number, nodePort);
                if (oldHeld.Contains(nodePort) || reservation.AllocatedPorts.Contains(nodePort) || reservation.Checked.Contains(nodePort))
                {
                    continue;
                }

                try
                {
                    await ReservePortAsync(nodePort, reservation, ct);
                }
                catch (AllocationException e)
                {
                    throw ApiException.Invalid(BuiltinResources.All.First(r => r.Kind == "Service"), service.Name() ?? "",
                        [AllocationErrors.NodePort(i, nodePort, e)]);
                }

                continue;
            }

            if (!allocateMissing)
            {
                continue;
            }

            int next;
            try
            {
                next = await AllocateNextPortAsync(reservation, ct);
            }
            catch (AllocationException e)
            {
                throw ApiException.Internal(AllocationErrors.NodePortFailed(e));
            }

            port["nodePort"] = next;
            byPortNumber[number] = next;
        }
    }

    /// <summary>
    /// The healthCheckNodePort of a LoadBalancer Service with externalTrafficPolicy Local (allocHealthCheckNodePort and
    /// the healthCheckNodePort parts of patchAllocatedValues and dropTypeDependentFields in
    /// pkg/registry/core/service/storage): kept from the stored object when left out, reserved when asked for,
    /// allocated otherwise; dropped, if the client left it as it was, when the Service stops needing it.
    /// </summary>
    private async Task AllocateHealthCheckNodePortAsync(JsonObject service, JsonObject? old, Reservation reservation, CancellationToken ct)
    {
        var spec = Spec(service);
        var oldSpec = old?["spec"] as JsonObject;
        var oldPort = NeedsHealthCheckNodePort(oldSpec) ? Int(oldSpec!["healthCheckNodePort"]) : null;
        if (!NeedsHealthCheckNodePort(spec))
        {
            if (oldPort is not null && Int(spec["healthCheckNodePort"]) == oldPort)
            {
                spec.Remove("healthCheckNodePort");
            }

            return;
        }

        var requested = Int(spec["healthCheckNodePort"]) ?? 0;
        if (requested == 0 && oldPort is > 0)
        {
            requested = oldPort.Value;
            spec["healthCheckNodePort"] = requested;
        }

        if (requested == oldPort && requested != 0)
        {
            return; // Already held.
        }

        if (requested != 0)
        {
            try
            {
                await ReservePortAsync(requested, reservation, ct);
            }
            catch (AllocationException e)
            {
                throw ApiException.Internal(AllocationErrors.HealthCheckNodePortFailed(requested, e));
            }

            return;
        }

        try
        {
            spec["healthCheckNodePort"] = await AllocateNextPortAsync(reservation, ct);
        }
        catch (AllocationException e)
        {
            throw ApiException.Internal(AllocationErrors.HealthCheckNodePortNotAllocated(e));
        }
    }

    /// <summary>Reserves a port asked for (a dry run only checks that it is free); throws <see cref="AllocationException"/>.</summary>
    private async Task ReservePortAsync(int port, Reservation reservation, CancellationToken ct)
    {
        if (reservation.DryRun)
        {
            await nodePorts.ReadAsync(a => { a.Allocate(port); return true; }, ct);
            reservation.Checked.Add(port);
        }
        else
        {
            await nodePorts.AllocateAsync(port, ct);
            reservation.AllocatedPorts.Add(port);
        }
    }

    /// <summary>The next free port, held by the reservation (a dry run only picks it); throws <see cref="AllocationException"/>.</summary>
    private async Task<int> AllocateNextPortAsync(Reservation reservation, CancellationToken ct)
    {
        if (reservation.DryRun)
        {
            return await nodePorts.ReadAsync(a => a.AllocateNext(), ct);
        }

        var next = await nodePorts.AllocateNextAsync(ct);
        reservation.AllocatedPorts.Add(next);
        return next;
    }

    private static bool NeedsHealthCheckNodePort(JsonObject? spec) =>
        (string?)spec?["type"] == "LoadBalancer" && (string?)spec?["externalTrafficPolicy"] == "Local";

    /// <summary>
    /// A Service that stops being externally reachable drops, where the client left them as they were, what only
    /// such Services have (dropTypeDependentFields in pkg/registry/core/service/storage/storage.go).
    /// </summary>
    private static void DropTypeDependentFields(JsonObject spec, JsonObject? oldSpec, List<int> oldNodePorts)
    {
        foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Int(port["nodePort"]) is { } value && oldNodePorts.Contains(value))
            {
                port.Remove("nodePort");
            }
        }

        if (oldSpec is null)
        {
            return;
        }

        foreach (var field in new[] { "externalTrafficPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass" })
        {
            if (spec[field] is { } value && JsonNode.DeepEquals(value, oldSpec[field]))
            {
                spec.Remove(field);
            }
        }
    }

    /// <summary>What a Service holds: its ClusterIP (if it is an address) and its node ports, healthCheckNodePort included.</summary>
    private static (IPAddress? ClusterIp, List<int> NodePorts) Held(JsonObject? service)
    {
        var spec = service?["spec"] as JsonObject;
        var ip = IPAddress.TryParse((string?)spec?["clusterIP"], out var parsed) ? parsed : null;
        var healthCheck = NeedsHealthCheckNodePort(spec) ? Int(spec!["healthCheckNodePort"]) ?? 0 : 0;
        return (ip, PortNodePorts(spec).Append(healthCheck).Where(n => n > 0).Distinct().ToList());
    }

    private static List<int> PortNodePorts(JsonObject? spec) =>
        (spec?["ports"] as JsonArray)?.OfType<JsonObject>()
            .Select(p => Int(p["nodePort"]) ?? 0)
            .Where(n => n > 0).Distinct().ToList() ?? [];

    /// <summary>A number however the JSON node holds it (parsed text, or a long from YAML or a patch); null if it is not one.</summary>
    private static int? Int(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<long>(out var l) => (int)l,
        JsonValue v when v.TryGetValue<double>(out var d) => (int)d,
        JsonValue v when v.TryGetValue<System.Text.Json.JsonElement>(out var e) && e.TryGetInt32(out var n) => n,
        _ => null,
    };

    private static JsonObject Spec(JsonObject service)
    {
        if (service["spec"] is not JsonObject spec)
        {
            spec = [];
            service["spec"] = spec;
        }

        return spec;
    }

    /// <summary>clusterIP and clusterIPs agree, with the single-stack IPv4 family fields upstream fills in alongside.</summary>
    private static void SetClusterIp(JsonObject spec, string ip)
    {
        spec["clusterIP"] = ip;
        spec["clusterIPs"] = new JsonArray(ip);
        spec["ipFamilies"] ??= new JsonArray("IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
    }

    private sealed class Reservation(ServiceAdmission owner, bool dryRun) : IReservation
    {
        public bool DryRun { get; } = dryRun;

        public List<IPAddress> AllocatedIps { get; } = [];

        public List<int> AllocatedPorts { get; } = [];

        public HashSet<int> Checked { get; } = [];

        public List<IPAddress> FreeOnCommitIps { get; } = [];

        public List<int> FreeOnCommitPorts { get; } = [];

        public async Task FinishAsync(bool stored, CancellationToken cancellationToken)
        {
            var ips = stored ? FreeOnCommitIps : AllocatedIps;
            var ports = stored ? FreeOnCommitPorts : AllocatedPorts;
            foreach (var ip in ips)
            {
                await owner.ReleaseIpAsync(ip, cancellationToken);
            }

            foreach (var port in ports)
            {
                await owner.ReleasePortAsync(port, cancellationToken);
            }

            AllocatedIps.Clear();
            AllocatedPorts.Clear();
        }
    }

    private Task ReleaseIpAsync(IPAddress ip, CancellationToken ct) => clusterIps.ReleaseAsync(ip, ct);

    private Task ReleasePortAsync(int port, CancellationToken ct) => nodePorts.ReleaseAsync(port, ct);
}
