using Strata.Flannel.Config;
using Strata.Flannel.Tests.Support;

namespace Strata.Flannel.Tests.Kernel;

/// <summary>
/// TCP through each backend: a 256 KiB echo between pods on different nodes (larger than any MTU, so it is segmented
/// and, on udp, crosses the userspace proxy as TSO super-packets and GRO batches), and a pod reaching a remote node's
/// underlay IP by ping and TCP (the request leaves plainly through eth0, the reply comes back through the backend).
/// </summary>
public sealed class TcpAcrossNodesKernelTests
{
    private static readonly TimeSpan EchoTimeout = TimeSpan.FromSeconds(30);

    [RootFact]
    public void VxlanCarriesTcpBetweenPodsAndToARemoteNode()
    {
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        var node3 = topology.AddNode(3, segment: 1);
        topology.Reconcile(NetConfParser.Parse("""{"Network":"10.233.64.0/18","Backend":{"Type":"vxlan"}}""", "test"));

        AssertEcho(node1.Pod, node2.Pod, node2.PodIp, "pod1 -> pod2 over vxlan");
        AssertEcho(node3.Pod, node1.Pod, node1.PodIp, "pod3 -> pod1 over vxlan across the underlay's router");
        AssertPodReachesNode(node1, node2);
        AssertPodReachesNode(node1, node3);
    }

    [RootFact]
    public void HostGwCarriesTcpBetweenPodsAndToARemoteNode()
    {
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        topology.Reconcile(NetConfParser.Parse("""{"Network":"10.233.64.0/18","Backend":{"Type":"host-gw"}}""", "test"));

        AssertEcho(node1.Pod, node2.Pod, node2.PodIp, "pod1 -> pod2 over host-gw");
        AssertEcho(node2.Pod, node1.Pod, node1.PodIp, "pod2 -> pod1 over host-gw");
        AssertPodReachesNode(node1, node2);
        AssertPodReachesNode(node2, node1);
    }

    [RootFact]
    public void UdpCarriesTcpBetweenPodsAndToARemoteNode()
    {
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        var node3 = topology.AddNode(3, segment: 1);
        using (var udp = topology.StartUdp())
        {
            var proxies = udp.Proxies;
            AssertEcho(node1.Pod, node2.Pod, node2.PodIp, "pod1 -> pod2 over udp");
            AssertEcho(node3.Pod, node1.Pod, node1.PodIp, "pod3 -> pod1 over udp across the underlay's router");
            AssertPodReachesNode(node1, node2);
            AssertPodReachesNode(node1, node3);
            Assert.True(proxies[0].Counters.Sent > 180 && proxies[0].Counters.Received > 180, $"node1's proxy carried the echoes: {proxies[0].Counters}");

            // The echoes crossed as TCP super-packets: cut into datagrams on the sending node, coalesced on the receiving one.
            foreach (var (proxy, node) in proxies.Zip(topology.Nodes))
            {
                Assert.True(proxy.SuperPackets.Cut > 0 && proxy.SuperPackets.Written > 0, $"{node.Name}'s proxy: {proxy.SuperPackets}, {proxy.Counters}");
            }
        }
    }

    [RootFact]
    public void UdpWithOffloadsInteroperatesWithAProxyThatMovesOnePacketPerDatagram()
    {
        // node2 runs the proxy without offloads, as upstream's proxy_amd64.c does (one packet per read, no UDP_GRO, so
        // the kernel hands it every datagram alone): what node1 sends must be upstream's wire format, one IP packet of
        // at most flannel0's MTU per datagram, and what it receives from node2 is coalesced all the same.
        using var topology = new Topology();
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        using (var udp = topology.StartUdp(offload: node => node == node1))
        {
            var proxies = udp.Proxies;
            AssertEcho(node1.Pod, node2.Pod, node2.PodIp, "pod1 (offloads) -> pod2 (one packet per datagram)");
            AssertEcho(node2.Pod, node1.Pod, node1.PodIp, "pod2 (one packet per datagram) -> pod1 (offloads)");
            Assert.True(proxies[0].SuperPackets.Cut > 0, $"node1 cut super-packets: {proxies[0].SuperPackets}");
            Assert.Equal((0L, 0L), proxies[1].SuperPackets);
            Assert.True(proxies[1].Counters.Received > 180, $"node2 received every segment as its own datagram: {proxies[1].Counters}");
        }
    }

    private static void AssertEcho(string clientNs, string serverNs, string serverIp, string what)
    {
        byte[] payload = TcpEcho.Payload(TcpEcho.LargePayload);
        byte[] back = TcpEcho.RoundTrip(clientNs, serverNs, serverIp, payload, EchoTimeout);
        Assert.True(back.Length == payload.Length, $"{what}: {back.Length} of {payload.Length} bytes came back");
        Assert.True(payload.AsSpan().SequenceEqual(back), $"{what}: the bytes that came back differ from those sent");
    }

    /// <summary>A pod pings a remote node's underlay IP and echoes 256 KiB through a listener on it.</summary>
    private static void AssertPodReachesNode(TestNode from, TestNode to)
    {
        Assert.True(Topology.Ping(from.Pod, to.Ip.ToString()), $"{from.Name}'s pod pings {to.Name} ({to.Ip})");
        AssertEcho(from.Pod, to.Namespace, to.Ip.ToString(), $"{from.Name}'s pod -> {to.Name} ({to.Ip})");
    }
}
