using System.Net;
using System.Net.NetworkInformation;

namespace Strata.Netlink;

/// <summary>RFC 2863 operational state, as IF_OPER_* in linux/if.h.</summary>
public enum OperState : byte
{
    Unknown = 0,
    NotPresent = 1,
    Down = 2,
    LowerLayerDown = 3,
    Testing = 4,
    Dormant = 5,
    Up = 6,
}

/// <summary>A link as RTM_NEWLINK describes it; what <c>ip -d link show</c> prints.</summary>
public sealed record Link
{
    public required int Index { get; init; }

    public required string Name { get; init; }

    /// <summary>IFLA_INFO_KIND: veth, bridge, vxlan, tun, dummy … or null for physical and loopback devices.</summary>
    public string? Kind { get; init; }

    /// <summary>IFF_* flags from ifinfomsg.</summary>
    public uint Flags { get; init; }

    public int Mtu { get; init; }

    public int? MasterIndex { get; init; }

    /// <summary>IFLA_LINK: for a veth, the peer's ifindex (the <c>@ifN</c> in <c>ip link</c>).</summary>
    public int? ParentIndex { get; init; }

    /// <summary>IFLA_LINK_NETNSID: the peer's namespace, as this namespace numbers it.</summary>
    public int? LinkNetnsId { get; init; }

    public PhysicalAddress? Address { get; init; }

    public OperState OperState { get; init; }

    public uint Group { get; init; }

    public int TxQueueLength { get; init; }

    /// <summary>ARPHRD_* from ifinfomsg (1 = ether, 772 = loopback, 65534 = none).</summary>
    public ushort DeviceType { get; init; }

    public VxlanInfo? Vxlan { get; init; }

    public bool IsUp => (Flags & Interop.Netlink.IFF_UP) != 0;

    public bool IsLowerUp => (Flags & Interop.Netlink.IFF_LOWER_UP) != 0;
}

/// <summary>IFLA_VXLAN_* attributes of a vxlan link.</summary>
public sealed record VxlanInfo
{
    public uint Vni { get; init; }

    public IPAddress? Local { get; init; }

    public IPAddress? Remote { get; init; }

    /// <summary>IFLA_VXLAN_LINK: the underlay device's ifindex (<c>dev eth0</c>).</summary>
    public int? DeviceIndex { get; init; }

    public ushort Port { get; init; }

    public bool Learning { get; init; }

    /// <summary>0 means <c>ttl auto</c>.</summary>
    public byte Ttl { get; init; }

    public uint Ageing { get; init; }
}
