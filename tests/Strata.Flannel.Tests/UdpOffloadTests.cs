using System.Buffers.Binary;
using Strata.Flannel.Udp;

namespace Strata.Flannel.Tests;

/// <summary>
/// The pure part of the udp backend's offloads: the Internet checksum, cutting a TSO super-packet into segments as
/// the kernel's tcp_gso_segment does, completing a partial checksum, and coalescing a GRO read back into one
/// super-packet; and none of it allocates.
/// </summary>
public sealed class UdpOffloadTests
{
    private const byte Fin = 0x01, Psh = 0x08, Ack = 0x10, Cwr = 0x80, Syn = 0x02;
    private const int Mss = 1432;

    // TCP timestamps: what Linux puts on every segment (kind 8), after two NOPs.
    private static readonly byte[] Timestamps = [1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0];

    [Fact]
    public void ChecksumIsRfc1071s()
    {
        // RFC 1071 §3, the example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        Assert.Equal(0xddf2, InternetChecksum.Fold(InternetChecksum.Add([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7], 0)));

        var random = new Random(8285);
        foreach (int length in Enumerable.Range(0, 300).Append(1472).Append(65535))
        {
            byte[] data = new byte[length + 3];
            random.NextBytes(data);
            for (int offset = 0; offset < 3; offset++)
            {
                var span = data.AsSpan(offset, length);
                Assert.Equal(NaiveSum(span), InternetChecksum.Fold(InternetChecksum.Add(span, 0)));
            }
        }
    }

    [Fact]
    public void SplitCutsASuperPacketAsTheKernelsTcpGsoSegmentDoes()
    {
        byte[] payload = Payload(5000);
        byte[] super = TcpPacket(payload, Ack | Psh | Fin | Cwr, sequence: 0xfffff000, id: 0xfffe, partialChecksum: true);
        var header = Gso(super);
        byte[] output = new byte[8192];

        int count = TsoSegmenter.Split(super, header, output, out int segmentLength);

        Assert.Equal(4, count); // 1432 * 3 + 704
        Assert.Equal(20 + 32 + Mss, segmentLength);
        var received = new List<byte>();
        for (int i = 0; i < count; i++)
        {
            var segment = TcpCoalescer.Datagram(output.AsSpan(0, (3 * segmentLength) + 52 + 704), segmentLength, i);
            int size = i < 3 ? Mss : 704;
            Assert.Equal(52 + size, segment.Length);
            Assert.Equal(segment.Length, BinaryPrimitives.ReadUInt16BigEndian(segment[2..]));
            Assert.Equal((ushort)(0xfffe + i), BinaryPrimitives.ReadUInt16BigEndian(segment[4..])); // the ID wraps
            Assert.Equal(0xffff, NaiveSum(segment[..20]));
            Assert.Equal(0xffff, TcpSum(segment));
            Assert.Equal(unchecked(0xfffff000u + (uint)(i * Mss)), BinaryPrimitives.ReadUInt32BigEndian(segment[24..]));
            byte expectedFlags = (byte)(Ack | (i == 0 ? Cwr : 0) | (i == 3 ? Psh | Fin : 0));
            Assert.Equal(expectedFlags, segment[33]);
            Assert.True(segment.Slice(40, 12).SequenceEqual(Timestamps));
            received.AddRange(segment[52..].ToArray());
        }

        Assert.Equal(payload, received);
    }

    [Fact]
    public void SplitRefusesWhatIsNotATcpSuperPacketOrDoesNotFit()
    {
        byte[] super = TcpPacket(Payload(5000), Ack, partialChecksum: true);
        Assert.Equal(-1, TsoSegmenter.Split(super, Gso(super), new byte[5000], out _)); // no room for the copied headers
        Assert.Equal(-1, TsoSegmenter.Split(super, Gso(super) with { GsoSize = 0 }, new byte[8192], out _));
        byte[] udp = (byte[])super.Clone();
        udp[9] = 17;
        Assert.Equal(-1, TsoSegmenter.Split(udp, Gso(udp), new byte[8192], out _));
    }

    [Fact]
    public void CompleteChecksumFinishesWhatTheKernelLeftPartial()
    {
        byte[] tcp = TcpPacket(Payload(333), Ack | Psh, partialChecksum: true);
        Assert.NotEqual(0xffff, TcpSum(tcp));
        Assert.True(TsoSegmenter.CompleteChecksum(tcp, new VirtioNetHeader(VirtioNetHeader.VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 20, 16)));
        Assert.Equal(0xffff, TcpSum(tcp));
        Assert.Equal(TcpPacket(Payload(333), Ack | Psh), tcp);

        Assert.False(TsoSegmenter.CompleteChecksum(tcp, new VirtioNetHeader(VirtioNetHeader.VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 20, (ushort)tcp.Length)));
    }

