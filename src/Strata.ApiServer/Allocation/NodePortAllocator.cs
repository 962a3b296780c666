using Strata.Controllers.NodeIpam;

namespace Strata.ApiServer.Allocation;

/// <summary>
/// Service NodePort allocation, as upstream's <c>portallocator.PortAllocator</c>
/// (pkg/registry/core/service/portallocator/allocator.go, v1.32): <see cref="Allocate"/> takes any port in the range;
/// <see cref="AllocateNext"/> picks a random free port above the static band (<c>min(max(16, size/32), 128)</c> ports:
/// 30000–30085 for the default range) and dips into that band only when the rest is full. Thread-safe, in memory.
/// </summary>
public sealed class NodePortAllocator : IRangeAllocator
{
    private readonly AllocationBitmap _bitmap;

    public NodePortAllocator(PortRange range, Random? random = null)
    {
        Range = range;
        StaticBandSize = CalculateStaticBand(range.Size);
        _bitmap = new AllocationBitmap(range.Size, range.ToString(), AllocationStrategy.RandomScanWithOffset, StaticBandSize, random);
    }

    public NodePortAllocator(string range = PortRange.DefaultNodePorts, Random? random = null)
        : this(PortRange.Parse(range), random)
    {
    }

    public PortRange Range { get; }

    /// <summary>The lower band kept for requested ports: upstream's <c>calculateRangeOffset</c> (86 for 30000-32767).</summary>
    public int StaticBandSize { get; }

    public string RangeSpec => Range.ToString();

    public int Used => _bitmap.Count;

    public int Free => _bitmap.Free;

    public static NodePortAllocator FromSnapshot(RangeSnapshot snapshot, Random? random = null)
    {
        var allocator = new NodePortAllocator(PortRange.Parse(snapshot.Range), random);
        allocator.Restore(snapshot);
        return allocator;
    }

    /// <summary>
    /// Reserves <paramref name="port"/>. Throws <see cref="AllocationException"/>: <c>provided port is not in the valid
    /// range. The range of valid ports is 30000-32767</c>, or <c>provided port is already allocated</c>.
    /// </summary>
    public void Allocate(int port)
    {
        if (!Range.Contains(port))
        {
            throw AllocationException.PortNotInRange(RangeSpec);
        }

        if (!_bitmap.Allocate(port - Range.Base))
        {
            throw new AllocationException(AllocationError.Allocated, AllocationException.PortAllocatedMessage);
        }
    }

    /// <summary>Reserves a free port; <see cref="AllocationException"/> <c>range is full</c> when none is left.</summary>
    public int AllocateNext() =>
        _bitmap.AllocateNext() is { } offset ? Range.Base + offset : throw AllocationException.Full();

    /// <summary>Frees <paramref name="port"/>; an unallocated or out-of-range port is a no-op.</summary>
    public void Release(int port)
    {
        if (Range.Contains(port))
        {
            _bitmap.Release(port - Range.Base);
        }
    }

    public bool Has(int port) => Range.Contains(port) && _bitmap.Has(port - Range.Base);

    /// <summary>The taken ports in ascending order.</summary>
    public IReadOnlyList<int> Allocated() => _bitmap.Allocated().Select(offset => Range.Base + offset).ToList();

    public RangeSnapshot Snapshot() => new(RangeSpec, _bitmap.ToBytes());

    public void Restore(RangeSnapshot snapshot)
    {
        PortRange other;
        try
        {
            other = PortRange.Parse(snapshot.Range);
        }
        catch (FormatException)
        {
            throw new AllocationException(AllocationError.MismatchedRange, AllocationException.PortMismatchedMessage);
        }

        if (other.ToString() != RangeSpec)
        {
            throw new AllocationException(AllocationError.MismatchedRange, AllocationException.PortMismatchedMessage);
        }

        _bitmap.Restore(RangeSpec, snapshot.Data);
    }

    /// <summary>
    /// The port repair controller's rebuild (pkg/registry/core/service/portallocator/controller/repair.go): a fresh
    /// allocator holding every in-use NodePort (and healthCheckNodePort); see <see cref="ClusterIpAllocator.Rebuild"/>.
    /// </summary>
    public static RepairResult<int, NodePortAllocator> Rebuild(
        PortRange range, IEnumerable<int> inUse, NodePortAllocator? previous = null, Func<int, bool>? keepLeaked = null)
    {
        var rebuilt = new NodePortAllocator(range);
        return RepairResult.Build(rebuilt, inUse, rebuilt.Allocate, previous?.Allocated(), keepLeaked);
    }

    private static int CalculateStaticBand(int size)
    {
        const int min = 16;
        const int max = 128;
        const int step = 32;
        if (size <= min)
        {
            return 0;
        }

        var offset = size / step;
        return offset < min ? min : offset > max ? max : offset;
    }
}
