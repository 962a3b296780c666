using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Strata.Netlink;

namespace Strata.Lab;

/// <summary>IPv4 arithmetic for address assignment.</summary>
internal static class AddressMath
{
    public static uint ToUInt32(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        }

        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static IPAddress FromUInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static IPAddress Offset(IPAddress address, uint offset) => FromUInt32(ToUInt32(address) + offset);

    public static uint Size(IpPrefix prefix) => prefix.PrefixLength == 0 ? uint.MaxValue : 1u << (32 - prefix.PrefixLength);

    /// <summary>The offset of an address from the network address, or null when outside the prefix.</summary>
    public static uint? HostOffset(IpPrefix prefix, IPAddress address) =>
        prefix.Contains(address) ? ToUInt32(address) - ToUInt32(prefix.Network.Address) : null;

    public static bool Overlaps(IpPrefix a, IpPrefix b) => a.Contains(b.Network.Address) || b.Contains(a.Network.Address);
}
