using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;

namespace Strata.Netlink.Tests;

/// <summary>The bridge forwarding database, differential against iproute2's <c>bridge fdb</c>: on flannel's vxlan device and on a bridge port.</summary>
public sealed class FdbTests
{
    private static readonly PhysicalAddress Zero = MacAddress.Parse("00:00:00:00:00:00");

    [RootFact]
    public void Appending_all_zero_entries_matches_bridge_fdb_append()
    {
        using var byBridge = ScratchNamespace.Create();
        using var byUs = ScratchNamespace.Create();
        Vtep(byBridge);
        Vtep(byUs);

        // Flooding to every other node, as flannel's vxlan backend (and the seed) does it; the second .13 is a no-op.
        foreach (var args in new[] { "dst 172.19.0.13", "dst 172.19.0.15", "dst 172.19.0.13", "dst 172.19.0.16 port 4789 vni 7" })
        {
            Bridge(byBridge.Name, $"fdb append 00:00:00:00:00:00 dev vxlan0 {args}");
        }

        byUs.Netlink.AppendFdb(new FdbEntry(Zero, "vxlan0") { Destination = A("172.19.0.13") });
        byUs.Netlink.AppendFdb(new FdbEntry(Zero, "vxlan0") { Destination = A("172.19.0.15") });
        byUs.Netlink.AppendFdb(new FdbEntry(Zero, "vxlan0") { Destination = A("172.19.0.13") });
        byUs.Netlink.AppendFdb(new FdbEntry(Zero, "vxlan0") { Destination = A("172.19.0.16"), Port = 4789, Vni = 7 });

        var expected = FdbDump(byBridge.Name, "vxlan0");
        Assert.Equal(expected, FdbDump(byUs.Name, "vxlan0"));
        Assert.Equal(
            [
                "00:00:00:00:00:00 dst 172.19.0.13 self permanent",
                "00:00:00:00:00:00 dst 172.19.0.15 self permanent",
                "00:00:00:00:00:00 dst 172.19.0.16 port 4789 vni 7 self permanent",
            ],
            BridgeFdb(byUs.Name, "vxlan0"));

        // Deleting one destination leaves the others.
        Bridge(byBridge.Name, "fdb del 00:00:00:00:00:00 dev vxlan0 dst 172.19.0.13");
        byUs.Netlink.DeleteFdb(new FdbEntry(Zero, "vxlan0") { Destination = A("172.19.0.13") });
        Assert.Equal(FdbDump(byBridge.Name, "vxlan0"), FdbDump(byUs.Name, "vxlan0"));
        Assert.Equal(2, BridgeFdb(byUs.Name, "vxlan0").Count);
    }

    [RootFact]
    public void Flannels_unicast_entries_match_bridge_fdb_add_replace_and_del()
    {
        using var byBridge = ScratchNamespace.Create();
        using var byUs = ScratchNamespace.Create();
        Vtep(byBridge);
        Vtep(byUs);

        // `fdb <VtepMAC> dst <node IP>` for each remote node; the node moves; a node leaves; a node comes (flannel uses replace).
        Bridge(byBridge.Name, "fdb add 0a:58:0a:e9:41:00 dev vxlan0 dst 172.19.0.13");
        Bridge(byBridge.Name, "fdb add 0a:58:0a:e9:42:00 dev vxlan0 dst 172.19.0.15");
        Bridge(byBridge.Name, "fdb replace 0a:58:0a:e9:41:00 dev vxlan0 dst 172.19.0.17");
        Bridge(byBridge.Name, "fdb del 0a:58:0a:e9:42:00 dev vxlan0");
        Bridge(byBridge.Name, "fdb replace 0a:58:0a:e9:43:00 dev vxlan0 dst 172.19.0.18");
        var nl = byUs.Netlink;
        nl.AddFdb(new FdbEntry(Mac("0a:58:0a:e9:41:00"), "vxlan0") { Destination = A("172.19.0.13") });
        nl.AddFdb(new FdbEntry(Mac("0a:58:0a:e9:42:00"), "vxlan0") { Destination = A("172.19.0.15") });
        nl.ReplaceFdb(new FdbEntry(Mac("0a:58:0a:e9:41:00"), "vxlan0") { Destination = A("172.19.0.17") });
        nl.DeleteFdb(new FdbEntry(Mac("0a:58:0a:e9:42:00"), "vxlan0"));
        nl.ReplaceFdb(new FdbEntry(Mac("0a:58:0a:e9:43:00"), "vxlan0") { Destination = A("172.19.0.18") });

        Assert.Equal(FdbDump(byBridge.Name, "vxlan0"), FdbDump(byUs.Name, "vxlan0"));
        Assert.Equal(
            ["0a:58:0a:e9:41:00 dst 172.19.0.17 self permanent", "0a:58:0a:e9:43:00 dst 172.19.0.18 self permanent"],
            BridgeFdb(byUs.Name, "vxlan0"));
    }

