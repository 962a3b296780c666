using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Strata.ApiServer.Validation;

/// <summary>
/// The string formats custom resources are checked against: kube-openapi's <c>strfmt.Default</c> registry
/// (pkg/validation/strfmt) restricted to what apiextensions-apiserver keeps
/// (pkg/apiserver/validation/formats.go, <c>supportedVersionedFormats</c> up to 1.34). Names are normalised as
/// go-openapi does, dashes removed, so <c>date-time</c> is <c>datetime</c>. Formats outside the list are
/// stripped from the schema before validating, so they check nothing.
/// </summary>
internal static class OpenApiFormats
{
    private static readonly Regex s_hostname = new(
        @"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})\z",
        RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
    private static readonly Regex s_uuid = Ci("^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\\z");
    private static readonly Regex s_uuid3 = Ci("^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}\\z");
    private static readonly Regex s_uuid4 = Ci("^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}\\z");
    private static readonly Regex s_uuid5 = Ci("^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}\\z");
    private static readonly Regex s_dateTimeTail = Plain("^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))\\z");
    private static readonly Regex s_date = Plain("^[0-9]{4}-[0-9]{2}-[0-9]{2}\\z");
    private static readonly Regex s_creditCard = Plain("^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35[0-9]{3})[0-9]{11})\\z");
    private static readonly Regex s_isbn10 = Plain("^(?:[0-9]{9}X|[0-9]{10})\\z");
    private static readonly Regex s_isbn13 = Plain("^(?:[0-9]{13})\\z");
    private static readonly Regex s_hexColor = Plain("^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})\\z");
    private static readonly Regex s_rgbColor = Plain(@"^rgb\(\s*(0|[1-9][0-9]?|1[0-9][0-9]?|2[0-4][0-9]|25[0-5])\s*,\s*(0|[1-9][0-9]?|1[0-9][0-9]?|2[0-4][0-9]|25[0-5])\s*,\s*(0|[1-9][0-9]?|1[0-9][0-9]?|2[0-4][0-9]|25[0-5])\s*\)\z");
    private static readonly Regex s_base64 = Plain("^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})\\z");
    private static readonly Regex s_ssn = Plain("^[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}\\z");
    private static readonly Regex s_shortName = Plain("^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\z");
    private static readonly Regex s_longName = Plain("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\z");
    private static readonly Regex s_goDuration = Plain("^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)\\z");
    private static readonly Regex s_durationPart = Plain("(([0-9]+)[\\t\\n\\f\\r ]*([A-Za-z\u00b5]+))");
    private static readonly Regex s_email = Plain(@"^(?:[^<>]*<)?[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*>?\z");
    private static readonly Regex s_whiteSpaceAndMinus = Plain("[\\t\\n\\v\\f\\r \\-]+");
    private static readonly Regex s_notNumber = Plain("[^0-9]+");

    private static readonly Dictionary<string, Func<string, bool>> s_validators = new(StringComparer.Ordinal)
    {
        ["bsonobjectid"] = s => s.Length == 24 && s.All(Uri.IsHexDigit),
        ["uri"] = IsRequestUri,
        ["email"] = s => s_email.IsMatch(s) && s.Contains('@', StringComparison.Ordinal),
        ["hostname"] = IsHostname,
        ["ipv4"] = s => ParseIpSloppy(s) is not null && s.Contains('.', StringComparison.Ordinal),
        ["ipv6"] = s => ParseIpSloppy(s) is not null && s.Contains(':', StringComparison.Ordinal),
        ["cidr"] = IsCidr,
        ["mac"] = IsMac,
        ["uuid"] = s_uuid.IsMatch,
        ["uuid3"] = s_uuid3.IsMatch,
        ["uuid4"] = s_uuid4.IsMatch,
        ["uuid5"] = s_uuid5.IsMatch,
        ["isbn"] = s => IsIsbn(s, 10) || IsIsbn(s, 13),
        ["isbn10"] = s => IsIsbn(s, 10),
        ["isbn13"] = s => IsIsbn(s, 13),
        ["creditcard"] = IsCreditCard,
        ["ssn"] = s => s.Length == 11 && s_ssn.IsMatch(s),
        ["hexcolor"] = s_hexColor.IsMatch,
        ["rgbcolor"] = s_rgbColor.IsMatch,
        ["byte"] = s_base64.IsMatch,
        ["password"] = _ => true,
        ["date"] = IsDate,
        ["duration"] = IsDuration,
        ["datetime"] = IsDateTime,
        ["k8sshortname"] = s => Encoding.UTF8.GetByteCount(s) <= 63 && s_shortName.IsMatch(s),
        ["k8slongname"] = s => Encoding.UTF8.GetByteCount(s) <= 253 && s_longName.IsMatch(s),
    };

    private static Regex Plain(string pattern) => new(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    private static Regex Ci(string pattern) => new(pattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.NonBacktracking);

    /// <summary>go-openapi's name normalisation: dashes removed.</summary>
    public static string Normalize(string format) => format.Replace("-", "", StringComparison.Ordinal);

    /// <summary>Whether the registry knows the format (and a string schema keeps it).</summary>
    public static bool IsKnown(string format) => format.Length > 0 && s_validators.ContainsKey(Normalize(format));

    public static bool Validates(string format, string value) => s_validators.TryGetValue(Normalize(format), out var check) && check(value);

    /// <summary>
    /// apiextensions' StripUnsupportedFormatsPostProcessor: the format a schema keeps, or <c>""</c>.
    /// <paramref name="singleType"/> is the schema's type when it has exactly one.
    /// </summary>
    public static string Keep(string format, string singleType) => format.Length == 0
        ? ""
        : singleType switch
        {
            "" or "string" => IsKnown(format) ? format : "",
            "integer" => format is "int32" or "int64" ? format : "",
            "number" => format is "float" or "double" ? format : "",
            _ => "",
        };

    // strfmt.IsDateTime: a full-date, "t", then a time with a zone, compared after lower-casing.
    private static bool IsDateTime(string value)
    {
        if (value.Length < 4)
        {
            return false;
        }
        var parts = value.ToLowerInvariant().Split('t');
        if (parts.Length < 2 || !IsDate(parts[0]))
        {
            return false;
        }
        var m = s_dateTimeTail.Match(parts[1]);
        if (!m.Success)
        {
            return false;
        }
        return string.CompareOrdinal(m.Groups[1].Value, "23") <= 0
            && string.CompareOrdinal(m.Groups[2].Value, "59") <= 0
            && string.CompareOrdinal(m.Groups[3].Value, "59") <= 0;
    }

    // time.Parse("2006-01-02", s): fixed widths, a real calendar day.
    private static bool IsDate(string value)
    {
        if (!s_date.IsMatch(value))
        {
            return false;
        }
        var year = int.Parse(value[..4], CultureInfo.InvariantCulture);
        var month = int.Parse(value[5..7], CultureInfo.InvariantCulture);
        var day = int.Parse(value[8..10], CultureInfo.InvariantCulture);
        if (month is < 1 or > 12 || day < 1)
        {
            return false;
        }
        var leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        int[] days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        return day <= days[month - 1];
    }

    // strfmt.ParseDuration: Go's time.ParseDuration, else "<n> <unit>" pairs with long unit names.
    private static bool IsDuration(string value)
    {
        if (s_goDuration.IsMatch(value))
        {
            return true;
        }
        string[][] units = [["ns", "nano"], ["us", "\u00b5s", "micro"], ["ms", "milli"], ["s", "sec"], ["m", "min"], ["h", "hr", "hour"], ["d", "day"], ["w", "wk", "week"]];
        foreach (Match match in s_durationPart.Matches(value))
        {
            var unit = match.Groups[3].Value.Trim().ToLowerInvariant();
            foreach (var variants in units)
            {
                for (var i = 0; i < variants.Length; i++)
                {
                    if ((i == variants.Length - 1 && unit.StartsWith(variants[i], StringComparison.Ordinal))
                        || string.Equals(variants[i], unit, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static bool IsHostname(string value)
    {
        if (!s_hostname.IsMatch(value) || Encoding.UTF8.GetByteCount(value) > 255)
        {
            return false;
        }
        return value.Split('.').All(p => Encoding.UTF8.GetByteCount(p) <= 63);
    }

    // url.ParseRequestURI: an absolute URI or an absolute path, no control characters, valid %-escapes.
    private static bool IsRequestUri(string value)
    {
        if (value.Length == 0 || value.Any(c => c < 0x20 || c == 0x7f))
        {
            return false;
        }
        var rest = value;
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var hasScheme = false;
        if (colon >= 0)
        {
            var scheme = value[..colon];
            var schemeOk = scheme.Length > 0 && char.IsAsciiLetter(scheme[0])
                && scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
            var beforeSlash = value.IndexOf('/', StringComparison.Ordinal) is var slash && (slash < 0 || colon < slash);
            if (colon == 0)
            {
                return false;
            }
            if (schemeOk)
            {
                hasScheme = true;
                rest = value[(colon + 1)..];
            }
            else if (beforeSlash)
            {
                return false;
            }
        }
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        var path = query >= 0 ? rest[..query] : rest;
        if (!hasScheme && !path.StartsWith('/'))
        {
            return false;
        }
        if (hasScheme && !path.StartsWith('/'))
        {
            return true; // opaque, as mailto:someone
        }
        if (path.StartsWith("//", StringComparison.Ordinal) && hasScheme)
        {
            var authorityEnd = path.IndexOf('/', 2);
            var authority = authorityEnd < 0 ? path[2..] : path[2..authorityEnd];
            var at = authority.LastIndexOf('@');
            var host = at >= 0 ? authority[(at + 1)..] : authority;
            if (!ValidHostPort(host))
            {
                return false;
            }
            path = authorityEnd < 0 ? "" : path[authorityEnd..];
        }
        return ValidEscapes(path);
    }

    private static bool ValidHostPort(string host)
    {
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }
            var port = host[(close + 1)..];
            return port.Length == 0 || (port[0] == ':' && port[1..].All(char.IsAsciiDigit));
        }
        var colon = host.LastIndexOf(':');
        if (colon >= 0 && !host[(colon + 1)..].All(char.IsAsciiDigit))
        {
            return false;
        }
        return true;
    }

    private static bool ValidEscapes(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && (i + 2 >= value.Length || !Uri.IsHexDigit(value[i + 1]) || !Uri.IsHexDigit(value[i + 2])))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>netutils.ParseIPSloppy: Go's net.ParseIP, but IPv4 parts may have leading zeros (read as decimal).</summary>
    public static IPAddress? ParseIpSloppy(string value)
    {
        if (value.Contains(':', StringComparison.Ordinal))
        {
            if (value.IndexOfAny(['[', ']', '%', '/']) >= 0 || !IPAddress.TryParse(value, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return null;
            }
            return v6;
        }
        var parts = value.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            if (parts[i].Length is 0 or > 3 || !parts[i].All(char.IsAsciiDigit))
            {
                return null;
            }
            var n = int.Parse(parts[i], CultureInfo.InvariantCulture);
            if (n > 255)
            {
                return null;
            }
            bytes[i] = (byte)n;
        }
        return new IPAddress(bytes);
    }

    private static bool IsCidr(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || ParseIpSloppy(value[..slash]) is not { } ip)
        {
            return false;
        }
        var bits = value[(slash + 1)..];
        var max = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        return bits.Length is > 0 and <= 3 && bits.All(char.IsAsciiDigit) && int.Parse(bits, CultureInfo.InvariantCulture) <= max;
    }

    // net.ParseMAC: 6, 8 or 20 octets as xx:xx, xx-xx or xxxx.xxxx groups.
    private static bool IsMac(string value)
    {
        if (value.Length < 14)
        {
            return false;
        }
        if (value[2] is ':' or '-')
        {
            if ((value.Length + 1) % 3 != 0)
            {
                return false;
            }
            var n = (value.Length + 1) / 3;
            if (n is not (6 or 8 or 20))
            {
                return false;
            }
            for (var i = 0; i < n; i++)
            {
                var x = i * 3;
                if (!Uri.IsHexDigit(value[x]) || !Uri.IsHexDigit(value[x + 1]) || (x + 2 < value.Length && value[x + 2] != value[2]))
                {
                    return false;
                }
            }
            return true;
        }
        if (value[4] == '.')
        {
            if ((value.Length + 1) % 5 != 0)
            {
                return false;
            }
            var n = 2 * (value.Length + 1) / 5;
            if (n is not (6 or 8 or 20))
            {
                return false;
            }
            for (var x = 0; x < value.Length; x += 5)
            {
                if (!value.Substring(x, 4).All(Uri.IsHexDigit) || (x + 4 < value.Length && value[x + 4] != '.'))
                {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static bool IsIsbn(string value, int version)
    {
        var s = s_whiteSpaceAndMinus.Replace(value, "");
        if (version == 10)
        {
            if (!s_isbn10.IsMatch(s))
            {
                return false;
            }
            var sum = 0;
            for (var i = 0; i < 9; i++)
            {
                sum += (i + 1) * (s[i] - '0');
            }
            sum += s[9] == 'X' ? 100 : 10 * (s[9] - '0');
            return sum % 11 == 0;
        }
        if (!s_isbn13.IsMatch(s))
        {
            return false;
        }
        var checksum = 0;
        for (var i = 0; i < 12; i++)
        {
            checksum += (i % 2 == 0 ? 1 : 3) * (s[i] - '0');
        }
        return (s[12] - '0') - ((10 - (checksum % 10)) % 10) == 0;
    }

    private static bool IsCreditCard(string value)
    {
        var s = s_notNumber.Replace(value, "");
        if (!s_creditCard.IsMatch(s))
        {
            return false;
        }
        var sum = 0;
        var doubleIt = false;
        for (var i = s.Length - 1; i >= 0; i--)
        {
            var d = s[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                sum += d >= 10 ? (d % 10) + 1 : d;
            }
            else
            {
                sum += d;
            }
            doubleIt = !doubleIt;
        }
        return sum % 10 == 0;
    }
}
