using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Strata.Netlink;

/// <summary>
/// An address with a prefix length, as <c>ip</c> writes it: <c>10.233.64.1/24</c>. Unlike
/// <see cref="IPNetwork"/>, host bits may be set, because an interface address is one.
/// </summary>
public readonly record struct IpPrefix
{
    public IpPrefix(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        int max = MaxLength(address.AddressFamily);
        if (prefixLength < 0 || prefixLength > max)
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, $"prefix length must be 0-{max} for {address}");
        }

        Address = address;
        PrefixLength = prefixLength;
    }

    public IPAddress Address { get; }

    public int PrefixLength { get; }

    public AddressFamily Family => Address.AddressFamily;

    public bool IsIPv4 => Address.AddressFamily == AddressFamily.InterNetwork;

    /// <summary>The prefix with its host bits cleared: <c>10.233.64.1/24</c> → <c>10.233.64.0/24</c>.</summary>
    public IpPrefix Network
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            Address.TryWriteBytes(bytes, out int length);
            bytes = bytes[..length];
            for (int bit = PrefixLength; bit < length * 8; bit++)
            {
                bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
            }

            return new IpPrefix(new IPAddress(bytes), PrefixLength);
        }
    }

    /// <summary>Whether <paramref name="address"/> lies inside this prefix's network.</summary>
    public bool Contains(IPAddress address) =>
        address.AddressFamily == Family && new IpPrefix(address, PrefixLength).Network.Address.Equals(Network.Address);

    public static int MaxLength(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? 128 : 32;

    public static IpPrefix Parse(string text) =>
        TryParse(text, out var prefix, out var error) ? prefix : throw new FormatException(error);

    public static bool TryParse(string? text, out IpPrefix prefix) => TryParse(text, out prefix, out _);

    /// <summary>Parses <c>addr[/len]</c>; a bare address is a host prefix (/32 or /128), as for <c>ip addr add</c>.</summary>
    public static bool TryParse(string? text, out IpPrefix prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "invalid CIDR \"\": empty";
            return false;
        }

        int slash = text.IndexOf('/');
        string addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%') ||
            (address.AddressFamily == AddressFamily.InterNetwork && addressText.Count(c => c == '.') != 3))
        {
            error = $"invalid CIDR \"{text}\": \"{addressText}\" is not an IPv4 or IPv6 address";
            return false;
        }

        int max = MaxLength(address.AddressFamily);
        int length = max;
        if (slash >= 0)
        {
            string lengthText = text[(slash + 1)..];
            if (!int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max)
            {
                error = $"invalid CIDR \"{text}\": prefix length \"{lengthText}\" must be a number from 0 to {max}";
                return false;
            }
        }

        prefix = new IpPrefix(address, length);
        error = null;
        return true;
    }

    public override string ToString() => $"{Address}/{PrefixLength}";
}
