using System.Text;

namespace Strata.Dns.Wire;

/// <summary>
/// Domain names in presentation form without the trailing dot ("" is the root). Labels that hold a dot, a backslash
/// or a byte outside printable ASCII are escaped as RFC 1035 5.1 master files do (<c>\.</c>, <c>\\</c>, <c>\DDD</c>),
/// so every wire name has exactly one string. Comparison is ASCII case-insensitive (RFC 4343).
/// </summary>
public static class DnsName
{
    public const int MaxWireLength = 255;
    public const int MaxLabelLength = 63;

    public static readonly StringComparer Comparer = StringComparer.OrdinalIgnoreCase;

    /// <summary>Drops one trailing dot: "a.b." and "a.b" are the same name; "." is the root.</summary>
    public static string Normalize(string name) => name.EndsWith('.') && !name.EndsWith("\\.", StringComparison.Ordinal) ? name[..^1] : name;

    public static bool Equal(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="name"/> is <paramref name="zone"/> or below it.</summary>
    public static bool IsInZone(string name, string zone)
    {
        if (zone.Length == 0)
        {
            return true;
        }

        if (name.Length == zone.Length)
        {
            return Equal(name, zone);
        }

        return name.Length > zone.Length
            && name[name.Length - zone.Length - 1] == '.'
            && name.EndsWith(zone, StringComparison.OrdinalIgnoreCase)
            && !IsEscaped(name, name.Length - zone.Length - 1);
    }

    /// <summary>The labels of <paramref name="name"/> (still escaped), from left to right.</summary>
    public static List<string> Labels(string name)
    {
        var labels = new List<string>();
        if (name.Length == 0)
        {
            return labels;
        }

        var start = 0;
        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] == '\\')
            {
                i++;
                continue;
            }

            if (name[i] == '.')
            {
                labels.Add(name[start..i]);
                start = i + 1;
            }
        }

        labels.Add(name[start..]);
        return labels;
    }

    /// <summary>The wire bytes of one escaped label; throws <see cref="DnsFormatException"/> for an empty or overlong label.</summary>
    public static byte[] LabelBytes(string label)
    {
        var bytes = new List<byte>(label.Length);
        for (var i = 0; i < label.Length; i++)
        {
            var c = label[i];
            if (c == '\\' && i + 1 < label.Length)
            {
                if (i + 3 < label.Length && char.IsAsciiDigit(label[i + 1]) && char.IsAsciiDigit(label[i + 2]) && char.IsAsciiDigit(label[i + 3]))
                {
                    var value = ((label[i + 1] - '0') * 100) + ((label[i + 2] - '0') * 10) + (label[i + 3] - '0');
                    if (value > 255)
                    {
                        throw new DnsFormatException($"escape \\{label.Substring(i + 1, 3)} in label \"{label}\" is above 255");
                    }

                    bytes.Add((byte)value);
                    i += 3;
                }
                else
                {
                    bytes.Add((byte)label[++i]);
                }

                continue;
            }

            if (c > 0x7F)
            {
                throw new DnsFormatException($"label \"{label}\" has a non-ASCII character; use IDNA (punycode) names");
            }

            bytes.Add((byte)c);
        }

        if (bytes.Count == 0)
        {
            throw new DnsFormatException("a name has an empty label");
        }

        if (bytes.Count > MaxLabelLength)
        {
            throw new DnsFormatException($"label \"{label}\" is {bytes.Count} bytes long; at most {MaxLabelLength}");
        }

        return [.. bytes];
    }

    /// <summary>Appends one wire label to a presentation name, escaping as needed.</summary>
    internal static void AppendLabel(StringBuilder name, ReadOnlySpan<byte> label)
    {
        if (name.Length > 0)
        {
            name.Append('.');
        }

        foreach (var b in label)
        {
            if (b is (byte)'.' or (byte)'\\')
            {
                name.Append('\\').Append((char)b);
            }
            else if (b is < 0x21 or > 0x7E)
            {
                name.Append('\\').Append(b.ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                name.Append((char)b);
            }
        }
    }

    /// <summary>Lower-cases ASCII letters only (RFC 4343), leaving escapes as they are.</summary>
    public static string ToLower(string name)
    {
        foreach (var c in name)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                return string.Create(name.Length, name, static (span, source) =>
                {
                    for (var i = 0; i < source.Length; i++)
                    {
                        span[i] = char.IsAsciiLetterUpper(source[i]) ? (char)(source[i] | 0x20) : source[i];
                    }
                });
            }
        }

        return name;
    }

    private static bool IsEscaped(string name, int index)
    {
        var backslashes = 0;
        for (var i = index - 1; i >= 0 && name[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }
}
