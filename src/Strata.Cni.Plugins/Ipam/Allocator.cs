using System.Net;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>
/// Picks an address from one range set (backend/allocator/allocator.go): round-robin from the
/// address after <c>last_reserved_ip</c>, skipping the gateway, wrapping once.
/// The caller holds the store's lock.
/// </summary>
internal sealed class Allocator(RangeSet rangeSet, DiskStore store, int index)
{
    public (IpPrefix Address, IPAddress Gateway) Get(string id, string ifName, IPAddress? requested)
    {
        if (requested is not null)
        {
            var range = rangeSet.RangeFor(requested) ?? throw Failure($"{requested} not in range set {rangeSet}");
            if (requested.Equals(range.Gateway))
            {
                throw Failure($"requested ip {requested} is subnet's gateway");
            }

            if (!store.Reserve(id, ifName, requested, index))
            {
                throw Failure($"requested IP address {requested} is not available in range set {rangeSet}");
            }

            return (new IpPrefix(requested, range.Subnet.PrefixLength), range.Gateway);
        }

        foreach (var held in store.GetById(id, ifName).Where(rangeSet.Contains))
        {
            throw Failure($"{held} has been allocated to {id}, duplicate allocation is not allowed");
        }

        foreach (var (candidate, range) in Candidates())
        {
            if (store.Reserve(id, ifName, candidate, index))
            {
                return (new IpPrefix(candidate, range.Subnet.PrefixLength), range.Gateway);
            }
        }

        throw Failure($"no IP addresses available in range set: {rangeSet}");
    }

    /// <summary>Every address of the set once, starting after the last one reserved (RangeIter.Next).</summary>
    private IEnumerable<(IPAddress Address, IpRange Range)> Candidates()
    {
        var ranges = rangeSet.Ranges;
        var last = store.LastReservedIp(index);
        int rangeIndex = 0;
        IPAddress? current = null;
        if (last is not null && rangeSet.Contains(last))
        {
            rangeIndex = ranges.ToList().FindIndex(r => r.Contains(last));
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

            if (!current.Equals(range.Gateway))
            {
                yield return (current, range);
            }
        }
    }

    private static CniException Failure(string message) => new(CniErrorCode.Internal, message);
}
