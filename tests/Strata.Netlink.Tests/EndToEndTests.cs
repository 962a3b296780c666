using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;

namespace Strata.Netlink.Tests;

/// <summary>
/// The seed article's scenes, built with the library alone; <c>ip</c>, <c>bridge</c>, <c>ping</c>
/// and <c>tcpdump</c> only look. Each test passes only if packets are delivered.
/// </summary>
public sealed class EndToEndTests
{
    /// <summary>Docker's picture: two containers on the docker0 bridge of one host, talking through it.</summary>
    [RootFact]
    public void Containers_on_a_bridge_reach_each_other_and_the_bridge()
    {
        using var host = ScratchNamespace.Create();
        using var container1 = ScratchNamespace.Create();
        using var container2 = ScratchNamespace.Create();

        host.Netlink.AddLink(new BridgeSpec("docker0"));
        host.Netlink.AddAddress("docker0", IpPrefix.Parse("172.18.0.1/16"));
        host.Netlink.SetLinkUp("docker0");

        AttachContainer(host, container1, "veth-c1", "172.18.0.2/16");
        AttachContainer(host, container2, "veth-c2", "172.18.0.3/16");

        // What `ip link` on the host shows: both host ends enslaved to docker0, and up.
        using var json = JsonDocument.Parse(Tool.Check("ip", "-n", host.Name, "-j", "link"));
        var links = json.RootElement.EnumerateArray().ToDictionary(l => l.GetProperty("ifname").GetString()!);
        foreach (var name in new[] { "veth-c1", "veth-c2" })
        {
            Assert.True(links.ContainsKey(name), $"{name} is not in the host namespace");
            Assert.Equal("docker0", links[name].GetProperty("master").GetString());
            Assert.Contains("UP", links[name].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        }

        // The container side is eth0, with its address and a default route via the bridge.
        var eth0 = Tool.IpJson(container1.Name, "addr", "show", "eth0")[0];
        Assert.Contains(eth0.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("local").GetString() == "172.18.0.2" && a.GetProperty("prefixlen").GetInt32() == 16);
        var defaultRoute = Tool.IpJson(container1.Name, "route", "show", "default").EnumerateArray().Single();
        Assert.Equal("172.18.0.1", defaultRoute.GetProperty("gateway").GetString());
        Assert.Equal("eth0", defaultRoute.GetProperty("dev").GetString());

        Assert.True(Tool.Ping(container1.Name, "172.18.0.3"), "container1 cannot reach container2 across docker0");
        Assert.True(Tool.Ping(container2.Name, "172.18.0.2"), "container2 cannot reach container1 across docker0");
        Assert.True(Tool.Ping(container1.Name, "172.18.0.1"), "container1 cannot reach the bridge's address");
        Assert.True(Tool.Ping(host.Name, "172.18.0.3"), "the host cannot reach container2");
        Assert.True(Tool.Ping(container1.Name, "127.0.0.1"), "lo is not up in container1");

        // The bridge learnt both containers' MACs on the right ports.
        var fdb = Tool.BridgeJson(host.Name, "fdb", "show", "br", "docker0");
        foreach (var (container, port) in new[] { (container1, "veth-c1"), (container2, "veth-c2") })
        {
            string mac = MacAddress.Format(container.Netlink.GetLink("eth0").Address);
            Assert.Contains(fdb.EnumerateArray(), e => e.GetProperty("mac").GetString() == mac && e.GetProperty("ifname").GetString() == port);
        }

        // Take one container's port off the bridge and it is cut off.
        host.Netlink.SetNoMaster("veth-c2");
        Assert.False(Tool.Ping(container1.Name, "172.18.0.3"), "container2 is still reachable without a bridge port");
    }

    /// <summary>The seed's first picture: a veth pair joining two namespaces.</summary>
    [RootFact]
    public void A_veth_pair_joins_two_namespaces()
    {
        using var test1 = ScratchNamespace.Create();
        using var test2 = ScratchNamespace.Create();

        test1.Netlink.AddLink(new VethSpec("veth0", "veth1") { PeerNamespace = test2.Namespace });
        test1.Netlink.AddAddress("veth0", IpPrefix.Parse("192.168.1.1/24"));
        test1.Netlink.SetLinkUp("veth0");
        test2.Netlink.AddAddress("veth1", IpPrefix.Parse("192.168.1.2/24"));
        test2.Netlink.SetLinkUp("veth1");

        Assert.Null(test1.Netlink.FindLink("veth1")); // the peer was made in test2 directly
        Assert.Equal(test1.Netlink.GetLink("veth0").Index, test2.Netlink.GetLink("veth1").ParentIndex);

        Assert.True(Tool.Ping(test1.Name, "192.168.1.2"), "test1 cannot reach test2 over the veth pair");
        Assert.True(Tool.Ping(test2.Name, "192.168.1.1"), "test2 cannot reach test1 over the veth pair");

        // ARP ran over the pair: each side learnt the other's real MAC.
        var learnt = test1.Netlink.GetNeighbours().Single(n => n.Address.Equals(IPAddress.Parse("192.168.1.2")));
        Assert.Equal(test2.Netlink.GetLink("veth1").Address, learnt.LinkAddress);
        Assert.Equal("veth0", learnt.Device);

        // Down one end and the pair no longer carries anything.
        test2.Netlink.SetLinkDown("veth1");
        Assert.False(Tool.Ping(test1.Name, "192.168.1.2"), "the pair still carries packets with one end down");
    }

    /// <summary>
    /// flannel's vxlan backend between two hosts on an underlay bridge: flannel.1-style devices
    /// with learning off, told where the other host's VTEP is through the FDB and ARP tables.
    /// </summary>
    [RootFact]
    public void Vxlan_overlay_across_an_underlay_bridge()
    {
        using var underlay = ScratchNamespace.Create();
        using var host1 = ScratchNamespace.Create();
        using var host2 = ScratchNamespace.Create();

        underlay.Netlink.AddLink(new BridgeSpec("br0") { Up = true });
        var hosts = new[]
        {
            (Ns: host1, Port: "veth-h1", Ip: "172.19.0.8", Overlay: "10.1.0.1/24"),
            (Ns: host2, Port: "veth-h2", Ip: "172.19.0.13", Overlay: "10.1.0.2/24"),
        };

        foreach (var h in hosts)
        {
            underlay.Netlink.AddLink(new VethSpec(h.Port, "eth0") { PeerNamespace = h.Ns.Namespace, Master = "br0", Up = true });
            var nl = h.Ns.Netlink;
            nl.SetLinkUp("lo");
            nl.AddAddress("eth0", IpPrefix.Parse($"{h.Ip}/20"));
            nl.SetLinkUp("eth0");
            nl.AddLink(new VxlanSpec("vxlan0", 1)
            {
                Local = IPAddress.Parse(h.Ip),
                Device = "eth0",
                Port = 8472,
                Learning = false,
            });
            nl.AddAddress("vxlan0", IpPrefix.Parse(h.Overlay));
            nl.SetLinkUp("vxlan0");
        }

        Assert.True(Tool.Ping(host1.Name, "172.19.0.13"), "the underlay does not connect the hosts");

        // Each host learns of the other the flannel way: a flood entry for the VTEP, a permanent
        // ARP entry for the peer's overlay address, and an FDB entry for the peer's MAC.
        var macs = hosts.ToDictionary(h => h.Ns.Name, h => h.Ns.Netlink.GetLink("vxlan0").Address!);
        foreach (var (self, peer) in new[] { (hosts[0], hosts[1]), (hosts[1], hosts[0]) })
        {
            var nl = self.Ns.Netlink;
            var peerVtep = IPAddress.Parse(peer.Ip);
            var peerMac = macs[peer.Ns.Name];
            nl.AppendFdb(new FdbEntry(PhysicalAddress.Parse("000000000000"), "vxlan0") { Destination = peerVtep });
            nl.AddNeighbour(new Neighbour(IpPrefix.Parse(peer.Overlay).Address, "vxlan0") { LinkAddress = peerMac, State = NeighbourState.Permanent });
            nl.ReplaceFdb(new FdbEntry(peerMac, "vxlan0") { Destination = peerVtep });
        }

        // bridge fdb shows what flannel's `bridge fdb show dev flannel.1` would.
        var fdb = Tool.BridgeJson(host1.Name, "fdb", "show", "dev", "vxlan0").EnumerateArray().ToList();
        Assert.Contains(fdb, e => e.GetProperty("mac").GetString() == "00:00:00:00:00:00" && e.GetProperty("dst").GetString() == "172.19.0.13");
        Assert.Contains(fdb, e => e.GetProperty("mac").GetString() == MacAddress.Format(macs[host2.Name]) && e.GetProperty("dst").GetString() == "172.19.0.13");
        var data = LinkTests.IpLink(host1.Name, "vxlan0").GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(8472, data.GetProperty("port").GetInt32());
        Assert.False(data.GetProperty("learning").GetBoolean());

        using var capture = Capture.StartIfAvailable(underlay.Name, "br0", "udp dst port 8472");
        Assert.True(Tool.Ping(host1.Name, "10.1.0.2"), "host1 cannot reach host2 across the vxlan overlay");
        Assert.True(Tool.Ping(host2.Name, "10.1.0.1"), "host2 cannot reach host1 across the vxlan overlay");

        if (capture is not null)
        {
            // The underlay carried the overlay's packets as UDP to port 8472 between the two VTEPs. The first one
            // captured may be either host's: vxlan0's own IPv6 link-local traffic (MLD, router solicitations) floods
            // through the all-zeros entry as well as the echo requests.
            string line = capture.FirstPacket();
            Assert.Matches(@"IP (172\.19\.0\.8\.\d+ > 172\.19\.0\.13\.8472|172\.19\.0\.13\.\d+ > 172\.19\.0\.8\.8472):", line);
        }

        // Without the FDB entries the overlay has no way to the other host.
        host1.Netlink.DeleteFdb(new FdbEntry(macs[host2.Name], "vxlan0") { Destination = IPAddress.Parse("172.19.0.13") });
        host1.Netlink.DeleteFdb(new FdbEntry(PhysicalAddress.Parse("000000000000"), "vxlan0") { Destination = IPAddress.Parse("172.19.0.13") });
        Assert.False(Tool.Ping(host1.Name, "10.1.0.2"), "the overlay still works without FDB entries");
    }

    private static void AttachContainer(ScratchNamespace host, ScratchNamespace container, string hostEnd, string address)
    {
        host.Netlink.AddLink(new VethSpec(hostEnd, "eth0") { PeerNamespace = container.Namespace });
        host.Netlink.SetMaster(hostEnd, "docker0");
        host.Netlink.SetLinkUp(hostEnd);

        var nl = container.Netlink;
        nl.SetLinkUp("lo");
        nl.AddAddress("eth0", IpPrefix.Parse(address));
        nl.SetLinkUp("eth0");
        nl.AddRoute(new Route(IpPrefix.Parse("0.0.0.0/0")) { Gateway = IPAddress.Parse("172.18.0.1") });
    }

    /// <summary><c>tcpdump -c 1</c> on one interface of a namespace; only the process started here is ever stopped.</summary>
    private sealed class Capture : IDisposable
    {
        private readonly Process _process;

        private Capture(Process process) => _process = process;

        public static Capture? StartIfAvailable(string ns, string device, string filter)
        {
            string? tcpdump = new[] { "/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/bin/tcpdump", "/sbin/tcpdump" }.FirstOrDefault(File.Exists);
            if (tcpdump is null)
            {
                return null;
            }

            var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "netns", "exec", ns, tcpdump, "-i", device, "-n", "-l", "-c", "1", filter })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start tcpdump");
            var capture = new Capture(process);
            try
            {
                // tcpdump says "listening on br0" once the socket is open; packets after that are caught.
                var ready = Task.Run(async () =>
                {
                    while (await process.StandardError.ReadLineAsync() is { } line)
                    {
                        if (line.Contains("listening on", StringComparison.Ordinal))
                        {
                            return true;
                        }
                    }

                    return false;
                });
                Assert.True(ready.Wait(TimeSpan.FromSeconds(10)) && ready.Result, "tcpdump did not start listening");
            }
            catch
            {
                capture.Dispose();
                throw;
            }

            return capture;
        }

        public string FirstPacket()
        {
            Assert.True(_process.WaitForExit(10_000), "tcpdump saw no packet");
            return _process.StandardOutput.ReadToEnd();
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill();
                    _process.WaitForExit(5_000);
                }
            }
            finally
            {
                _process.Dispose();
            }
        }
    }
}
