using System.Text.RegularExpressions;
using Strata.Flannel.Config;
using Strata.Flannel.Kernel;
using Strata.Flannel.Tests.Support;

namespace Strata.Flannel.Tests.Kernel;

/// <summary>
/// The reconciler on the real kernel, node by node, for a fake node list: the state `ip route`, `ip neigh` and
/// `bridge fdb` show, in the form of the seed's listings, and pods pinging each other across nodes.
/// </summary>
public sealed partial class ReconcilerKernelTests
{
    private static readonly NetConf Vxlan = NetConfParser.Parse("""{"Network":"10.233.64.0/18","Backend":{"Type":"vxlan","VNI":1,"Port":8472}}""", "test");
    private static readonly NetConf HostGw = NetConfParser.Parse("""{"Network":"10.233.64.0/18","Backend":{"Type":"host-gw"}}""", "test");

    [RootFact]
    public void VxlanProgramsTheSeedsThreeEntriesPerRemoteNodeAndPodsPingOverUdp8472()
    {
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        var node3 = topology.AddNode(3, segment: 1); // behind the underlay's router: vxlan does not care

        topology.Reconcile(Vxlan);

        var link = Tool.IpJson(node1.Namespace, "link", "show", "flannel.1")[0];
        var info = link.GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(1, info.GetProperty("id").GetInt32());
        Assert.Equal(8472, info.GetProperty("port").GetInt32());
        Assert.Equal("192.168.50.11", info.GetProperty("local").GetString());
        Assert.False(info.GetProperty("learning").GetBoolean());
        Assert.Equal(1450, link.GetProperty("mtu").GetInt32());
        Assert.Contains("inet 10.233.65.0/32", Tool.Check("ip", "-n", node1.Namespace, "-4", "addr", "show", "flannel.1"), StringComparison.Ordinal);

        string mac2 = Mac(node2), mac3 = Mac(node3);
        Assert.Equal(
        [
            "10.233.66.0/24 via 10.233.66.0 dev flannel.1 onlink",
            "10.233.67.0/24 via 10.233.67.0 dev flannel.1 onlink",
        ], FlannelRoutes(node1));
        Assert.Equal(
        [
            $"10.233.66.0 lladdr {mac2} PERMANENT",
            $"10.233.67.0 lladdr {mac3} PERMANENT",
        ], Topology.Lines(Tool.Check("ip", "-n", node1.Namespace, "neigh", "show", "dev", "flannel.1")).Order());
        Assert.Equal(
            new[]
            {
                $"{mac2} dst 192.168.50.12 self permanent",
                $"{mac3} dst 192.168.60.13 self permanent",
            }.Order(StringComparer.Ordinal), Topology.Lines(Tool.Check("ip", "netns", "exec", node1.Namespace, "bridge", "fdb", "show", "dev", "flannel.1")).Where(l => l.Contains("dst", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        var capture = topology.StartCapture("v2", "udp port 8472", "-T", "vxlan"); // 8472 is not IANA's 4789: ask tcpdump to decode it
        Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "pod1 -> pod2 over vxlan");
        string seen = capture.Stop();
        Assert.True(Regex.IsMatch(seen, @"192\.168\.50\.11\.\d+ > 192\.168\.50\.12\.8472: .*VXLAN, flags \[I\] \(0x08\), vni 1"), seen);
        Assert.Contains("10.233.65.2 > 10.233.66.2: ICMP echo request", seen, StringComparison.Ordinal);

        Assert.True(Topology.Ping(node1.Pod, node3.PodIp), "pod1 -> pod3 over vxlan across the underlay's router");
        Assert.True(Topology.Ping(node3.Pod, node2.PodIp), "pod3 -> pod2");
        Assert.True(Topology.Ping(node1.Pod, node2.Ip.ToString()), "pod1 -> node2's IP");
    }

    [RootFact]
    public void DeletedRouteNeighbourAndFdbEntryAreRestoredAndALeavingNodesEntriesRemoved()
    {
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        var node3 = topology.AddNode(3);
        topology.Reconcile(Vxlan);
        string mac2 = Mac(node2);

        Tool.Ip(node1.Namespace, "route", "del", "10.233.66.0/24");
        Tool.Ip(node1.Namespace, "neigh", "del", "10.233.66.0", "dev", "flannel.1");
        Tool.Check("ip", "netns", "exec", node1.Namespace, "bridge", "fdb", "del", mac2, "dev", "flannel.1", "dst", "192.168.50.12");
        Assert.False(Tool.Ping(node1.Pod, node2.PodIp), "the entries are gone");

        var changes = topology.Reconcile(Vxlan)["node1"].Changes;

        // Only what was missing is put back; nothing else is touched.
        Assert.Equal(
        [
            $"neigh replace 10.233.66.0 dev flannel.1 lladdr {mac2} PERMANENT",
            $"fdb replace {mac2} dev flannel.1 dst 192.168.50.12 self permanent",
            "route replace 10.233.66.0/24 via 10.233.66.0 dev flannel.1 onlink",
        ], changes);
        Assert.Empty(topology.Reconcile(Vxlan)["node1"].Changes);
        Assert.Contains("10.233.66.0/24 via 10.233.66.0 dev flannel.1 onlink", FlannelRoutes(node1));
        Assert.Contains($"10.233.66.0 lladdr {mac2} PERMANENT", Tool.Check("ip", "-n", node1.Namespace, "neigh", "show", "dev", "flannel.1"), StringComparison.Ordinal);
        Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "pod1 -> pod2 after the repair");

        // node3 leaves: the others lose its route, neighbour and FDB entry, and keep each other's.
        string mac3 = Mac(node3);
        topology.Reconcile(Vxlan, [node1, node2]);
        Assert.Equal(["10.233.66.0/24 via 10.233.66.0 dev flannel.1 onlink"], FlannelRoutes(node1));
        Assert.DoesNotContain("10.233.67.0", Tool.Check("ip", "-n", node1.Namespace, "neigh", "show", "dev", "flannel.1"), StringComparison.Ordinal);
        Assert.DoesNotContain(mac3, Tool.Check("ip", "netns", "exec", node1.Namespace, "bridge", "fdb", "show", "dev", "flannel.1"), StringComparison.Ordinal);
        Assert.Equal(["10.233.65.0/24 via 10.233.65.0 dev flannel.1 onlink"], FlannelRoutes(node2));
        Assert.True(Topology.Ping(node2.Pod, node1.PodIp), "pod2 -> pod1 still");
    }

    [RootFact]
    public void HostGwRoutesViaNodeIpsSendsPlainIpAndRefusesANodeBehindARouter()
    {
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        topology.AddNode(3, segment: 1);

        var plans = topology.Reconcile(HostGw);

        Assert.Equal(["10.233.66.0/24 via 192.168.50.12 dev eth0"], FlannelRoutes(node1));
        Assert.Equal(["10.233.65.0/24 via 192.168.50.11 dev eth0"], FlannelRoutes(node2));
        var refused = Assert.Single(plans["node1"].Plan.Refused);
        Assert.Equal(
            "host-gw cannot route 10.233.67.0/24 to node node3: its IP 192.168.60.13 is not on a directly connected subnet of eth0 (192.168.50.0/24); " +
            "host-gw needs every node on one L2 network (use vxlan across routers)",
            refused.Reason);
        Assert.Empty(FlannelRoutes(topology.Nodes[2]));
        Assert.NotEqual(0, Tool.Run("ip", "-n", node1.Namespace, "link", "show", "flannel.1").ExitCode); // host-gw has no device

        var capture = topology.StartCapture("v2", "icmp");
        Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "pod1 -> pod2 over host-gw");
        string seen = capture.Stop();
        Assert.True(seen.Contains("10.233.65.2 > 10.233.66.2: ICMP echo request", StringComparison.Ordinal), seen);
        Assert.DoesNotContain("8472", seen, StringComparison.Ordinal);
        Assert.False(Tool.Ping(node1.Pod, topology.Nodes[2].PodIp), "nothing routes to node3's pods");
    }

