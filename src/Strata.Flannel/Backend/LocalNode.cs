using System.Net;
using Strata.Netlink;

namespace Strata.Flannel.Backend;

/// <summary>
/// The node's external interface (flannel's ExternalInterface): the link that holds the node IP, its address with
/// the connected prefix, and its MTU.
/// </summary>
public sealed record ExternalInterface(string Name, int Index, IpPrefix Address, int Mtu)
{
    public IPAddress Ip => Address.Address;

    /// <summary>True when <paramref name="peer"/> is on the interface's directly connected subnet (no router between).</summary>
    public bool IsDirectlyConnected(IPAddress peer) => Address.Network.Contains(peer);
}

/// <summary>This node: its name, its lease (podCIDR) and its external interface.</summary>
public sealed record LocalNode(string Name, IpPrefix Subnet, ExternalInterface External);
