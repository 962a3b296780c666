using System.Net;
using Strata.LoadBalancer;

namespace Strata.LoadBalancer.Tests;

/// <summary>The kernel answers ARP for announced addresses: a client namespace on the same link learns the node's MAC.</summary>
public sealed class ProxyArpAnnouncerTests
{
    private static IPAddress A(string text) => IPAddress.Parse(text);

    /// <summary>The client's ARP entry for <paramref name="address"/> after one ping (which nothing answers: the address is not the node's).</summary>
    private static string? ResolvedMac(ScratchNamespace client, string address)
    {
        Tool.Run("ip", "-n", client.Name, "neigh", "flush", "to", address);
        Tool.Run("ip", "netns", "exec", client.Name, "ping", "-c", "1", "-W", "1", address);
        return client.Netlink.GetNeighbours().FirstOrDefault(n => n.Address.Equals(A(address)) && n.LinkAddress is not null
            && !n.State.HasFlag(NeighbourState.Failed) && !n.State.HasFlag(NeighbourState.Incomplete)) is { LinkAddress: { } mac }
            ? MacAddress.Format(mac)
            : null;
    }

    private static (ScratchNamespace Client, ScratchNamespace Node) Link()
    {
        var client = ScratchNamespace.Create();
        var node = ScratchNamespace.Create();
        try
        {
            client.Netlink.AddLink(new VethSpec("eth0", "eth0") { PeerNamespace = node.Namespace, Up = true });
            node.Netlink.SetLinkUp("eth0");
            client.Netlink.SetLinkUp("lo");
            client.Netlink.AddAddress("eth0", IpPrefix.Parse("10.50.0.1/24"));
            node.Netlink.AddAddress("eth0", IpPrefix.Parse("10.50.0.2/24"));
            return (client, node);
        }
        catch
        {
            client.Dispose();
            node.Dispose();
            throw;
        }
    }

    [RootFact]
    public void Announced_addresses_are_answered_with_the_nodes_mac_and_withdrawn_ones_are_not()
    {
        var (client, node) = Link();
        using var _ = client;
        using var __ = node;
        node.Namespace.WriteSysctl("net.ipv4.ip_forward", "1");
        var nodeMac = MacAddress.Format(node.Netlink.GetLink("eth0").Address);
        Assert.Equal("eth0", ProxyArpAnnouncer.InterfaceOf(node.Namespace, A("10.50.0.2")));

        using var announcer = new ProxyArpAnnouncer(node.Namespace, "eth0");
        Assert.Null(ResolvedMac(client, "10.50.0.200"));
        Assert.Equal([A("10.50.0.200"), A("10.50.0.201")], announcer.Sync([A("10.50.0.200"), A("10.50.0.201")]));

        Assert.Equal(nodeMac, ResolvedMac(client, "10.50.0.200"));
        Assert.Equal(nodeMac, ResolvedMac(client, "10.50.0.201"));
        Assert.Null(ResolvedMac(client, "10.50.0.202"));
        Assert.Equal("0", node.Namespace.ReadSysctl("net.ipv4.neigh.eth0.proxy_delay"));
        Assert.Equal(["10.50.0.200 dev eth0", "10.50.0.201 dev eth0"], node.Netlink.GetProxyNeighbours().Select(n => $"{n.Address} dev {n.Device}").Order());
        // The address is not the node's: nothing answers the ping itself.
        Assert.False(Tool.Ping(client.Name, "10.50.0.200"));

        // A second speaker process picks the state up from the routes: nothing new to add, .201 withdrawn.
        using var restarted = new ProxyArpAnnouncer(node.Namespace, "eth0");
        Assert.Equal([A("10.50.0.200"), A("10.50.0.201")], restarted.Announced().Order(Comparer<IPAddress>.Create((x, y) => string.CompareOrdinal(x.ToString(), y.ToString()))));
        Assert.Empty(restarted.Sync([A("10.50.0.200")]));
        Assert.Null(ResolvedMac(client, "10.50.0.201"));
        Assert.Equal(nodeMac, ResolvedMac(client, "10.50.0.200"));
        Assert.Equal(["10.50.0.200"], node.Netlink.GetProxyNeighbours().Select(n => n.Address.ToString()));

        restarted.WithdrawAll();
        Assert.Null(ResolvedMac(client, "10.50.0.200"));
        Assert.Empty(node.Netlink.GetProxyNeighbours());
        Assert.Null(node.Netlink.FindLink(ProxyArpAnnouncer.DeviceName));
        Assert.DoesNotContain(node.Netlink.GetRoutes(), r => r.Destination.PrefixLength == 32);
    }

    [RootFact]
    public void Taking_an_address_over_updates_a_neighbours_stale_entry_by_gratuitous_arp()
    {
        var (client, node) = Link();
        using var _ = client;
        using var __ = node;
        node.Namespace.WriteSysctl("net.ipv4.ip_forward", "1");
        var nodeMac = MacAddress.Format(node.Netlink.GetLink("eth0").Address);

        // The client still has the previous announcer's MAC for the address.
        client.Netlink.ReplaceNeighbour(new Neighbour(A("10.50.0.210"), "eth0") { LinkAddress = MacAddress.Parse("0a:58:00:00:00:99"), State = NeighbourState.Stale });
        using var announcer = new ProxyArpAnnouncer(node.Namespace, "eth0");
        announcer.Sync([A("10.50.0.210")]);

        // No traffic from the client: only the announcement can have changed its entry.
        string? mac = null;
        for (var i = 0; i < 50 && mac != nodeMac; i++)
        {
            Thread.Sleep(20);
            mac = client.Netlink.GetNeighbours().Single(n => n.Address.Equals(A("10.50.0.210"))).LinkAddress is { } m ? MacAddress.Format(m) : null;
        }

        Assert.Equal(nodeMac, mac);
    }

    [Fact]
    public void The_announcement_is_an_rfc_5227_arp_request_for_the_address_itself()
    {
        var packet = GratuitousArp.Packet(A("172.19.15.200"), MacAddress.Parse("0a:58:ac:13:00:08"));
        Assert.Equal("0001080006040001" + "0a58ac130008" + "ac130fc8" + "000000000000" + "ac130fc8", Convert.ToHexStringLower(packet));
    }

    [RootFact]
    public void An_interface_that_does_not_forward_is_refused_with_the_sysctl_named_and_nothing_is_changed()
    {
        var (client, node) = Link();
        using var _ = client;
        using var __ = node;
        node.Namespace.WriteSysctl("net.ipv4.ip_forward", "0");
        using var announcer = new ProxyArpAnnouncer(node.Namespace, "eth0");
        var e = Assert.Throws<InvalidOperationException>(() => announcer.Sync([A("10.50.0.200")]));
        Assert.Equal($"net.ipv4.conf.eth0.forwarding is 0 in netns {node.Name}: the kernel answers proxy ARP only on a forwarding interface (kube-proxy needs net.ipv4.ip_forward=1 as well)", e.Message);
        Assert.Empty(node.Netlink.GetProxyNeighbours());
        Assert.Null(node.Netlink.FindLink(ProxyArpAnnouncer.DeviceName));

        var missing = Assert.Throws<InvalidOperationException>(() => ProxyArpAnnouncer.InterfaceOf(node.Namespace, A("10.50.0.9")));
        Assert.Equal($"no interface in netns {node.Name} has the node IP 10.50.0.9 (--node-ip)", missing.Message);
    }
}
