using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Strata.Flannel.Backend;
using Strata.Flannel.Config;

namespace Strata.Flannel.Udp;

/// <summary>
/// Which node a destination belongs to: the remote leases as (network, mask) pairs with the peer's socket address,
/// built once per plan so that the per-packet lookup allocates nothing. Immutable: a new plan swaps in a new table.
/// </summary>
public sealed class UdpPeerTable
{
    private readonly uint[] _networks;
    private readonly uint[] _masks;
    private readonly SocketAddress[] _addresses;

    // The peers as struct sockaddr_in (16 bytes each), pinned, for sendmmsg.
    private readonly byte[] _native;

    public static readonly UdpPeerTable Empty = new([], 0);

    public UdpPeerTable(IReadOnlyList<UdpPeer> peers, int port)
    {
        _networks = new uint[peers.Count];
        _masks = new uint[peers.Count];
        _addresses = new SocketAddress[peers.Count];
        _native = GC.AllocateArray<byte>(Math.Max(1, peers.Count) * SockaddrInLength, pinned: true);
        for (int i = 0; i < peers.Count; i++)
        {
            _masks[i] = peers[i].Subnet.PrefixLength == 0 ? 0 : uint.MaxValue << (32 - peers[i].Subnet.PrefixLength);
            _networks[i] = NetConfParser.ToUInt(peers[i].Subnet.Address) & _masks[i];
            _addresses[i] = new IPEndPoint(peers[i].PublicIp, port).Serialize();
            var sockaddr = _native.AsSpan(i * SockaddrInLength, SockaddrInLength);
            BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, (ushort)AddressFamily.InterNetwork);
            BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..], (ushort)port);
            peers[i].PublicIp.TryWriteBytes(sockaddr[4..8], out _);
        }
    }

    public const int SockaddrInLength = 16;

    /// <summary>The index of the peer whose lease holds an IPv4 destination, or -1.</summary>
    public int IndexOf(uint destination)
    {
        for (int i = 0; i < _networks.Length; i++)
        {
            if ((destination & _masks[i]) == _networks[i])
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Peer <paramref name="index"/> as a struct sockaddr_in; valid as long as this table is referenced.</summary>
    public unsafe byte* NativeAddress(int index)
    {
        fixed (byte* start = _native)
        {
            return start + (index * SockaddrInLength); // the array is pinned: the pointer outlives the fixed block
        }
    }

    public int Count => _networks.Length;

    /// <summary>The peer for an IPv4 destination, or null when no remote lease holds it.</summary>
    public SocketAddress? Find(uint destination)
    {
        for (int i = 0; i < _networks.Length; i++)
        {
            if ((destination & _masks[i]) == _networks[i])
            {
                return _addresses[i];
            }
        }

        return null;
    }

    /// <summary>
    /// Forwarding a packet, as a router does and as upstream's proxy does (decrement_ttl): TTL minus one and the header
    /// checksum recomputed. False when the packet is not IPv4 or its TTL has run out (it is dropped).
    /// </summary>
    public static bool DecrementTtl(Span<byte> packet)
    {
        if (packet.Length < 20 || packet[0] >> 4 != 4)
        {
            return false;
        }

        int headerLength = (packet[0] & 0x0f) * 4;
        if (headerLength < 20 || headerLength > packet.Length || packet[8] <= 1)
        {
            return false;
        }

        packet[8]--;
        packet[10] = 0;
        packet[11] = 0;
        uint sum = 0;
        for (int i = 0; i < headerLength; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet[i..]);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], (ushort)~sum);
        return true;
    }

    public static uint Destination(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
}
