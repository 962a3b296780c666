using System.Buffers.Binary;

namespace Strata.Flannel.Udp;

/// <summary>
/// <c>struct virtio_net_hdr</c> (include/uapi/linux/virtio_net.h), which a TUN device opened with IFF_VNET_HDR puts
/// before every packet it hands out and expects before every packet written to it: whether the packet is a GSO
/// super-packet (and its segment size) and where a checksum the kernel left partial must be completed. A TUN device
/// uses the host's byte order for it (little-endian here, unless TUNSETVNETBE was called).
/// </summary>
public readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort ChecksumStart, ushort ChecksumOffset)
{
    public const int Size = 10;

    public const byte VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    public const byte VIRTIO_NET_HDR_GSO_NONE = 0;
    public const byte VIRTIO_NET_HDR_GSO_TCPV4 = 1;
    public const byte VIRTIO_NET_HDR_GSO_ECN = 0x80;

    public bool NeedsChecksum => (Flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;

    /// <summary>The GSO type without the ECN bit.</summary>
    public byte Gso => (byte)(GsoType & ~VIRTIO_NET_HDR_GSO_ECN);

    public static VirtioNetHeader Read(ReadOnlySpan<byte> source) => new(
        source[0],
        source[1],
        BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));

    public void Write(Span<byte> destination)
    {
        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], ChecksumOffset);
    }
}
