using Strata.Flannel.Config;
using Strata.Flannel.Subnet;

namespace Strata.Flannel.Backend;

/// <summary>
/// What each backend programs for the remote leases (stage 3, pure):
/// <list type="bullet">
/// <item>vxlan (pkg/backend/vxlan/vxlan_network.go handleSubnetEvents): per remote node the route
/// <c>podCIDR via &lt;podCIDR&gt;.0 dev flannel.N onlink</c>, the permanent neighbour <c>&lt;podCIDR&gt;.0 lladdr VtepMAC</c>
/// and the FDB entry <c>VtepMAC dst publicIP</c>; with DirectRouting, a node on the same subnet gets the host-gw route instead;</item>
/// <item>host-gw (pkg/backend/hostgw + route_network.go): <c>podCIDR via publicIP dev &lt;ext&gt;</c>, refused for a node
/// that is not on a directly connected subnet (the kernel would refuse the gateway, and a router would drop the packets);</item>
/// <item>udp (pkg/backend/udp): one route for the whole network via flannel0, and a peer table for the userspace proxy.</item>
/// </list>
/// Leases of another backend type are ignored, as upstream does.
/// </summary>
public static class NetworkPlanner
{
    public static NetworkPlan Plan(NetConf conf, LocalNode local, IEnumerable<Lease> leases)
    {
        var routes = new List<PlannedRoute>();
        var neighbours = new List<PlannedNeighbour>();
        var fdb = new List<PlannedFdb>();
        var peers = new List<UdpPeer>();
        var refused = new List<RefusedLease>();
        var ignored = new List<RefusedLease>();
        var ext = local.External;

        if (conf.Backend is UdpConfig)
        {
            routes.Add(new PlannedRoute(conf.Network, null, UdpConfig.DeviceName));
        }

        foreach (var lease in leases.OrderBy(l => l.Subnet.Address, IpComparer.Instance).ThenBy(l => l.NodeName, StringComparer.Ordinal))
        {
            if (lease.NodeName == local.Name || lease.Subnet == local.Subnet)
            {
                continue;
            }

            if (lease.BackendType != conf.Backend.Type)
            {
                ignored.Add(new RefusedLease(lease, $"node {lease.NodeName} uses backend \"{lease.BackendType}\", not \"{conf.Backend.Type}\""));
                continue;
            }

            if (!conf.Network.Contains(lease.Subnet.Address))
            {
                refused.Add(new RefusedLease(lease, $"node {lease.NodeName}'s podCIDR {lease.Subnet} is outside the flannel Network {conf.Network}"));
                continue;
            }

            switch (conf.Backend)
            {
                case VxlanConfig vxlan when vxlan.DirectRouting && ext.IsDirectlyConnected(lease.PublicIp):
                    routes.Add(new PlannedRoute(lease.Subnet, lease.PublicIp, ext.Name));
                    break;
                case VxlanConfig vxlan:
                    if (lease.Vxlan is not { } data)
                    {
                        refused.Add(new RefusedLease(lease, $"node {lease.NodeName}'s annotation {NodeAnnotations.BackendData}=\"{lease.BackendData}\" has no VtepMAC"));
                        break;
                    }

                    var vtep = lease.Subnet.Network.Address;
                    neighbours.Add(new PlannedNeighbour(vtep, data.VtepMac, vxlan.DeviceName));
                    fdb.Add(new PlannedFdb(data.VtepMac, lease.PublicIp, vxlan.DeviceName));
                    routes.Add(new PlannedRoute(lease.Subnet, vtep, vxlan.DeviceName, OnLink: true));
                    break;
                case HostGwConfig when !ext.IsDirectlyConnected(lease.PublicIp):
                    refused.Add(new RefusedLease(lease,
                        $"host-gw cannot route {lease.Subnet} to node {lease.NodeName}: its IP {lease.PublicIp} is not on a directly connected subnet " +
                        $"of {ext.Name} ({ext.Address.Network}); host-gw needs every node on one L2 network (use vxlan across routers)"));
                    break;
                case HostGwConfig:
                    routes.Add(new PlannedRoute(lease.Subnet, lease.PublicIp, ext.Name));
                    break;
                case UdpConfig:
                    peers.Add(new UdpPeer(lease.Subnet, lease.PublicIp));
                    break;
            }
        }

        return new NetworkPlan(routes, neighbours, fdb, peers, refused, ignored);
    }

    private sealed class IpComparer : IComparer<System.Net.IPAddress>
    {
        public static readonly IpComparer Instance = new();

        public int Compare(System.Net.IPAddress? x, System.Net.IPAddress? y) =>
            NetConfParser.ToUInt(x!).CompareTo(NetConfParser.ToUInt(y!));
    }
}
