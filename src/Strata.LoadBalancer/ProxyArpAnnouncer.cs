using System.Net;
using System.Net.Sockets;
using Strata.Netlink;

namespace Strata.LoadBalancer;

/// <summary>
/// Makes the kernel of this node answer ARP for LoadBalancer addresses on the underlay interface, with that
/// interface's MAC, so that a client on the same L2 segment sends the packets here, where kube-proxy's KUBE-EXT rules
/// DNAT them (MetalLB's layer 2 mode: the address is never assigned to the node).
/// <para>
/// MetalLB answers from user space. Here the kernel answers, through proxy ARP: net/ipv4/arp.c arp_process replies
/// for an address that is not local when the interface forwards, the address has a unicast route through a
/// <em>different</em> device, and a proxy entry (<c>ip neigh add proxy IP dev eth0</c>) names the interface; and it
/// replies at once only when <c>neigh/eth0/proxy_delay</c> is 0 (otherwise a broadcast request waits up to 0.8 s in the
/// proxy queue). So each address gets a /32 route to <see cref="DeviceName"/>, a bridge with no ports that drops
/// whatever reaches it (a dummy device would do, but this kernel may lack the module), and a proxy entry on the
/// interface. A /32 address on a dummy device, as kube-proxy IPVS's kube-ipvs0 does, was not chosen: it makes the
/// address local, so every socket the node listens on would answer on it, not only the Service's ports.
/// </para>
/// A newly announced address is also announced by a gratuitous ARP (<see cref="GratuitousArp"/>), as MetalLB does
/// when a node takes an address over. The routes on <see cref="DeviceName"/> are the record of what is announced, so a restarted speaker picks up where
/// the previous one left off and <see cref="Withdraw"/> removes everything.
/// </summary>
public sealed class ProxyArpAnnouncer : IDisposable
{
    public const string DeviceName = "strata-lb0";

    private readonly NetworkNamespace _ns;
    private readonly Rtnetlink _netlink;
    private readonly string _interface;

    public ProxyArpAnnouncer(NetworkNamespace ns, string underlayInterface)
    {
        _ns = ns;
        _interface = underlayInterface;
        _netlink = Rtnetlink.Open(ns);
    }

    public string Interface => _interface;

    /// <summary>The interface that holds <paramref name="nodeIp"/> (the node's underlay interface, eth0 in the lab).</summary>
    public static string InterfaceOf(NetworkNamespace ns, IPAddress nodeIp)
    {
        using var netlink = Rtnetlink.Open(ns);
        return netlink.FindAddressOwner(nodeIp)?.Link.Name
            ?? throw new InvalidOperationException($"no interface in netns {ns.Name} has the node IP {nodeIp} (--node-ip)");
    }

    /// <summary>The addresses announced now (the /32 routes on <see cref="DeviceName"/>).</summary>
    public IReadOnlyList<IPAddress> Announced() =>
        _netlink.FindLink(DeviceName) is { } device
            ? [.. _netlink.GetRoutes(AddressFamily.InterNetwork).Where(r => r.OutIndex == device.Index && r.Destination.PrefixLength == 32).Select(r => r.Destination.Address)]
            : [];

    /// <summary>Announces exactly <paramref name="addresses"/> (IPv4): adds what is missing, withdraws the rest. Returns the ones newly added.</summary>
    public IReadOnlyList<IPAddress> Sync(IReadOnlyCollection<IPAddress> addresses)
    {
        var current = Announced().ToHashSet();
        foreach (var gone in current.Where(a => !addresses.Contains(a)))
        {
            Withdraw(gone);
        }

        var added = addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork && !current.Contains(a)).ToList();
        if (added.Count > 0)
        {
            Prepare();
        }

        foreach (var address in added)
        {
            _netlink.ReplaceRoute(new Route(new IpPrefix(address, 32)) { Device = DeviceName });
            _netlink.AddNeighbour(new Neighbour(address, _interface) { Proxy = true });
        }

        if (added.Count > 0)
        {
            var link = _netlink.GetLink(_interface);
            _ns.Run(() =>
            {
                foreach (var address in added)
                {
                    GratuitousArp.Send(link.Index, address, link.Address!);
                }
            });
        }

        return added;
    }

    /// <summary>Withdraws every announcement and removes <see cref="DeviceName"/> (the speaker is stopping).</summary>
    public void WithdrawAll()
    {
        foreach (var address in Announced())
        {
            Withdraw(address);
        }

        if (_netlink.FindLink(DeviceName) is not null)
        {
            _netlink.DeleteLink(DeviceName);
        }
    }

    private void Withdraw(IPAddress address)
    {
        // The proxy entry first: without its route it would be inert anyway (the route would then point at the
        // interface itself), but it must not outlive the announcement.
        try
        {
            _netlink.DeleteNeighbour(new Neighbour(address, _interface) { Proxy = true });
        }
        catch (NetlinkException e) when (e.ErrnoName == "ENOENT")
        {
        }

        _netlink.DeleteRoute(new Route(new IpPrefix(address, 32)) { Device = DeviceName });
    }

    private void Prepare()
    {
        var forwarding = _ns.ReadSysctl($"net.ipv4.conf.{_interface}.forwarding");
        if (forwarding != "1")
        {
            throw new InvalidOperationException(
                $"net.ipv4.conf.{_interface}.forwarding is {forwarding} in netns {_ns.Name}: the kernel answers proxy ARP only on a forwarding interface (kube-proxy needs net.ipv4.ip_forward=1 as well)");
        }

        _ns.WriteSysctl($"net.ipv4.neigh.{_interface}.proxy_delay", "0");
        if (_netlink.FindLink(DeviceName) is null)
        {
            _netlink.AddLink(new BridgeSpec(DeviceName) { Up = true });
        }
    }

    public void Dispose() => _netlink.Dispose();
}
