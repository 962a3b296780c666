using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;

namespace Strata.Netlink.Tests;

/// <summary>ARP and NDP entries, differential against iproute2: made by us and read by <c>ip -j -d neigh</c>, and the other way round.</summary>
public sealed class NeighbourTests
{
    [RootFact]
    public void Permanent_neighbours_we_add_are_what_ip_shows()
    {
        using var ns = ScratchNamespace.Create();
        var nl = ns.Netlink;
        int index = nl.AddLink(new VethSpec("eth0", "peer0") { Up = true });
        nl.AddNeighbour(new Neighbour(A("10.1.0.5"), "eth0") { LinkAddress = Mac("0a:58:0a:01:00:05") });
        nl.AddNeighbour(new Neighbour(A("2001:db8::5"), "eth0") { LinkAddress = Mac("0a:58:0a:01:00:06") });
        nl.AddNeighbour(new Neighbour(A("10.1.0.6"), null) { LinkIndex = index, LinkAddress = Mac("0a:58:0a:01:00:07") });
        nl.AddNeighbour(new Neighbour(A("10.1.0.7"), "eth0") { LinkAddress = Mac("0a:58:0a:01:00:08"), State = NeighbourState.NoArp });

        Assert.Equal(
            [
                "10.1.0.5 dev eth0 lladdr 0a:58:0a:01:00:05 PERMANENT",
                "10.1.0.6 dev eth0 lladdr 0a:58:0a:01:00:07 PERMANENT",
                "10.1.0.7 dev eth0 lladdr 0a:58:0a:01:00:08 NOARP",
                "2001:db8::5 dev eth0 lladdr 0a:58:0a:01:00:06 PERMANENT",
            ],
            IpNeighbours(ns.Name, "dev", "eth0"));

        // `ip neigh show` without `nud all` hides NOARP entries, and so the permanent ones are what it prints.
        Assert.Equal(3, Tool.IpJson(ns.Name, "neigh", "show", "dev", "eth0").EnumerateArray().Count(n => !IsMulticast(n.GetProperty("dst").GetString()!)));
    }

    [RootFact]
    public void Neighbours_added_by_ip_are_decoded_like_ip_prints_them()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
        Tool.Ip(ns.Name, "neigh", "add", "10.1.0.5", "lladdr", "0a:58:0a:01:00:05", "dev", "eth0");
        Tool.Ip(ns.Name, "neigh", "add", "10.1.0.6", "lladdr", "0a:58:0a:01:00:06", "dev", "eth0", "nud", "noarp");
        Tool.Ip(ns.Name, "neigh", "add", "10.1.0.7", "lladdr", "0a:58:0a:01:00:07", "dev", "eth0", "nud", "stale");
        Tool.Ip(ns.Name, "neigh", "add", "172.16.0.1", "lladdr", "0a:58:0a:01:00:08", "dev", "peer0", "nud", "permanent");
        Tool.Ip(ns.Name, "-6", "neigh", "add", "2001:db8::5", "lladdr", "0a:58:0a:01:00:09", "dev", "eth0");
        Tool.Ip(ns.Name, "-6", "neigh", "add", "fe80::5", "lladdr", "0a:58:0a:01:00:0a", "dev", "peer0", "nud", "stale");

        var nl = ns.Netlink;
        var expected = IpNeighbours(ns.Name);
        Assert.Equal(6, expected.Count);
        Assert.Equal(expected, nl.GetNeighbours().Where(n => !n.Address.IsIPv6Multicast).Select(Describe).Order());
        Assert.Equal(IpNeighbours(ns.Name, "-4"), nl.GetNeighbours(AddressFamily.InterNetwork).Select(Describe).Order());
        Assert.Equal(IpNeighbours(ns.Name, "-6"), nl.GetNeighbours(AddressFamily.InterNetworkV6).Where(n => !n.Address.IsIPv6Multicast).Select(Describe).Order());

