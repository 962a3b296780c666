using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Strata.Flannel.Backend;
using Strata.Flannel.Config;
using Strata.Netlink;

namespace Strata.Flannel.Kernel;

/// <summary>
/// Applies a <see cref="NetworkPlan"/> to one network namespace (stage 5): it ensures the backend's device
/// (flannel.N or flannel0) and removes the other backends' devices, then makes the routes, neighbours and FDB
/// entries that flannel owns equal to the plan, changing only what differs. Idempotent: a resync after someone
/// deleted an entry by hand puts it back.
/// </summary>
public sealed class NetworkReconciler(NetworkNamespace? ns) : IDisposable
{
    private readonly Rtnetlink _netlink = Rtnetlink.Open(ns);

    /// <summary>The link that holds <paramref name="nodeIp"/>, with its connected prefix and MTU.</summary>
    public ExternalInterface FindExternal(IPAddress nodeIp)
    {
        var (link, address) = _netlink.FindAddressOwner(nodeIp)
            ?? throw new InvalidOperationException($"--node-ip {nodeIp}: no interface in netns {_netlink.NamespaceName} has this address");
        return new ExternalInterface(link.Name, link.Index, address.Prefix, link.Mtu);
    }

    /// <summary>
    /// Ensures the backend's device and returns the MTU pods get (the backend network's MTU) and, for vxlan, the
    /// VTEP's MAC to publish. <paramref name="storedMac"/> (from this node's backend-data annotation) keeps the MAC
    /// across restarts, as upstream's GetStoredMacAddresses does, so that other nodes' FDB entries stay valid.
    /// </summary>
    public DeviceState EnsureDevice(NetConf conf, LocalNode local, PhysicalAddress? storedMac)
    {
        var ext = local.External;
        RemoveOtherBackendDevices(conf);
        var vtep = new IpPrefix(local.Subnet.Network.Address, 32);
        switch (conf.Backend)
        {
            case VxlanConfig vxlan:
            {
                int mtu = (vxlan.Mtu > 0 ? vxlan.Mtu : ext.Mtu) - 50;
                var link = EnsureVxlanLink(vxlan, ext, mtu, storedMac);
                EnsureOnlyAddress(link.Name, vtep);
                _netlink.SetLinkUp(link.Name);
                return new DeviceState(mtu, _netlink.GetLink(link.Name).Address);
            }

            case UdpConfig:
            {
                int mtu = ext.Mtu - 28;
                if (_netlink.FindLink(UdpConfig.DeviceName) is { } tun)
                {
                    if (tun.Mtu != mtu)
                    {
                        _netlink.SetMtu(tun.Name, mtu);
                    }

                    EnsureOnlyAddress(tun.Name, vtep);
                    _netlink.SetLinkUp(tun.Name);
                }

                return new DeviceState(mtu, null);
            }

            default:
                return new DeviceState(ext.Mtu, null);
        }
    }

    /// <summary>Makes flannel's routes, neighbours and FDB entries equal to the plan; returns what it changed, in <c>ip</c>'s words.</summary>
    public IReadOnlyList<string> Apply(NetConf conf, LocalNode local, NetworkPlan plan)
    {
        var changes = new List<string>();
        string? vxlanDevice = (conf.Backend as VxlanConfig)?.DeviceName;
        if (vxlanDevice is not null && _netlink.FindLink(vxlanDevice) is not null)
        {
            ReconcileNeighbours(vxlanDevice, plan.Neighbours, changes);
            ReconcileFdb(vxlanDevice, plan.Fdb, changes);
        }

        ReconcileRoutes(conf, local, plan.Routes, changes);
        return changes;
    }

    private void ReconcileNeighbours(string device, IReadOnlyList<PlannedNeighbour> wanted, List<string> changes)
    {
        var actual = _netlink.GetNeighbours(AddressFamily.InterNetwork)
            .Where(n => n.Device == device && n.State.HasFlag(NeighbourState.Permanent))
            .ToList();
        foreach (var n in actual.Where(n => !wanted.Any(w => w.Address.Equals(n.Address) && SameMac(w.Mac, n.LinkAddress))))
        {
            _netlink.DeleteNeighbour(new Neighbour(n.Address, device));
            changes.Add($"neigh del {n.Address} dev {device}");
        }

        foreach (var w in wanted.Where(w => !actual.Any(n => w.Address.Equals(n.Address) && SameMac(w.Mac, n.LinkAddress))))
        {
            _netlink.ReplaceNeighbour(new Neighbour(w.Address, device) { LinkAddress = w.Mac, State = NeighbourState.Permanent });
            changes.Add($"neigh replace {w}");
        }
    }

    private void ReconcileFdb(string device, IReadOnlyList<PlannedFdb> wanted, List<string> changes)
    {
        var actual = _netlink.GetFdb(device).Where(e => e.Destination is not null).ToList();
        foreach (var e in actual.Where(e => !wanted.Any(w => SameMac(w.Mac, e.Mac) && w.Destination.Equals(e.Destination))))
        {
            _netlink.DeleteFdb(new FdbEntry(e.Mac, device) { Destination = e.Destination });
            changes.Add($"fdb del {MacAddress.Format(e.Mac)} dev {device} dst {e.Destination}");
        }

        foreach (var w in wanted.Where(w => !actual.Any(e => SameMac(w.Mac, e.Mac) && w.Destination.Equals(e.Destination))))
        {
            _netlink.ReplaceFdb(new FdbEntry(w.Mac, device) { Destination = w.Destination, State = NeighbourState.Permanent });
            changes.Add($"fdb replace {w}");
        }
    }

