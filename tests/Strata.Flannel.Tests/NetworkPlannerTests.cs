using System.Net;
using Strata.Flannel.Backend;
using Strata.Flannel.Config;
using Strata.Flannel.Subnet;
using Strata.Netlink;

namespace Strata.Flannel.Tests;

public sealed class NetworkPlannerTests
{
    private static readonly LocalNode Node1 = new("node1", IpPrefix.Parse("10.233.65.0/24"),
        new ExternalInterface("eth0", 2, IpPrefix.Parse("192.168.50.11/24"), 1500));

    private static NetConf Conf(string backend) =>
        NetConfParser.Parse($$"""{"Network":"10.233.64.0/18","Backend":{{backend}}}""", "test");

    private static Lease Vxlan(string node, string subnet, string ip, string mac) =>
        new(node, IpPrefix.Parse(subnet), "vxlan", IPAddress.Parse(ip), new VxlanLeaseData(1, MacAddress.Parse(mac)).ToJson());

    private static Lease HostGw(string node, string subnet, string ip) =>
        new(node, IpPrefix.Parse(subnet), "host-gw", IPAddress.Parse(ip), "null");

    [Fact]
    public void VxlanGivesEachRemoteNodeARouteOnlinkAPermanentNeighbourAndAnFdbEntry()
    {
        var plan = NetworkPlanner.Plan(Conf("""{"Type":"vxlan"}"""), Node1,
        [
            Vxlan("node3", "10.233.67.0/24", "192.168.50.13", "0e:00:00:00:00:03"),
            Vxlan("node1", "10.233.65.0/24", "192.168.50.11", "0e:00:00:00:00:01"),
            Vxlan("node2", "10.233.66.0/24", "192.168.50.12", "0e:00:00:00:00:02"),
        ]);

        Assert.Equal(
            ["10.233.66.0/24 via 10.233.66.0 dev flannel.1 onlink", "10.233.67.0/24 via 10.233.67.0 dev flannel.1 onlink"],
            plan.Routes.Select(r => r.ToString()));
        Assert.Equal(
            ["10.233.66.0 dev flannel.1 lladdr 0e:00:00:00:00:02 PERMANENT", "10.233.67.0 dev flannel.1 lladdr 0e:00:00:00:00:03 PERMANENT"],
            plan.Neighbours.Select(n => n.ToString()));
        Assert.Equal(
            ["0e:00:00:00:00:02 dev flannel.1 dst 192.168.50.12 self permanent", "0e:00:00:00:00:03 dev flannel.1 dst 192.168.50.13 self permanent"],
            plan.Fdb.Select(f => f.ToString()));
        Assert.Empty(plan.Refused);
        Assert.Empty(plan.UdpPeers);
    }

    [Fact]
    public void VxlanDirectRoutingUsesHostGwRoutesOnTheSameSubnetAndVxlanAcrossARouter()
    {
        var plan = NetworkPlanner.Plan(Conf("""{"Type":"vxlan","DirectRouting":true}"""), Node1,
        [
            Vxlan("node2", "10.233.66.0/24", "192.168.50.12", "0e:00:00:00:00:02"),
            Vxlan("node3", "10.233.67.0/24", "192.168.60.13", "0e:00:00:00:00:03"),
        ]);

        Assert.Equal(
            ["10.233.66.0/24 via 192.168.50.12 dev eth0", "10.233.67.0/24 via 10.233.67.0 dev flannel.1 onlink"],
            plan.Routes.Select(r => r.ToString()));
        Assert.Equal(["10.233.67.0 dev flannel.1 lladdr 0e:00:00:00:00:03 PERMANENT"], plan.Neighbours.Select(n => n.ToString()));
        Assert.Equal(["0e:00:00:00:00:03 dev flannel.1 dst 192.168.60.13 self permanent"], plan.Fdb.Select(f => f.ToString()));
    }

    [Fact]
    public void VxlanLeaseWithoutVtepMacIsRefusedWithTheAnnotationNamed()
    {
        var broken = new Lease("node2", IpPrefix.Parse("10.233.66.0/24"), "vxlan", IPAddress.Parse("192.168.50.12"), "null");

        var plan = NetworkPlanner.Plan(Conf("""{"Type":"vxlan"}"""), Node1, [broken]);

        Assert.Empty(plan.Routes);
        var refused = Assert.Single(plan.Refused);
        Assert.Equal("node node2's annotation flannel.alpha.coreos.com/backend-data=\"null\" has no VtepMAC", refused.Reason);
    }

    [Fact]
    public void HostGwRoutesViaTheNodeIpOnTheExternalInterface()
    {
        var plan = NetworkPlanner.Plan(Conf("""{"Type":"host-gw"}"""), Node1,
        [
            HostGw("node2", "10.233.66.0/24", "192.168.50.12"),
            HostGw("node3", "10.233.67.0/24", "192.168.50.13"),
        ]);

        Assert.Equal(["10.233.66.0/24 via 192.168.50.12 dev eth0", "10.233.67.0/24 via 192.168.50.13 dev eth0"], plan.Routes.Select(r => r.ToString()));
        Assert.Empty(plan.Neighbours);
        Assert.Empty(plan.Fdb);
        Assert.Empty(plan.Refused);
    }

    [Fact]
    public void HostGwRefusesANodeBehindARouterAndProgramsNothingForIt()
    {
        var plan = NetworkPlanner.Plan(Conf("""{"Type":"host-gw"}"""), Node1,
        [
            HostGw("node2", "10.233.66.0/24", "192.168.50.12"),
            HostGw("node3", "10.233.67.0/24", "192.168.60.13"),
        ]);

        Assert.Equal(["10.233.66.0/24 via 192.168.50.12 dev eth0"], plan.Routes.Select(r => r.ToString()));
        var refused = Assert.Single(plan.Refused);
        Assert.Equal("node3", refused.Lease.NodeName);
        Assert.Equal(
            "host-gw cannot route 10.233.67.0/24 to node node3: its IP 192.168.60.13 is not on a directly connected subnet of eth0 (192.168.50.0/24); " +
            "host-gw needs every node on one L2 network (use vxlan across routers)",
            refused.Reason);
    }

    [Fact]
    public void LeasesOfAnotherBackendAreIgnoredAndOutsideTheNetworkRefused()
    {
        var plan = NetworkPlanner.Plan(Conf("""{"Type":"host-gw"}"""), Node1,
        [
            Vxlan("node2", "10.233.66.0/24", "192.168.50.12", "0e:00:00:00:00:02"),
            HostGw("node3", "10.9.0.0/24", "192.168.50.13"),
        ]);

        Assert.Empty(plan.Routes);
        Assert.Equal("node node2 uses backend \"vxlan\", not \"host-gw\"", Assert.Single(plan.Ignored).Reason);
        Assert.Equal("node node3's podCIDR 10.9.0.0/24 is outside the flannel Network 10.233.64.0/18", Assert.Single(plan.Refused).Reason);
    }

    [Fact]
    public void UdpRoutesTheWholeNetworkToFlannel0AndListsPeers()
    {
        var plan = NetworkPlanner.Plan(Conf("""{"Type":"udp"}"""), Node1,
        [
            new Lease("node2", IpPrefix.Parse("10.233.66.0/24"), "udp", IPAddress.Parse("192.168.60.12"), "null"),
        ]);

        Assert.Equal(["10.233.64.0/18 dev flannel0"], plan.Routes.Select(r => r.ToString()));
        Assert.Equal([new UdpPeer(IpPrefix.Parse("10.233.66.0/24"), IPAddress.Parse("192.168.60.12"))], plan.UdpPeers);
    }
}
