using System.Buffers.Binary;

namespace Strata.Flannel.Udp;

/// <summary>
/// The receive side of the udp backend's offload: with UDP_GRO on the socket, one read returns several datagrams of
/// one peer back to back, each a plain IP packet. Consecutive TCP segments of one flow are written into flannel0 as
/// one super-packet (a virtio_net_hdr with VIRTIO_NET_HDR_GSO_TCPV4 and a partial checksum), which the kernel forwards
/// to the pod whole, instead of one write per segment. The rules are those of the kernel's GRO (net/ipv4/tcp_offload.c,
/// tcp_gro_receive) as wireguard-go's tun/offload_linux.go applies them: same addresses, ports, ACK number, TOS, TTL,
/// DF bit and TCP options; adjacent sequence numbers; only ACK (and PSH on the last) set; equal payloads but for a
/// shorter last one; and every segment's checksum verified before it is merged, since the merged packet's checksum is
/// recomputed by the kernel and would hide a corrupted one. Pure and allocation-free.
/// </summary>
public static class TcpCoalescer
{
    private const byte ProtocolTcp = 6;
    private const byte TcpAck = 0x10;
    private const byte TcpPsh = 0x08;

    /// <summary>Datagram <paramref name="index"/> of a GRO read: <paramref name="segmentLength"/> apart, the last maybe shorter.</summary>
    public static Span<byte> Datagram(Span<byte> datagrams, int segmentLength, int index)
    {
        int start = index * segmentLength;
        return datagrams.Slice(start, Math.Min(segmentLength, datagrams.Length - start));
    }

    /// <summary>How many datagrams a GRO read of <paramref name="length"/> bytes holds.</summary>
    public static int Count(int length, int segmentLength) => segmentLength <= 0 ? 0 : (length + segmentLength - 1) / segmentLength;

    /// <summary>How many datagrams, from <paramref name="first"/> on, form one mergeable TCP run (1 when none can be merged).</summary>
    public static int Run(Span<byte> datagrams, int segmentLength, int first)
    {
        int count = Count(datagrams.Length, segmentLength);
        var head = Datagram(datagrams, segmentLength, first);
        if (first + 1 >= count || !IsCandidate(head))
        {
            return 1;
        }

        int headers = Headers(head);
        int mss = head.Length - headers;
        int total = head.Length;
        var previous = head;
        int run = 1;
        for (int i = first + 1; i < count; i++)
        {
            var next = Datagram(datagrams, segmentLength, i);
            if (!IsCandidate(next) || !Follows(head, previous, next, mss) || total + next.Length - headers > ushort.MaxValue)
            {
                break;
            }

            total += next.Length - headers;
            previous = next;
            run++;
        }

        return run;
    }

    /// <summary>
    /// Makes the first datagram of a run of <paramref name="count"/> (count ≥ 2) the head of the super-packet: its total
    /// length and header checksum cover the run, PSH is set if the last segment has it, and its TCP checksum field holds
    /// the pseudo-header sum, to be completed by the kernel. The payloads that follow are the run's other datagrams past
    /// their headers (<see cref="HeaderLength"/>). Returns the virtio_net_hdr to write before it.
    /// </summary>
    public static VirtioNetHeader Merge(Span<byte> datagrams, int segmentLength, int first, int count)
    {
        var head = Datagram(datagrams, segmentLength, first);
        int ipLength = (head[0] & 0x0f) * 4;
        int headers = Headers(head);
        int total = head.Length;
        for (int i = first + 1; i < first + count; i++)
        {
            total += Datagram(datagrams, segmentLength, i).Length - headers;
        }

        var last = Datagram(datagrams, segmentLength, first + count - 1);
        head[ipLength + 13] |= (byte)(last[ipLength + 13] & TcpPsh);
        BinaryPrimitives.WriteUInt16BigEndian(head[2..], (ushort)total);
        InternetChecksum.SetIpv4HeaderChecksum(head[..ipLength]);
        BinaryPrimitives.WriteUInt16BigEndian(head[(ipLength + 16)..], InternetChecksum.Fold(InternetChecksum.PseudoHeader(head, ProtocolTcp, total - ipLength)));
        return new VirtioNetHeader(
            VirtioNetHeader.VIRTIO_NET_HDR_F_NEEDS_CSUM,
            VirtioNetHeader.VIRTIO_NET_HDR_GSO_TCPV4,
            (ushort)headers,
            (ushort)(head.Length - headers),
            (ushort)ipLength,
            16);
    }

    /// <summary>The IP plus TCP header length of a candidate segment.</summary>
    public static int HeaderLength(ReadOnlySpan<byte> segment) => Headers(segment);

    private static int Headers(ReadOnlySpan<byte> packet) => ((packet[0] & 0x0f) * 4) + ((packet[((packet[0] & 0x0f) * 4) + 12] >> 4) * 4);

    /// <summary>An unfragmented TCP/IPv4 segment without IP options, with payload, only ACK (or ACK|PSH) set, and a valid checksum.</summary>
    private static bool IsCandidate(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 40 || packet[0] != 0x45 || packet[9] != ProtocolTcp || BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length)
        {
            return false;
        }

        if ((BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3fff) != 0)
        {
            return false; // MF or a fragment offset
        }

        int tcpLength = (packet[32] >> 4) * 4;
        byte flags = packet[33];
        if (tcpLength < 20 || 20 + tcpLength >= packet.Length || (flags != TcpAck && flags != (TcpAck | TcpPsh)))
        {
            return false;
        }

        ulong sum = InternetChecksum.Add(packet[20..], InternetChecksum.PseudoHeader(packet, ProtocolTcp, packet.Length - 20));
        return InternetChecksum.Fold(sum) == 0xffff;
    }

    /// <summary>Whether <paramref name="next"/> continues the run whose head is <paramref name="head"/> right after <paramref name="previous"/>.</summary>
    private static bool Follows(ReadOnlySpan<byte> head, ReadOnlySpan<byte> previous, ReadOnlySpan<byte> next, int mss)
    {
        int headers = Headers(head);
        if (Headers(next) != headers || previous.Length - headers != mss || next.Length - headers > mss || (previous[33] & TcpPsh) != 0)
        {
            return false;
        }

        // TOS; DF and reserved bits; TTL; addresses; ports; ACK number; options.
        if (next[1] != head[1] || next[6] >> 5 != head[6] >> 5 || next[8] != head[8] || !next.Slice(12, 8).SequenceEqual(head.Slice(12, 8)))
        {
            return false;
        }

        if (!next.Slice(20, 4).SequenceEqual(head.Slice(20, 4)) || !next.Slice(28, 4).SequenceEqual(head.Slice(28, 4)) || !next[40..headers].SequenceEqual(head[40..headers]))
        {
            return false;
        }

        uint expected = BinaryPrimitives.ReadUInt32BigEndian(previous[24..]) + (uint)(previous.Length - headers);
        return BinaryPrimitives.ReadUInt32BigEndian(next[24..]) == expected;
    }
}