    [RootFact]
    public void Vxlan_entries_made_by_bridge_are_decoded_like_bridge_prints_them()
    {
        using var ns = ScratchNamespace.Create();
        Vtep(ns);
        Bridge(ns.Name, "fdb append 00:00:00:00:00:00 dev vxlan0 dst 172.19.0.13");
        Bridge(ns.Name, "fdb append 00:00:00:00:00:00 dev vxlan0 dst 172.19.0.15 port 4789 vni 9");
        Bridge(ns.Name, "fdb add 0a:58:0a:e9:41:00 dev vxlan0 dst 172.19.0.13");

        var ours = ns.Netlink.GetFdb("vxlan0");
        Assert.Equal(BridgeFdb(ns.Name, "vxlan0"), ours.Select(e => Describe(ns.Netlink, e)).Order());
        Assert.Equal(3, ours.Count);
        Assert.All(ours, e =>
        {
            Assert.Equal("vxlan0", e.Device);
            Assert.Equal(ns.Netlink.GetLink("vxlan0").Index, e.LinkIndex);
            Assert.True(e.Self);
            Assert.False(e.Master);
            Assert.True(e.State.HasFlag(NeighbourState.Permanent));
        });
        var withPort = ours.Single(e => A("172.19.0.15").Equals(e.Destination));
        Assert.Equal((ushort)4789, withPort.Port);
        Assert.Equal(9u, withPort.Vni);

        // The whole table, every device: what `bridge fdb show` prints.
        Assert.Equal(BridgeFdb(ns.Name), ns.Netlink.GetFdb().Select(e => $"{e.Device} {Describe(ns.Netlink, e)}").Order());
    }

    [RootFact]
    public void Entries_on_a_bridge_port_match_bridge_fdb_master()
    {
        using var byBridge = ScratchNamespace.Create();
        using var byUs = ScratchNamespace.Create();
        foreach (var ns in new[] { byBridge, byUs })
        {
            ns.Netlink.AddLink(new BridgeSpec("br0") { Address = Mac("02:00:00:00:0b:00") });
            ns.Netlink.AddLink(new VethSpec("pa", "pb") { Address = Mac("02:00:00:00:0a:01"), PeerAddress = Mac("02:00:00:00:0a:02"), Master = "br0" });
        }

        Bridge(byBridge.Name, "fdb add 02:00:00:00:00:aa dev pa master");
        Bridge(byBridge.Name, "fdb add 02:00:00:00:00:bb dev pa master static");
        Bridge(byBridge.Name, "fdb add 02:00:00:00:00:cc dev pa master");
        Bridge(byBridge.Name, "fdb replace 02:00:00:00:00:cc dev pa master static");
        Bridge(byBridge.Name, "fdb del 02:00:00:00:00:aa dev pa master");
        Bridge(byBridge.Name, "fdb add 02:00:00:00:00:dd dev pa master");
        var nl = byUs.Netlink;
        nl.AddFdb(new FdbEntry(Mac("02:00:00:00:00:aa"), "pa") { Master = true, Self = false });
        nl.AddFdb(new FdbEntry(Mac("02:00:00:00:00:bb"), "pa") { Master = true, Self = false, State = NeighbourState.NoArp });
        nl.AddFdb(new FdbEntry(Mac("02:00:00:00:00:cc"), "pa") { Master = true, Self = false });
        nl.ReplaceFdb(new FdbEntry(Mac("02:00:00:00:00:cc"), "pa") { Master = true, Self = false, State = NeighbourState.NoArp });
        nl.DeleteFdb(new FdbEntry(Mac("02:00:00:00:00:aa"), "pa") { Master = true, Self = false });
        nl.AddFdb(new FdbEntry(Mac("02:00:00:00:00:dd"), "pa") { Master = true, Self = false });

        Assert.Equal(FdbDump(byBridge.Name, "pa"), FdbDump(byUs.Name, "pa"));
        var ip = BridgeFdb(byUs.Name, "pa");
        Assert.Contains("02:00:00:00:00:bb master br0 static", ip);
        Assert.Contains("02:00:00:00:00:cc master br0 static", ip);
        Assert.Contains("02:00:00:00:00:dd master br0 permanent", ip);
        Assert.DoesNotContain(ip, e => e.StartsWith("02:00:00:00:00:aa"));

        // And our dump reads bridge's entries as bridge prints them: master entries carry the bridge, self entries the port.
        var ours = byBridge.Netlink.GetFdb("pa");
        Assert.Equal(BridgeFdb(byBridge.Name, "pa"), ours.Select(e => Describe(byBridge.Netlink, e)).Order());
        var bb = ours.Single(e => e.Mac.Equals(Mac("02:00:00:00:00:bb")));
        Assert.True(bb.Master);
        Assert.False(bb.Self);
        Assert.Equal(NeighbourState.NoArp, bb.State);
        Assert.Equal(byBridge.Netlink.GetLink("br0").Index, bb.MasterIndex);
    }

