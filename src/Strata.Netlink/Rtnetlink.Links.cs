using System.Net.NetworkInformation;
using Strata.Netlink.Protocol;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink;

public sealed partial class Rtnetlink
{
    /// <summary>Creates a link (<c>ip link add</c>) and returns its ifindex. Names, the master and the vxlan device are checked first.</summary>
    public int AddLink(LinkSpec spec)
    {
        string operation = Describe(spec);
        Require(operation, InterfaceName.Validate(spec.Name));
        if (spec is VethSpec veth)
        {
            Require(operation, InterfaceName.Validate(veth.PeerName));
            if (veth.PeerNamespace is null && veth.PeerName == veth.Name)
            {
                Require(operation, $"the veth and its peer are both named \"{veth.Name}\"");
            }
        }

        if (spec.Mtu is < 68 or > 65535)
        {
            Require(operation, $"mtu {spec.Mtu} is outside 68-65535");
        }

        if (spec is VxlanSpec { Vni: > VxlanSpec.MaxVni } bad)
        {
            Require(operation, $"VNI {bad.Vni} is larger than the 24-bit maximum {VxlanSpec.MaxVni}");
        }

        int master = spec.Master is null ? 0 : ResolveIndex(operation, spec.Master);
        int vxlanDevice = spec is VxlanSpec { Device: { } device } ? ResolveIndex(operation, device) : 0;

        int index = 0;
        Execute(operation, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ifinfomsg
            {
                ifi_flags = spec.Up ? IFF_UP : 0,
                ifi_change = spec.Up ? IFF_UP : 0,
            });
            w.PutString(IFLA_IFNAME, spec.Name);
            WriteCommon(ref w, spec.Mtu, spec.Address);
            if (spec.Group is { } group)
            {
                w.PutU32(IFLA_GROUP, group);
            }

            if (master != 0)
            {
                w.PutS32(IFLA_MASTER, master);
            }

            int linkInfo = w.BeginNested(IFLA_LINKINFO);
            w.PutString(IFLA_INFO_KIND, spec.Kind);
            switch (spec)
            {
                case VethSpec v:
                    int data = w.BeginNested(IFLA_INFO_DATA);
                    int peer = w.BeginNested(VETH_INFO_PEER);
                    w.WriteStruct(new Interop.ifinfomsg());
                    w.PutString(IFLA_IFNAME, v.PeerName);
                    WriteCommon(ref w, v.Mtu, v.PeerAddress);
                    if (v.PeerNamespace is { } ns)
                    {
                        w.PutS32(IFLA_NET_NS_FD, ns.Handle.Fd);
                    }

                    w.EndNested(peer);
                    w.EndNested(data);
                    break;
                case VxlanSpec x:
                    int vxlan = w.BeginNested(IFLA_INFO_DATA);
                    w.PutU32(IFLA_VXLAN_ID, x.Vni);
                    if (x.Local is { } local)
                    {
                        w.PutAddress(local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IFLA_VXLAN_LOCAL6 : IFLA_VXLAN_LOCAL, local);
                    }

                    if (x.Remote is { } groupAddress)
                    {
                        w.PutAddress(groupAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IFLA_VXLAN_GROUP6 : IFLA_VXLAN_GROUP, groupAddress);
                    }

                    if (vxlanDevice != 0)
                    {
                        w.PutS32(IFLA_VXLAN_LINK, vxlanDevice);
                    }

                    if (x.Port is { } port)
                    {
                        w.PutBe16(IFLA_VXLAN_PORT, port);
                    }

                    w.PutU8(IFLA_VXLAN_LEARNING, x.Learning ? (byte)1 : (byte)0);
                    w.PutU8(IFLA_VXLAN_TTL, x.Ttl);
                    w.EndNested(vxlan);
                    break;
            }

            w.EndNested(linkInfo);
        }, (type, payload) =>
        {
            if (type == RTM_NEWLINK)
            {
                var link = RtnetlinkDecoder.DecodeLink(payload);
                if (link.Name == spec.Name)
                {
                    index = link.Index;
                }
            }
        });

        return index != 0 ? index : ResolveIndex(operation, spec.Name);
    }

    /// <summary><c>ip link del NAME</c>. Deleting one end of a veth deletes both.</summary>
    public void DeleteLink(string name)
    {
        string operation = $"link del {name}";
        Require(operation, InterfaceName.Validate(name));
        Execute(operation, RTM_DELLINK, 0, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ifinfomsg());
            w.PutString(IFLA_IFNAME, name);
        });
    }

    /// <summary><c>ip link del group N</c>: one request for many links, far cheaper than one each.</summary>
    public void DeleteLinkGroup(uint group)
    {
        if (group == 0)
        {
            throw new NetlinkArgumentException($"link del group {group}", NamespaceName, "group 0 is the default group of every link");
        }

        Execute($"link del group {group}", RTM_DELLINK, 0, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ifinfomsg());
            w.PutU32(IFLA_GROUP, group);
        });
    }

    public void SetLinkUp(string name) => SetFlags(name, up: true);

    public void SetLinkDown(string name) => SetFlags(name, up: false);

    public void SetLinkUp(int index) => ModifyLink($"link set {index} up", index, (ref NetlinkWriter w) =>
        w.WriteStruct(new Interop.ifinfomsg { ifi_index = index, ifi_flags = IFF_UP, ifi_change = IFF_UP }));

    public void SetMtu(string name, int mtu)
    {
        string operation = $"link set {name} mtu {mtu}";
        if (mtu is < 68 or > 65535)
        {
            Require(operation, $"mtu {mtu} is outside 68-65535");
        }

        int index = ResolveIndex(operation, name);
        ModifyLink(operation, index, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ifinfomsg { ifi_index = index });
            w.PutS32(IFLA_MTU, mtu);
        });
    }

    /// <summary><c>ip link set NAME promisc on|off</c>.</summary>
    public void SetPromiscuous(string name, bool on)
    {
        string operation = $"link set {name} promisc {(on ? "on" : "off")}";
        int index = ResolveIndex(operation, name);
        ModifyLink(operation, index, (ref NetlinkWriter w) =>
            w.WriteStruct(new Interop.ifinfomsg { ifi_index = index, ifi_flags = on ? IFF_PROMISC : 0, ifi_change = IFF_PROMISC }));
    }

    /// <summary>
    /// <c>bridge link set dev NAME hairpin on|off</c>: lets a bridge port send frames back out of the
    /// port they came in on (RTM_SETLINK, AF_BRIDGE, IFLA_PROTINFO/IFLA_BRPORT_MODE).
    /// </summary>
    public void SetHairpin(string name, bool on)
    {
        string operation = $"link set dev {name} hairpin {(on ? "on" : "off")}";
        int index = ResolveIndex(operation, name);
        Execute(operation, RTM_SETLINK, 0, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ifinfomsg { ifi_family = Interop.Libc.AF_BRIDGE, ifi_index = index });
            int protinfo = w.BeginNested(IFLA_PROTINFO);
            w.PutU8(IFLA_BRPORT_MODE, on ? (byte)1 : (byte)0);
            w.EndNested(protinfo);
        });
    }

    /// <summary><c>ip link set NAME master BRIDGE</c>.</summary>
    public void SetMaster(string name, string master)
    {
        string operation = $"link set {name} master {master}";
        int index = ResolveIndex(operation, name);
        int masterIndex = ResolveIndex(operation, master);
        SetMasterIndex(operation, index, masterIndex);
    }

    /// <summary><c>ip link set NAME nomaster</c>.</summary>
    public void SetNoMaster(string name)
    {
        string operation = $"link set {name} nomaster";
        SetMasterIndex(operation, ResolveIndex(operation, name), 0);
    }

    public void RenameLink(string name, string newName)
    {
        string operation = $"link set {name} name {newName}";
        Require(operation, InterfaceName.Validate(newName));
        int index = ResolveIndex(operation, name);
        ModifyLink(operation, index, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ifinfomsg { ifi_index = index });
            w.PutString(IFLA_IFNAME, newName);
        });
    }

    public void SetMacAddress(string name, PhysicalAddress address)
    {
        string operation = $"link set {name} address {MacAddress.Format(address)}";
        int index = ResolveIndex(operation, name);
        ModifyLink(operation, index, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ifinfomsg { ifi_index = index });
            w.PutBytes(IFLA_ADDRESS, address.GetAddressBytes());
        });
    }

    /// <summary><c>ip link set NAME netns NS</c>.</summary>
    public void MoveToNamespace(string name, NetworkNamespace target)
    {
        string operation = $"link set {name} netns {target.Name}";
        int index = ResolveIndex(operation, name);
        ModifyLink(operation, index, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ifinfomsg { ifi_index = index });
            w.PutS32(IFLA_NET_NS_FD, target.Handle.Fd);
        });
    }

    /// <summary>Every link in the namespace, in ifindex order: <c>ip -d link show</c>.</summary>
    public IReadOnlyList<Link> GetLinks()
    {
        var links = new List<Link>();
        Dump("link show", RTM_GETLINK, (ref NetlinkWriter w) => w.WriteStruct(new Interop.ifinfomsg()), (type, payload) =>
        {
            if (type == RTM_NEWLINK)
            {
                links.Add(RtnetlinkDecoder.DecodeLink(payload));
            }
        });
        links.Sort((a, b) => a.Index.CompareTo(b.Index));
        return links;
    }

    /// <summary>One link by name, or null if there is none.</summary>
    public Link? FindLink(string name)
    {
        string operation = $"link show {name}";
        Require(operation, InterfaceName.Validate(name));
        Link? link = null;
        try
        {
            Execute(operation, RTM_GETLINK, 0, (ref NetlinkWriter w) =>
            {
                w.WriteStruct(new Interop.ifinfomsg());
                w.PutString(IFLA_IFNAME, name);
            }, (type, payload) =>
            {
                if (type == RTM_NEWLINK)
                {
                    link = RtnetlinkDecoder.DecodeLink(payload);
                }
            });
        }
        catch (NetlinkException ex) when (ex.Errno == Interop.Errno.ENODEV)
        {
            return null;
        }

        return link;
    }

    public Link GetLink(string name) =>
        FindLink(name) ?? throw new NetlinkArgumentException($"link show {name}", NamespaceName, $"link \"{name}\" not found");

    internal int ResolveIndex(string operation, string name)
    {
        Require(operation, InterfaceName.Validate(name));
        return FindLink(name)?.Index ?? throw new NetlinkArgumentException(operation, NamespaceName, $"link \"{name}\" not found");
    }

    private void SetFlags(string name, bool up)
    {
        string operation = $"link set {name} {(up ? "up" : "down")}";
        int index = ResolveIndex(operation, name);
        ModifyLink(operation, index, (ref NetlinkWriter w) =>
            w.WriteStruct(new Interop.ifinfomsg { ifi_index = index, ifi_flags = up ? IFF_UP : 0, ifi_change = IFF_UP }));
    }

    private void SetMasterIndex(string operation, int index, int masterIndex) => ModifyLink(operation, index, (ref NetlinkWriter w) =>
    {
        w.WriteStruct(new Interop.ifinfomsg { ifi_index = index });
        w.PutS32(IFLA_MASTER, masterIndex);
    });

    private void ModifyLink(string operation, int index, MessageBuilder build) => Execute(operation, RTM_NEWLINK, 0, build);

    private static void WriteCommon(ref NetlinkWriter w, int? mtu, PhysicalAddress? address)
    {
        if (mtu is { } value)
        {
            w.PutS32(IFLA_MTU, value);
        }

        if (address is not null)
        {
            w.PutBytes(IFLA_ADDRESS, address.GetAddressBytes());
        }
    }

    private void Require(string operation, string? problem)
    {
        if (problem is not null)
        {
            throw new NetlinkArgumentException(operation, NamespaceName, problem);
        }
    }

    internal static string Describe(LinkSpec spec)
    {
        var text = new System.Text.StringBuilder($"link add {spec.Name}");
        if (spec.Group is { } group)
        {
            text.Append($" group {group}");
        }

        if (spec.Mtu is { } mtu)
        {
            text.Append($" mtu {mtu}");
        }

        if (spec.Address is { } address)
        {
            text.Append($" address {MacAddress.Format(address)}");
        }

        if (spec.Master is { } master)
        {
            text.Append($" master {master}");
        }

        text.Append($" type {spec.Kind}");
        switch (spec)
        {
            case VethSpec veth:
                text.Append($" peer name {veth.PeerName}");
                if (veth.PeerNamespace is { } ns)
                {
                    text.Append($" netns {ns.Name}");
                }

                break;
            case VxlanSpec vxlan:
                text.Append($" id {vxlan.Vni}");
                if (vxlan.Local is { } local)
                {
                    text.Append($" local {local}");
                }

                if (vxlan.Remote is { } remote)
                {
                    text.Append(remote.IsIPv6Multicast || (remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && remote.GetAddressBytes()[0] is >= 224 and <= 239) ? $" group {remote}" : $" remote {remote}");
                }

                if (vxlan.Device is { } device)
                {
                    text.Append($" dev {device}");
                }

                if (vxlan.Port is { } port)
                {
                    text.Append($" dstport {port}");
                }

                if (!vxlan.Learning)
                {
                    text.Append(" nolearning");
                }

                text.Append(vxlan.Ttl == 0 ? string.Empty : $" ttl {vxlan.Ttl}");
                break;
        }

        return text.ToString();
    }
}
