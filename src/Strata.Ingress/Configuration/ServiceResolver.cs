using System.Net;
using k8s.Models;
using Strata.Ingress.Routing;

namespace Strata.Ingress.Configuration;

/// <summary>
/// Resolves an Ingress backend (a Service and a port by number or name) to the ready endpoints of its EndpointSlices, as
/// ingress-nginx's getEndpointsFromSlices does: the Service port gives the port name, the slices labelled with the
/// Service's name give the addresses, and a slice port of the same name gives the target port.
/// </summary>
internal sealed class ServiceResolver(ClusterState state)
{
    private const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>The problem of a Service that exists but has no ready endpoint yet (a rollout, a scale to zero): not reported.</summary>
    public const string NoReadyEndpoints = "no ready endpoints";

    private readonly Dictionary<string, V1Service> _services = state.Services.ToDictionary(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}");
    private readonly ILookup<string, V1EndpointSlice> _slices = state.EndpointSlices
        .Where(s => s.Metadata.Labels?.ContainsKey(ServiceNameLabel) == true)
        .ToLookup(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Labels[ServiceNameLabel]}");

    public ServiceTarget Resolve(string ns, V1IngressServiceBackend backend)
    {
        var portText = backend.Port?.Number is { } number ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : backend.Port?.Name ?? "";
        var key = $"{ns}/{backend.Name}";
        if (!_services.TryGetValue(key, out var service))
        {
            return new ServiceTarget(ns, backend.Name, portText, [], $"service {key} not found");
        }

        if (service.Spec?.Type == "ExternalName")
        {
            return new ServiceTarget(ns, backend.Name, portText, [], $"service {key} is of type ExternalName, which is not supported");
        }

        var servicePort = service.Spec?.Ports?.FirstOrDefault(p =>
            backend.Port?.Number is { } n ? p.Port == n : p.Name == backend.Port?.Name);
        if (servicePort is null)
        {
            return new ServiceTarget(ns, backend.Name, portText, [], $"service {key} has no port {portText}");
        }

        var portName = servicePort.Name ?? "";
        var endpoints = new SortedSet<UpstreamEndpoint>(Comparer<UpstreamEndpoint>.Create((a, b) =>
        {
            var c = string.CompareOrdinal(a.Address.ToString(), b.Address.ToString());
            return c != 0 ? c : a.Port.CompareTo(b.Port);
        }));
        foreach (var slice in _slices[key])
        {
            var slicePort = slice.Ports?.FirstOrDefault(p => (p.Name ?? "") == portName);
            if (slicePort?.Port is not { } targetPort)
            {
                continue;
            }

            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // A nil ready condition means ready (discovery/v1 EndpointConditions).
                if (endpoint.Conditions?.Ready == false)
                {
                    continue;
                }

                foreach (var address in endpoint.Addresses ?? [])
                {
                    if (IPAddress.TryParse(address, out var ip))
                    {
                        endpoints.Add(new UpstreamEndpoint(ip, targetPort));
                    }
                }
            }
        }

        return new ServiceTarget(ns, backend.Name, portText, [.. endpoints], endpoints.Count == 0 ? NoReadyEndpoints : null);
    }
}
