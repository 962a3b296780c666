using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>
/// Address text as Go's <c>net</c> package reads and writes it, so that host-local accepts what
/// upstream accepts and writes the same file names and results. .NET's parser is more lenient
/// (<c>010.0.0.1</c> is octal 8.0.0.1, <c>10.1</c> is 10.0.0.1, zones are allowed) and its
/// formatter writes some IPv6 addresses with a dotted tail (<c>::1.2.3.4</c>) where Go writes hex.
/// </summary>
internal static class GoIp
{
    /// <summary>net.ParseIP: a dotted quad without leading zeros, or IPv6 without a zone.</summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        Span<byte> bytes = stackalloc byte[16];
        if (text.Contains(':'))
        {
            if (!TryParseV6(text, bytes))
            {
                return false;
            }

            address = new IPAddress(bytes);
            return true;
        }

        if (!TryParseV4(text, bytes[..4]))
        {
            return false;
        }

        address = new IPAddress(bytes[..4]);
        return true;
    }

    /// <summary>net.ParseCIDR: an address, '/', and a decimal prefix length within the text's family.</summary>
    public static bool TryParseCidr(string text, out IPAddress address, out int prefixLength)
    {
        prefixLength = 0;
        int slash = text.IndexOf('/');
        if (slash < 0 || !TryParseAddress(text[..slash], out address))
        {
            address = IPAddress.None;
            return false;
        }

        string length = text[(slash + 1)..];
        int max = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        return length.Length is > 0 and <= 4 && length.All(char.IsAsciiDigit) &&
            int.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out prefixLength) && prefixLength <= max;
    }

    /// <summary>net.IP.String: IPv4 (and IPv4-mapped IPv6) dotted, IPv6 in hex with the longest zero run compressed.</summary>
    public static string Format(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6)
        {
            return IpMath.Canonical(address).ToString();
        }

        byte[] bytes = address.GetAddressBytes();
        var groups = new int[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = (bytes[2 * i] << 8) | bytes[(2 * i) + 1];
        }

        // The first longest run of two or more zero groups becomes "::".
        int bestStart = -1, bestLength = 1;
        for (int i = 0; i < 8;)
        {
            int j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }

            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }

            i = j == i ? i + 1 : j;
        }

        var text = new StringBuilder(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                text.Append("::");
                i += bestLength - 1;
                continue;
            }

            if (text.Length > 0 && text[^1] != ':')
            {
                text.Append(':');
            }

            text.Append(groups[i].ToString("x", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static bool TryParseV4(ReadOnlySpan<char> text, Span<byte> bytes)
    {
        int field = 0;
        foreach (var range in text.Split('.'))
        {
            var part = text[range];
            if (field == 4 || part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            int value = 0;
            foreach (char c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }

                value = (value * 10) + (c - '0');
            }

            if (value > 255)
            {
                return false;
            }

            bytes[field++] = (byte)value;
        }

        return field == 4;
    }

    private static bool TryParseV6(string text, Span<byte> bytes)
    {
        bytes.Clear();
        int ellipsis = -1; // the byte offset where "::" stands
        int i = 0, n = 0;
        if (text.StartsWith("::", StringComparison.Ordinal))
        {
            ellipsis = 0;
            i = 2;
            if (i == text.Length)
            {
                return true;
            }
        }

        while (n < 16)
        {
            int digits = 0, value = 0;
            while (i + digits < text.Length && Uri.IsHexDigit(text[i + digits]))
            {
                value = (value << 4) | int.Parse(text.AsSpan(i + digits, 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                digits++;
                if (digits > 4)
                {
                    return false;
                }
            }

            if (digits == 0)
            {
                return false;
            }

            // A dotted IPv4 tail fills the last four bytes.
            if (i + digits < text.Length && text[i + digits] == '.')
            {
                if ((ellipsis < 0 && n != 12) || n + 4 > 16 || !TryParseV4(text.AsSpan(i), bytes.Slice(n, 4)))
                {
                    return false;
                }

                n += 4;
                i = text.Length;
                break;
            }

            bytes[n] = (byte)(value >> 8);
            bytes[n + 1] = (byte)value;
            n += 2;
            i += digits;
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != ':' || i + 1 == text.Length)
            {
                return false;
            }

            i++;
            if (text[i] == ':')
            {
                if (ellipsis >= 0)
                {
                    return false;
                }

                ellipsis = n;
                i++;
                if (i == text.Length)
                {
                    break;
                }
            }
        }

        if (i != text.Length)
        {
            return false;
        }

        if (n < 16)
        {
            if (ellipsis < 0)
            {
                return false;
            }

            int shift = 16 - n;
            for (int j = n - 1; j >= ellipsis; j--)
            {
                bytes[j + shift] = bytes[j];
            }

            bytes.Slice(ellipsis, shift).Clear();
        }
        else if (ellipsis >= 0)
        {
            return false; // "::" must stand for at least one group
        }

        return true;
    }
}
