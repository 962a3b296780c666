using System.Net;
using System.Net.Sockets;
using k8s.Models;

namespace Strata.Proxy.Model;

/// <summary>
/// A Service to the ports the proxy programs, as upstream's serviceToServiceMap and newBaseServiceInfo
/// (pkg/proxy/servicechangetracker.go, pkg/proxy/serviceport.go) and the helpers of pkg/api/v1/service.
/// </summary>
public static class ServiceConversion
{
    public const int DefaultStickyMaxAgeSeconds = 10800;

    public static IReadOnlyList<ServicePortInfo> ToServicePorts(V1Service service, AddressFamily family)
    {
        var spec = service.Spec;
        if (spec is null || spec.Type == "ExternalName")
        {
            return [];
        }

        var clusterIP = ClusterIPOfFamily(spec, family);
        if (clusterIP is null)
        {
            return [];
        }

        var externalPolicyLocal = ExternallyAccessible(spec) && spec.ExternalTrafficPolicy == "Local";
        var internalPolicyLocal = spec.InternalTrafficPolicy == "Local";
        var clientIP = spec.SessionAffinity == "ClientIP";
        var sticky = clientIP ? spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds ?? DefaultStickyMaxAgeSeconds : 0;
        var externalIPs = ParseAddresses(spec.ExternalIPs, family);
        var sourceRanges = new List<Cidr>();
        foreach (var text in spec.LoadBalancerSourceRanges ?? [])
        {
            // Upstream trims and skips what does not parse, for backward compatibility.
            if (Cidr.TryParse(text.Trim(), out var cidr) && cidr.Family == family)
            {
                sourceRanges.Add(cidr);
            }
        }

        var vips = new List<IPAddress>();
        foreach (var ingress in service.Status?.LoadBalancer?.Ingress ?? [])
        {
            // An ingress in "Proxy" IP mode is reached through the load balancer, not captured by the node.
            if (string.IsNullOrEmpty(ingress.Ip) || (ingress.IpMode is { } mode && mode != "VIP"))
            {
                continue;
            }

            if (IPAddress.TryParse(ingress.Ip, out var ip) && ip.AddressFamily == family)
            {
                vips.Add(ip);
            }
        }

        var healthCheckNodePort = spec.Type == "LoadBalancer" && externalPolicyLocal ? spec.HealthCheckNodePort ?? 0 : 0;
        var ports = new List<ServicePortInfo>();
        foreach (var port in spec.Ports ?? [])
        {
            var protocol = string.IsNullOrEmpty(port.Protocol) ? "TCP" : port.Protocol;
            ports.Add(new ServicePortInfo
            {
                Name = new ServicePortName(service.Metadata.NamespaceProperty ?? "default", service.Metadata.Name, port.Name ?? "", protocol),
                ClusterIP = clusterIP,
                Port = port.Port,
                Protocol = protocol,
                NodePort = port.NodePort ?? 0,
                ExternalIPs = externalIPs,
                LoadBalancerVIPs = vips,
                LoadBalancerSourceRanges = sourceRanges,
                SessionAffinityClientIP = clientIP,
                StickyMaxAgeSeconds = sticky,
                ExternalPolicyLocal = externalPolicyLocal,
                InternalPolicyLocal = internalPolicyLocal,
                HealthCheckNodePort = healthCheckNodePort,
            });
        }

        return ports;
    }

    /// <summary>apiservice.ExternallyAccessible: NodePort and LoadBalancer Services, and ClusterIP ones with externalIPs.</summary>
    public static bool ExternallyAccessible(V1ServiceSpec spec) =>
        spec.Type is "LoadBalancer" or "NodePort" || ((spec.Type ?? "ClusterIP") == "ClusterIP" && spec.ExternalIPs is { Count: > 0 });

    private static IPAddress? ClusterIPOfFamily(V1ServiceSpec spec, AddressFamily family)
    {
        var candidates = spec.ClusterIPs is { Count: > 0 } ips ? ips : spec.ClusterIP is { } one ? [one] : [];
        foreach (var text in candidates)
        {
            if (text == "None" || string.IsNullOrEmpty(text))
            {
                return null;
            }

            if (IPAddress.TryParse(text, out var ip) && ip.AddressFamily == family)
            {
                return ip;
            }
        }

        return null;
    }

    private static List<IPAddress> ParseAddresses(IEnumerable<string>? texts, AddressFamily family)
    {
        var result = new List<IPAddress>();
        foreach (var text in texts ?? [])
        {
            if (IPAddress.TryParse(text.Trim(), out var ip) && ip.AddressFamily == family)
            {
                result.Add(ip);
            }
        }

        return result;
    }
}
