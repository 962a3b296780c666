using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;

namespace Strata.LoadBalancer;

/// <summary>
/// An ARP announcement (RFC 5227 section 3: a request whose sender and target are both the address, to the broadcast
/// MAC), which MetalLB's speaker sends when a node takes an address over: the LAN's neighbours that cached the
/// previous node's MAC update it at once instead of after their entries go stale (net/ipv4/arp.c treats such a
/// request as gratuitous and overrides an existing entry).
/// </summary>
public static class GratuitousArp
{
    /// <summary>The 28-byte ARP packet (RFC 826) announcing <paramref name="address"/> at <paramref name="mac"/>. Pure.</summary>
    public static byte[] Packet(IPAddress address, PhysicalAddress mac)
    {
        var packet = new byte[28];
        var span = packet.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, 1); // htype Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], 0x0800); // ptype IPv4
        span[4] = 6;
        span[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(span[6..], 1); // a request
        mac.GetAddressBytes().CopyTo(span[8..]);
        address.GetAddressBytes().CopyTo(span[14..]);
        // target MAC stays zero (RFC 5227), target IP is the address itself.
        address.GetAddressBytes().CopyTo(span[24..]);
        return packet;
    }

    /// <summary>Broadcasts the announcement on interface <paramref name="ifindex"/> of the calling thread's network namespace.</summary>
    public static unsafe void Send(int ifindex, IPAddress address, PhysicalAddress mac)
    {
        var protocol = BinaryPrimitives.ReverseEndianness(Interop.Libc.ETH_P_ARP);
        int fd = Interop.Libc.socket(Interop.Libc.AF_PACKET, Interop.Libc.SOCK_DGRAM | Interop.Libc.SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            throw new IOException($"gratuitous ARP for {address}: socket(AF_PACKET): {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        using var socket = new SafePacketSocketHandle();
        Marshal.InitHandle(socket, fd);
        var to = new Interop.Libc.sockaddr_ll
        {
            sll_family = Interop.Libc.AF_PACKET,
            sll_protocol = protocol,
            sll_ifindex = ifindex,
            sll_halen = 6,
        };
        for (int i = 0; i < 6; i++)
        {
            to.sll_addr[i] = 0xff;
        }

        var packet = Packet(address, mac);
        fixed (byte* data = packet)
        {
            if (Interop.Libc.sendto(socket, data, (nuint)packet.Length, 0, &to, (uint)sizeof(Interop.Libc.sockaddr_ll)) < 0)
            {
                throw new IOException($"gratuitous ARP for {address}: sendto: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
        }
    }
}
