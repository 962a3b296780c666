using System.Net;
using Strata.Controllers.NodeIpam;

namespace Strata.ApiServer.Allocation;

/// <summary>
/// Service ClusterIP allocation over one <see cref="ServiceIpRange"/>, as upstream's bitmap <c>ipallocator.Range</c>
/// (pkg/registry/core/service/ipallocator/bitmap.go, v1.32): <see cref="Allocate"/> takes a requested IP anywhere in
/// the range; <see cref="AllocateNext"/> picks a random free IP from the upper band and touches the lower
/// <see cref="ServiceIpRange.StaticBandSize"/> addresses only when the upper band is full. Thread-safe; in memory —
/// <see cref="PersistentAllocator{TAllocator}"/> keeps it in the store.
/// </summary>
public sealed class ClusterIpAllocator : IRangeAllocator
{
    private readonly AllocationBitmap _bitmap;

    public ClusterIpAllocator(ServiceIpRange range, Random? random = null)
    {
        Range = range;
        _bitmap = new AllocationBitmap(range.Size, range.ToString(), AllocationStrategy.RandomScanWithOffset, range.StaticBandSize, random);
    }

    public ClusterIpAllocator(string cidr = ServiceIpRange.DefaultCidr, Random? random = null)
        : this(ServiceIpRange.Parse(cidr), random)
    {
    }

    public ServiceIpRange Range { get; }

    public string RangeSpec => Range.ToString();

    public int Used => _bitmap.Count;

    public int Free => _bitmap.Free;

    public static ClusterIpAllocator FromSnapshot(RangeSnapshot snapshot, Random? random = null)
    {
        var allocator = new ClusterIpAllocator(ServiceIpRange.Parse(snapshot.Range), random);
        allocator.Restore(snapshot);
        return allocator;
    }

    /// <summary>
    /// Reserves <paramref name="ip"/>. Throws <see cref="AllocationException"/>: <c>the provided IP (X) is not in the
    /// valid range. The range of valid IPs is 10.233.0.0/18</c>, or <c>provided IP is already allocated</c>.
    /// </summary>
    public void Allocate(IPAddress ip)
    {
        ip = IpCidr.Normalize(ip);
        if (!Range.TryGetOffset(ip, out var offset))
        {
            throw AllocationException.IpNotInRange(ip.ToString(), RangeSpec);
        }

        if (!_bitmap.Allocate(offset))
        {
            throw new AllocationException(AllocationError.Allocated, AllocationException.IpAllocatedMessage);
        }
    }

    /// <summary>Reserves a free IP; <see cref="AllocationException"/> <c>range is full</c> when none is left.</summary>
    public IPAddress AllocateNext() =>
        _bitmap.AllocateNext() is { } offset ? Range.AddressAt(offset) : throw AllocationException.Full();

    /// <summary>Frees <paramref name="ip"/>; an unallocated or out-of-range IP is a no-op.</summary>
    public void Release(IPAddress ip)
    {
        if (Range.TryGetOffset(ip, out var offset))
        {
            _bitmap.Release(offset);
        }
    }

    /// <summary>Whether <paramref name="ip"/> is taken (so <see cref="Allocate"/> would fail with "already allocated").</summary>
    public bool Has(IPAddress ip) => Range.TryGetOffset(ip, out var offset) && _bitmap.Has(offset);

    /// <summary>The taken IPs in address order.</summary>
    public IReadOnlyList<IPAddress> Allocated() => _bitmap.Allocated().Select(Range.AddressAt).ToList();

    public RangeSnapshot Snapshot() => new(RangeSpec, _bitmap.ToBytes());

    public void Restore(RangeSnapshot snapshot)
    {
        // Upstream compares the parsed networks, so "10.233.0.5/18" restores into 10.233.0.0/18.
        if (!IpCidr.TryParse(snapshot.Range, out var cidr) || cidr != Range.Cidr)
        {
            throw new AllocationException(AllocationError.MismatchedRange, AllocationException.IpMismatchedMessage);
        }

        _bitmap.Restore(RangeSpec, snapshot.Data);
    }

    /// <summary>
    /// The repair controller's rebuild (pkg/registry/core/service/ipallocator/controller/repair.go): a fresh allocator
    /// holding every in-use IP, with what did not fit reported instead of failing. IPs that <paramref name="previous"/>
    /// held but no Service uses are leaks; they are freed unless <paramref name="keepLeaked"/> says to hold them
    /// (upstream holds a leak for a few repair passes, since a create may have allocated it and not yet stored its Service).
    /// </summary>
    public static RepairResult<IPAddress, ClusterIpAllocator> Rebuild(
        ServiceIpRange range, IEnumerable<IPAddress> inUse, ClusterIpAllocator? previous = null, Func<IPAddress, bool>? keepLeaked = null)
    {
        var rebuilt = new ClusterIpAllocator(range);
        return RepairResult.Build(rebuilt, inUse.Select(IpCidr.Normalize), rebuilt.Allocate, previous?.Allocated(), keepLeaked);
    }
}