    [Fact]
    public void CoalescerMergesAGroReadOfOneFlowIntoOneSuperPacket()
    {
        byte[] payload = Payload(5000);
        var (datagrams, segmentLength) = Segments(payload, Ack | Psh);

        Assert.Equal(4, TcpCoalescer.Count(datagrams.Length, segmentLength));
        Assert.Equal(4, TcpCoalescer.Run(datagrams, segmentLength, 0));
        var header = TcpCoalescer.Merge(datagrams, segmentLength, 0, 4);

        Assert.Equal(new VirtioNetHeader(VirtioNetHeader.VIRTIO_NET_HDR_F_NEEDS_CSUM, VirtioNetHeader.VIRTIO_NET_HDR_GSO_TCPV4, 52, Mss, 20, 16), header);
        var head = TcpCoalescer.Datagram(datagrams, segmentLength, 0);
        byte[] merged = [.. head.ToArray(), .. Enumerable.Range(1, 3).SelectMany(i => TcpCoalescer.Datagram(datagrams, segmentLength, i)[52..].ToArray())];
        Assert.Equal(52 + 5000, BinaryPrimitives.ReadUInt16BigEndian(merged.AsSpan(2)));
        Assert.Equal(0xffff, NaiveSum(merged.AsSpan(0, 20)));
        Assert.Equal(Psh | Ack, merged[33]); // PSH came from the last segment

        // What the kernel does with the partial checksum gives the checksum of the whole super-packet.
        Assert.True(TsoSegmenter.CompleteChecksum(merged, header));
        Assert.Equal(0xffff, TcpSum(merged));
        Assert.Equal(payload, merged[52..]);
    }

    [Theory]
    [InlineData("corrupt payload")]
    [InlineData("sequence gap")]
    [InlineData("other port")]
    [InlineData("other ack")]
    [InlineData("other TTL")]
    [InlineData("SYN")]
    [InlineData("PSH before the end")]
    public void CoalescerStopsTheRunAtASegmentThatCannotJoinIt(string change)
    {
        var (datagrams, segmentLength) = Segments(Payload(5000), Ack);
        var target = TcpCoalescer.Datagram(datagrams, segmentLength, change == "PSH before the end" ? 1 : 2);
        switch (change)
        {
            case "corrupt payload": target[100] ^= 0x40; break;
            case "sequence gap": Rewrite(target, t => BinaryPrimitives.WriteUInt32BigEndian(t[24..], BinaryPrimitives.ReadUInt32BigEndian(t[24..]) + 1)); break;
            case "other port": Rewrite(target, t => t[21]++); break;
            case "other ack": Rewrite(target, t => t[31]++); break;
            case "other TTL": Rewrite(target, t => t[8]--); break;
            case "SYN": Rewrite(target, t => t[33] |= Syn); break;
            case "PSH before the end": Rewrite(target, t => t[33] |= Psh); break;
        }

        Assert.Equal(2, TcpCoalescer.Run(datagrams, segmentLength, 0));
    }

    [Fact]
    public void ASingleDatagramOrANonTcpPacketIsNotMerged()
    {
        byte[] one = TcpPacket(Payload(100), Ack);
        Assert.Equal(1, TcpCoalescer.Run(one, one.Length, 0));
        var (datagrams, segmentLength) = Segments(Payload(5000), Ack);
        TcpCoalescer.Datagram(datagrams, segmentLength, 0)[9] = 17;
        Assert.Equal(1, TcpCoalescer.Run(datagrams, segmentLength, 0));
        Assert.Equal(3, TcpCoalescer.Run(datagrams, segmentLength, 1));
    }

