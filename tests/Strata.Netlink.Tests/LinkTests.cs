using System.Text.Json;

namespace Strata.Netlink.Tests;

/// <summary>Links, differential against iproute2: made by us and read by <c>ip -j -d link</c>, and the other way round.</summary>
public sealed class LinkTests
{
    [RootFact]
    public void Veth_with_peer_in_another_namespace_matches_ip()
    {
        using var host = ScratchNamespace.Create();
        using var container = ScratchNamespace.Create();
        var mac = MacAddress.Parse("0a:58:0a:e9:40:05");
        int index = host.Netlink.AddLink(new VethSpec("veth-test1", "eth0")
        {
            PeerNamespace = container.Namespace,
            Mtu = 1450,
            PeerAddress = mac,
            Up = true,
        });

        var link = IpLink(host.Name, "veth-test1");
        Assert.Equal(index, link.GetProperty("ifindex").GetInt32());
        Assert.Equal("veth", link.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(1450, link.GetProperty("mtu").GetInt32());
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        var peer = IpLink(container.Name, "eth0");
        Assert.Equal("0a:58:0a:e9:40:05", peer.GetProperty("address").GetString());
        Assert.Equal(1450, peer.GetProperty("mtu").GetInt32());
        Assert.Equal(index, peer.GetProperty("link_index").GetInt32());

        // And our dump reads what ip reads: the peer's ifindex (@ifN) and link-netnsid.
        var ours = container.Netlink.GetLink("eth0");
        Assert.Equal(peer.GetProperty("ifindex").GetInt32(), ours.Index);
        Assert.Equal(index, ours.ParentIndex);
        Assert.Equal("veth", ours.Kind);
        Assert.Equal(mac, ours.Address);
        Assert.Equal(peer.GetProperty("link_netnsid").GetInt32(), ours.LinkNetnsId);
    }

    [RootFact]
    public void Links_made_by_ip_are_decoded_like_ip_prints_them()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "add", "br9", "mtu", "1400", "type", "bridge");
        Tool.Ip(ns.Name, "link", "add", "va", "group", "7", "type", "veth", "peer", "name", "vb");
        Tool.Ip(ns.Name, "link", "set", "va", "master", "br9");
        Tool.Ip(ns.Name, "link", "set", "br9", "up");
        Tool.Ip(ns.Name, "link", "add", "vc", "address", "02:00:00:00:00:01", "type", "veth", "peer", "name", "vd", "address", "02:00:00:00:00:02");

