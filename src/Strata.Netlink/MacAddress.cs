using System.Net.NetworkInformation;

namespace Strata.Netlink;

/// <summary>Link-layer addresses in the form <c>ip</c> prints them: lower-case, colon-separated.</summary>
public static class MacAddress
{
    public static string Format(PhysicalAddress? address) =>
        address is null ? string.Empty : string.Join(':', address.GetAddressBytes().Select(b => b.ToString("x2")));

    public static PhysicalAddress Parse(string text)
    {
        // PhysicalAddress.TryParse also takes '-' separators, which ip (ll_addr_a2n) rejects.
        if (text.Length == 17 && text[2] == ':' && text[5] == ':' && text[8] == ':' && text[11] == ':' && text[14] == ':' &&
            PhysicalAddress.TryParse(text.ToUpperInvariant(), out var address))
        {
            return address;
        }

        throw new FormatException($"invalid MAC address \"{text}\": expected six colon-separated hex bytes, e.g. 0a:58:0a:e9:40:01");
    }
}
