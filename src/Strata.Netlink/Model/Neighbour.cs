using System.Net;
using System.Net.NetworkInformation;

namespace Strata.Netlink;

/// <summary>NUD_* neighbour states (linux/neighbour.h).</summary>
[Flags]
public enum NeighbourState : ushort
{
    None = 0,
    Incomplete = 0x01,
    Reachable = 0x02,
    Stale = 0x04,
    Delay = 0x08,
    Probe = 0x10,
    Failed = 0x20,
    NoArp = 0x40,
    Permanent = 0x80,
}

/// <summary>An ARP/NDP entry: <c>ip neigh add ADDR lladdr MAC dev DEV nud permanent</c>.</summary>
public sealed record Neighbour(IPAddress Address, string? Device)
{
    public PhysicalAddress? LinkAddress { get; init; }

    public NeighbourState State { get; init; } = NeighbourState.Permanent;

    public int? LinkIndex { get; init; }

    /// <summary>
    /// NTF_PROXY: a proxy entry (<c>ip neigh add proxy ADDR dev DEV</c>): the kernel answers ARP/NDP for the address on
    /// DEV with DEV's own MAC, under the conditions of net/ipv4/arp.c arp_process. It has no MAC and no state.
    /// </summary>
    public bool Proxy { get; init; }
}

/// <summary>
/// A bridge forwarding database entry: <c>bridge fdb append MAC dev DEV dst IP [self|master]</c>.
/// On a vxlan device, <see cref="Destination"/> is the remote VTEP.
/// </summary>
public sealed record FdbEntry(PhysicalAddress Mac, string? Device)
{
    public IPAddress? Destination { get; init; }

    public uint? Vni { get; init; }

    public ushort? Port { get; init; }

    public ushort? Vlan { get; init; }

    /// <summary>NTF_SELF: the entry lives in the device's own table (vxlan). The default, as in <c>bridge fdb</c>.</summary>
    public bool Self { get; init; } = true;

    /// <summary>NTF_MASTER: the entry lives in the master bridge's table.</summary>
    public bool Master { get; init; }

    public NeighbourState State { get; init; } = NeighbourState.Permanent;

    public int? LinkIndex { get; init; }

    public int? MasterIndex { get; init; }
}
