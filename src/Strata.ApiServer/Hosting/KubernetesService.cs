using System.Net;
using System.Text.Json.Nodes;
using Strata.ApiServer.Http;
using Strata.ApiServer.Registry;

namespace Strata.ApiServer.Hosting;

/// <summary>
/// The <c>default/kubernetes</c> Service at the first address of the service range, with Endpoints and an EndpointSlice
/// pointing at the API server, as kube-apiserver's controlplane reconciler keeps them
/// (pkg/controlplane/controller/kubernetesservice and reconcilers/lease.go).
/// </summary>
/// <remarks>
/// The Endpoints carry the skip-mirror label so that the EndpointSlice mirroring controller leaves them alone, as
/// upstream's reconciler labels them.
/// </remarks>
internal static class KubernetesService
{
    public static async Task EnsureAsync(ObjectRegistry registry, IPAddress clusterIp, IPEndPoint apiServer, CancellationToken ct)
    {
        var catalog = registry.Catalog;
        var labels = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" };
        await EnsureAsync(registry, catalog.Get("", "services"), new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubernetes", ["labels"] = labels.DeepClone() },
            ["spec"] = new JsonObject
            {
                ["clusterIP"] = clusterIp.ToString(),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = apiServer.Port }),
                ["sessionAffinity"] = "None",
                ["type"] = "ClusterIP",
            },
        }, replace: false, ct);
        if (IPAddress.IsLoopback(apiServer.Address))
        {
            // Endpoints may not be loopback addresses (validation refuses them, as for kube-apiserver's
            // --advertise-address): a server on 127.0.0.1 alone has the Service but no endpoints to reach it by.
            return;
        }

        await EnsureAsync(registry, catalog.Get("", "endpoints"), new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubernetes", ["labels"] = new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" } },
            ["subsets"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(new JsonObject { ["ip"] = apiServer.Address.ToString() }),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = apiServer.Port, ["protocol"] = "TCP" }),
            }),
        }, replace: true, ct);
        await EnsureAsync(registry, catalog.Get("discovery.k8s.io", "endpointslices"), new JsonObject
        {
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["kind"] = "EndpointSlice",
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "kubernetes" },
            },
            ["addressType"] = apiServer.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4",
            ["endpoints"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(apiServer.Address.ToString()),
                ["conditions"] = new JsonObject { ["ready"] = true },
            }),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = apiServer.Port, ["protocol"] = "TCP" }),
        }, replace: true, ct);
    }

    /// <summary>Creates the object; an existing one is kept, or, with <paramref name="replace"/>, brought to this content (the address may have moved).</summary>
    private static async Task EnsureAsync(ObjectRegistry registry, Resources.ResourceInfo resource, JsonObject desired, bool replace, CancellationToken ct)
    {
        var name = desired.Name()!;
        if (!replace && await registry.Store.GetAsync(resource.Key("default", name), ct) is not null)
        {
            return;
        }

        try
        {
            await registry.CreateAsync(resource, "default", desired, cancellationToken: ct);
        }
        catch (ApiException e) when (e.Code == 409 && replace)
        {
            await registry.UpdateWithAsync(resource, "default", name, current =>
            {
                foreach (var (key, value) in desired.Where(p => p.Key is not ("metadata" or "apiVersion" or "kind")))
                {
                    current[key] = value?.DeepClone();
                }

                return current;
            }, cancellationToken: ct);
        }
        catch (ApiException e) when (e.Code == 409)
        {
        }
    }
}
