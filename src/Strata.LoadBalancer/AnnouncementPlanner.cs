using System.Net;
using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Strata.Controllers.Endpoints;
using Strata.Controllers.LoadBalancer;
using Strata.Controllers.Machinery;
using Strata.Controllers.NodeIpam;

namespace Strata.LoadBalancer;

/// <summary>One address this node answers ARP for, and the Service it belongs to.</summary>
public sealed record Announcement(string Service, IPAddress Address);

/// <summary>
/// Which LoadBalancer addresses a node announces in layer 2, as MetalLB's speaker decides it
/// (speaker/layer2_controller.go, ShouldAnnounce): a Service with no serving endpoint is announced nowhere; the
/// candidates are the nodes that can speak (here: Ready, without NetworkUnavailable, not labelled
/// <c>node.kubernetes.io/exclude-from-external-load-balancers</c>, which is what MetalLB checks when memberlist is
/// off), narrowed to the nodes with a serving endpoint when <c>externalTrafficPolicy</c> is Local; they are ordered by
/// SHA-256 of <c>node#ip</c>, and the first one announces. Every speaker computes the same order from the same
/// objects, so exactly one node answers for each address without talking to the others. Pure.
/// </summary>
public static class AnnouncementPlanner
{
    public const string ExcludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers";

    /// <summary>What <paramref name="node"/> should announce, ordered by address.</summary>
    public static IReadOnlyList<Announcement> Plan(string node, IEnumerable<V1Service> services, IEnumerable<V1EndpointSlice> slices, IEnumerable<V1Node> nodes)
    {
        var speakers = nodes.Where(CanSpeak).Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var slicesByService = slices
            .Where(s => s.Metadata.Labels?.ContainsKey(EndpointSlicePlanner.ServiceNameLabel) == true)
            .ToLookup(s => ObjectKey.For(s.Metadata.NamespaceProperty, s.Metadata.Labels[EndpointSlicePlanner.ServiceNameLabel]), StringComparer.Ordinal);
        var plan = new List<Announcement>();
        foreach (var service in services.Where(LoadBalancerIpamController.IsOurs))
        {
            var key = ObjectKey.Of(service);
            var addresses = Addresses(service);
            if (addresses.Count == 0)
            {
                continue;
            }

            var serving = slicesByService[key].SelectMany(s => s.Endpoints ?? []).Where(CanServe).ToList();
            if (serving.Count == 0)
            {
                continue;
            }

            var candidates = service.Spec.ExternalTrafficPolicy == "Local"
                ? serving.Select(e => e.NodeName).OfType<string>().Where(speakers.Contains).Distinct(StringComparer.Ordinal).ToList()
                : [.. speakers];
            if (Owner(candidates, addresses[0]) == node)
            {
                plan.AddRange(addresses.Select(a => new Announcement(key, a)));
            }
        }

        return [.. plan.OrderBy(a => IpCidr.ToValue(a.Address))];
    }

    /// <summary>The node that announces <paramref name="address"/> among <paramref name="candidates"/> (null when there is none).</summary>
    public static string? Owner(IEnumerable<string> candidates, IPAddress address)
    {
        var ip = address.ToString();
        return candidates
            .Select(n => (Node: n, Hash: SHA256.HashData(Encoding.UTF8.GetBytes($"{n}#{ip}"))))
            .OrderBy(c => c.Hash, ByteOrder.Instance)
            .Select(c => c.Node)
            .FirstOrDefault();
    }

    /// <summary>The ingress IPs kube-proxy serves as VIPs (an ipMode of Proxy is the load balancer's own business).</summary>
    private static List<IPAddress> Addresses(V1Service service) =>
        [.. (service.Status?.LoadBalancer?.Ingress ?? [])
            .Where(i => i.IpMode is null or "VIP")
            .Select(i => IpCidr.TryParseAddress(i.Ip, out var a) ? a : null)
            .OfType<IPAddress>()];

    /// <summary>An endpoint counts while it is ready; a missing condition means ready (discovery/v1).</summary>
    private static bool CanServe(V1Endpoint endpoint) => endpoint.Conditions?.Ready ?? true;

    private static bool CanSpeak(V1Node node) =>
        node.Metadata.Labels?.ContainsKey(ExcludeLabel) != true
        && node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true
        && node.Status.Conditions.All(c => c.Type != "NetworkUnavailable" || c.Status != "True");

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
