using System.Net;
using Strata.Netlink;

namespace Strata.Lab;

/// <summary>
/// One node of the lab: its name (also its hostname and Kubernetes Node name), its underlay address, and the L2
/// segment it is on (0 unless the lab has several).
/// </summary>
public sealed record LabNode(string Name, IPAddress Address, int Segment = 0);

/// <summary>
/// What a lab looks like: pure data, validated by <see cref="LabSpecBuilder"/>. The defaults are
/// the seed's addresses (ARCHITECTURE.md, "The lab topology").
/// </summary>
public sealed record LabSpec
{
    public const string DefaultName = "strata";
    public const string DefaultStateRoot = "/var/lib/strata/lab";
    public const int DefaultApiPort = 6443;

    /// <summary>The port the API server listens on inside the lab, at <see cref="ApiAddress"/>.</summary>
    public const int LabApiPort = 6443;

    public static readonly IReadOnlyList<string> Backends = ["vxlan", "host-gw", "udp"];
    public static readonly IReadOnlyList<string> ProxyModes = ["iptables"];

    public string Name { get; init; } = DefaultName;

    public required IReadOnlyList<LabNode> Nodes { get; init; }

    public IpPrefix Underlay { get; init; } = IpPrefix.Parse("172.19.0.0/20");

    /// <summary>The API server's address on the underlay bridge br0.</summary>
    public IPAddress ApiAddress { get; init; } = IPAddress.Parse("172.19.0.2");

    /// <summary>The port on the host's 127.0.0.1 for kubectl.</summary>
    public int ApiPort { get; init; } = DefaultApiPort;

    public string Backend { get; init; } = "vxlan";

    public string ProxyMode { get; init; } = "iptables";

    public IpPrefix ClusterCidr { get; init; } = IpPrefix.Parse("10.233.64.0/18");

    public IpPrefix ServiceCidr { get; init; } = IpPrefix.Parse("10.233.0.0/18");

    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>
    /// How many L2 segments the underlay has. With more than one, segment k is the k-th /24 of the underlay, on its
    /// own bridge, and a router namespace joins them: nodes on different segments are not directly connected, which
    /// is what flannel's host-gw backend cannot cross and vxlan can.
    /// </summary>
    public int Segments { get; init; } = 1;

    /// <summary>The prefix of a node's or the API server's underlay address: the segment's /24, or the whole underlay.</summary>
    public int LinkPrefixLength => Segments > 1 ? SegmentPrefixLength : Underlay.PrefixLength;

    public const int SegmentPrefixLength = 24;

    public IpPrefix Segment(int index) => Segments > 1
        ? new IpPrefix(AddressMath.Offset(Underlay.Network.Address, (uint)index << (32 - SegmentPrefixLength)), SegmentPrefixLength)
        : Underlay;

    /// <summary>The router's address on a segment: its first address.</summary>
    public IPAddress RouterAddress(int segment) => AddressMath.Offset(Segment(segment).Address, 1);

    public required string StateDirectory { get; init; }

    public LabNames Names => new(Name);

    /// <summary>The cluster DNS address: the third address of the service range (10.233.0.3).</summary>
    public IPAddress ClusterDns => AddressMath.Offset(ServiceCidr.Network.Address, 3);

    /// <summary>
    /// The addresses LoadBalancer Services get (the API server's --load-balancer-pool), announced on the first segment:
    /// .200-.250 of its last /24 (172.19.15.200-172.19.15.250 for the default underlay). Node addresses are given from
    /// the bottom up, and the builder refuses a clash. A first segment smaller than a /24 has no pool (null): its few
    /// addresses are the nodes'.
    /// </summary>
    public (IPAddress First, IPAddress Last)? LoadBalancerPool
    {
        get
        {
            var segment = Segment(0);
            var size = AddressMath.Size(segment);
            return size < 256
                ? null
                : (AddressMath.Offset(segment.Address, size - 256 + 200), AddressMath.Offset(segment.Address, size - 256 + 250));
        }
    }

    /// <summary><see cref="LoadBalancerPool"/> as the flag takes it (first-last), empty when there is none.</summary>
    public string LoadBalancerPoolText => LoadBalancerPool is var (first, last) ? $"{first}-{last}" : "";

    public static string DefaultStateDirectory(string name) => Path.Combine(DefaultStateRoot, name);
}
