using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Strata.Netlink.Tests;

/// <summary>Routes, differential against iproute2: made by us and read by <c>ip -j -d route</c>, and the other way round.</summary>
public sealed class RouteTests
{
    /// <summary>Each route as <c>ip route add</c> takes it and as our <see cref="Route"/> says it. "-6" is passed before <c>route</c>.</summary>
    private static readonly (string Ip, Route Route)[] Cases =
    [
        ("10.233.65.0/24 via 10.233.65.0 dev flannel.1 onlink", new(P("10.233.65.0/24")) { Gateway = A("10.233.65.0"), Device = "flannel.1", OnLink = true }),
        ("10.9.0.0/16 via 10.1.0.254", new(P("10.9.0.0/16")) { Gateway = A("10.1.0.254") }),
        ("10.10.0.0/16 dev flannel.1", new(P("10.10.0.0/16")) { Device = "flannel.1" }),
        ("10.11.0.0/16 via 10.1.0.254 dev flannel.1 proto static metric 50 src 10.1.0.1",
            new(P("10.11.0.0/16")) { Gateway = A("10.1.0.254"), Device = "flannel.1", Protocol = 4, Metric = 50, PreferredSource = A("10.1.0.1") }),
        ("10.12.0.0/16 dev flannel.1 proto 77 scope host", new(P("10.12.0.0/16")) { Device = "flannel.1", Protocol = 77, Scope = Scope.Host }),
        ("10.13.0.0/16 via 10.1.0.254 dev flannel.1 table 100", new(P("10.13.0.0/16")) { Gateway = A("10.1.0.254"), Device = "flannel.1", Table = 100 }),
        ("10.14.0.0/16 via 10.1.0.254 dev flannel.1 table 1000 metric 5", new(P("10.14.0.0/16")) { Gateway = A("10.1.0.254"), Device = "flannel.1", Table = 1000, Metric = 5 }),
        ("blackhole 10.15.0.0/16", new(P("10.15.0.0/16")) { Type = RouteType.Blackhole }),
        ("unreachable 10.16.0.0/16 table 1000", new(P("10.16.0.0/16")) { Type = RouteType.Unreachable, Table = 1000 }),
        ("prohibit 10.18.0.0/16 table 100", new(P("10.18.0.0/16")) { Type = RouteType.Prohibit, Table = 100 }),
        ("local 10.17.0.1 dev flannel.1", new(P("10.17.0.1/32")) { Type = RouteType.Local, Device = "flannel.1" }),
        ("default via 10.1.0.254", new(P("0.0.0.0/0")) { Gateway = A("10.1.0.254") }),
        ("default via 10.1.0.253 dev flannel.1 table 1000", new(P("0.0.0.0/0")) { Gateway = A("10.1.0.253"), Device = "flannel.1", Table = 1000 }),
        ("-6 2001:db8:5::/64 via 2001:db8::fe dev flannel.1 metric 7", new(P("2001:db8:5::/64")) { Gateway = A("2001:db8::fe"), Device = "flannel.1", Metric = 7 }),
        ("-6 2001:db8:6::/64 dev flannel.1", new(P("2001:db8:6::/64")) { Device = "flannel.1" }),
        ("-6 blackhole 2001:db8:7::/64", new(P("2001:db8:7::/64")) { Type = RouteType.Blackhole }),
        ("-6 unreachable 2001:db8:8::/64 table 1000", new(P("2001:db8:8::/64")) { Type = RouteType.Unreachable, Table = 1000 }),
        ("-6 default via 2001:db8::fe dev flannel.1", new(P("::/0")) { Gateway = A("2001:db8::fe"), Device = "flannel.1" }),
        ("-6 2001:db8:9::/64 via 2001:db8::fe dev flannel.1 proto static src 2001:db8::1 table 100",
            new(P("2001:db8:9::/64")) { Gateway = A("2001:db8::fe"), Device = "flannel.1", Protocol = 4, PreferredSource = A("2001:db8::1"), Table = 100 }),
        ("-6 2001:db8:a::/64 via 2001:db8:ff::1 dev flannel.1 onlink", new(P("2001:db8:a::/64")) { Gateway = A("2001:db8:ff::1"), Device = "flannel.1", OnLink = true }),
    ];

