using System.Runtime.InteropServices;
using Strata.Netlink;

namespace Strata.Flannel.Interop;

/// <summary>
/// The offloads of the udp backend: TUNSETOFFLOAD (include/uapi/linux/if_tun.h) so that flannel0 hands out TCP
/// super-packets with a virtio_net_hdr, writev to hand one back as header + segments without copying, and the
/// control messages of UDP GSO/GRO (include/uapi/linux/udp.h: UDP_SEGMENT on send, UDP_GRO on receive).
/// </summary>
internal static partial class Libc
{
    public const int EIO = 5;
    public const int MSG_TRUNC = 0x20;

    // <linux/if_tun.h>: _IOW('T', 208, unsigned int)
    public const uint TUNSETOFFLOAD = 0x400454d0;
    public const uint TUN_F_CSUM = 0x01;
    public const uint TUN_F_TSO4 = 0x02;
    public const uint TUN_F_TSO_ECN = 0x08;

    // <asm-generic/socket.h>
    public const int SOL_SOCKET = 1;
    public const int SO_RCVBUFFORCE = 33;

    // <linux/udp.h>
    public const int SOL_UDP = 17;
    public const int UDP_SEGMENT = 103;
    public const int UDP_GRO = 104;

    /// <summary>struct cmsghdr (64-bit): size_t cmsg_len; int cmsg_level; int cmsg_type; then the data, 8-aligned.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary>CMSG_SPACE for a payload of up to 8 bytes (a u16 gso_size on send, an int on receive).</summary>
    public const int CMsgSpace = 24;

    /// <summary>CMSG_LEN(n).</summary>
    public static nuint CMsgLength(int dataLength) => (nuint)(16 + dataLength);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(SafeTunHandle fd, nuint request, nuint argument);

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static unsafe partial nint Writev(SafeTunHandle fd, IoVec* iov, int count);
}
