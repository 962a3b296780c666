using Strata.Controllers.NodeIpam;

namespace Strata.ApiServer.Allocation;

/// <summary>
/// A rebuilt allocator and what the in-use values did not agree with (what upstream's repair controllers turn into
/// events such as <c>ClusterIPOutOfRange</c>, <c>ClusterIPAlreadyAllocated</c>, <c>PortOutOfRange</c>,
/// <c>PortAlreadyAllocated</c>, and the "leaked" log lines).
/// </summary>
/// <param name="Allocator">Holds every in-use value that fits, plus the leaks the caller chose to keep.</param>
/// <param name="OutOfRange">In-use values outside the range (left out).</param>
/// <param name="Duplicates">In-use values seen more than once (kept once).</param>
/// <param name="Leaked">Values the previous state held that nothing uses.</param>
public sealed record RepairResult<TItem, TAllocator>(
    TAllocator Allocator,
    IReadOnlyList<TItem> OutOfRange,
    IReadOnlyList<TItem> Duplicates,
    IReadOnlyList<TItem> Leaked);

internal static class RepairResult
{
    public static RepairResult<TItem, TAllocator> Build<TItem, TAllocator>(
        TAllocator allocator, IEnumerable<TItem> inUse, Action<TItem> allocate, IEnumerable<TItem>? previous, Func<TItem, bool>? keepLeaked)
        where TItem : notnull
    {
        var outOfRange = new List<TItem>();
        var duplicates = new List<TItem>();
        var seen = new HashSet<TItem>();
        foreach (var item in inUse)
        {
            seen.Add(item);
            try
            {
                allocate(item);
            }
            catch (AllocationException e) when (e.Error == AllocationError.Allocated)
            {
                duplicates.Add(item);
            }
            catch (AllocationException)
            {
                outOfRange.Add(item);
            }
        }

        var leaked = new List<TItem>();
        foreach (var item in previous ?? [])
        {
            if (seen.Contains(item))
            {
                continue;
            }

            leaked.Add(item);
            if (keepLeaked?.Invoke(item) == true)
            {
                try
                {
                    allocate(item);
                }
                catch (AllocationException)
                {
                    // Outside the new range: nothing to keep.
                }
            }
        }

        return new RepairResult<TItem, TAllocator>(allocator, outOfRange, duplicates, leaked);
    }
}