    [RootFact]
    public void SwitchingFromVxlanToHostGwLeavesNoVxlanObjects()
    {
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        topology.Reconcile(Vxlan);
        Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "over vxlan");

        topology.Reconcile(HostGw);

        Assert.NotEqual(0, Tool.Run("ip", "-n", node1.Namespace, "link", "show", "flannel.1").ExitCode);
        Assert.Equal(["10.233.66.0/24 via 192.168.50.12 dev eth0"], FlannelRoutes(node1));
        Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "over host-gw");

        topology.Reconcile(Vxlan);
        Assert.Equal(["10.233.66.0/24 via 10.233.66.0 dev flannel.1 onlink"], FlannelRoutes(node1));
        Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "over vxlan again");
    }

    [RootFact]
    public void DirectRoutingUsesHostGwOnTheSameSegmentAndVxlanAcrossTheRouter()
    {
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        var node3 = topology.AddNode(3, segment: 1);
        var conf = NetConfParser.Parse("""{"Network":"10.233.64.0/18","Backend":{"Type":"vxlan","DirectRouting":true}}""", "test");

        topology.Reconcile(conf);

        Assert.Equal(["10.233.66.0/24 via 192.168.50.12 dev eth0", "10.233.67.0/24 via 10.233.67.0 dev flannel.1 onlink"], FlannelRoutes(node1));
        Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "same segment, direct");
        Assert.True(Topology.Ping(node1.Pod, node3.PodIp), "across the router, vxlan");
    }

    [RootFact]
    public void UdpCarriesPodPacketsInUdp8285DatagramsThroughFlannel0()
    {
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        var node3 = topology.AddNode(3, segment: 1);
        using (var udp = topology.StartUdp())
        {
            var link = Tool.IpJson(node1.Namespace, "link", "show", "flannel0")[0];
            Assert.Equal(1472, link.GetProperty("mtu").GetInt32());
            Assert.Equal("tun", link.GetProperty("linkinfo").GetProperty("info_kind").GetString());
            Assert.Contains("10.233.64.0/18 dev flannel0", Tool.Check("ip", "-n", node1.Namespace, "route"), StringComparison.Ordinal);

            var capture = topology.StartCapture("v2", "udp port 8285");
            Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "pod1 -> pod2 over udp");
            string seen = capture.Stop();
            Assert.True(Regex.IsMatch(seen, @"192\.168\.50\.11\.8285 > 192\.168\.50\.12\.8285: .*UDP, length 84"), seen);
            Assert.True(Regex.IsMatch(seen, @"192\.168\.50\.12\.8285 > 192\.168\.50\.11\.8285: .*UDP, length 84"), seen);

            Assert.True(Topology.Ping(node1.Pod, node3.PodIp), "pod1 -> pod3 over udp across the underlay's router");
            Assert.True(udp.Proxies[0].Counters.Sent >= 2 && udp.Proxies[0].Counters.Received >= 2, $"node1's proxy: {udp.Proxies[0].Counters}");
        }

        Assert.NotEqual(0, Tool.Run("ip", "-n", node1.Namespace, "link", "show", "flannel0").ExitCode); // gone with its proxy
    }

    /// <summary>The routes into the cluster network but outside the node's own podCIDR, as `ip route` prints them.</summary>
    internal static string[] FlannelRoutes(TestNode node) =>
        [.. Topology.Lines(Tool.Check("ip", "-n", node.Namespace, "route", "show", "root", "10.233.64.0/18"))
            .Where(l => !l.StartsWith(node.PodCidr.ToString(), StringComparison.Ordinal) && !l.StartsWith("10.233.64.0/18", StringComparison.Ordinal))
            .Select(l => SpaceRun().Replace(l, " "))
            .Order()];

    internal static string Mac(TestNode node) => Tool.IpJson(node.Namespace, "link", "show", "flannel.1")[0].GetProperty("address").GetString()!;

    [GeneratedRegex(" +")]
    private static partial Regex SpaceRun();
}
