using System.Net;
using System.Net.Sockets;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>Address arithmetic for IPv4 and IPv6 alike (plugins/pkg/ip/cidr.go).</summary>
internal static class IpMath
{
    public static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        UInt128 value = 0;
        foreach (byte b in bytes[..length])
        {
            value = (value << 8) | b;
        }

        return value;
    }

    public static IPAddress FromNumber(UInt128 value, AddressFamily family)
    {
        int length = family == AddressFamily.InterNetworkV6 ? 16 : 4;
        Span<byte> bytes = stackalloc byte[length];
        for (int i = length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xff);
            value >>= 8;
        }

        return new IPAddress(bytes);
    }

    public static IPAddress Next(IPAddress address) => FromNumber(ToNumber(address) + 1, address.AddressFamily);

    /// <summary>ip.Cmp: null when the families differ (upstream's -2, which never counts as "after").</summary>
    public static int? Compare(IPAddress a, IPAddress b)
    {
        a = Canonical(a);
        b = Canonical(b);
        return a.AddressFamily == b.AddressFamily ? ToNumber(a).CompareTo(ToNumber(b)) : null;
    }

    /// <summary>An IPv4-mapped IPv6 address is its IPv4 address, as Go's To4 treats it.</summary>
    public static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>
/// One range of a range set (plugins/ipam/host-local/backend/allocator/range.go), after
/// <see cref="Canonicalize"/>: the defaults filled in and every bound checked.
/// </summary>
internal sealed record IpRange(IpPrefix Subnet, IPAddress RangeStart, IPAddress RangeEnd, IPAddress Gateway)
{
    public AddressFamily Family => Subnet.Family;

    /// <summary>
    /// Range.Canonicalize: the subnet must leave room for addresses and have no host bits; the
    /// gateway defaults to the first address; rangeStart and rangeEnd default to the first and
    /// last usable address and must lie inside the subnet, in order. Throws <see cref="FormatException"/>
    /// with upstream's text.
    /// </summary>
    public static IpRange Canonicalize(IpPrefix subnet, IPAddress? rangeStart, IPAddress? rangeEnd, IPAddress? gateway)
    {
        // Go keeps the mask's length from the text ("::ffff:10.0.0.0/120" has a 128-bit mask) but
        // shortens the IP to four bytes, and then finds the two disagree.
        var network = IpMath.Canonical(subnet.Address);
        bool mismatch = !network.Equals(subnet.Address);
        int maskBits = IpPrefix.MaxLength(subnet.Family);
        if (subnet.PrefixLength > maskBits - 2)
        {
            string shown = mismatch ? $"{GoIp.Format(network)}/{subnet.PrefixLength - 96}" : $"{GoIp.Format(network)}/{subnet.PrefixLength}";
            throw new FormatException($"Network {shown} too small to allocate from");
        }

        if (mismatch)
        {
            throw new FormatException("IPNet IP and Mask version mismatch");
        }

        var masked = subnet.Network.Address;
        if (!masked.Equals(subnet.Address))
        {
            throw new FormatException($"Network has host bits set. For a subnet mask of length {subnet.PrefixLength} the network address is {GoIp.Format(masked)}");
        }

        var first = IpMath.Next(network);
        var range = new IpRange(subnet, first, LastIp(subnet), gateway is null ? first : IpMath.Canonical(gateway));

        // Upstream checks rangeStart with Contains while rangeEnd is still the configured value,
        // so a start after the end is reported as a start outside the network.
        if (rangeStart is not null)
        {
            rangeStart = IpMath.Canonical(rangeStart);
            if (!range.InSubnet(rangeStart) || (rangeEnd is not null && IpMath.Compare(rangeStart, rangeEnd) > 0))
            {
                throw new FormatException($"RangeStart {GoIp.Format(rangeStart)} not in network {range.SubnetText}");
            }

            range = range with { RangeStart = rangeStart };
        }

        if (rangeEnd is not null)
        {
            rangeEnd = IpMath.Canonical(rangeEnd);
            if (!range.InSubnet(rangeEnd) || IpMath.Compare(rangeEnd, range.RangeStart) < 0)
            {
                throw new FormatException($"RangeEnd {GoIp.Format(rangeEnd)} not in network {range.SubnetText}");
            }

            range = range with { RangeEnd = rangeEnd };
        }

        return range;
    }

    public string SubnetText => $"{GoIp.Format(Subnet.Address)}/{Subnet.PrefixLength}";

    public bool Contains(IPAddress address)
    {
        address = IpMath.Canonical(address);
        return InSubnet(address) && IpMath.Compare(address, RangeStart) >= 0 && IpMath.Compare(address, RangeEnd) <= 0;
    }

    /// <summary>
    /// Addresses the iterator never hands out: the gateway, and (a Strata addition, for ranges
    /// configured to include them) the subnet's network address and IPv4 broadcast address.
    /// </summary>
    public bool IsReserved(IPAddress address) =>
        address.Equals(Gateway) || address.Equals(Subnet.Address) || (Family == AddressFamily.InterNetwork && address.Equals(Broadcast));

    public bool Overlaps(IpRange other) =>
        Family == other.Family && (Contains(other.RangeStart) || Contains(other.RangeEnd) || other.Contains(RangeStart) || other.Contains(RangeEnd));

    public override string ToString() => $"{GoIp.Format(RangeStart)}-{GoIp.Format(RangeEnd)}";

    private IPAddress Broadcast => IpMath.FromNumber(IpMath.ToNumber(Subnet.Address) | HostMask(Subnet), Family);

    private bool InSubnet(IPAddress address) => address.AddressFamily == Family && Subnet.Contains(address);

    private static UInt128 HostMask(IpPrefix subnet)
    {
        int hostBits = IpPrefix.MaxLength(subnet.Family) - subnet.PrefixLength;
        return hostBits == 128 ? UInt128.MaxValue : (((UInt128)1 << hostBits) - 1);
    }

    /// <summary>The default rangeEnd: IPv4 stops before the broadcast address, IPv6 has none (lastIP).</summary>
    private static IPAddress LastIp(IpPrefix subnet)
    {
        UInt128 last = IpMath.ToNumber(subnet.Address) | HostMask(subnet);
        return IpMath.FromNumber(subnet.Family == AddressFamily.InterNetwork ? last - 1 : last, subnet.Family);
    }
}

/// <summary>A set of ranges of one family, one address allocated from it per ADD (range_set.go).</summary>
internal sealed record RangeSet(IReadOnlyList<IpRange> Ranges)
{
    public AddressFamily Family => Ranges[0].Family;

    public IpRange? RangeFor(IPAddress address) => Ranges.FirstOrDefault(r => r.Contains(address));

    public bool Contains(IPAddress address) => RangeFor(address) is not null;

    public bool Overlaps(RangeSet other) => Ranges.Any(r => other.Ranges.Any(r.Overlaps));

    public override string ToString() => string.Join(',', Ranges);
}