    [RootFact]
    public void Bad_fdb_entries_are_rejected_and_change_nothing()
    {
        using var ns = ScratchNamespace.Create();
        Vtep(ns);
        ns.Netlink.AddLink(new VethSpec("pa", "pb") { Master = "br0" });
        ns.Netlink.AppendFdb(new FdbEntry(Zero, "vxlan0") { Destination = A("172.19.0.13") });
        ns.Netlink.AddFdb(new FdbEntry(Mac("0a:58:0a:e9:41:00"), "vxlan0") { Destination = A("172.19.0.13") });
        var before = FdbDump(ns.Name);
        var nl = ns.Netlink;

        var unknown = Assert.Throws<NetlinkArgumentException>(() => nl.AppendFdb(new FdbEntry(Zero, "nosuch") { Destination = A("172.19.0.13") }));
        Assert.Equal($"fdb append 00:00:00:00:00:00 dev nosuch dst 172.19.0.13 self permanent (netns {ns.Name}): link \"nosuch\" not found", unknown.Message);

        var noDevice = Assert.Throws<NetlinkArgumentException>(() => nl.AppendFdb(new FdbEntry(Zero, null) { Destination = A("172.19.0.13") }));
        Assert.Equal($"fdb append 00:00:00:00:00:00 dst 172.19.0.13 self permanent (netns {ns.Name}): an fdb entry needs a device (dev)", noDevice.Message);

        var longMac = Assert.Throws<NetlinkArgumentException>(() => nl.AddFdb(new FdbEntry(new PhysicalAddress(new byte[8]), "vxlan0")));
        Assert.EndsWith("an fdb entry needs a 6-byte MAC address", longMac.Message);

        // add, unlike replace, does not move an existing MAC to another node.
        var exists = Assert.Throws<NetlinkException>(() => nl.AddFdb(new FdbEntry(Mac("0a:58:0a:e9:41:00"), "vxlan0") { Destination = A("172.19.0.15") }));
        Assert.Equal($"fdb add 0a:58:0a:e9:41:00 dev vxlan0 dst 172.19.0.15 self permanent (netns {ns.Name}): File exists (EEXIST)", exists.Message);

        // The kernel's refusals: an IPv6 VTEP on an IPv4 vxlan device; a master entry on a device with no master.
        var family = Assert.Throws<NetlinkException>(() => nl.AppendFdb(new FdbEntry(Zero, "vxlan0") { Destination = A("2001:db8::13") }));
        Assert.Equal("EAFNOSUPPORT", family.ErrnoName);
        Assert.StartsWith($"fdb append 00:00:00:00:00:00 dev vxlan0 dst 2001:db8::13 self permanent (netns {ns.Name}): Address family not supported by protocol (EAFNOSUPPORT)", family.Message);
        var noMaster = Assert.Throws<NetlinkException>(() => nl.AddFdb(new FdbEntry(Mac("02:00:00:00:00:cc"), "pb") { Master = true, Self = false }));
        Assert.Equal($"fdb add 02:00:00:00:00:cc dev pb master permanent (netns {ns.Name}): Operation not supported (EOPNOTSUPP)", noMaster.Message);

        var missing = Assert.Throws<NetlinkException>(() => nl.DeleteFdb(new FdbEntry(Mac("02:00:00:00:00:dd"), "pa") { Master = true, Self = false }));
        Assert.Equal($"fdb del 02:00:00:00:00:dd dev pa master permanent (netns {ns.Name}): No such file or directory (ENOENT)", missing.Message);

        Assert.Equal(before, FdbDump(ns.Name));
    }

