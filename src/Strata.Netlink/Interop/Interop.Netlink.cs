using System.Runtime.InteropServices;

namespace Strata.Netlink;

internal static partial class Interop
{
    /// <summary>
    /// The rtnetlink protocol, spelled as in the kernel's uapi headers: linux/netlink.h,
    /// linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h, linux/neighbour.h, linux/veth.h.
    /// </summary>
    internal static class Netlink
    {
        // linux/netlink.h
        internal const int NETLINK_ROUTE = 0;
        internal const int NETLINK_ADD_MEMBERSHIP = 1;
        internal const int NETLINK_CAP_ACK = 10;
        internal const int NETLINK_EXT_ACK = 11;
        internal const int NETLINK_GET_STRICT_CHK = 12;

        internal const ushort NLM_F_REQUEST = 0x01;
        internal const ushort NLM_F_MULTI = 0x02;
        internal const ushort NLM_F_ACK = 0x04;
        internal const ushort NLM_F_ECHO = 0x08;
        internal const ushort NLM_F_DUMP_INTR = 0x10;
        internal const ushort NLM_F_ROOT = 0x100;
        internal const ushort NLM_F_MATCH = 0x200;
        internal const ushort NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
        internal const ushort NLM_F_REPLACE = 0x100;
        internal const ushort NLM_F_EXCL = 0x200;
        internal const ushort NLM_F_CREATE = 0x400;
        internal const ushort NLM_F_APPEND = 0x800;
        internal const ushort NLM_F_CAPPED = 0x100;
        internal const ushort NLM_F_ACK_TLVS = 0x200;

        internal const ushort NLMSG_NOOP = 1;
        internal const ushort NLMSG_ERROR = 2;
        internal const ushort NLMSG_DONE = 3;

        internal const ushort NLMSGERR_ATTR_MSG = 1;
        internal const ushort NLA_F_NESTED = 1 << 15;
        internal const ushort NLA_TYPE_MASK = 0x3fff;

        // linux/rtnetlink.h
        internal const ushort RTM_NEWLINK = 16;
        internal const ushort RTM_DELLINK = 17;
        internal const ushort RTM_GETLINK = 18;
        internal const ushort RTM_SETLINK = 19;
        internal const ushort RTM_NEWADDR = 20;
        internal const ushort RTM_DELADDR = 21;
        internal const ushort RTM_GETADDR = 22;
        internal const ushort RTM_NEWROUTE = 24;
        internal const ushort RTM_DELROUTE = 25;
        internal const ushort RTM_GETROUTE = 26;
        internal const ushort RTM_NEWNEIGH = 28;
        internal const ushort RTM_DELNEIGH = 29;
        internal const ushort RTM_GETNEIGH = 30;

        internal const uint RTNLGRP_LINK = 1;
        internal const uint RTNLGRP_NEIGH = 3;
        internal const uint RTNLGRP_IPV4_IFADDR = 5;
        internal const uint RTNLGRP_IPV4_ROUTE = 7;
        internal const uint RTNLGRP_IPV6_IFADDR = 9;
        internal const uint RTNLGRP_IPV6_ROUTE = 11;

        internal const byte RTN_UNICAST = 1;
        internal const byte RTN_LOCAL = 2;
        internal const byte RTN_BROADCAST = 3;
        internal const byte RTN_ANYCAST = 4;
        internal const byte RTN_MULTICAST = 5;
        internal const byte RTN_BLACKHOLE = 6;
        internal const byte RTN_UNREACHABLE = 7;
        internal const byte RTN_PROHIBIT = 8;

        internal const byte RT_SCOPE_UNIVERSE = 0;
        internal const byte RT_SCOPE_LINK = 253;
        internal const byte RT_SCOPE_HOST = 254;

        internal const byte RTPROT_BOOT = 3;
        internal const byte RT_TABLE_MAIN = 254;
        internal const uint RTNH_F_ONLINK = 4;

        internal const ushort RTA_DST = 1;
        internal const ushort RTA_SRC = 2;
        internal const ushort RTA_IIF = 3;
        internal const ushort RTA_OIF = 4;
        internal const ushort RTA_GATEWAY = 5;
        internal const ushort RTA_PRIORITY = 6;
        internal const ushort RTA_PREFSRC = 7;
        internal const ushort RTA_TABLE = 15;

        // linux/if_link.h
        internal const ushort IFLA_ADDRESS = 1;
        internal const ushort IFLA_BROADCAST = 2;
        internal const ushort IFLA_IFNAME = 3;
        internal const ushort IFLA_MTU = 4;
        internal const ushort IFLA_LINK = 5;
        internal const ushort IFLA_MASTER = 10;
        internal const ushort IFLA_TXQLEN = 13;
        internal const ushort IFLA_OPERSTATE = 16;
        internal const ushort IFLA_LINKINFO = 18;
        internal const ushort IFLA_NET_NS_PID = 19;
        internal const ushort IFLA_GROUP = 27;
        internal const ushort IFLA_NET_NS_FD = 28;
        internal const ushort IFLA_LINK_NETNSID = 37;