    [RootFact]
    public void Flannel_onlink_route_matches_ip_route()
    {
        using var ns = ScratchNamespace.Create();
        Underlay(ns.Name);
        var route = new Route(P("10.233.65.0/24")) { Gateway = A("10.233.65.0"), Device = "flannel.1", OnLink = true };
        ns.Netlink.AddRoute(route);

        // The seed's `ip route` line, from iproute2 reading our route.
        Assert.Equal("10.233.65.0/24 via 10.233.65.0 dev flannel.1 onlink", Tool.Check("ip", "-n", ns.Name, "route", "show", "10.233.65.0/24").Trim());
        var ip = Tool.IpJson(ns.Name, "route", "show", "10.233.65.0/24").EnumerateArray().Single();
        Assert.Equal("unicast", ip.GetProperty("type").GetString());
        Assert.Equal("10.233.65.0", ip.GetProperty("gateway").GetString());
        Assert.Equal("flannel.1", ip.GetProperty("dev").GetString());
        Assert.Equal("boot", ip.GetProperty("protocol").GetString());
        Assert.Equal("global", ip.GetProperty("scope").GetString());
        Assert.Equal(["onlink"], ip.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        var ours = ns.Netlink.GetRoutes().Single(r => r.Destination == P("10.233.65.0/24"));
        Assert.True(ours.OnLink);
        Assert.Equal(A("10.233.65.0"), ours.Gateway);
        Assert.Equal("flannel.1", ours.Device);
        Assert.Equal(ns.Netlink.GetLink("flannel.1").Index, ours.OutIndex);

        ns.Netlink.DeleteRoute(route);
        Assert.Empty(Tool.IpJson(ns.Name, "route", "show", "10.233.65.0/24").EnumerateArray());
    }

    [RootFact]
    public void Routes_we_add_are_what_the_same_ip_route_add_makes()
    {
        using var byIp = ScratchNamespace.Create();
        using var byUs = ScratchNamespace.Create();
        Underlay(byIp.Name);
        Underlay(byUs.Name);
        foreach (var (ip, route) in Cases)
        {
            IpRoute(byIp.Name, "add", ip);
            byUs.Netlink.AddRoute(route);
        }

        foreach (var family in new[] { "-4", "-6" })
        {
            var expected = RouteDump(byIp.Name, family);
            Assert.Equal(expected, RouteDump(byUs.Name, family));
        }

        // Spot checks of what the comparison covers.
        var all = RouteDump(byUs.Name, "-4");
        Assert.Contains(all, r => r.Contains("\"dst\":\"default\"") && r.Contains("\"gateway\":\"10.1.0.254\"") && r.Contains("\"table\":\"main\""));
        Assert.Contains(all, r => r.Contains("\"dst\":\"10.14.0.0/16\"") && r.Contains("\"table\":\"1000\"") && r.Contains("\"metric\":5"));
        Assert.Contains(all, r => r.Contains("\"type\":\"blackhole\"") && r.Contains("\"dst\":\"10.15.0.0/16\""));
        Assert.Contains(all, r => r.Contains("\"dst\":\"10.11.0.0/16\"") && r.Contains("\"prefsrc\":\"10.1.0.1\"") && r.Contains("\"protocol\":\"static\""));
        Assert.Contains(all, r => r.Contains("\"dst\":\"10.12.0.0/16\"") && r.Contains("\"protocol\":\"77\"") && r.Contains("\"scope\":\"host\""));
        Assert.Contains(all, r => r.Contains("\"type\":\"local\"") && r.Contains("\"dst\":\"10.17.0.1\"") && r.Contains("\"table\":\"local\""));
        Assert.Contains(RouteDump(byUs.Name, "-6"), r => r.Contains("\"dst\":\"2001:db8:a::/64\"") && r.Contains("\"flags\":[\"onlink\"]"));
    }

    [RootFact]
    public void Routes_added_by_ip_are_decoded_like_ip_prints_them()
    {
        using var ns = ScratchNamespace.Create();
        Underlay(ns.Name);
        foreach (var (ip, _) in Cases)
        {
            IpRoute(ns.Name, "add", ip);
        }

        var nl = ns.Netlink;
        Assert.Equal(IpRoutes(ns.Name, "-4"), nl.GetRoutes(AddressFamily.InterNetwork, table: null).Select(Describe).Order());
        Assert.Equal(IpRoutes(ns.Name, "-6"), nl.GetRoutes(AddressFamily.InterNetworkV6, table: null).Select(Describe).Order());

        // By default, the main table of one family; or one table.
        Assert.Equal(IpRoutes(ns.Name, "-4", Route.MainTable), nl.GetRoutes().Select(Describe).Order());
        Assert.Equal(IpRoutes(ns.Name, "-6", Route.MainTable), nl.GetRoutes(AddressFamily.InterNetworkV6).Select(Describe).Order());
        Assert.Equal(IpRoutes(ns.Name, "-4", 1000), nl.GetRoutes(AddressFamily.InterNetwork, 1000).Select(Describe).Order());
        Assert.Equal(
            ["prohibit 10.18.0.0/16 table 100 proto 3 scope global", "unicast 10.13.0.0/16 table 100 proto 3 scope global via 10.1.0.254 dev flannel.1"],
            nl.GetRoutes(AddressFamily.InterNetwork, 100).Select(Describe).Order());

        var flannel = nl.GetRoutes().Single(r => r.Destination == P("10.233.65.0/24"));
        Assert.Equal(nl.GetLink("flannel.1").Index, flannel.OutIndex);
        Assert.True(flannel.OnLink);
        var unreachable = nl.GetRoutes(AddressFamily.InterNetworkV6, 1000).Single(r => r.Destination == P("2001:db8:8::/64"));
        Assert.Equal(RouteType.Unreachable, unreachable.Type);
        Assert.Equal(1024u, unreachable.Metric);
    }

    [RootFact]
    public void Replace_behaves_like_ip_route_replace()
    {
        string[] before =
        [
            "10.20.0.0/16 via 10.1.0.254",
            "10.233.65.0/24 via 10.233.65.0 dev flannel.1 onlink",
            "blackhole 10.22.0.0/16 table 1000 metric 9",
            "-6 2001:db8:5::/64 via 2001:db8::fe dev flannel.1",
        ];
        (string Ip, Route Route)[] replacements =
        [
            ("10.20.0.0/16 via 10.1.0.253 dev flannel.1", new(P("10.20.0.0/16")) { Gateway = A("10.1.0.253"), Device = "flannel.1" }),
            ("10.21.0.0/16 dev flannel.1", new(P("10.21.0.0/16")) { Device = "flannel.1" }),
            ("10.233.65.0/24 via 10.233.65.0 dev flannel.1 onlink", new(P("10.233.65.0/24")) { Gateway = A("10.233.65.0"), Device = "flannel.1", OnLink = true }),
            ("10.22.0.0/16 via 10.1.0.254 table 1000 metric 9", new(P("10.22.0.0/16")) { Gateway = A("10.1.0.254"), Table = 1000, Metric = 9 }),
            ("-6 2001:db8:5::/64 via 2001:db8::fd dev flannel.1", new(P("2001:db8:5::/64")) { Gateway = A("2001:db8::fd"), Device = "flannel.1" }),
            ("-6 default via 2001:db8::fe dev flannel.1 metric 5", new(P("::/0")) { Gateway = A("2001:db8::fe"), Device = "flannel.1", Metric = 5 }),
        ];
        using var byIp = ScratchNamespace.Create();
        using var byUs = ScratchNamespace.Create();
        foreach (var ns in new[] { byIp, byUs })
        {
            Underlay(ns.Name);
            foreach (var ip in before)
            {
                IpRoute(ns.Name, "add", ip);
            }
        }

        foreach (var (ip, route) in replacements)
        {
            IpRoute(byIp.Name, "replace", ip);
            byUs.Netlink.ReplaceRoute(route);
        }

        // Replacing the same route again is not an error either.
        byUs.Netlink.ReplaceRoute(replacements[2].Route);

        foreach (var family in new[] { "-4", "-6" })
        {
            Assert.Equal(RouteDump(byIp.Name, family), RouteDump(byUs.Name, family));
        }

        Assert.Equal(["unicast 10.20.0.0/16 table 254 proto 3 scope global via 10.1.0.253 dev flannel.1"],
            IpRoutes(byUs.Name, "-4", Route.MainTable, "10.20.0.0/16"));
        Assert.Equal(["unicast 10.22.0.0/16 table 1000 proto 3 scope global via 10.1.0.254 dev flannel.1 metric 9"],
            IpRoutes(byUs.Name, "-4", 1000, "10.22.0.0/16"));
        Assert.Single(IpRoutes(byUs.Name, "-4", Route.MainTable, "10.233.65.0/24"));
        Assert.Equal(["unicast 2001:db8:5::/64 table 254 proto 3 scope global via 2001:db8::fd dev flannel.1 metric 1024"],
            IpRoutes(byUs.Name, "-6", Route.MainTable, "2001:db8:5::/64"));
    }

    [RootFact]
    public void Delete_removes_routes_made_by_ip_in_every_table_and_of_every_type()
    {
        using var ns = ScratchNamespace.Create();
        Underlay(ns.Name);
        var baseline = Snapshot(ns.Name);
        foreach (var (ip, _) in Cases)
        {
            IpRoute(ns.Name, "add", ip);
        }

        foreach (var (ip, route) in Cases)
        {
            ns.Netlink.DeleteRoute(route);
            Assert.DoesNotContain(IpRoutes(ns.Name, ip.StartsWith("-6") ? "-6" : "-4", route.EffectiveTable, route.Destination.ToString()),
                r => r.StartsWith(route.Type.ToString().ToLowerInvariant() + " "));
        }

        Assert.Equal(baseline, Snapshot(ns.Name));
    }

    [RootFact]
    public void Delete_needs_only_the_key_or_takes_a_dumped_route()
    {
        using var ns = ScratchNamespace.Create();
        Underlay(ns.Name);
        IpRoute(ns.Name, "add", "10.13.0.0/16 via 10.1.0.254 dev flannel.1 table 100");
        IpRoute(ns.Name, "add", "10.30.0.0/16 via 10.1.0.254 metric 10");
        IpRoute(ns.Name, "add", "10.30.0.0/16 via 10.1.0.253 metric 20");
        foreach (var (ip, _) in Cases)
        {
            if (!ip.EndsWith(" table 100"))
            {
                IpRoute(ns.Name, "replace", ip);
            }
        }

        // `ip route del 10.13.0.0/16 table 100`: destination and table are enough.
        ns.Netlink.DeleteRoute(new Route(P("10.13.0.0/16")) { Table = 100 });
        Assert.Empty(IpRoutes(ns.Name, "-4", 100, "10.13.0.0/16"));

        // The metric picks one of two routes to the same destination.
        ns.Netlink.DeleteRoute(new Route(P("10.30.0.0/16")) { Metric = 20 });
        Assert.Equal(["unicast 10.30.0.0/16 table 254 proto 3 scope global via 10.1.0.254 dev flannel.1 metric 10"],
            IpRoutes(ns.Name, "-4", Route.MainTable, "10.30.0.0/16"));

        // Every route ip added (proto boot or static, in any table), deleted as our own dump describes it.
        var dumped = ns.Netlink.GetRoutes(AddressFamily.Unspecified, table: null).Where(r => r.Protocol is not 2).ToList();
        Assert.Contains(dumped, r => r.Destination.Family == AddressFamily.InterNetworkV6 && r.Type == RouteType.Unreachable);
        foreach (var route in dumped)
        {
            ns.Netlink.DeleteRoute(route);
        }

        Assert.DoesNotContain(IpRoutes(ns.Name, "-4"), r => !r.Contains(" proto 2 "));
        Assert.DoesNotContain(IpRoutes(ns.Name, "-6"), r => !r.Contains(" proto 2 "));
        Assert.Contains("unicast 10.1.0.0/24 table 254 proto 2 scope link dev flannel.1 src 10.1.0.1", IpRoutes(ns.Name, "-4"));
    }

    [RootFact]
    public void Adding_an_existing_route_is_EEXIST_in_ip_route_words_and_changes_nothing()
    {
        using var ns = ScratchNamespace.Create();
        Underlay(ns.Name);
        var flannel = new Route(P("10.233.65.0/24")) { Gateway = A("10.233.65.0"), Device = "flannel.1", OnLink = true };
        ns.Netlink.AddRoute(flannel);
        IpRoute(ns.Name, "add", "default via 10.1.0.254");
        IpRoute(ns.Name, "add", "-6 2001:db8:5::/64 via 2001:db8::fe dev flannel.1 table 1000");
        var before = Snapshot(ns.Name);

        var error = Assert.Throws<NetlinkException>(() => ns.Netlink.AddRoute(flannel));
        Assert.Equal($"route add 10.233.65.0/24 via 10.233.65.0 dev flannel.1 onlink (netns {ns.Name}): File exists (EEXIST)", error.Message);
        Assert.Equal("EEXIST", error.ErrnoName);
        Assert.Equal(17, error.Errno);
        Assert.Equal(ns.Name, error.Namespace);

        // Another gateway does not make it another route: the key is the destination (and table, metric).
        var other = Assert.Throws<NetlinkException>(() => ns.Netlink.AddRoute(new Route(P("0.0.0.0/0")) { Gateway = A("10.1.0.253") }));
        Assert.Equal($"route add default via 10.1.0.253 (netns {ns.Name}): File exists (EEXIST)", other.Message);

        var v6 = Assert.Throws<NetlinkException>(() => ns.Netlink.AddRoute(new Route(P("2001:db8:5::/64")) { Gateway = A("2001:db8::fe"), Device = "flannel.1", Table = 1000 }));
        Assert.StartsWith($"route add 2001:db8:5::/64 via 2001:db8::fe dev flannel.1 table 1000 (netns {ns.Name}): File exists (EEXIST)", v6.Message);

        Assert.Equal(before, Snapshot(ns.Name));
    }

    [RootFact]
    public void A_route_through_an_unknown_device_is_rejected_before_sending()
    {
        using var ns = ScratchNamespace.Create();
        Underlay(ns.Name);
        var before = Snapshot(ns.Name);

        var error = Assert.Throws<NetlinkArgumentException>(() =>
            ns.Netlink.AddRoute(new Route(P("10.233.65.0/24")) { Gateway = A("10.233.65.0"), Device = "nosuch", OnLink = true }));
        Assert.Equal($"route add 10.233.65.0/24 via 10.233.65.0 dev nosuch onlink (netns {ns.Name}): link \"nosuch\" not found", error.Message);
        Assert.Throws<NetlinkArgumentException>(() => ns.Netlink.ReplaceRoute(new Route(P("10.40.0.0/16")) { Device = "nosuch" }));
        var delete = Assert.Throws<NetlinkArgumentException>(() => ns.Netlink.DeleteRoute(new Route(P("10.1.0.0/24")) { Device = "nosuch" }));
        Assert.Equal($"route del 10.1.0.0/24 dev nosuch (netns {ns.Name}): link \"nosuch\" not found", delete.Message);

        Assert.Equal(before, Snapshot(ns.Name));
    }

    [RootFact]
    public void Inconsistent_routes_are_rejected_before_sending()
    {
        using var ns = ScratchNamespace.Create();
        Underlay(ns.Name);
        var before = Snapshot(ns.Name);
        (Route Route, string Message)[] cases =
        [
            (new(P("10.31.0.0/16")) { Gateway = A("2001:db8::fe"), Device = "flannel.1" },
                "route add 10.31.0.0/16 via 2001:db8::fe dev flannel.1 (netns {0}): gateway 2001:db8::fe is not in the same address family as 10.31.0.0/16"),
            (new(P("2001:db8:31::/64")) { Gateway = A("10.1.0.254") },
                "route add 2001:db8:31::/64 via 10.1.0.254 (netns {0}): gateway 10.1.0.254 is not in the same address family as 2001:db8:31::/64"),
            (new(P("10.32.0.0/16")) { Device = "flannel.1", PreferredSource = A("2001:db8::1") },
                "route add 10.32.0.0/16 dev flannel.1 src 2001:db8::1 (netns {0}): src 2001:db8::1 is not in the same address family as 10.32.0.0/16"),
            (new(P("10.33.0.0/16")) { Device = "flannel.1", OnLink = true },
                "route add 10.33.0.0/16 dev flannel.1 onlink (netns {0}): onlink needs a gateway (via)"),
            (new(P("10.34.0.0/16")),
                "route add 10.34.0.0/16 (netns {0}): a unicast route needs a gateway (via) or a device (dev)"),
        ];

        foreach (var (route, message) in cases)
        {
            var error = Assert.Throws<NetlinkArgumentException>(() => ns.Netlink.AddRoute(route));
            Assert.Equal(string.Format(message, ns.Name), error.Message);
        }

        Assert.Equal(before, Snapshot(ns.Name));
    }

    [RootFact]
    public void Kernel_refusals_carry_the_kernels_reason_and_change_nothing()
    {
        using var ns = ScratchNamespace.Create();
        Underlay(ns.Name);
        IpRoute(ns.Name, "add", "10.99.0.0/16 via 10.1.0.254");
        var before = Snapshot(ns.Name);

        // src must be one of this namespace's addresses.
        var source = Assert.Throws<NetlinkException>(() => ns.Netlink.AddRoute(new Route(P("10.50.0.0/16")) { Gateway = A("10.1.0.254"), PreferredSource = A("10.9.9.9") }));
        Assert.Equal($"route add 10.50.0.0/16 via 10.1.0.254 src 10.9.9.9 (netns {ns.Name}): Invalid argument (EINVAL): Invalid prefsrc address", source.Message);

        // A gateway outside every connected prefix needs onlink.
        var gateway = Assert.Throws<NetlinkException>(() => ns.Netlink.AddRoute(new Route(P("10.51.0.0/16")) { Gateway = A("10.77.0.1") }));
        Assert.Equal($"route add 10.51.0.0/16 via 10.77.0.1 (netns {ns.Name}): Network is unreachable (ENETUNREACH): Nexthop has invalid gateway", gateway.Message);
        Assert.Equal("ENETUNREACH", gateway.ErrnoName);

        // Deleting what is not there, including a route that exists only in another table.
        var missing = Assert.Throws<NetlinkException>(() => ns.Netlink.DeleteRoute(new Route(P("10.98.0.0/16"))));
        Assert.Equal($"route del 10.98.0.0/16 (netns {ns.Name}): No such process (ESRCH)", missing.Message);
        var otherTable = Assert.Throws<NetlinkException>(() => ns.Netlink.DeleteRoute(new Route(P("10.99.0.0/16")) { Table = 1000 }));
        Assert.Equal($"route del 10.99.0.0/16 table 1000 (netns {ns.Name}): No such process (ESRCH): FIB table does not exist", otherTable.Message);

        Assert.Equal(before, Snapshot(ns.Name));
    }

    /// <summary>
    /// flannel.1 (a veth here) with 10.1.0.1/24 and 2001:db8::1/64, fixed MACs and no link-local addresses, so that two
    /// namespaces set up this way have identical route tables.
    /// </summary>
    private static void Underlay(string ns)
    {
        Tool.Ip(ns, "link", "add", "flannel.1", "address", "02:00:00:00:01:01", "type", "veth", "peer", "name", "fpeer", "address", "02:00:00:00:01:02");
        foreach (var device in new[] { "flannel.1", "fpeer" })
        {
            Tool.Ip(ns, "link", "set", "dev", device, "addrgenmode", "none");
            Tool.Ip(ns, "link", "set", "dev", device, "up");
        }

        Tool.Ip(ns, "addr", "add", "10.1.0.1/24", "dev", "flannel.1");
        Tool.Ip(ns, "-6", "addr", "add", "2001:db8::1/64", "dev", "flannel.1", "nodad");

        // IPv6 puts the local route in after its (skipped) DAD, from a work queue: wait for it.
        var clock = Stopwatch.StartNew();
        while (IpRoutes(ns, "-6", Route.LocalTable, "2001:db8::1").Count == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the local route for 2001:db8::1 did not appear");
            Thread.Sleep(20);
        }
    }

    private static void IpRoute(string ns, string verb, string route)
    {
        var words = route.Split(' ');
        if (words[0] == "-6")
        {
            Tool.Ip(ns, ["-6", "route", verb, .. words[1..]]);
        }
        else
        {
            Tool.Ip(ns, ["route", verb, .. words]);
        }
    }

    /// <summary><c>ip -j -d -4|-6 route show table all</c>, one JSON object per route, in the kernel's order.</summary>
    private static List<string> RouteDump(string ns, string family) =>
        Tool.IpJson(ns, family, "route", "show", "table", "all").EnumerateArray().Select(r => r.GetRawText()).ToList();

    /// <summary>Both families' routes, every table: what must not change when a request is refused.</summary>
    private static List<string> Snapshot(string ns) => [.. RouteDump(ns, "-4"), .. RouteDump(ns, "-6")];

    /// <summary><c>ip -j -d -4|-6 route show table all [PREFIX]</c>, optionally of one table, each route in the words of <see cref="Describe(Route)"/>, sorted.</summary>
    private static List<string> IpRoutes(string ns, string family, uint? table = null, string? destination = null) =>
        Tool.IpJson(ns, [family, "route", "show", "table", "all", .. destination is null ? Array.Empty<string>() : [destination]]).EnumerateArray()
            .Where(r => table is null || TableOf(r) == table)
            .Select(r => Describe(r, family == "-6")).Order().ToList();

    private static uint TableOf(JsonElement r) => r.TryGetProperty("table", out var t) ? TableNumber(t.GetString()!) : Route.MainTable;

    private static string Describe(JsonElement r, bool v6)
    {
        string dst = r.GetProperty("dst").GetString()!;
        dst = dst == "default" ? (v6 ? "::/0" : "0.0.0.0/0") : dst.Contains('/') ? dst : $"{dst}/{(v6 ? 128 : 32)}";
        return Describe(r.GetProperty("type").GetString()!, dst, TableOf(r), ProtocolNumber(r.GetProperty("protocol").GetString()!), r.GetProperty("scope").GetString()!,
            Optional(r, "gateway"), Optional(r, "dev"), r.TryGetProperty("metric", out var m) ? m.GetUInt32() : null, Optional(r, "prefsrc"),
            r.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "onlink"));
    }

