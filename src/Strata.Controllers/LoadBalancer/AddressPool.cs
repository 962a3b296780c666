using System.Net;
using System.Net.Sockets;
using Strata.Controllers.NodeIpam;

namespace Strata.Controllers.LoadBalancer;

/// <summary>One contiguous block of a pool: from <see cref="First"/> to <see cref="Last"/>, both included.</summary>
public readonly record struct AddressRange(AddressFamily Family, UInt128 First, UInt128 Last)
{
    public UInt128 Size => Last - First + 1;

    public bool Contains(AddressFamily family, UInt128 value) => family == Family && value >= First && value <= Last;

    public override string ToString() => First == Last
        ? IpCidr.ToAddress(Family, First).ToString()
        : $"{IpCidr.ToAddress(Family, First)}-{IpCidr.ToAddress(Family, Last)}";
}

/// <summary>
/// The addresses LoadBalancer Services are given, written as MetalLB's IPAddressPool <c>spec.addresses</c>: a
/// comma-separated list of CIDRs (<c>192.168.10.0/24</c>) and ranges (<c>192.168.9.1-192.168.9.5</c>). As in MetalLB
/// without <c>avoidBuggyIPs</c>, a CIDR's network and broadcast addresses are part of the pool. Blocks may not overlap.
/// </summary>
public sealed class AddressPool
{
    private AddressPool(string text, IReadOnlyList<AddressRange> ranges)
    {
        Text = text;
        Ranges = ranges;
    }

    /// <summary>The pool as it was written.</summary>
    public string Text { get; }

    /// <summary>The blocks in the order written; allocation takes the lowest free address of the first block first.</summary>
    public IReadOnlyList<AddressRange> Ranges { get; }

    public UInt128 Size => Ranges.Aggregate(UInt128.Zero, (sum, r) => sum + r.Size);

    public bool Contains(IPAddress address)
    {
        address = IpCidr.Normalize(address);
        var value = IpCidr.ToValue(address);
        return Ranges.Any(r => r.Contains(address.AddressFamily, value));
    }

    /// <summary>Every address, in allocation order.</summary>
    public IEnumerable<IPAddress> Addresses()
    {
        foreach (var range in Ranges)
        {
            for (var value = range.First; ; value++)
            {
                yield return IpCidr.ToAddress(range.Family, value);
                if (value == range.Last)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Parses the pool; bad text throws <see cref="FormatException"/> naming the block and what is wrong with it.</summary>
    public static AddressPool Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (string.IsNullOrWhiteSpace(text) || parts.Any(p => p.Length == 0))
        {
            throw new FormatException($"load balancer pool \"{text}\": expected comma-separated CIDRs (192.168.10.0/24) or ranges (192.168.9.1-192.168.9.5), with no empty entry");
        }

        var ranges = new List<AddressRange>();
        foreach (var part in parts)
        {
            var range = ParseBlock(text, part);
            foreach (var other in ranges.Where(r => r.Family == range.Family && r.First <= range.Last && range.First <= r.Last))
            {
                throw new FormatException($"load balancer pool \"{text}\": {part} overlaps {other}");
            }

            ranges.Add(range);
        }

        return new AddressPool(text, ranges);
    }

    private static AddressRange ParseBlock(string pool, string part)
    {
        if (part.Contains('/', StringComparison.Ordinal))
        {
            if (!IpCidr.TryParse(part, out var cidr))
            {
                throw new FormatException($"load balancer pool \"{pool}\": \"{part}\" is not a valid CIDR");
            }

            return new AddressRange(cidr.Family, cidr.NetworkValue, cidr.LastValue);
        }

        var dash = part.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            throw new FormatException($"load balancer pool \"{pool}\": \"{part}\" is neither a CIDR (a.b.c.d/n) nor a range (first-last)");
        }

        var (firstText, lastText) = (part[..dash].Trim(), part[(dash + 1)..].Trim());
        if (!IpCidr.TryParseAddress(firstText, out var first) || !IpCidr.TryParseAddress(lastText, out var last))
        {
            throw new FormatException($"load balancer pool \"{pool}\": range \"{part}\" has an invalid IP address \"{(IpCidr.TryParseAddress(firstText, out _) ? lastText : firstText)}\"");
        }

        if (first.AddressFamily != last.AddressFamily)
        {
            throw new FormatException($"load balancer pool \"{pool}\": range \"{part}\" mixes IPv4 and IPv6");
        }

        var (from, to) = (IpCidr.ToValue(first), IpCidr.ToValue(last));
        if (from > to)
        {
            throw new FormatException($"load balancer pool \"{pool}\": range \"{part}\" ends before it starts");
        }

        return new AddressRange(first.AddressFamily, from, to);
    }

    public override string ToString() => Text;
}
