using System.Net;
using System.Net.NetworkInformation;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink.Protocol;

/// <summary>Turns RTM_NEW* payloads into model records. Pure: shared by dumps and the monitor.</summary>
internal static class RtnetlinkDecoder
{
    public static Link DecodeLink(ReadOnlySpan<byte> payload)
    {
        var info = MemoryMarshal.Read<Interop.ifinfomsg>(payload);
        string name = string.Empty;
        string? kind = null;
        int mtu = 0, txqlen = 0;
        int? master = null, parent = null, netnsId = null;
        PhysicalAddress? address = null;
        var operState = OperState.Unknown;
        uint group = 0;
        VxlanInfo? vxlan = null;
        foreach (var attribute in Attributes<Interop.ifinfomsg>(payload))
        {
            switch (attribute.Type)
            {
                case IFLA_IFNAME: name = attribute.String; break;
                case IFLA_MTU: mtu = attribute.S32; break;
                case IFLA_TXQLEN: txqlen = attribute.S32; break;
                case IFLA_MASTER: master = attribute.S32; break;
                case IFLA_LINK: parent = attribute.S32; break;
                case IFLA_LINK_NETNSID: netnsId = attribute.S32; break;
                case IFLA_ADDRESS: address = attribute.Mac; break;
                case IFLA_OPERSTATE: operState = (OperState)attribute.U8; break;
                case IFLA_GROUP: group = attribute.U32; break;
                case IFLA_LINKINFO:
                    foreach (var linkInfo in attribute.Nested)
                    {
                        if (linkInfo.Type == IFLA_INFO_KIND)
                        {
                            kind = linkInfo.String;
                        }
                        else if (linkInfo.Type == IFLA_INFO_DATA && kind == "vxlan")
                        {
                            vxlan = DecodeVxlan(linkInfo.Nested);
                        }
                    }

                    break;
            }
        }

        return new Link
        {
            Index = info.ifi_index,
            Name = name,
            Kind = kind,
            Flags = info.ifi_flags,
            Mtu = mtu,
            MasterIndex = master,
            ParentIndex = parent,
            LinkNetnsId = netnsId,
            Address = address,
            OperState = operState,
            Group = group,
            TxQueueLength = txqlen,
            DeviceType = info.ifi_type,
            Vxlan = vxlan,
        };
    }

    private static VxlanInfo DecodeVxlan(NetlinkAttributeEnumerator attributes)
    {
        var vxlan = new VxlanInfo();
        foreach (var attribute in attributes)
        {
            vxlan = attribute.Type switch
            {
                IFLA_VXLAN_ID => vxlan with { Vni = attribute.U32 },
                IFLA_VXLAN_LOCAL or IFLA_VXLAN_LOCAL6 => vxlan with { Local = attribute.Address },
                IFLA_VXLAN_GROUP or IFLA_VXLAN_GROUP6 => vxlan with { Remote = attribute.Address },
                IFLA_VXLAN_LINK => vxlan with { DeviceIndex = attribute.S32 },
                IFLA_VXLAN_PORT => vxlan with { Port = attribute.Be16 },
                IFLA_VXLAN_LEARNING => vxlan with { Learning = attribute.U8 != 0 },
                IFLA_VXLAN_TTL => vxlan with { Ttl = attribute.U8 },
                IFLA_VXLAN_AGEING => vxlan with { Ageing = attribute.U32 },
                _ => vxlan,
            };
        }

        return vxlan;
    }

    public static InterfaceAddress DecodeAddress(ReadOnlySpan<byte> payload)
    {
        var header = MemoryMarshal.Read<Interop.ifaddrmsg>(payload);
        IPAddress? local = null, address = null;
        string? label = null;
        uint flags = header.ifa_flags;
        foreach (var attribute in Attributes<Interop.ifaddrmsg>(payload))
        {
            switch (attribute.Type)
            {
                case IFA_LOCAL: local = attribute.Address; break;
                case IFA_ADDRESS: address = attribute.Address; break;
                case IFA_LABEL: label = attribute.String; break;
                case IFA_FLAGS: flags = attribute.U32; break;
            }
        }

        // For IPv4 IFA_LOCAL is the interface's own address and IFA_ADDRESS the peer (they differ only on point-to-point links).
        var own = local ?? address ?? IPAddress.None;
        return new InterfaceAddress(header.ifa_index, new IpPrefix(own, header.ifa_prefixlen))
        {
            Scope = (Scope)header.ifa_scope,
            Label = label,
            Flags = flags,
        };
    }