    private static string Describe(Route r) =>
        Describe(r.Type.ToString().ToLowerInvariant(), r.Destination.ToString(), r.EffectiveTable, r.Protocol, AddressTests.ScopeName(r.Scope ?? r.EffectiveScope),
            r.Gateway?.ToString(), r.Device, r.Metric, r.PreferredSource?.ToString(), r.OnLink);

    private static string Describe(string type, string dst, uint table, int protocol, string scope, string? gateway, string? dev, uint? metric, string? src, bool onlink) =>
        $"{type} {dst} table {table} proto {protocol} scope {scope}" +
        (gateway is null ? string.Empty : $" via {gateway}") +
        (dev is null ? string.Empty : $" dev {dev}") +
        (metric is null ? string.Empty : $" metric {metric}") +
        (src is null ? string.Empty : $" src {src}") +
        (onlink ? " onlink" : string.Empty);

    private static string? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static uint TableNumber(string name) => name switch
    {
        "main" => Route.MainTable,
        "local" => Route.LocalTable,
        "default" => 253,
        _ => uint.Parse(name),
    };

    /// <summary>iproute2's names for RTPROT_* (lib/rt_names.c) that these tests meet.</summary>
    private static int ProtocolNumber(string name) => name switch
    {
        "unspec" => 0,
        "redirect" => 1,
        "kernel" => 2,
        "boot" => 3,
        "static" => 4,
        "ra" => 9,
        _ => int.Parse(name),
    };

    private static IpPrefix P(string text) => IpPrefix.Parse(text);

    private static IPAddress A(string text) => IPAddress.Parse(text);
}
