using System.Net;

namespace Strata.Netlink;

/// <summary>RTN_* route types (linux/rtnetlink.h).</summary>
public enum RouteType : byte
{
    Unicast = 1,
    Local = 2,
    Broadcast = 3,
    Anycast = 4,
    Multicast = 5,
    Blackhole = 6,
    Unreachable = 7,
    Prohibit = 8,
}

/// <summary>
/// A route: what <c>ip route add</c> takes and <c>ip route show</c> prints. Name the device with
/// <see cref="Device"/>; dumps fill in both it and <see cref="OutIndex"/>.
/// </summary>
public sealed record Route(IpPrefix Destination)
{
    public const uint MainTable = 254;
    public const uint LocalTable = 255;

    public IPAddress? Gateway { get; init; }

    public string? Device { get; init; }

    public int? OutIndex { get; init; }

    public RouteType Type { get; init; } = RouteType.Unicast;

    /// <summary>When null, chosen as iproute2 does: host for local routes, link for a device route without a gateway, otherwise universe.</summary>
    public Scope? Scope { get; init; }

    /// <summary>RTPROT_*: 3 (boot) is what <c>ip route add</c> uses.</summary>
    public byte Protocol { get; init; } = 3;

    public uint? Metric { get; init; }

    public IPAddress? PreferredSource { get; init; }

    /// <summary>When null, chosen as iproute2 does: local for local, broadcast and anycast routes, otherwise main. Dumps always fill it in.</summary>
    public uint? Table { get; init; }

    /// <summary>RTNH_F_ONLINK: the gateway is on the link even if no address says so (flannel's vxlan routes).</summary>
    public bool OnLink { get; init; }

    /// <summary>The table iproute2 would choose (ip/iproute.c, iproute_modify).</summary>
    public uint EffectiveTable => Table ?? (Type is RouteType.Local or RouteType.Broadcast or RouteType.Anycast ? LocalTable : MainTable);

    /// <summary>The scope iproute2 would choose (ip/iproute.c, iproute_modify).</summary>
    public Scope EffectiveScope => Scope ?? Type switch
    {
        RouteType.Local => Netlink.Scope.Host,
        RouteType.Broadcast or RouteType.Multicast or RouteType.Anycast => Netlink.Scope.Link,
        RouteType.Unicast when Gateway is null => Netlink.Scope.Link,
        _ => Netlink.Scope.Universe,
    };
}