        internal const ushort IFLA_INFO_KIND = 1;
        internal const ushort IFLA_INFO_DATA = 2;
        internal const ushort IFLA_INFO_SLAVE_KIND = 4;

        internal const ushort VETH_INFO_PEER = 1;

        internal const ushort IFLA_VXLAN_ID = 1;
        internal const ushort IFLA_VXLAN_GROUP = 2;
        internal const ushort IFLA_VXLAN_LINK = 3;
        internal const ushort IFLA_VXLAN_LOCAL = 4;
        internal const ushort IFLA_VXLAN_TTL = 5;
        internal const ushort IFLA_VXLAN_LEARNING = 7;
        internal const ushort IFLA_VXLAN_AGEING = 8;
        internal const ushort IFLA_VXLAN_PORT = 15;
        internal const ushort IFLA_VXLAN_GROUP6 = 16;
        internal const ushort IFLA_VXLAN_LOCAL6 = 17;

        internal const ushort IFLA_BRPORT_MODE = 4; // linux/if_link.h: a bridge port's hairpin mode
        internal const ushort IFLA_PROTINFO = 12;

        // linux/if.h
        internal const uint IFF_UP = 0x1;
        internal const uint IFF_BROADCAST = 0x2;
        internal const uint IFF_LOOPBACK = 0x8;
        internal const uint IFF_POINTOPOINT = 0x10;
        internal const uint IFF_NOARP = 0x80;
        internal const uint IFF_PROMISC = 0x100;
        internal const uint IFF_MULTICAST = 0x1000;
        internal const uint IFF_LOWER_UP = 0x10000;

        // linux/if_addr.h
        internal const ushort IFA_ADDRESS = 1;
        internal const ushort IFA_LOCAL = 2;
        internal const ushort IFA_LABEL = 3;
        internal const ushort IFA_BROADCAST = 4;
        internal const ushort IFA_FLAGS = 8;
        internal const uint IFA_F_NODAD = 0x02;
        internal const uint IFA_F_PERMANENT = 0x80;

        // linux/neighbour.h
        internal const ushort NDA_DST = 1;
        internal const ushort NDA_LLADDR = 2;
        internal const ushort NDA_VLAN = 5;
        internal const ushort NDA_PORT = 6;
        internal const ushort NDA_VNI = 7;
        internal const ushort NDA_IFINDEX = 8;
        internal const ushort NDA_MASTER = 9;

        internal const byte NTF_USE = 0x01;
        internal const byte NTF_SELF = 0x02;
        internal const byte NTF_MASTER = 0x04;
        internal const byte NTF_PROXY = 0x08;
        internal const byte NTF_EXT_LEARNED = 0x10;
        internal const byte NTF_ROUTER = 0x80;

        internal const ushort NUD_INCOMPLETE = 0x01;
        internal const ushort NUD_REACHABLE = 0x02;
        internal const ushort NUD_STALE = 0x04;
        internal const ushort NUD_DELAY = 0x08;
        internal const ushort NUD_PROBE = 0x10;
        internal const ushort NUD_FAILED = 0x20;
        internal const ushort NUD_NOARP = 0x40;
        internal const ushort NUD_PERMANENT = 0x80;
    }

    // Message and family headers, as laid out in memory by the kernel.

    [StructLayout(LayoutKind.Sequential)]
    internal struct nlmsghdr
    {
        internal uint nlmsg_len;
        internal ushort nlmsg_type;
        internal ushort nlmsg_flags;
        internal uint nlmsg_seq;
        internal uint nlmsg_pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct nlmsgerr
    {
        internal int error;
        internal nlmsghdr msg;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct sockaddr_nl
    {
        internal ushort nl_family;
        internal ushort nl_pad;
        internal uint nl_pid;
        internal uint nl_groups;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ifinfomsg
    {
        internal byte ifi_family;
        internal byte __ifi_pad;
        internal ushort ifi_type;
        internal int ifi_index;
        internal uint ifi_flags;
        internal uint ifi_change;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ifaddrmsg
    {
        internal byte ifa_family;
        internal byte ifa_prefixlen;
        internal byte ifa_flags;
        internal byte ifa_scope;
        internal int ifa_index;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct rtmsg
    {
        internal byte rtm_family;
        internal byte rtm_dst_len;
        internal byte rtm_src_len;
        internal byte rtm_tos;
        internal byte rtm_table;
        internal byte rtm_protocol;
        internal byte rtm_scope;
        internal byte rtm_type;
        internal uint rtm_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ndmsg
    {
        internal byte ndm_family;
        internal byte ndm_pad1;
        internal ushort ndm_pad2;
        internal int ndm_ifindex;
        internal ushort ndm_state;
        internal byte ndm_flags;
        internal byte ndm_type;
    }
}
