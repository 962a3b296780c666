using System.Net;
using System.Net.Sockets;
using Strata.Controllers.NodeIpam;

namespace Strata.ApiServer.Allocation;

/// <summary>
/// The Service ClusterIP range as upstream's <c>ipallocator.Range</c> lays it out: offset 0 is the address after the
/// network address; for IPv4 the broadcast address is left out too; an IPv6 range is capped at 65536 addresses
/// (the bitmap's size). Neither end is ever handed out or releasable.
/// </summary>
public sealed class ServiceIpRange
{
    public const string DefaultCidr = "10.233.0.0/18";

    private const int MaxIPv6Size = 65536;

    private ServiceIpRange(IpCidr cidr)
    {
        Cidr = cidr;
        long size;
        if (cidr.Family == AddressFamily.InterNetwork)
        {
            // k8s.io/utils/net RangeSize is 0 for /0 and /1; the broadcast address is dropped.
            size = cidr.PrefixLength <= 1 ? 0 : cidr.Size;
            size--;
        }
        else
        {
            size = cidr.PrefixLength <= 1 ? 0 : Math.Min(cidr.Size, MaxIPv6Size);
        }

        Size = (int)Math.Max(0, size - 1);
        StaticBandSize = CalculateStaticBand(cidr.PrefixLength <= 1 ? 0 : cidr.Size);
    }

    public IpCidr Cidr { get; }

    public AddressFamily Family => Cidr.Family;

    /// <summary>The network address (never allocated).</summary>
    public IPAddress Network => Cidr.Network;

    /// <summary>The IPv4 broadcast address (never allocated); null for IPv6.</summary>
    public IPAddress? Broadcast => Family == AddressFamily.InterNetwork ? Cidr.LastAddress : null;

    /// <summary>The first allocatable address (<c>10.233.0.1</c>); null if the range has none.</summary>
    public IPAddress? First => Size > 0 ? AddressAt(0) : null;

    /// <summary>The last allocatable address (<c>10.233.63.254</c>); null if the range has none.</summary>
    public IPAddress? Last => Size > 0 ? AddressAt(Size - 1) : null;

    /// <summary>The number of allocatable addresses (upstream's <c>r.max</c>): 16382 for a /18.</summary>
    public int Size { get; }

    /// <summary>
    /// The lower band kept for static (user-chosen) IPs while the upper band has room: upstream's
    /// <c>calculateRangeOffset</c>, <c>min(max(16, cidrSize/16), 256)</c>, 0 for ranges of 16 addresses or fewer.
    /// 256 for a /18, so <c>AllocateNext</c> starts at 10.233.1.1.
    /// </summary>
    public int StaticBandSize { get; }

    public static ServiceIpRange Parse(string cidr = DefaultCidr)
    {
        if (!IpCidr.TryParse(cidr, out var parsed))
        {
            throw new FormatException($"invalid CIDR address: {cidr}");
        }

        return new ServiceIpRange(parsed);
    }

    public static ServiceIpRange FromCidr(IpCidr cidr) => new(cidr);

    /// <summary>The offset of an allocatable address, or false (outside the CIDR, its network or broadcast address, or beyond the IPv6 cap).</summary>
    public bool TryGetOffset(IPAddress address, out int offset)
    {
        offset = 0;
        address = IpCidr.Normalize(address);
        if (!Cidr.Contains(address))
        {
            return false;
        }

        var distance = IpCidr.ToValue(address) - Cidr.NetworkValue;
        if (distance == UInt128.Zero || distance > (UInt128)Size)
        {
            return false;
        }

        offset = (int)(distance - UInt128.One);
        return true;
    }

    public bool Contains(IPAddress address) => TryGetOffset(address, out _);

    public IPAddress AddressAt(int offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(offset, Size);
        return IpCidr.ToAddress(Family, Cidr.NetworkValue + (UInt128)(offset + 1));
    }

    /// <summary><c>10.233.0.0/18</c>, as Go's <c>IPNet.String()</c> (and <c>RangeAllocation.range</c>).</summary>
    public override string ToString() => Cidr.ToString();

    private static int CalculateStaticBand(long cidrSize)
    {
        const int min = 16;
        const int max = 256;
        const int step = 16;
        if (cidrSize <= min)
        {
            return 0;
        }

        var offset = cidrSize / step;
        return offset < min ? min : offset > max ? max : (int)offset;
    }
}
