using System.Runtime.InteropServices;

namespace Strata.LoadBalancer;

internal static partial class Interop
{
    internal static partial class Libc
    {
        private const string Library = "libc";

        // <bits/socket.h>, <linux/if_ether.h>
        internal const int AF_PACKET = 17;
        internal const int SOCK_DGRAM = 2;
        internal const int SOCK_CLOEXEC = 0x80000;
        internal const ushort ETH_P_ARP = 0x0806;

        /// <summary>struct sockaddr_ll (linux/if_packet.h).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct sockaddr_ll
        {
            internal ushort sll_family;
            internal ushort sll_protocol;
            internal int sll_ifindex;
            internal ushort sll_hatype;
            internal byte sll_pkttype;
            internal byte sll_halen;
            internal fixed byte sll_addr[8];
        }

        [LibraryImport(Library, SetLastError = true)]
        internal static partial int socket(int domain, int type, int protocol);

        [LibraryImport(Library, SetLastError = true)]
        internal static unsafe partial nint sendto(SafePacketSocketHandle fd, byte* buf, nuint len, int flags, sockaddr_ll* addr, uint addrlen);
    }
}

/// <summary>An AF_PACKET socket.</summary>
internal sealed class SafePacketSocketHandle : Strata.Netlink.SafeFileDescriptor
{
}
