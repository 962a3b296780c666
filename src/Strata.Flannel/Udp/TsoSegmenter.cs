using System.Buffers.Binary;

namespace Strata.Flannel.Udp;

/// <summary>
/// The send side of the udp backend's offload: what flannel0 hands out (TUNSETOFFLOAD with TUN_F_CSUM | TUN_F_TSO4)
/// is either a packet whose transport checksum the kernel left partial, or a TCP/IPv4 super-packet of up to 64 KiB.
/// Upstream's wire format is one plain IP packet, at most flannel0's MTU, per UDP datagram, so a super-packet is cut
/// here into the segments the kernel would have produced (net/ipv4/tcp_offload.c, tcp_gso_segment; the same work as
/// wireguard-go's tun/offload_linux.go gsoSplit). Pure: spans in, spans out, no allocation.
/// </summary>
public static class TsoSegmenter
{
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;
    private const byte TcpFin = 0x01;
    private const byte TcpPsh = 0x08;
    private const byte TcpCwr = 0x80;

    /// <summary>
    /// Completes a transport checksum the kernel left partial (VIRTIO_NET_HDR_F_NEEDS_CSUM): the field holds the
    /// pseudo-header sum; the sum from ChecksumStart to the end is added and complemented. False when the header
    /// points outside the packet.
    /// </summary>
    public static bool CompleteChecksum(Span<byte> packet, VirtioNetHeader header)
    {
        int start = header.ChecksumStart, field = header.ChecksumStart + header.ChecksumOffset;
        if (field + 2 > packet.Length)
        {
            return false;
        }

        ushort initial = BinaryPrimitives.ReadUInt16BigEndian(packet[field..]);
        packet[field] = 0;
        packet[field + 1] = 0;
        ushort checksum = (ushort)~InternetChecksum.Fold(InternetChecksum.Add(packet[start..], initial));
        if (checksum == 0 && packet.Length > 9 && packet[9] == ProtocolUdp)
        {
            checksum = 0xffff; // RFC 768: a computed zero is sent as all ones (zero means "no checksum")
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet[field..], checksum);
        return true;
    }

    /// <summary>
    /// Cuts a TCP/IPv4 super-packet into segments written back to back into <paramref name="destination"/>: every
    /// segment but the last is <paramref name="segmentLength"/> bytes (the headers plus GsoSize bytes of payload), each
    /// with its own total length, IP ID (incremented), header checksum, sequence number and complete TCP checksum; FIN
    /// and PSH stay on the last segment, CWR on the first. Returns the number of segments, or -1 when the packet is not
    /// a well-formed TCP/IPv4 super-packet or the segments do not fit.
    /// </summary>
    public static int Split(ReadOnlySpan<byte> packet, VirtioNetHeader header, Span<byte> destination, out int segmentLength)
    {
        segmentLength = 0;
        if (packet.Length < 40 || packet[0] >> 4 != 4 || packet[9] != ProtocolTcp || header.GsoSize == 0)
        {
            return -1;
        }

        // The kernel's hdr_len is the linear part of the skb, not the headers: take the lengths from the packet itself.
        int ipLength = (packet[0] & 0x0f) * 4;
        if (ipLength < 20 || ipLength + 20 > packet.Length)
        {
            return -1;
        }

        int tcpLength = (packet[ipLength + 12] >> 4) * 4;
        int headers = ipLength + tcpLength;
        if (tcpLength < 20 || headers >= packet.Length)
        {
            return -1;
        }

        int mss = header.GsoSize;
        int payload = packet.Length - headers;
        int count = (payload + mss - 1) / mss;
        if ((count * headers) + payload > destination.Length)
        {
            return -1;
        }

        segmentLength = headers + mss;
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(packet[(ipLength + 4)..]);
        var headerTemplate = packet[..headers];
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            int size = Math.Min(mss, payload - (i * mss));
            var segment = destination.Slice(offset, headers + size);
            headerTemplate.CopyTo(segment);
            packet.Slice(headers + (i * mss), size).CopyTo(segment[headers..]);

            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)segment.Length);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(id + i));
            InternetChecksum.SetIpv4HeaderChecksum(segment[..ipLength]);

            var tcp = segment[ipLength..];
            BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence + (uint)(i * mss));
            if (i < count - 1)
            {
                tcp[13] &= unchecked((byte)~(TcpFin | TcpPsh));
            }

            if (i > 0)
            {
                tcp[13] &= unchecked((byte)~TcpCwr);
            }

            tcp[16] = 0;
            tcp[17] = 0;
            ulong sum = InternetChecksum.Add(tcp, InternetChecksum.PseudoHeader(segment, ProtocolTcp, tcp.Length));
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], (ushort)~InternetChecksum.Fold(sum));
            offset += segment.Length;
        }

        return count;
    }
}
