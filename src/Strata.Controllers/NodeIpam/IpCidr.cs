using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Strata.Controllers.NodeIpam;

/// <summary>
/// A CIDR as Go's <c>net.ParseCIDR</c> returns it: the address masked to the prefix, printed as <c>10.233.0.0/18</c>.
/// Addresses are handled as 128-bit integers (IPv4 in the low 32 bits) so both families share the arithmetic.
/// </summary>
public readonly record struct IpCidr
{
    private IpCidr(AddressFamily family, UInt128 network, int prefixLength)
    {
        Family = family;
        NetworkValue = network;
        PrefixLength = prefixLength;
    }

    public AddressFamily Family { get; }

    public int PrefixLength { get; }

    /// <summary>32 for IPv4, 128 for IPv6.</summary>
    public int AddressBits => Family == AddressFamily.InterNetwork ? 32 : 128;

    public IPAddress Network => ToAddress(Family, NetworkValue);

    /// <summary>The last address of the block (the IPv4 broadcast address).</summary>
    public IPAddress LastAddress => ToAddress(Family, LastValue);

    public UInt128 NetworkValue { get; }

    public UInt128 LastValue => NetworkValue | HostMask(AddressBits, PrefixLength);

    public static IpCidr Parse(string text) =>
        TryParse(text, out var cidr) ? cidr : throw new FormatException($"invalid CIDR address: {text}");

    public static bool TryParse(string? text, out IpCidr cidr)
    {
        cidr = default;
        var slash = text?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (text is null || slash < 0)
        {
            return false;
        }

        var prefixText = text[(slash + 1)..];
        if (!TryParseAddress(text[..slash], out var address)
            || prefixText.Length is 0 or > 3
            || !prefixText.All(char.IsAsciiDigit)
            || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
        {
            return false;
        }

        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (prefix > bits)
        {
            return false;
        }

        cidr = new IpCidr(address.AddressFamily, ToValue(address) & ~HostMask(bits, prefix), prefix);
        return true;
    }

    /// <summary>
    /// Parses an address as Go's <c>net.ParseIP</c> accepts it: dotted quad or IPv6 text (no zones, no shorthand
    /// such as <c>10.1</c>); an IPv4-mapped IPv6 address is its IPv4 address, as Go treats it.
    /// </summary>
    public static bool TryParseAddress(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrEmpty(text) || text.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        // Go (1.17+) refuses IPv4 shorthand and leading zeros, which .NET would read as octal ("010" is 8).
        if (parsed.AddressFamily == AddressFamily.InterNetwork
            && (text.Count(c => c == '.') != 3
                || !text.All(c => c == '.' || char.IsAsciiDigit(c))
                || text.Split('.').Any(part => part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0'))))
        {
            return false;
        }

        if (parsed.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return false;
        }

        address = Normalize(parsed);
        return true;
    }

    /// <summary>An IPv4-mapped IPv6 address becomes IPv4 (Go's <c>To4</c>); anything else is returned as is.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Go's <c>IPNet.Contains</c>.</summary>
    public bool Contains(IPAddress address)
    {
        address = Normalize(address);
        if (address.AddressFamily != Family)
        {
            return false;
        }

        var value = ToValue(address);
        return value >= NetworkValue && value <= LastValue;
    }

    /// <summary>2^(bits - prefix), saturated at <see cref="long.MaxValue"/> (k8s.io/utils/net RangeSize, without its /0 and /1 quirk).</summary>
    public long Size => AddressBits - PrefixLength >= 63 ? long.MaxValue : 1L << (AddressBits - PrefixLength);

    public override string ToString() => $"{Network}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    public static UInt128 ToValue(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static IPAddress ToAddress(AddressFamily family, UInt128 value)
    {
        if (family == AddressFamily.InterNetwork)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)value);
            return new IPAddress(v4);
        }

        Span<byte> v6 = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(v6, value);
        return new IPAddress(v6);
    }

    public IpCidr WithNetwork(UInt128 network, int prefixLength) => new(Family, network, prefixLength);

    public static UInt128 HostMask(int bits, int prefix) =>
        bits - prefix >= 128 ? UInt128.MaxValue : (UInt128.One << (bits - prefix)) - UInt128.One;
}