        var stale = nl.GetNeighbours().Single(n => n.Address.Equals(A("10.1.0.7")));
        Assert.Equal(NeighbourState.Stale, stale.State);
        Assert.Equal(nl.GetLink("eth0").Index, stale.LinkIndex);
        Assert.Equal(Mac("0a:58:0a:01:00:07"), stale.LinkAddress);
    }

    [RootFact]
    public void Replace_behaves_like_ip_neigh_replace()
    {
        using var byIp = ScratchNamespace.Create();
        using var byUs = ScratchNamespace.Create();
        foreach (var ns in new[] { byIp, byUs })
        {
            Tool.Ip(ns.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
            Tool.Ip(ns.Name, "neigh", "add", "10.1.0.5", "lladdr", "0a:58:0a:01:00:05", "dev", "eth0");
            Tool.Ip(ns.Name, "neigh", "add", "10.1.0.6", "lladdr", "0a:58:0a:01:00:06", "dev", "eth0");
            Tool.Ip(ns.Name, "-6", "neigh", "add", "2001:db8::5", "lladdr", "0a:58:0a:01:00:07", "dev", "eth0");
        }

        Tool.Ip(byIp.Name, "neigh", "replace", "10.1.0.5", "lladdr", "0a:58:0a:01:01:05", "dev", "eth0");
        Tool.Ip(byIp.Name, "neigh", "replace", "10.1.0.6", "lladdr", "0a:58:0a:01:01:06", "dev", "eth0", "nud", "stale");
        Tool.Ip(byIp.Name, "neigh", "replace", "10.1.0.9", "lladdr", "0a:58:0a:01:01:09", "dev", "eth0");
        Tool.Ip(byIp.Name, "-6", "neigh", "replace", "2001:db8::5", "lladdr", "0a:58:0a:01:01:07", "dev", "eth0");
        var nl = byUs.Netlink;
        nl.ReplaceNeighbour(new Neighbour(A("10.1.0.5"), "eth0") { LinkAddress = Mac("0a:58:0a:01:01:05") });
        nl.ReplaceNeighbour(new Neighbour(A("10.1.0.6"), "eth0") { LinkAddress = Mac("0a:58:0a:01:01:06"), State = NeighbourState.Stale });
        nl.ReplaceNeighbour(new Neighbour(A("10.1.0.9"), "eth0") { LinkAddress = Mac("0a:58:0a:01:01:09") });
        nl.ReplaceNeighbour(new Neighbour(A("2001:db8::5"), "eth0") { LinkAddress = Mac("0a:58:0a:01:01:07") });

        var expected = IpNeighbours(byIp.Name);
        Assert.Equal(expected, IpNeighbours(byUs.Name));
        Assert.Equal(
            [
                "10.1.0.5 dev eth0 lladdr 0a:58:0a:01:01:05 PERMANENT",
                "10.1.0.6 dev eth0 lladdr 0a:58:0a:01:01:06 STALE",
                "10.1.0.9 dev eth0 lladdr 0a:58:0a:01:01:09 PERMANENT",
                "2001:db8::5 dev eth0 lladdr 0a:58:0a:01:01:07 PERMANENT",
            ],
            expected);
    }

    [RootFact]
    public void Delete_removes_only_the_named_neighbours()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
        Tool.Ip(ns.Name, "neigh", "add", "10.1.0.5", "lladdr", "0a:58:0a:01:00:05", "dev", "eth0");
        Tool.Ip(ns.Name, "neigh", "add", "10.1.0.6", "lladdr", "0a:58:0a:01:00:06", "dev", "eth0");
        Tool.Ip(ns.Name, "neigh", "add", "10.1.0.5", "lladdr", "0a:58:0a:01:00:07", "dev", "peer0");
        Tool.Ip(ns.Name, "-6", "neigh", "add", "2001:db8::5", "lladdr", "0a:58:0a:01:00:08", "dev", "eth0");

        ns.Netlink.DeleteNeighbour(new Neighbour(A("10.1.0.5"), "eth0"));
        ns.Netlink.DeleteNeighbour(new Neighbour(A("2001:db8::5"), "eth0") { LinkAddress = Mac("0a:58:0a:01:00:08") });

        Assert.Equal(
            ["10.1.0.5 dev peer0 lladdr 0a:58:0a:01:00:07 PERMANENT", "10.1.0.6 dev eth0 lladdr 0a:58:0a:01:00:06 PERMANENT"],
            IpNeighbours(ns.Name));
    }

    [RootFact]
    public void Adding_an_existing_neighbour_is_EEXIST_and_keeps_its_lladdr()
    {
        using var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new VethSpec("eth0", "peer0"));
        ns.Netlink.AddNeighbour(new Neighbour(A("10.1.0.5"), "eth0") { LinkAddress = Mac("0a:58:0a:01:00:05") });
        ns.Netlink.AddNeighbour(new Neighbour(A("2001:db8::5"), "eth0") { LinkAddress = Mac("0a:58:0a:01:00:06") });
        var before = IpNeighbours(ns.Name);

        var error = Assert.Throws<NetlinkException>(() =>
            ns.Netlink.AddNeighbour(new Neighbour(A("10.1.0.5"), "eth0") { LinkAddress = Mac("0a:58:0a:01:00:99") }));
        Assert.Equal($"neigh add 10.1.0.5 lladdr 0a:58:0a:01:00:99 dev eth0 nud permanent (netns {ns.Name}): File exists (EEXIST)", error.Message);
        var v6 = Assert.Throws<NetlinkException>(() =>
            ns.Netlink.AddNeighbour(new Neighbour(A("2001:db8::5"), "eth0") { LinkAddress = Mac("0a:58:0a:01:00:99") }));
        Assert.Equal("EEXIST", v6.ErrnoName);
        Assert.Equal(before, IpNeighbours(ns.Name));
    }

    [RootFact]
    public void Bad_neighbours_are_rejected_and_nothing_is_created()
    {
        using var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new VethSpec("eth0", "peer0"));
        var before = Tool.Check("ip", "-n", ns.Name, "-j", "neigh", "show", "nud", "all");

        var unknown = Assert.Throws<NetlinkArgumentException>(() =>
            ns.Netlink.AddNeighbour(new Neighbour(A("10.1.0.5"), "nosuch") { LinkAddress = Mac("0a:58:0a:01:00:05") }));
        Assert.Equal($"neigh add 10.1.0.5 lladdr 0a:58:0a:01:00:05 dev nosuch nud permanent (netns {ns.Name}): link \"nosuch\" not found", unknown.Message);

        var noDevice = Assert.Throws<NetlinkArgumentException>(() =>
            ns.Netlink.ReplaceNeighbour(new Neighbour(A("10.1.0.5"), null) { LinkAddress = Mac("0a:58:0a:01:00:05") }));
        Assert.Equal($"neigh replace 10.1.0.5 lladdr 0a:58:0a:01:00:05 nud permanent (netns {ns.Name}): a neighbour needs a device (dev)", noDevice.Message);

        // The kernel checks the lladdr against the device: ethernet needs six bytes.
        var shortMac = Assert.Throws<NetlinkException>(() =>
            ns.Netlink.AddNeighbour(new Neighbour(A("10.1.0.5"), "eth0") { LinkAddress = new PhysicalAddress([0x0a, 0x58, 0x0a]) }));
        Assert.Equal($"neigh add 10.1.0.5 lladdr 0a:58:0a dev eth0 nud permanent (netns {ns.Name}): Invalid argument (EINVAL): Invalid link address", shortMac.Message);

        var missing = Assert.Throws<NetlinkException>(() => ns.Netlink.DeleteNeighbour(new Neighbour(A("10.1.0.99"), "eth0")));
        Assert.Equal("ENOENT", missing.ErrnoName);
        Assert.StartsWith("neigh del 10.1.0.99 dev eth0", missing.Message);
        Assert.EndsWith($"(netns {ns.Name}): No such file or directory (ENOENT)", missing.Message);

        Assert.Equal(before, Tool.Check("ip", "-n", ns.Name, "-j", "neigh", "show", "nud", "all"));
    }

    [RootFact]
    public void Proxy_entries_round_trip_with_ip_neigh_proxy_and_leave_the_neighbour_table_alone()
    {
        using var ns = ScratchNamespace.Create();
        var nl = ns.Netlink;
        nl.AddLink(new VethSpec("eth0", "peer0") { Up = true });
        nl.AddNeighbour(new Neighbour(A("192.168.9.200"), "eth0") { Proxy = true });
        Tool.Ip(ns.Name, "neigh", "add", "proxy", "192.168.9.201", "dev", "eth0");

        Assert.Equal(["192.168.9.200 dev eth0", "192.168.9.201 dev eth0"],
            Tool.IpJson(ns.Name, "neigh", "show", "proxy").EnumerateArray()
                .Select(n => $"{n.GetProperty("dst").GetString()} dev {n.GetProperty("dev").GetString()}").Order());
        Assert.Equal(["192.168.9.200 dev eth0", "192.168.9.201 dev eth0"],
            nl.GetProxyNeighbours(AddressFamily.InterNetwork).Select(n => $"{n.Address} dev {n.Device}").Order());
        Assert.All(nl.GetProxyNeighbours(), n => Assert.True(n.Proxy));
        Assert.DoesNotContain(nl.GetNeighbours(), n => n.Address.Equals(A("192.168.9.200")));

        nl.DeleteNeighbour(new Neighbour(A("192.168.9.201"), "eth0") { Proxy = true });
        Assert.Equal(["192.168.9.200"], nl.GetProxyNeighbours().Select(n => n.Address.ToString()));

        // The kernel's pneigh_create returns an existing entry: adding one twice is not an error and keeps one.
        nl.AddNeighbour(new Neighbour(A("192.168.9.200"), "eth0") { Proxy = true });
        Assert.Single(nl.GetProxyNeighbours());
        var missing = Assert.Throws<NetlinkException>(() => nl.DeleteNeighbour(new Neighbour(A("192.168.9.201"), "eth0") { Proxy = true }));
        Assert.Equal($"neigh del proxy 192.168.9.201 dev eth0 (netns {ns.Name}): No such file or directory (ENOENT)", missing.Message);
    }

    /// <summary><c>ip -j -d neigh show nud all …</c> without IPv6 multicast entries (which MLD makes by itself), sorted.</summary>
    private static List<string> IpNeighbours(string ns, params string[] selector)
    {
        string[] family = selector is ["-4" or "-6", ..] ? [selector[0]] : [];
        string[] rest = family.Length == 0 ? selector : selector[1..];
        return Tool.IpJson(ns, [.. family, "neigh", "show", "nud", "all", .. rest]).EnumerateArray()
            .Where(n => !IsMulticast(n.GetProperty("dst").GetString()!))
            .Select(n => Describe(n, rest is ["dev", var device] ? device : null)).Order().ToList();
    }

    private static bool IsMulticast(string address) => IPAddress.Parse(address) is var a && (a.IsIPv6Multicast || (a.AddressFamily == AddressFamily.InterNetwork && a.GetAddressBytes()[0] is >= 224 and <= 239));

    /// <summary>One entry of <c>ip -j neigh</c>; ip leaves out <c>dev</c> when the listing is of one device.</summary>
    private static string Describe(JsonElement n, string? device) =>
        $"{n.GetProperty("dst").GetString()} dev {(n.TryGetProperty("dev", out var dev) ? dev.GetString() : device)}" +
        (n.TryGetProperty("lladdr", out var lladdr) ? $" lladdr {lladdr.GetString()}" : string.Empty) +
        $" {string.Join(',', n.GetProperty("state").EnumerateArray().Select(s => s.GetString()))}";

    /// <summary>As ip prints the state: one upper-case name per NUD bit, lowest first (ip/ipneigh.c, print_neigh_state).</summary>
    private static string Describe(Neighbour n) =>
        $"{n.Address} dev {n.Device}" +
        (n.LinkAddress is { } mac ? $" lladdr {MacAddress.Format(mac)}" : string.Empty) +
        $" {string.Join(',', Enum.GetValues<NeighbourState>().Where(s => s != NeighbourState.None && n.State.HasFlag(s)).Select(s => s.ToString().ToUpperInvariant()))}";

    private static IPAddress A(string text) => IPAddress.Parse(text);

    private static PhysicalAddress Mac(string text) => MacAddress.Parse(text);
}
