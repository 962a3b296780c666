using System.Net;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>
/// Picks one address from one range set (backend/allocator/allocator.go, IPAllocator.Get): the
/// requested one, or round-robin from the address after <c>last_reserved_ip.&lt;index&gt;</c>,
/// skipping the gateway and wrapping once. The caller holds the store's lock. Failures are
/// <see cref="AllocationException"/>s carrying upstream's text.
/// </summary>
internal sealed class Allocator(RangeSet rangeSet, DiskStore store, int index)
{
    public (IPAddress Address, IpRange Range) Get(string id, string ifName, IPAddress? requested)
    {
        if (requested is not null)
        {
            var range = rangeSet.RangeFor(requested) ?? throw new AllocationException($"{GoIp.Format(requested)} not in range set {rangeSet}");
            if (requested.Equals(range.Gateway))
            {
                throw new AllocationException($"requested ip {GoIp.Format(requested)} is subnet's gateway");
            }

            if (!store.Reserve(id, ifName, requested, index))
            {
                throw new AllocationException($"requested IP address {GoIp.Format(requested)} is not available in range set {rangeSet}");
            }

            return (requested, range);
        }

        // The spec forbids a second allocation for the same attachment: upstream refuses it.
        foreach (var held in store.GetById(id, ifName).Where(rangeSet.Contains))
        {
            throw new AllocationException($"{GoIp.Format(held)} has been allocated to {id}, duplicate allocation is not allowed");
        }

        foreach (var (candidate, range) in Candidates())
        {
            if (store.Reserve(id, ifName, candidate, index))
            {
                return (candidate, range);
            }
        }

        throw new AllocationException($"no IP addresses available in range set: {rangeSet}");
    }

    /// <summary>
    /// Every address of the set once (RangeIter): from rangeStart of the first range, or from the
    /// address after the last one reserved if that is still in the set; at a range's end, on to the
    /// next range's start; done on coming back to the first address visited.
    /// </summary>
    private IEnumerable<(IPAddress Address, IpRange Range)> Candidates()
    {
        var ranges = rangeSet.Ranges;
        int rangeIndex = 0;
        IPAddress? current = null;
        if (store.LastReservedIp(index) is { } last && rangeSet.RangeFor(last) is { } lastRange)
        {
            rangeIndex = ranges.ToList().IndexOf(lastRange);
            current = last;
        }

        IPAddress? start = null;
        while (true)
        {
            var range = ranges[rangeIndex];
            if (current is null)
            {
                current = range.RangeStart;
                start = current;
            }
            else
            {
                if (current.Equals(range.RangeEnd))
                {
                    rangeIndex = (rangeIndex + 1) % ranges.Count;
                    range = ranges[rangeIndex];
                    current = range.RangeStart;
                }
                else
                {
                    current = IpMath.Next(current);
                }

                if (start is null)
                {
                    start = current;
                }
                else if (current.Equals(start))
                {
                    yield break;
                }
            }

            if (!range.IsReserved(current))
            {
                yield return (current, range);
            }
        }
    }
}

/// <summary>One range set could not give an address; HostLocal reports it as "failed to allocate for range N: …".</summary>
internal sealed class AllocationException(string message) : Exception(message);
