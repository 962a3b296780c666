using System.Net;
using System.Net.NetworkInformation;
using Strata.Flannel.Subnet;
using Strata.Netlink;

namespace Strata.Flannel.Backend;

/// <summary><c>ip route replace DST via GW dev DEV [onlink]</c>.</summary>
public sealed record PlannedRoute(IpPrefix Destination, IPAddress? Gateway, string Device, bool OnLink = false)
{
    public override string ToString() =>
        $"{Destination}{(Gateway is null ? "" : $" via {Gateway}")} dev {Device}{(OnLink ? " onlink" : "")}";
}

/// <summary><c>ip neigh replace IP lladdr MAC dev DEV nud permanent</c>: the remote VTEP's address on flannel.N.</summary>
public sealed record PlannedNeighbour(IPAddress Address, PhysicalAddress Mac, string Device)
{
    public override string ToString() => $"{Address} dev {Device} lladdr {MacAddress.Format(Mac)} PERMANENT";
}

/// <summary><c>bridge fdb replace MAC dev DEV dst IP self permanent</c>: where the remote VTEP's frames go.</summary>
public sealed record PlannedFdb(PhysicalAddress Mac, IPAddress Destination, string Device)
{
    public override string ToString() => $"{MacAddress.Format(Mac)} dev {Device} dst {Destination} self permanent";
}

/// <summary>A remote node whose lease this backend cannot route, and why (it is left out of the plan).</summary>
public sealed record RefusedLease(Lease Lease, string Reason);

/// <summary>For the udp backend: the peer that a destination subnet's packets are sent to.</summary>
public sealed record UdpPeer(IpPrefix Subnet, IPAddress PublicIp);

/// <summary>
/// The kernel state one backend wants on this node for the current set of leases: the desired-state model of
/// ARCHITECTURE.md's stage 3. Pure: built by <see cref="NetworkPlanner"/>, applied by the reconciler.
/// </summary>
public sealed record NetworkPlan(
    IReadOnlyList<PlannedRoute> Routes,
    IReadOnlyList<PlannedNeighbour> Neighbours,
    IReadOnlyList<PlannedFdb> Fdb,
    IReadOnlyList<UdpPeer> UdpPeers,
    IReadOnlyList<RefusedLease> Refused,
    IReadOnlyList<RefusedLease> Ignored);