    private void ReconcileRoutes(NetConf conf, LocalNode local, IReadOnlyList<PlannedRoute> wanted, List<string> changes)
    {
        var actual = _netlink.GetRoutes(AddressFamily.InterNetwork)
            .Where(r => IsFlannelRoute(conf, local, r))
            .ToList();
        foreach (var r in actual.Where(r => !wanted.Any(w => Same(w, r))))
        {
            _netlink.DeleteRoute(new Route(r.Destination) { Gateway = r.Gateway, OutIndex = r.OutIndex });
            changes.Add($"route del {r.Destination}{(r.Gateway is null ? "" : $" via {r.Gateway}")} dev {r.Device}");
        }

        foreach (var w in wanted.Where(w => !actual.Any(r => Same(w, r))))
        {
            _netlink.ReplaceRoute(new Route(w.Destination) { Gateway = w.Gateway, Device = w.Device, OnLink = w.OnLink });
            changes.Add($"route replace {w}");
        }
    }

    /// <summary>
    /// The routes flannel owns: into the cluster network (not this node's own podCIDR, which belongs to cni0), through
    /// a flannel device or through a gateway on the external interface.
    /// </summary>
    private static bool IsFlannelRoute(NetConf conf, LocalNode local, Route r) =>
        r.Destination.IsIPv4
        && r.Destination.PrefixLength >= conf.Network.PrefixLength
        && conf.Network.Contains(r.Destination.Address)
        && r.Destination.Network != local.Subnet
        && r.Type == RouteType.Unicast
        && (r.Device is { } dev && (dev.StartsWith("flannel.", StringComparison.Ordinal) || dev == UdpConfig.DeviceName)
            || (r.Device == local.External.Name && r.Gateway is not null));

    private static bool Same(PlannedRoute w, Route r) =>
        w.Destination == r.Destination && Equals(w.Gateway, r.Gateway) && w.Device == r.Device && w.OnLink == r.OnLink;

    private static bool SameMac(PhysicalAddress a, PhysicalAddress? b) => b is not null && a.Equals(b);

    private Link EnsureVxlanLink(VxlanConfig vxlan, ExternalInterface ext, int mtu, PhysicalAddress? storedMac)
    {
        var existing = _netlink.FindLink(vxlan.DeviceName);
        if (existing is not null && Incompatible(existing, vxlan, ext) is { } why)
        {
            // As upstream's ensureLink: an incompatible device is deleted and created again.
            _ = why;
            _netlink.DeleteLink(existing.Name);
            existing = null;
        }

        if (existing is null)
        {
            _netlink.AddLink(new VxlanSpec(vxlan.DeviceName, (uint)vxlan.Vni)
            {
                Local = ext.Ip,
                Device = ext.Name,
                Port = (ushort)vxlan.EffectivePort,
                Learning = vxlan.Learning,
                Mtu = mtu,
                Address = storedMac,
            });
            existing = _netlink.GetLink(vxlan.DeviceName);
        }

        if (existing.Mtu != mtu)
        {
            _netlink.SetMtu(existing.Name, mtu);
        }

        return existing;
    }

    /// <summary>upstream's vxlanLinksIncompat, plus the learning flag, which the kernel cannot change in place.</summary>
    internal static string? Incompatible(Link link, VxlanConfig vxlan, ExternalInterface ext)
    {
        if (link.Kind != "vxlan" || link.Vxlan is not { } info)
        {
            return $"link type: {link.Kind ?? "?"} vs vxlan";
        }

        if (info.Vni != (uint)vxlan.Vni)
        {
            return $"vni: {info.Vni} vs {vxlan.Vni}";
        }

        if (info.DeviceIndex is > 0 && info.DeviceIndex != ext.Index)
        {
            return $"vtep (external) interface: {info.DeviceIndex} vs {ext.Index}";
        }

        if (info.Local is { } local && !local.Equals(ext.Ip))
        {
            return $"vtep (external) IP: {local} vs {ext.Ip}";
        }

        if (info.Port != 0 && info.Port != vxlan.EffectivePort)
        {
            return $"port: {info.Port} vs {vxlan.EffectivePort}";
        }

        return info.Learning != vxlan.Learning ? $"learning: {info.Learning} vs {vxlan.Learning}" : null;
    }

    private void EnsureOnlyAddress(string device, IpPrefix wanted)
    {
        var addresses = _netlink.GetAddresses(AddressFamily.InterNetwork, device);
        foreach (var a in addresses.Where(a => a.Prefix != wanted))
        {
            _netlink.DeleteAddress(device, a.Prefix);
        }

        if (!addresses.Any(a => a.Prefix == wanted))
        {
            _netlink.AddAddress(device, wanted);
        }
    }

    private void RemoveOtherBackendDevices(NetConf conf)
    {
        foreach (var link in _netlink.GetLinks())
        {
            bool otherVxlan = link.Kind == "vxlan" && link.Name.StartsWith("flannel.", StringComparison.Ordinal)
                && (conf.Backend is not VxlanConfig v || v.DeviceName != link.Name);
            bool otherTun = link.Name == UdpConfig.DeviceName && conf.Backend is not UdpConfig;
            if (otherVxlan || otherTun)
            {
                _netlink.DeleteLink(link.Name);
            }
        }
    }

    public void Dispose() => _netlink.Dispose();
}

/// <summary>What the backend's device gives the node: the MTU for pods and, for vxlan, the VTEP MAC to publish.</summary>
public sealed record DeviceState(int Mtu, PhysicalAddress? VtepMac);