    public static Route DecodeRoute(ReadOnlySpan<byte> payload)
    {
        var header = MemoryMarshal.Read<Interop.rtmsg>(payload);
        var family = header.rtm_family == Interop.Libc.AF_INET6 ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork;
        IPAddress destination = family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        IPAddress? gateway = null, source = null;
        int? oif = null;
        uint? metric = null;
        uint table = header.rtm_table;
        foreach (var attribute in Attributes<Interop.rtmsg>(payload))
        {
            switch (attribute.Type)
            {
                case RTA_DST: destination = attribute.Address; break;
                case RTA_GATEWAY: gateway = attribute.Address; break;
                case RTA_OIF: oif = attribute.S32; break;
                case RTA_PRIORITY: metric = attribute.U32; break;
                case RTA_PREFSRC: source = attribute.Address; break;
                case RTA_TABLE: table = attribute.U32; break;
            }
        }

        return new Route(new IpPrefix(destination, header.rtm_dst_len))
        {
            Gateway = gateway,
            OutIndex = oif,
            Type = (RouteType)header.rtm_type,
            Scope = (Scope)header.rtm_scope,
            Protocol = header.rtm_protocol,
            Metric = metric,
            PreferredSource = source,
            Table = table,
            OnLink = (header.rtm_flags & RTNH_F_ONLINK) != 0,
        };
    }

    public static bool IsIpRoute(ReadOnlySpan<byte> routePayload) =>
        MemoryMarshal.Read<Interop.rtmsg>(routePayload).rtm_family is Interop.Libc.AF_INET or Interop.Libc.AF_INET6;

    public static bool IsBridgeFamily(ReadOnlySpan<byte> neighbourPayload) =>
        MemoryMarshal.Read<Interop.ndmsg>(neighbourPayload).ndm_family == Interop.Libc.AF_BRIDGE;

    public static Neighbour DecodeNeighbour(ReadOnlySpan<byte> payload)
    {
        var header = MemoryMarshal.Read<Interop.ndmsg>(payload);
        IPAddress address = IPAddress.None;
        PhysicalAddress? mac = null;
        foreach (var attribute in Attributes<Interop.ndmsg>(payload))
        {
            switch (attribute.Type)
            {
                case NDA_DST: address = attribute.Address; break;
                case NDA_LLADDR: mac = attribute.Mac; break;
            }
        }

        return new Neighbour(address, null)
        {
            LinkAddress = mac, State = (NeighbourState)header.ndm_state, LinkIndex = header.ndm_ifindex, Proxy = (header.ndm_flags & NTF_PROXY) != 0,
        };
    }

    public static FdbEntry DecodeFdb(ReadOnlySpan<byte> payload)
    {
        var header = MemoryMarshal.Read<Interop.ndmsg>(payload);
        var entry = new FdbEntry(PhysicalAddress.None, null)
        {
            State = (NeighbourState)header.ndm_state,
            LinkIndex = header.ndm_ifindex,
            Self = (header.ndm_flags & NTF_SELF) != 0,
            Master = (header.ndm_flags & NTF_MASTER) != 0,
        };
        foreach (var attribute in Attributes<Interop.ndmsg>(payload))
        {
            entry = attribute.Type switch
            {
                NDA_LLADDR => entry with { Mac = attribute.Mac },
                NDA_DST => entry with { Destination = attribute.Address },
                NDA_VNI => entry with { Vni = attribute.U32 },
                NDA_PORT => entry with { Port = attribute.Be16 },
                NDA_VLAN => entry with { Vlan = attribute.U16 },
                // The bridge marks entries of its own table with NDA_MASTER, not NTF_MASTER (br_fdb.c, fdb_fill_info).
                NDA_MASTER => entry with { MasterIndex = attribute.S32, Master = true },
                _ => entry,
            };
        }

        return entry;
    }

    private static NetlinkAttributeEnumerator Attributes<THeader>(ReadOnlySpan<byte> payload) where THeader : unmanaged
    {
        int offset = NetlinkWriter.Align(Unsafe.SizeOf<THeader>());
        return new NetlinkAttributeEnumerator(offset < payload.Length ? payload[offset..] : default);
    }
}
