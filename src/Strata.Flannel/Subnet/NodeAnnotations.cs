using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Strata.Netlink;

namespace Strata.Flannel.Subnet;

/// <summary>
/// The node annotations flannel's kube subnet manager publishes and reads, under its default prefix
/// <c>flannel.alpha.coreos.com</c> (pkg/subnet/kube/annotations.go). Pure.
/// </summary>
public static class NodeAnnotations
{
    public const string Prefix = "flannel.alpha.coreos.com/";
    public const string KubeSubnetManager = Prefix + "kube-subnet-manager";
    public const string BackendType = Prefix + "backend-type";
    public const string BackendData = Prefix + "backend-data";
    public const string PublicIp = Prefix + "public-ip";
    public const string PublicIpOverwrite = Prefix + "public-ip-overwrite";

    /// <summary>What this node publishes for its lease.</summary>
    public static IReadOnlyDictionary<string, string> For(string backendType, string backendData, IPAddress publicIp) => new Dictionary<string, string>
    {
        [BackendData] = backendData,
        [BackendType] = backendType,
        [KubeSubnetManager] = "true",
        [PublicIp] = publicIp.ToString(),
    };

    /// <summary>True when every published annotation already has its value (AcquireLease patches only then).</summary>
    public static bool AreCurrent(V1Node node, IReadOnlyDictionary<string, string> wanted) =>
        wanted.All(kv => node.Metadata.Annotations?.TryGetValue(kv.Key, out var value) == true && value == kv.Value);

    /// <summary>
    /// The node's IPv4 pod CIDR (spec.podCIDRs, else spec.podCIDR), or null if it has none yet.
    /// </summary>
    public static IpPrefix? PodCidr(V1Node node)
    {
        var cidrs = node.Spec?.PodCIDRs is { Count: > 0 } list ? list : node.Spec?.PodCIDR is { Length: > 0 } one ? [one] : [];
        foreach (var text in cidrs)
        {
            if (IpPrefix.TryParse(text, out var prefix) && prefix.IsIPv4)
            {
                return prefix.Network;
            }
        }

        return null;
    }

    /// <summary>
    /// The lease a node's annotations and podCIDR describe (nodeToLease), or null with the reason when the node is not
    /// (yet) managed by flannel or its annotations are unusable.
    /// </summary>
    public static Lease? ToLease(V1Node node, out string? reason)
    {
        IReadOnlyDictionary<string, string> annotations = node.Metadata.Annotations is { } a ? new Dictionary<string, string>(a) : new Dictionary<string, string>();
        if (!annotations.TryGetValue(KubeSubnetManager, out var managed) || managed != "true")
        {
            reason = $"node {node.Metadata.Name} has no {KubeSubnetManager}=true annotation";
            return null;
        }

        if (!annotations.TryGetValue(PublicIp, out var ipText) || !IPAddress.TryParse(ipText, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
        {
            reason = $"node {node.Metadata.Name}: annotation {PublicIp}=\"{ipText}\" is not an IPv4 address";
            return null;
        }

        if (PodCidr(node) is not { } cidr)
        {
            reason = $"node {node.Metadata.Name} has no IPv4 spec.podCIDR";
            return null;
        }

        reason = null;
        return new Lease(node.Metadata.Name, cidr, annotations.GetValueOrDefault(BackendType, ""), ip, annotations.GetValueOrDefault(BackendData, ""));
    }
}