        var expected = Tool.IpJson(ns.Name, "link", "show").EnumerateArray().ToDictionary(l => l.GetProperty("ifname").GetString()!);
        var actual = ns.Netlink.GetLinks();
        Assert.Equal(expected.Keys.Order(), actual.Select(l => l.Name).Order());
        foreach (var link in actual)
        {
            var ip = expected[link.Name];
            Assert.Equal(ip.GetProperty("ifindex").GetInt32(), link.Index);
            Assert.Equal(ip.GetProperty("mtu").GetInt32(), link.Mtu);
            Assert.Equal(ip.GetProperty("address").GetString(), MacAddress.Format(link.Address));
            Assert.Equal(ip.GetProperty("operstate").GetString(), OperStateName(link.OperState));
            Assert.Equal(ip.TryGetProperty("linkinfo", out var info) ? info.GetProperty("info_kind").GetString() : null, link.Kind);
            Assert.Equal(ip.TryGetProperty("master", out var master) ? master.GetString() : null,
                link.MasterIndex is { } m ? actual.Single(l => l.Index == m).Name : null);
            Assert.Equal(ip.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "UP"), link.IsUp);
            Assert.Equal(ip.GetProperty("txqlen").GetInt32(), link.TxQueueLength);
        }

        Assert.Equal(7u, actual.Single(l => l.Name == "va").Group);
    }

    [RootFact]
    public void Bridge_master_nomaster_mtu_rename_and_mac_match_ip()
    {
        using var ns = ScratchNamespace.Create();
        var nl = ns.Netlink;
        nl.AddLink(new BridgeSpec("cni0"));
        nl.AddLink(new VethSpec("veth1", "veth2"));
        nl.SetMaster("veth1", "cni0");
        Assert.Equal("cni0", IpLink(ns.Name, "veth1").GetProperty("master").GetString());

        nl.SetMtu("veth1", 1410);
        nl.SetMacAddress("veth1", MacAddress.Parse("02:11:22:33:44:55"));
        nl.RenameLink("veth2", "veth3");
        nl.SetLinkUp("cni0");
        var veth1 = IpLink(ns.Name, "veth1");
        Assert.Equal(1410, veth1.GetProperty("mtu").GetInt32());
        Assert.Equal("02:11:22:33:44:55", veth1.GetProperty("address").GetString());
        Assert.Equal("bridge", veth1.GetProperty("linkinfo").GetProperty("info_slave_kind").GetString());
        Assert.Contains("UP", IpLink(ns.Name, "cni0").GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.NotNull(nl.FindLink("veth3"));
        Assert.Null(nl.FindLink("veth2"));

        nl.SetNoMaster("veth1");
        Assert.False(IpLink(ns.Name, "veth1").TryGetProperty("master", out _));
        nl.SetLinkDown("cni0");
        Assert.DoesNotContain("UP", IpLink(ns.Name, "cni0").GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        nl.DeleteLink("veth1");
        Assert.Null(nl.FindLink("veth1"));
        Assert.Null(nl.FindLink("veth3")); // deleting one end of a veth deletes both
    }

    [RootFact]
    public void Vxlan_matches_the_seeds_flannel_device()
    {
        using var ns = ScratchNamespace.Create();
        var nl = ns.Netlink;
        nl.AddLink(new BridgeSpec("eth0"));
        nl.AddAddress("eth0", IpPrefix.Parse("172.19.0.8/20"));
        nl.AddLink(new VxlanSpec("flannel.1", 1)
        {
            Local = System.Net.IPAddress.Parse("172.19.0.8"),
            Device = "eth0",
            Port = 8472,
            Learning = false,
            Mtu = 1450,
        });

        var ip = IpLink(ns.Name, "flannel.1");
        var data = ip.GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal("vxlan", ip.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(1, data.GetProperty("id").GetInt32());
        Assert.Equal("172.19.0.8", data.GetProperty("local").GetString());
        Assert.Equal("eth0", data.GetProperty("link").GetString());
        Assert.Equal(8472, data.GetProperty("port").GetInt32());
        Assert.False(data.GetProperty("learning").GetBoolean());
        Assert.Equal(0, data.GetProperty("ttl").GetInt32());
        Assert.Equal(1450, ip.GetProperty("mtu").GetInt32());

        // The seed's `ip -d link show flannel.1` line, from iproute2 reading our device.
        string text = Tool.Check("ip", "-n", ns.Name, "-d", "link", "show", "flannel.1");
        Assert.Contains("vxlan id 1 local 172.19.0.8 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300", text);

        Tool.Ip(ns.Name, "link", "add", "vx2", "type", "vxlan", "id", "42", "remote", "172.19.0.13", "dstport", "4789", "ttl", "9", "dev", "eth0");
        var vx2 = nl.GetLink("vx2").Vxlan!;
        Assert.Equal(42u, vx2.Vni);
        Assert.Equal("172.19.0.13", vx2.Remote?.ToString());
        Assert.Equal((ushort)4789, vx2.Port);
        Assert.Equal((byte)9, vx2.Ttl);
        Assert.True(vx2.Learning);
        Assert.Equal(nl.GetLink("eth0").Index, vx2.DeviceIndex);
        var ours = nl.GetLink("flannel.1").Vxlan!;
        Assert.Equal(300u, ours.Ageing);
        Assert.False(ours.Learning);
    }

    [RootTheory]
    [InlineData(TunMode.Tun, "tun")]
    [InlineData(TunMode.Tap, "tap")]
    public void Tun_and_tap_devices_match_ip_tuntap(TunMode mode, string type)
    {
        using var ns = ScratchNamespace.Create();
        TunDevice.CreatePersistent(ns.Namespace, "flannel0", mode);
        var ip = IpLink(ns.Name, "flannel0");
        var info = ip.GetProperty("linkinfo");
        Assert.Equal("tun", info.GetProperty("info_kind").GetString());
        Assert.Equal(type, info.GetProperty("info_data").GetProperty("type").GetString());
        Assert.True(info.GetProperty("info_data").GetProperty("persist").GetBoolean());
        Assert.False(info.GetProperty("info_data").GetProperty("pi").GetBoolean());
        Assert.False(info.GetProperty("info_data").GetProperty("vnet_hdr").GetBoolean());
        Assert.Equal("tun", ns.Netlink.GetLink("flannel0").Kind);

        // IFF_VNET_HDR (what the udp backend's offloads need) shows as ip's vnet_hdr.
        using (TunDevice.Open(ns.Namespace, "tun8", mode, vnetHeader: true))
        {
            Assert.True(IpLink(ns.Name, "tun8").GetProperty("linkinfo").GetProperty("info_data").GetProperty("vnet_hdr").GetBoolean());
        }

        // A non-persistent device lives only as long as its queue is open.
        using (TunDevice.Open(ns.Namespace, "tun9", mode))
        {
            Assert.NotNull(ns.Netlink.FindLink("tun9"));
        }

        // The last close can come a moment later: a child another test forks at that instant holds a copy of the
        // descriptor (O_CLOEXEC closes it only at the child's exec).
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (ns.Netlink.FindLink("tun9") is not null && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.Null(ns.Netlink.FindLink("tun9"));
    }

    [RootFact]
    public void Moving_a_link_between_namespaces_and_deleting_a_group()
    {
        using var a = ScratchNamespace.Create();
        using var b = ScratchNamespace.Create();
        a.Netlink.AddLink(new VethSpec("d0", "d1"));
        a.Netlink.MoveToNamespace("d0", b.Namespace);
        Assert.Null(a.Netlink.FindLink("d0"));
        Assert.Equal("d0", IpLink(b.Name, "d0").GetProperty("ifname").GetString());

        for (int i = 0; i < 5; i++)
        {
            b.Netlink.AddLink(new VethSpec($"g{i}", $"p{i}") { Group = 42 });
        }

        b.Netlink.DeleteLinkGroup(42);
        Assert.DoesNotContain(b.Netlink.GetLinks(), l => l.Name.StartsWith('g') || l.Name.StartsWith('p'));
        Assert.NotNull(b.Netlink.FindLink("d0"));
    }

    [RootFact]
    public void A_bridge_cannot_change_namespace_and_the_kernels_reason_is_in_the_error()
    {
        using var a = ScratchNamespace.Create();
        using var b = ScratchNamespace.Create();
        a.Netlink.AddLink(new BridgeSpec("br0"));
        var error = Assert.Throws<NetlinkException>(() => a.Netlink.MoveToNamespace("br0", b.Namespace));
        Assert.Equal($"link set br0 netns {b.Name} (netns {a.Name}): Invalid argument (EINVAL): The interface netns is immutable", error.Message);
        Assert.Equal("EINVAL", error.ErrnoName);
        Assert.NotNull(a.Netlink.FindLink("br0"));
    }

    [RootFact]
    public void Hairpin_and_promiscuous_mode_match_ip()
    {
        using var ns = ScratchNamespace.Create();
        var nl = ns.Netlink;
        nl.AddLink(new BridgeSpec("cni0"));
        nl.AddLink(new VethSpec("veth1", "veth2") { Master = "cni0" });

        nl.SetHairpin("veth1", on: true);
        nl.SetPromiscuous("cni0", on: true);
        Assert.True(IpLink(ns.Name, "veth1").GetProperty("linkinfo").GetProperty("info_slave_data").GetProperty("hairpin").GetBoolean());
        Assert.Contains("PROMISC", IpLink(ns.Name, "cni0").GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        nl.SetHairpin("veth1", on: false);
        nl.SetPromiscuous("cni0", on: false);
        Assert.False(IpLink(ns.Name, "veth1").GetProperty("linkinfo").GetProperty("info_slave_data").GetProperty("hairpin").GetBoolean());
        Assert.DoesNotContain("PROMISC", IpLink(ns.Name, "cni0").GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        var error = Assert.Throws<NetlinkException>(() => nl.SetHairpin("veth2", on: true)); // not a bridge port
        Assert.StartsWith($"link set dev veth2 hairpin on (netns {ns.Name}):", error.Message);
    }

    internal static JsonElement IpLink(string ns, string name) => Tool.IpJson(ns, "link", "show", "dev", name)[0];

    private static string OperStateName(OperState state) => state switch
    {
        OperState.LowerLayerDown => "LOWERLAYERDOWN",
        OperState.NotPresent => "NOTPRESENT",
        _ => state.ToString().ToUpperInvariant(),
    };
}
