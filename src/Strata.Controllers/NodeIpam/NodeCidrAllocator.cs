using System.Globalization;
using System.Net.Sockets;

namespace Strata.Controllers.NodeIpam;

/// <summary>
/// Node podCIDR allocation, as kube-controller-manager's <c>cidrset.CidrSet</c>
/// (pkg/controller/nodeipam/ipam/cidrset/cidr_set.go, v1.32): the cluster CIDR cut into blocks of
/// <see cref="NodeMaskSize"/>; <see cref="AllocateNext"/> hands out the first free block at or after the one following
/// the last allocation, wrapping around (10.233.64.0/24, 10.233.65.0/24, …); <see cref="Occupy"/> marks the blocks a
/// CIDR covers (for Nodes that already have one) and <see cref="Release"/> frees them. Thread-safe and in memory only:
/// as upstream, the node IPAM controller rebuilds it from the Nodes' podCIDRs when it starts.
/// </summary>
public sealed class NodeCidrAllocator
{
    public const string DefaultClusterCidr = "10.233.64.0/18";
    public const int DefaultNodeMaskSize = 24;

    // cidrset: the node mask may not be more than 16 bits longer than an IPv6 cluster mask (the bitmap is uncompressed).
    private const int ClusterSubnetMaxDiff = 16;

    private readonly object _lock = new();
    private readonly AllocationBitmap _used;
    private int _nextCandidate;

    public NodeCidrAllocator(IpCidr clusterCidr, int nodeMaskSize = DefaultNodeMaskSize)
    {
        if (nodeMaskSize < clusterCidr.PrefixLength || nodeMaskSize > clusterCidr.AddressBits)
        {
            throw new ArgumentOutOfRangeException(nameof(nodeMaskSize), nodeMaskSize,
                $"the node mask size must be between the cluster CIDR's ({clusterCidr.PrefixLength}) and {clusterCidr.AddressBits}");
        }

        var diff = nodeMaskSize - clusterCidr.PrefixLength;
        if (diff > (clusterCidr.Family == AddressFamily.InterNetwork ? 30 : ClusterSubnetMaxDiff))
        {
            throw new AllocationException(AllocationError.InvalidCidr, AllocationException.SubnetTooBigMessage);
        }

        ClusterCidr = clusterCidr;
        NodeMaskSize = nodeMaskSize;
        MaxCidrs = 1 << diff;
        _used = new AllocationBitmap(MaxCidrs, clusterCidr.ToString(), AllocationStrategy.Contiguous);
    }

    public NodeCidrAllocator(string clusterCidr = DefaultClusterCidr, int nodeMaskSize = DefaultNodeMaskSize)
        : this(IpCidr.Parse(clusterCidr), nodeMaskSize)
    {
    }

    public IpCidr ClusterCidr { get; }

    public int NodeMaskSize { get; }

    /// <summary>How many node blocks the cluster CIDR holds (64 /24s in a /18).</summary>
    public int MaxCidrs { get; }

    public string RangeSpec => ClusterCidr.ToString();

    public int Used => _used.Count;

    public int Free => _used.Free;

    /// <summary>The index <see cref="AllocateNext"/> starts searching from.</summary>
    public int NextCandidate
    {
        get
        {
            lock (_lock)
            {
                return _nextCandidate;
            }
        }
    }

    /// <summary>
    /// Allocates the next free block, as <c>10.233.64.0/24</c>. Throws <see cref="AllocationException"/> <c>CIDR
    /// allocation failed; there are no remaining CIDRs left to allocate in the accepted range</c> when none is free.
    /// </summary>
    public string AllocateNext()
    {
        lock (_lock)
        {
            for (var i = 0; i < MaxCidrs; i++)
            {
                var candidate = (i + _nextCandidate) % MaxCidrs;
                if (_used.Allocate(candidate))
                {
                    _nextCandidate = (candidate + 1) % MaxCidrs;
                    return Block(candidate).ToString();
                }
            }

            throw new AllocationException(AllocationError.NoCidrsRemaining, AllocationException.NoCidrsRemainingMessage);
        }
    }

    /// <summary>Marks every block <paramref name="cidr"/> covers as used (whether or not it was); upstream's <c>Occupy</c>.</summary>
    public void Occupy(string cidr)
    {
        var (begin, end) = Indices(cidr);
        lock (_lock)
        {
            for (var i = begin; i <= end; i++)
            {
                _used.Allocate(i);
            }
        }
    }

    /// <summary>Frees every block <paramref name="cidr"/> covers; upstream's <c>Release</c>.</summary>
    public void Release(string cidr)
    {
        var (begin, end) = Indices(cidr);
        lock (_lock)
        {
            for (var i = begin; i <= end; i++)
            {
                _used.Release(i);
            }
        }
    }

    /// <summary>Whether every block <paramref name="cidr"/> covers is used.</summary>
    public bool Has(string cidr)
    {
        var (begin, end) = Indices(cidr);
        lock (_lock)
        {
            for (var i = begin; i <= end; i++)
            {
                if (!_used.Has(i))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>The used blocks in address order.</summary>
    public IReadOnlyList<string> Allocated() => _used.Allocated().Select(i => Block(i).ToString()).ToList();

    private IpCidr Block(int index)
    {
        var network = ClusterCidr.NetworkValue | ((UInt128)(uint)index << (ClusterCidr.AddressBits - NodeMaskSize));
        return ClusterCidr.WithNetwork(network, NodeMaskSize);
    }

    /// <summary>upstream's <c>getBeginingAndEndIndices</c>, with its error messages.</summary>
    private (int Begin, int End) Indices(string text)
    {
        if (!IpCidr.TryParse(text, out var cidr))
        {
            throw new AllocationException(AllocationError.InvalidCidr, $"invalid CIDR address: {text}");
        }

        if (cidr.Family != ClusterCidr.Family
            || (!ClusterCidr.Contains(cidr.Network) && !cidr.Contains(ClusterCidr.Network)))
        {
            throw new AllocationException(AllocationError.InvalidCidr, $"cidr {cidr} is out the range of cluster cidr {ClusterCidr}");
        }

        if (cidr.PrefixLength <= ClusterCidr.PrefixLength)
        {
            return (0, MaxCidrs - 1);
        }

        return (Index(cidr.NetworkValue), Index(cidr.LastValue));
    }

    private int Index(UInt128 address)
    {
        var index = (address ^ ClusterCidr.NetworkValue) >> (ClusterCidr.AddressBits - NodeMaskSize);
        if (index >= (UInt128)MaxCidrs)
        {
            var ip = IpCidr.ToAddress(ClusterCidr.Family, address & ~IpCidr.HostMask(ClusterCidr.AddressBits, NodeMaskSize));
            throw new AllocationException(AllocationError.InvalidCidr,
                string.Create(CultureInfo.InvariantCulture, $"CIDR: {ip}/{NodeMaskSize} is out of the range of CIDR allocator"));
        }

        return (int)index;
    }
}
