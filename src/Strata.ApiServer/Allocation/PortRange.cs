using System.Globalization;

namespace Strata.ApiServer.Allocation;

/// <summary>
/// A port range as apimachinery's <c>net.PortRange</c> (k8s.io/apimachinery/pkg/util/net/port_range.go):
/// parsed from <c>30000-32767</c>, <c>30000+2767</c> or a single port, printed as <c>base-last</c>.
/// </summary>
public readonly record struct PortRange(int Base, int Size)
{
    public const string DefaultNodePorts = "30000-32767";

    public int Last => Base + Size - 1;

    public bool Contains(int port) => port >= Base && port - Base < Size;

    /// <summary><c>30000-32767</c>; empty for an empty range.</summary>
    public override string ToString() =>
        Size == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{Base}-{Last}");

    /// <summary>Parses as <c>PortRange.Set</c> does, with its error messages.</summary>
    public static PortRange Parse(string value)
    {
        value = value.Trim();
        if (value.Length == 0)
        {
            return new PortRange(0, 0);
        }

        var hyphen = value.IndexOf('-', StringComparison.Ordinal);
        var plus = value.IndexOf('+', StringComparison.Ordinal);
        int low, high;
        if (hyphen < 0 && plus < 0)
        {
            low = high = Number(value);
        }
        else if (hyphen >= 0 && plus < 0)
        {
            low = Number(value[..hyphen]);
            high = Number(value[(hyphen + 1)..]);
        }
        else if (plus >= 0 && hyphen < 0)
        {
            low = Number(value[..plus]);
            high = low + Number(value[(plus + 1)..]);
        }
        else
        {
            throw new FormatException($"unable to parse port range: {value}");
        }

        if (low > 65535 || high > 65535)
        {
            throw new FormatException($"the port range cannot be greater than 65535: {value}");
        }

        if (high < low)
        {
            throw new FormatException($"end port cannot be less than start port: {value}");
        }

        return new PortRange(low, 1 + high - low);
    }

    private static int Number(string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new FormatException($"strconv.Atoi: parsing {Validation.GoFormat.Quote(text)}: invalid syntax");
}
