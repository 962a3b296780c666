using k8s.Models;

namespace Strata.Ingress.Controller;

/// <summary>
/// ingress-nginx's <c>--publish-service</c>: the Ingresses' status shows the addresses of the controller's own
/// Service instead of the node's (internal/ingress/status/status.go, statusAddressFromService): a LoadBalancer
/// Service's status.loadBalancer.ingress and externalIPs, a NodePort Service's externalIPs or else its clusterIP, a
/// ClusterIP Service's clusterIP, an ExternalName Service's name. A LoadBalancer still pending has none yet.
/// </summary>
public static class PublishService
{
    public static IReadOnlyList<string> Addresses(V1Service? service)
    {
        if (service?.Spec is not { } spec)
        {
            return [];
        }

        var externalIps = spec.ExternalIPs ?? [];
        return spec.Type switch
        {
            "ExternalName" => string.IsNullOrEmpty(spec.ExternalName) ? [] : [spec.ExternalName],
            "NodePort" => externalIps.Count > 0 ? [.. externalIps] : ClusterIp(spec),
            "LoadBalancer" => [.. (service.Status?.LoadBalancer?.Ingress ?? [])
                .Select(i => string.IsNullOrEmpty(i.Ip) ? i.Hostname : i.Ip)
                .Where(a => !string.IsNullOrEmpty(a))
                .Concat(externalIps)],
            _ => ClusterIp(spec),
        };
    }

    private static IReadOnlyList<string> ClusterIp(V1ServiceSpec spec) =>
        string.IsNullOrEmpty(spec.ClusterIP) || spec.ClusterIP == "None" ? [] : [spec.ClusterIP];
}
