using System.Net;
using System.Net.Sockets;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>Address arithmetic for IPv4 and IPv6 alike.</summary>
internal static class IpMath
{
    public static UInt128 ToNumber(IPAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        UInt128 value = 0;
        foreach (byte b in bytes)
        {
            value = (value << 8) | b;
        }

        return value;
    }

    public static IPAddress FromNumber(UInt128 value, AddressFamily family)
    {
        int length = family == AddressFamily.InterNetworkV6 ? 16 : 4;
        var bytes = new byte[length];
        for (int i = length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xff);
            value >>= 8;
        }

        return new IPAddress(bytes);
    }

    public static IPAddress Next(IPAddress address) => FromNumber(ToNumber(address) + 1, address.AddressFamily);

    public static int Compare(IPAddress a, IPAddress b) => ToNumber(a).CompareTo(ToNumber(b));

    /// <summary>An IPv4-mapped IPv6 address is its IPv4 address, as Go's To4 treats it.</summary>
    public static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>One range (plugins/ipam/host-local/backend/allocator/range.go), canonicalised.</summary>
internal sealed record IpRange(IpPrefix Subnet, IPAddress RangeStart, IPAddress RangeEnd, IPAddress Gateway)
{
    public AddressFamily Family => Subnet.Family;

    /// <summary>Fills in the defaults and checks the range as upstream's Canonicalize does; returns the problem or the range.</summary>
    public static IpRange Canonicalize(IpPrefix subnet, IPAddress? rangeStart, IPAddress? rangeEnd, IPAddress? gateway)
    {
        int bits = IpPrefix.MaxLength(subnet.Family);
        if (subnet.PrefixLength > bits - 2)
        {
            throw new FormatException($"Network {subnet} too small to allocate from");
        }

        var network = subnet.Network;
        if (!network.Address.Equals(subnet.Address))
        {
            throw new FormatException($"Network has host bits set. For a subnet mask of length {subnet.PrefixLength} the network address is {network.Address}");
        }

        var first = IpMath.Next(subnet.Address);
        var range = new IpRange(subnet, first, LastIp(subnet), gateway is null ? first : IpMath.Canonical(gateway));
        if (rangeStart is not null)
        {
            rangeStart = IpMath.Canonical(rangeStart);
            if (!range.InSubnet(rangeStart))
            {
                throw new FormatException($"RangeStart {rangeStart} not in network {subnet}");
            }

            range = range with { RangeStart = rangeStart };
        }

        if (rangeEnd is not null)
        {
            rangeEnd = IpMath.Canonical(rangeEnd);
            if (!range.InSubnet(rangeEnd))
            {
                throw new FormatException($"RangeEnd {rangeEnd} not in network {subnet}");
            }

            range = range with { RangeEnd = rangeEnd };
        }

        return range;
    }

    public bool Contains(IPAddress address)
    {
        address = IpMath.Canonical(address);
        return InSubnet(address) && IpMath.Compare(address, RangeStart) >= 0 && IpMath.Compare(address, RangeEnd) <= 0;
    }

    public bool Overlaps(IpRange other) =>
        Family == other.Family && (Contains(other.RangeStart) || Contains(other.RangeEnd) || other.Contains(RangeStart) || other.Contains(RangeEnd));

    public override string ToString() => $"{RangeStart}-{RangeEnd}";

    private bool InSubnet(IPAddress address) => Subnet.Contains(address);

    /// <summary>The last usable address: IPv4 stops before the broadcast address, IPv6 has none.</summary>
    private static IPAddress LastIp(IpPrefix subnet)
    {
        int bits = IpPrefix.MaxLength(subnet.Family);
        UInt128 hostMask = subnet.PrefixLength == 0 ? UInt128.MaxValue >> (128 - bits) : (((UInt128)1 << (bits - subnet.PrefixLength)) - 1);
        UInt128 last = IpMath.ToNumber(subnet.Address) | hostMask;
        return IpMath.FromNumber(subnet.Family == AddressFamily.InterNetwork ? last - 1 : last, subnet.Family);
    }
}

/// <summary>A set of ranges of one family, allocated from together (range_set.go).</summary>
internal sealed record RangeSet(IReadOnlyList<IpRange> Ranges)
{
    public AddressFamily Family => Ranges[0].Family;

    public IpRange? RangeFor(IPAddress address) => Ranges.FirstOrDefault(r => r.Contains(address));

    public bool Contains(IPAddress address) => RangeFor(address) is not null;

    public bool Overlaps(RangeSet other) => Ranges.Any(r => other.Ranges.Any(r.Overlaps));

    public override string ToString() => string.Join(',', Ranges);
}
