using System.Globalization;
using System.Text;

namespace Strata.ApiServer.Validation;

/// <summary>
/// IP and CIDR checks of apimachinery pkg/util/validation/ip.go and core's ValidateNonSpecialIP, on top of
/// a parser that behaves like k8s.io/utils/net's ParseIPSloppy (Go's net.ParseIP, IPv4 leading zeros allowed)
/// and the stricter net/netip parser.
/// </summary>
public static class IpRules
{
    /// <summary>IsValidIP (strict): parseable, no leading zeros, not IPv4-mapped, canonical.</summary>
    public static List<FieldError> IsValidIP(FieldPath fldPath, string value)
    {
        var errs = ParseIP(fldPath, value, strict: true, out var ip);
        if (errs.Count != 0 || ip is null)
        {
            return errs;
        }
        var canonical = Format(ip);
        if (value != canonical)
        {
            errs.Add(FieldErrors.Invalid(fldPath, value, "must be in canonical form (" + GoFormat.Quote(canonical) + ")"));
        }
        return errs;
    }

    /// <summary>IsValidIPForLegacyField without strict validation: only the sloppy parse.</summary>
    public static List<FieldError> IsValidIPForLegacyField(FieldPath fldPath, string value) =>
        ParseIP(fldPath, value, strict: false, out _);

    public static List<FieldError> IsValidCIDR(FieldPath fldPath, string value)
    {
        var errs = ParseCidr(fldPath, value, strict: true, out var network, out var ones);
        if (errs.Count != 0 || network is null)
        {
            return errs;
        }
        var canonical = Format(network) + "/" + ones.ToString(CultureInfo.InvariantCulture);
        if (value != canonical)
        {
            errs.Add(FieldErrors.Invalid(fldPath, value, "must be in canonical form (" + GoFormat.Quote(canonical) + ")"));
        }
        return errs;
    }

    /// <summary>IsValidCIDRForLegacyField without strict validation: only the sloppy parse.</summary>
    public static List<FieldError> IsValidCIDRForLegacyField(FieldPath fldPath, string value) =>
        ParseCidr(fldPath, value, strict: false, out _, out _);

    /// <summary>Legacy EndpointSlice address checks (IsValidIPv4Address / IsValidIPv6Address).</summary>
    public static List<FieldError> IsValidIPv4Address(FieldPath fldPath, string value)
    {
        var ip = ParseSloppy(value);
        return ip is null || ip.Length != 4 && !IsMapped(ip)
            ? [FieldErrors.Invalid(fldPath, value, "must be a valid IPv4 address")]
            : [];
    }

    public static List<FieldError> IsValidIPv6Address(FieldPath fldPath, string value)
    {
        var ip = ParseSloppy(value);
        return ip is null || ip.Length == 4 || IsMapped(ip)
            ? [FieldErrors.Invalid(fldPath, value, "must be a valid IPv6 address")]
            : [];
    }

