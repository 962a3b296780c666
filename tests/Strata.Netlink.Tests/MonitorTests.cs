using System.Net;

namespace Strata.Netlink.Tests;

/// <summary>
/// <see cref="NetlinkMonitor"/> against changes made by iproute2 (<c>ip</c> and <c>bridge</c>), as
/// <c>ip monitor</c> would report them, and only those of the namespace it watches.
/// </summary>
public sealed class MonitorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [RootFact]
    public async Task Link_add_and_delete_give_link_events()
    {
        using var ns = ScratchNamespace.Create();
        using var monitor = NetlinkMonitor.Open(ns.Namespace);

        Tool.Ip(ns.Name, "link", "add", "mon0", "type", "veth", "peer", "name", "mon1");
        var added = await Next<LinkEvent>(monitor, e => e.Link.Name == "mon0");
        Assert.False(added.Deleted);
        Assert.Equal("veth", added.Link.Kind);
        Assert.Equal(ns.Netlink.GetLink("mon0").Index, added.Link.Index);

        Tool.Ip(ns.Name, "link", "del", "mon0");
        var deleted = await Next<LinkEvent>(monitor, e => e.Deleted && e.Link.Name == "mon0");
        Assert.Equal(added.Link.Index, deleted.Link.Index);
        await Next<LinkEvent>(monitor, e => e.Deleted && e.Link.Name == "mon1"); // the peer goes with it
    }

    [RootFact]
    public async Task Address_add_and_delete_give_address_events()
    {
        using var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new VethSpec("mon0", "mon1"));
        int index = ns.Netlink.GetLink("mon0").Index;
        using var monitor = NetlinkMonitor.Open(ns.Namespace);

        Tool.Ip(ns.Name, "addr", "add", "10.9.0.1/24", "dev", "mon0");
        var added = await Next<AddressEvent>(monitor, e => e.Address.Prefix == IpPrefix.Parse("10.9.0.1/24"));
        Assert.False(added.Deleted);
        Assert.Equal(index, added.Address.LinkIndex);
        Assert.Equal("mon0", added.Address.Label);
        Assert.Equal(Scope.Universe, added.Address.Scope);

        Tool.Ip(ns.Name, "addr", "del", "10.9.0.1/24", "dev", "mon0");
        var deleted = await Next<AddressEvent>(monitor, e => e.Deleted && e.Address.Prefix == IpPrefix.Parse("10.9.0.1/24"));
        Assert.Equal(index, deleted.Address.LinkIndex);
    }

    [RootFact]
    public async Task Route_add_and_delete_give_route_events()
    {
        using var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new VethSpec("mon0", "mon1"));
        ns.Netlink.SetLinkUp("mon0");
        ns.Netlink.SetLinkUp("mon1");
        ns.Netlink.AddAddress("mon0", IpPrefix.Parse("10.9.0.1/24"));
        int index = ns.Netlink.GetLink("mon0").Index;
        using var monitor = NetlinkMonitor.Open(ns.Namespace);

        var destination = IpPrefix.Parse("10.99.0.0/16");
        Tool.Ip(ns.Name, "route", "add", "10.99.0.0/16", "via", "10.9.0.2", "metric", "7");
        var added = await Next<RouteEvent>(monitor, e => e.Route.Destination == destination);
        Assert.False(added.Deleted);
        Assert.Equal(IPAddress.Parse("10.9.0.2"), added.Route.Gateway);
        Assert.Equal(index, added.Route.OutIndex);
        Assert.Equal(7u, added.Route.Metric);
        Assert.Equal(Route.MainTable, added.Route.Table);

        Tool.Ip(ns.Name, "route", "del", "10.99.0.0/16", "via", "10.9.0.2", "metric", "7");
        var deleted = await Next<RouteEvent>(monitor, e => e.Deleted && e.Route.Destination == destination);
        Assert.Equal(IPAddress.Parse("10.9.0.2"), deleted.Route.Gateway);
    }

    [RootFact]
    public async Task Neighbour_add_gives_a_neighbour_event()
    {
        using var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new VethSpec("mon0", "mon1"));
        int index = ns.Netlink.GetLink("mon0").Index;
        using var monitor = NetlinkMonitor.Open(ns.Namespace);

        Tool.Ip(ns.Name, "neigh", "add", "10.9.0.5", "lladdr", "02:00:00:00:00:05", "dev", "mon0", "nud", "permanent");
        var added = await Next<NeighbourEvent>(monitor, e => e.Neighbour.Address.Equals(IPAddress.Parse("10.9.0.5")));
        Assert.False(added.Deleted);
        Assert.Equal("02:00:00:00:00:05", MacAddress.Format(added.Neighbour.LinkAddress));
        Assert.Equal(NeighbourState.Permanent, added.Neighbour.State);
        Assert.Equal(index, added.Neighbour.LinkIndex);

        Tool.Ip(ns.Name, "neigh", "del", "10.9.0.5", "dev", "mon0");
        Assert.True((await Next<NeighbourEvent>(monitor, e => e.Deleted && e.Neighbour.Address.Equals(IPAddress.Parse("10.9.0.5")))).Deleted);
    }

    [RootFact]
    public async Task Bridge_fdb_append_on_a_vxlan_gives_an_fdb_event()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "add", "vx0", "type", "vxlan", "id", "7", "dstport", "8472", "nolearning");
        int index = ns.Netlink.GetLink("vx0").Index;
        using var monitor = NetlinkMonitor.Open(ns.Namespace);

        Tool.Check("ip", "netns", "exec", ns.Name, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "172.19.0.13");
        var added = await Next<FdbEvent>(monitor, e => IPAddress.Parse("172.19.0.13").Equals(e.Entry.Destination));
        Assert.False(added.Deleted);
        Assert.Equal("00:00:00:00:00:00", MacAddress.Format(added.Entry.Mac));
        Assert.Equal(index, added.Entry.LinkIndex);
        Assert.True(added.Entry.Self);
        Assert.True(added.Entry.State.HasFlag(NeighbourState.Permanent), $"state {added.Entry.State}"); // the kernel reports noarp|permanent

        Tool.Check("ip", "netns", "exec", ns.Name, "bridge", "fdb", "del", "00:00:00:00:00:00", "dev", "vx0", "dst", "172.19.0.13");
        var deleted = await Next<FdbEvent>(monitor, e => e.Deleted && IPAddress.Parse("172.19.0.13").Equals(e.Entry.Destination));
        Assert.Equal(index, deleted.Entry.LinkIndex);
    }

    [RootFact]
    public async Task Events_in_another_namespace_are_not_seen()
    {
        using var watched = ScratchNamespace.Create();
        using var other = ScratchNamespace.Create();
        using var monitor = NetlinkMonitor.Open(watched.Namespace);

        Tool.Ip(other.Name, "link", "add", "elsewhere0", "type", "veth", "peer", "name", "elsewhere1");
        Tool.Ip(other.Name, "addr", "add", "10.8.0.1/24", "dev", "elsewhere0");
        var seen = await Collect(monitor, TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain(seen, e => e is LinkEvent l && l.Link.Name.StartsWith("elsewhere", StringComparison.Ordinal));
        Assert.DoesNotContain(seen, e => e is AddressEvent a && a.Address.Prefix == IpPrefix.Parse("10.8.0.1/24"));

        // The monitor is alive: the same change in the watched namespace is seen.
        Tool.Ip(watched.Name, "link", "add", "here0", "type", "veth", "peer", "name", "here1");
        await Next<LinkEvent>(monitor, e => e.Link.Name == "here0");
    }

    [RootFact]
    public async Task Only_the_chosen_groups_are_reported()
    {
        using var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new VethSpec("mon0", "mon1"));
        using var monitor = NetlinkMonitor.Open(ns.Namespace, MonitorGroups.Links);

        Tool.Ip(ns.Name, "addr", "add", "10.9.0.1/24", "dev", "mon0");
        Tool.Ip(ns.Name, "neigh", "add", "10.9.0.5", "lladdr", "02:00:00:00:00:05", "dev", "mon0", "nud", "permanent");
        Tool.Ip(ns.Name, "link", "add", "sentinel0", "type", "bridge");
        var seen = new List<NetlinkEvent>();
        await Next<LinkEvent>(monitor, e => e.Link.Name == "sentinel0", seen);
        Assert.All(seen, e => Assert.IsType<LinkEvent>(e));
    }

    [RootFact]
    public async Task Disposing_the_monitor_completes_its_events()
    {
        using var ns = ScratchNamespace.Create();
        var monitor = NetlinkMonitor.Open(ns.Namespace);
        monitor.Dispose();
        using var cts = new CancellationTokenSource(Timeout);
        await monitor.Events.Completion.WaitAsync(cts.Token);
        Assert.False(monitor.Events.TryRead(out _));
    }

    /// <summary>Reads events until one of type <typeparamref name="T"/> matches, skipping unrelated ones; fails after 5 s.</summary>
    private static async Task<T> Next<T>(NetlinkMonitor monitor, Func<T, bool> match, List<NetlinkEvent>? seen = null)
        where T : NetlinkEvent
    {
        seen ??= [];
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                var e = await monitor.Events.ReadAsync(cts.Token);
                seen.Add(e);
                if (e is T t && match(t))
                {
                    return t;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no matching {typeof(T).Name} within {Timeout.TotalSeconds} s; saw {seen.Count} other events:\n" +
                string.Join('\n', seen.Select(e => e.ToString())));
            throw;
        }
    }

    /// <summary>Everything reported within <paramref name="window"/>.</summary>
    private static async Task<List<NetlinkEvent>> Collect(NetlinkMonitor monitor, TimeSpan window)
    {
        var seen = new List<NetlinkEvent>();
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (true)
            {
                seen.Add(await monitor.Events.ReadAsync(cts.Token));
            }
        }
        catch (OperationCanceledException)
        {
            return seen;
        }
    }
}
