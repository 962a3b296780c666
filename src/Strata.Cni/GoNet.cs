using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Strata.Cni;

/// <summary>
/// IP addresses and prefixes parsed and printed as Go's net package does (net.ParseIP,
/// net.ParseCIDR, IP.String, IPNet.String), which is how libcni reads and rewrites results. Pure.
/// </summary>
internal static class GoNet
{
    /// <summary>net.ParseIP: the 16-byte form, or null. IPv4 is strict (four decimal fields, no leading zeros); zones are refused.</summary>
    public static byte[]? ParseIp(string text)
    {
        if (text.Contains(':'))
        {
            if (text.IndexOfAny(['%', '[', ']', '/', ' ']) >= 0 || !IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return null;
            }

            int lastColon = text.LastIndexOf(':');
            if (text.IndexOf('.', lastColon) >= 0 && ParseIp4(text[(lastColon + 1)..]) is null)
            {
                return null; // an embedded IPv4 part follows the IPv4 rules
            }

            return v6.GetAddressBytes();
        }

        return ParseIp4(text) is { } v4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, .. v4] : null;
    }

    /// <summary>net.ParseCIDR: the address as written (not masked) and the prefix length, or null.</summary>
    public static (byte[] Ip, int Ones)? ParseCidr(string text)
    {
        int slash = text.IndexOf('/');
        if (slash < 0 || ParseIp(text[..slash]) is not { } ip)
        {
            return null;
        }

        string mask = text[(slash + 1)..];
        int bits = text[..slash].Contains(':') ? 128 : 32;
        if (mask.Length == 0 || mask.Any(c => c is < '0' or > '9')
            || !int.TryParse(mask, NumberStyles.None, CultureInfo.InvariantCulture, out int ones) || ones > bits)
        {
            return null;
        }

        return (ip, ones);
    }

    /// <summary>To4() != nil: an IPv4 address, or an IPv4-mapped IPv6 one.</summary>
    public static bool IsV4(byte[] ip) => ip.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0 && ip[10] == 0xff && ip[11] == 0xff;

    /// <summary>IP.String: dotted quad for IPv4 (and IPv4-mapped), RFC 5952 for the rest.</summary>
    public static string Format(byte[] ip)
    {
        if (IsV4(ip))
        {
            return $"{ip[12]}.{ip[13]}.{ip[14]}.{ip[15]}";
        }

        // The longest run of two or more zero groups becomes "::" (the first one on a tie).
        var groups = new int[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = ip[2 * i] << 8 | ip[2 * i + 1];
        }

        int bestStart = -1, bestLength = 0;
        for (int i = 0; i < 8;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }

            int j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }

            if (j - i >= 2 && j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }

            i = j;
        }

        var builder = new StringBuilder();
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                builder.Append("::");
                i += bestLength - 1;
                continue;
            }

            if (builder.Length > 0 && builder[^1] != ':')
            {
                builder.Append(':');
            }

            builder.Append(groups[i].ToString("x", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    private static byte[]? ParseIp4(string text)
    {
        string[] fields = text.Split('.');
        if (fields.Length != 4)
        {
            return null;
        }

        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            string field = fields[i];
            if (field.Length is 0 or > 3 || field.Any(c => c is < '0' or > '9') || (field.Length > 1 && field[0] == '0'))
            {
                return null;
            }

            int value = int.Parse(field, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return null;
            }

            bytes[i] = (byte)value;
        }

        return bytes;
    }
}