    /// <summary>
    /// The seed's VTEP: br0 holds the node address 172.19.0.8/20, and vxlan0 (VNI 1, port 8472, no learning) sends from it.
    /// Fixed MACs, so that two namespaces set up this way print the same table.
    /// </summary>
    private static void Vtep(ScratchNamespace ns)
    {
        ns.Netlink.AddLink(new BridgeSpec("br0") { Address = Mac("02:00:00:00:0b:00"), Up = true });
        ns.Netlink.AddAddress("br0", IpPrefix.Parse("172.19.0.8/20"));
        ns.Netlink.AddLink(new VxlanSpec("vxlan0", 1)
        {
            Local = A("172.19.0.8"),
            Device = "br0",
            Port = 8472,
            Learning = false,
            Address = Mac("02:00:00:00:0c:00"),
        });
    }

    private static void Bridge(string ns, string command) => Tool.Check("ip", ["netns", "exec", ns, "bridge", .. command.Split(' ')]);

    /// <summary><c>bridge -j fdb show [dev DEV]</c>, one JSON object per entry, in the kernel's order.</summary>
    private static List<string> FdbDump(string ns, string? device = null) =>
        Tool.BridgeJson(ns, device is null ? ["fdb", "show"] : ["fdb", "show", "dev", device]).EnumerateArray().Select(e => e.GetRawText()).ToList();

    /// <summary><c>bridge -j fdb show [dev DEV]</c>, each entry in the words of <see cref="Describe(Rtnetlink, FdbEntry)"/> (led by the device without <c>dev</c>), sorted.</summary>
    private static List<string> BridgeFdb(string ns, string? device = null) =>
        Tool.BridgeJson(ns, device is null ? ["fdb", "show"] : ["fdb", "show", "dev", device]).EnumerateArray()
            .Select(e => (device is null ? $"{e.GetProperty("ifname").GetString()} " : string.Empty) + Describe(e)).Order().ToList();

    private static string Describe(JsonElement e) =>
        Describe(e.GetProperty("mac").GetString()!, Optional(e, "dst"), e.TryGetProperty("port", out var port) ? port.GetInt32() : null,
            e.TryGetProperty("vni", out var vni) ? vni.GetInt64() : null, e.TryGetProperty("vlan", out var vlan) ? vlan.GetInt32() : null,
            e.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "self"), Optional(e, "master"), e.GetProperty("state").GetString()!);

    private static string Describe(Rtnetlink nl, FdbEntry e) =>
        Describe(MacAddress.Format(e.Mac), e.Destination?.ToString(), e.Port, e.Vni, e.Vlan, e.Self,
            e.MasterIndex is { } master ? nl.GetLinks().Single(l => l.Index == master).Name : null, StateName(e.State));

    private static string Describe(string mac, string? dst, int? port, long? vni, int? vlan, bool self, string? master, string state) =>
        mac +
        (dst is null ? string.Empty : $" dst {dst}") +
        (port is null ? string.Empty : $" port {port}") +
        (vni is null ? string.Empty : $" vni {vni}") +
        (vlan is null ? string.Empty : $" vlan {vlan}") +
        (self ? " self" : string.Empty) +
        (master is null ? string.Empty : $" master {master}") +
        $" {state}";

    /// <summary>As bridge prints the state (bridge/fdb.c, state_n2a).</summary>
    private static string StateName(NeighbourState state) =>
        state.HasFlag(NeighbourState.Permanent) ? "permanent" :
        state.HasFlag(NeighbourState.NoArp) ? "static" :
        state.HasFlag(NeighbourState.Stale) ? "stale" :
        state.HasFlag(NeighbourState.Reachable) ? string.Empty :
        $"0x{(ushort)state:x}";

    private static string? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static IPAddress A(string text) => IPAddress.Parse(text);

    private static PhysicalAddress Mac(string text) => MacAddress.Parse(text);
}