    /// <summary>core ValidateNonSpecialIP: no unspecified, loopback or link-local addresses.</summary>
    public static List<FieldError> ValidateNonSpecialIP(string value, FieldPath fldPath)
    {
        var ip = ParseSloppy(value);
        if (ip is null)
        {
            return [FieldErrors.Invalid(fldPath, value, "must be a valid IP address")];
        }
        var v4 = ip.Length == 4 ? ip : IsMapped(ip) ? ip[12..] : null;
        var errs = new List<FieldError>();
        var unspecified = v4 is not null ? v4.All(b => b == 0) : ip.All(b => b == 0);
        var loopback = v4 is not null ? v4[0] == 127 : ip[..15].All(b => b == 0) && ip[15] == 1;
        var linkLocalUnicast = v4 is not null ? v4[0] == 169 && v4[1] == 254 : ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;
        var linkLocalMulticast = v4 is not null ? v4[0] == 224 && v4[1] == 0 && v4[2] == 0 : ip[0] == 0xff && (ip[1] & 0x0f) == 0x02;
        if (unspecified)
        {
            errs.Add(FieldErrors.Invalid(fldPath, value, "may not be unspecified (" + value + ")"));
        }
        if (loopback)
        {
            errs.Add(FieldErrors.Invalid(fldPath, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"));
        }
        if (linkLocalUnicast)
        {
            errs.Add(FieldErrors.Invalid(fldPath, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
        }
        if (linkLocalMulticast)
        {
            errs.Add(FieldErrors.Invalid(fldPath, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"));
        }
        return errs;
    }

    /// <summary>True for an address ParseIPSloppy accepts.</summary>
    public static bool IsIP(string value) => ParseSloppy(value) is not null;

    /// <summary>True when the address is IPv6 (and not IPv4-mapped), as netutils.IsIPv6String.</summary>
    public static bool IsIPv6(string value) => ParseSloppy(value) is { Length: 16 } ip && !IsMapped(ip);

    /// <summary>Parses a CIDR sloppily; returns the family (4 or 6) or 0.</summary>
    public static int CidrFamily(string value)
    {
        var slash = value.LastIndexOf('/');
        if (slash < 0 || ParseSloppy(value[..slash]) is not { } ip)
        {
            return 0;
        }
        return ip.Length == 4 || IsMapped(ip) ? 4 : 6;
    }

    /// <summary>True if <paramref name="inner"/> lies strictly within <paramref name="outer"/> (the ipBlock.except rule).</summary>
    public static bool IsStrictSubset(string outer, string inner)
    {
        if (!TryParseCidr(outer, out var outerNet, out var outerOnes) || !TryParseCidr(inner, out var innerNet, out var innerOnes))
        {
            return false;
        }
        if (outerNet.Length != innerNet.Length)
        {
            return false;
        }
        return Mask(innerNet, outerOnes).AsSpan().SequenceEqual(outerNet) && outerOnes < innerOnes;
    }

    private static List<FieldError> ParseIP(FieldPath fldPath, string value, bool strict, out byte[]? ip)
    {
        var errs = new List<FieldError>();
        ip = ParseSloppy(value);
        if (ip is null)
        {
            errs.Add(FieldErrors.Invalid(fldPath, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
            return errs;
        }
        if (strict)
        {
            if (HasLeadingZeros(value))
            {
                errs.Add(FieldErrors.Invalid(fldPath, value, "must not have leading 0s"));
            }
            if (value.Contains(':', StringComparison.Ordinal) && IsMapped(ip))
            {
                errs.Add(FieldErrors.Invalid(fldPath, value, "must not be an IPv4-mapped IPv6 address"));
            }
        }
        return errs;
    }

    private static List<FieldError> ParseCidr(FieldPath fldPath, string value, bool strict, out byte[]? network, out int ones)
    {
        var errs = new List<FieldError>();
        network = null;
        ones = 0;
        if (!TryParseCidr(value, out var masked, out ones))
        {
            errs.Add(FieldErrors.Invalid(fldPath, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
            return errs;
        }
        network = masked;
        if (strict)
        {
            var slash = value.LastIndexOf('/');
            var address = value[..slash];
            var bits = value[(slash + 1)..];
            var ip = ParseSloppy(address)!;
            if (HasLeadingZeros(address) || bits.Length > 1 && bits[0] == '0')
            {
                errs.Add(FieldErrors.Invalid(fldPath, value, "must not have leading 0s in IP or prefix length"));
            }
            else if (address.Contains(':', StringComparison.Ordinal) && IsMapped(ip))
            {
                errs.Add(FieldErrors.Invalid(fldPath, value, "must not have an IPv4-mapped IPv6 address"));
            }
            else if (!Normalize(ip).AsSpan().SequenceEqual(masked))
            {
                errs.Add(FieldErrors.Invalid(fldPath, value, "must not have bits set beyond the prefix length"));
            }
        }
        return errs;
    }

    private static bool TryParseCidr(string value, out byte[] network, out int ones)
    {
        network = [];
        ones = 0;
        var slash = value.LastIndexOf('/');
        if (slash < 0)
        {
            return false;
        }
        var ip = ParseSloppy(value[..slash]);
        var bits = value[(slash + 1)..];
        if (ip is null || bits.Length == 0 || !bits.All(char.IsAsciiDigit) || bits.Length > 3)
        {
            return false;
        }
        ones = int.Parse(bits, CultureInfo.InvariantCulture);
        // Go's ParseCIDR uses the textual family: an IPv4 literal is 32 bits, anything with a colon 128.
        var normalized = value[..slash].Contains(':', StringComparison.Ordinal) ? ip : Normalize(ip);
        if (ones > normalized.Length * 8)
        {
            return false;
        }
        network = Mask(normalized, ones);
        return true;
    }

    private static byte[] Normalize(byte[] ip) => ip.Length == 16 && IsMapped(ip) ? ip[12..] : ip;

    private static byte[] Mask(byte[] ip, int ones)
    {
        var result = (byte[])ip.Clone();
        for (var i = 0; i < result.Length; i++)
        {
            var keep = Math.Clamp(ones - i * 8, 0, 8);
            result[i] &= (byte)(0xff << (8 - keep));
        }
        return result;
    }

    private static bool IsMapped(byte[] ip) =>
        ip.Length == 16 && ip[..10].All(b => b == 0) && ip[10] == 0xff && ip[11] == 0xff;

    // netip rejects IPv4 octets with leading zeros, also inside an IPv6 literal's dotted tail.
    private static bool HasLeadingZeros(string value)
    {
        var tail = value.Contains(':', StringComparison.Ordinal) ? value[(value.LastIndexOf(':') + 1)..] : value;
        if (!tail.Contains('.', StringComparison.Ordinal))
        {
            return false;
        }
        return tail.Split('.').Any(part => part.Length > 1 && part[0] == '0');
    }

    /// <summary>Go net.ParseIP with IPv4 leading zeros allowed; 4 bytes for IPv4 literals, 16 for IPv6.</summary>
    private static byte[]? ParseSloppy(string s) =>
        s.Contains(':', StringComparison.Ordinal) ? ParseIPv6(s) : ParseIPv4(s);

    private static byte[]? ParseIPv4(string s)
    {
        var parts = s.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }
        var ip = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var p = parts[i];
            if (p.Length == 0 || !p.All(char.IsAsciiDigit))
            {
                return null;
            }
            var n = 0;
            foreach (var c in p)
            {
                n = n * 10 + (c - '0');
                if (n > 255)
                {
                    return null;
                }
            }
            ip[i] = (byte)n;
        }
        return ip;
    }

    private static byte[]? ParseIPv6(string s)
    {
        var ip = new byte[16];
        var ellipsis = -1;
        var i = 0;
        var pos = 0;
        if (s.StartsWith("::", StringComparison.Ordinal))
        {
            ellipsis = 0;
            pos = 2;
            if (pos == s.Length)
            {
                return ip;
            }
        }
        while (i < 16)
        {
            var start = pos;
            var n = 0;
            while (pos < s.Length && Uri.IsHexDigit(s[pos]) && pos - start < 4)
            {
                n = n * 16 + Convert.ToInt32(s[pos].ToString(), 16);
                pos++;
            }
            if (pos == start)
            {
                return null;
            }
            if (pos < s.Length && s[pos] == '.')
            {
                if (ellipsis < 0 && i != 12 || i + 4 > 16)
                {
                    return null;
                }
                var v4 = ParseIPv4(s[start..]);
                if (v4 is null)
                {
                    return null;
                }
                v4.CopyTo(ip, i);
                i += 4;
                pos = s.Length;
                break;
            }
            if (pos < s.Length && Uri.IsHexDigit(s[pos]))
            {
                return null; // more than four hex digits
            }
            ip[i] = (byte)(n >> 8);
            ip[i + 1] = (byte)n;
            i += 2;
            if (pos == s.Length)
            {
                break;
            }
            if (s[pos] != ':' || pos + 1 == s.Length)
            {
                return null;
            }
            pos++;
            if (s[pos] == ':')
            {
                if (ellipsis >= 0)
                {
                    return null;
                }
                ellipsis = i;
                pos++;
                if (pos == s.Length)
                {
                    break;
                }
            }
        }
        if (pos != s.Length)
        {
            return null;
        }
        if (i < 16)
        {
            if (ellipsis < 0)
            {
                return null;
            }
            var n = 16 - i;
            for (var j = i - 1; j >= ellipsis; j--)
            {
                ip[j + n] = ip[j];
            }
            for (var j = ellipsis + n - 1; j >= ellipsis; j--)
            {
                ip[j] = 0;
            }
        }
        else if (ellipsis >= 0)
        {
            return null; // an ellipsis must stand for at least one group
        }
        return ip;
    }

    /// <summary>Go net.IP.String(): dotted for IPv4 and IPv4-mapped, RFC 5952 for IPv6.</summary>
    private static string Format(byte[] ip)
    {
        if (ip.Length == 4 || IsMapped(ip))
        {
            var v4 = ip.Length == 4 ? ip : ip[12..];
            return string.Join('.', v4.Select(b => b.ToString(CultureInfo.InvariantCulture)));
        }
        int bestStart = -1, bestLen = 0;
        for (var g = 0; g < 8;)
        {
            if (ip[2 * g] == 0 && ip[2 * g + 1] == 0)
            {
                var start = g;
                while (g < 8 && ip[2 * g] == 0 && ip[2 * g + 1] == 0)
                {
                    g++;
                }
                if (g - start > bestLen && g - start >= 2)
                {
                    bestStart = start;
                    bestLen = g - start;
                }
            }
            else
            {
                g++;
            }
        }
        var sb = new StringBuilder();
        for (var g = 0; g < 8; g++)
        {
            if (g == bestStart)
            {
                sb.Append("::");
                g += bestLen - 1;
                continue;
            }
            if (g > 0 && g != bestStart + bestLen)
            {
                sb.Append(':');
            }
            sb.Append(((ip[2 * g] << 8) | ip[2 * g + 1]).ToString("x", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