    [Fact]
    public void CuttingAndCoalescingAllocateNothing()
    {
        byte[] template = TcpPacket(Payload(60000), Ack | Psh, partialChecksum: true);
        byte[] super = new byte[template.Length];
        byte[] output = new byte[128 * 1024];
        var header = Gso(template);

        int Once()
        {
            template.CopyTo(super, 0);
            int count = TsoSegmenter.Split(super, header, output, out int segmentLength);
            int length = super.Length + ((count - 1) * 52);
            var datagrams = output.AsSpan(0, length);
            int run = TcpCoalescer.Run(datagrams, segmentLength, 0);
            TcpCoalescer.Merge(datagrams, segmentLength, 0, run);
            TsoSegmenter.CompleteChecksum(super, header with { GsoType = 0 });
            return run;
        }

        Assert.Equal(42, Once());

        // The least of three batches: the runtime may allocate on this thread once while it recompiles the loop (tiering,
        // on-stack replacement), but an allocation per packet would show in every batch.
        long least = long.MaxValue;
        for (int batch = 0; batch < 3; batch++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int merged = 0;
            for (int i = 0; i < 200; i++)
            {
                merged += Once();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(200 * 42, merged);
        }

        Assert.Equal(0, least);
    }

    /// <summary>A super-packet's segments laid out as one GRO read: back to back, every one but the last the same size.</summary>
    private static (byte[] Datagrams, int SegmentLength) Segments(byte[] payload, byte flags)
    {
        byte[] super = TcpPacket(payload, flags, partialChecksum: true);
        byte[] output = new byte[payload.Length + (64 * 52)];
        int count = TsoSegmenter.Split(super, Gso(super), output, out int segmentLength);
        return (output[..(payload.Length + (count * 52))], segmentLength);
    }

    private static VirtioNetHeader Gso(byte[] super) =>
        new(VirtioNetHeader.VIRTIO_NET_HDR_F_NEEDS_CSUM, VirtioNetHeader.VIRTIO_NET_HDR_GSO_TCPV4, 52, Mss, 20, 16);

    /// <summary>Applies a change to a segment's headers and fixes its checksums, so that only the change can stop a merge.</summary>
    private static void Rewrite(Span<byte> segment, SpanAction change)
    {
        change(segment);
        InternetChecksum.SetIpv4HeaderChecksum(segment[..20]);
        segment[36] = 0;
        segment[37] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(segment[36..], (ushort)~InternetChecksum.Fold(InternetChecksum.Add(segment[20..], InternetChecksum.PseudoHeader(segment, 6, segment.Length - 20))));
    }

    private delegate void SpanAction(Span<byte> span);

    /// <summary>10.233.65.2:40000 → 10.233.66.2:5201, DF, TTL 64, with timestamps; the TCP checksum complete, or (as the kernel hands a TSO packet out) only the pseudo-header's.</summary>
    private static byte[] TcpPacket(byte[] payload, int flags, uint sequence = 1000, ushort id = 7, bool partialChecksum = false)
    {
        byte[] packet = new byte[52 + payload.Length];
        var p = packet.AsSpan();
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)Math.Min(packet.Length, ushort.MaxValue));
        BinaryPrimitives.WriteUInt16BigEndian(p[4..], id);
        p[6] = 0x40;
        p[8] = 64;
        p[9] = 6;
        byte[] addresses = [10, 233, 65, 2, 10, 233, 66, 2];
        addresses.CopyTo(p[12..]);
        InternetChecksum.SetIpv4HeaderChecksum(p[..20]);
        BinaryPrimitives.WriteUInt16BigEndian(p[20..], 40000);
        BinaryPrimitives.WriteUInt16BigEndian(p[22..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(p[24..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(p[28..], 555);
        p[32] = 8 << 4;
        p[33] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(p[34..], 502);
        Timestamps.CopyTo(p[40..]);
        payload.CopyTo(p[52..]);
        ulong pseudo = InternetChecksum.PseudoHeader(p, 6, packet.Length - 20);
        ushort check = partialChecksum ? InternetChecksum.Fold(pseudo) : (ushort)~InternetChecksum.Fold(InternetChecksum.Add(p[20..], pseudo));
        BinaryPrimitives.WriteUInt16BigEndian(p[36..], check);
        return packet;
    }

    private static byte[] Payload(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)((i * 7) + (i >> 8)))];

    /// <summary>The ones' complement sum over a TCP/IPv4 segment and its pseudo-header: 0xffff when its checksum is right.</summary>
    private static int TcpSum(ReadOnlySpan<byte> packet)
    {
        byte[] pseudo = [.. packet.Slice(12, 8).ToArray(), 0, 6, (byte)((packet.Length - 20) >> 8), (byte)(packet.Length - 20)];
        uint sum = (uint)NaiveSum(pseudo) + (uint)NaiveSum(packet[20..]);
        return (int)((sum & 0xffff) + (sum >> 16));
    }

    /// <summary>RFC 1071 the slow way: 16-bit big-endian words, an odd byte padded, carries folded at the end.</summary>
    private static int NaiveSum(ReadOnlySpan<byte> data)
    {
        long sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += (data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (int)sum;
    }
}
