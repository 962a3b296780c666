using k8s.Models;

namespace Strata.Controllers.Endpoints;

/// <summary>
/// staging/src/k8s.io/endpointslice/util/endpointslice_tracker.go: the slices this controller last wrote or deleted,
/// per Service, so that a sync can tell when the informer has not caught up with its own writes (and retry instead
/// of writing duplicates), and so that the events of its own writes do not queue the Service again.
/// Upstream compares metadata.generation; this compares resourceVersions, which Strata's stores keep numeric.
/// </summary>
public sealed class EndpointSliceTracker
{
    private const long Deleted = -1;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, long>> _byService = [];

    public void Update(string serviceKey, V1EndpointSlice slice)
    {
        lock (_lock)
        {
            Slices(serviceKey)[slice.Metadata.Uid ?? ""] = Version(slice);
        }
    }

    public void ExpectDeletion(string serviceKey, V1EndpointSlice slice)
    {
        lock (_lock)
        {
            Slices(serviceKey)[slice.Metadata.Uid ?? ""] = Deleted;
        }
    }

    /// <summary>Whether an event about this slice is news (not our own write, and not an expected deletion).</summary>
    public bool ShouldSync(string serviceKey, V1EndpointSlice slice, bool deleted = false)
    {
        lock (_lock)
        {
            if (!_byService.TryGetValue(serviceKey, out var slices) || !slices.TryGetValue(slice.Metadata.Uid ?? "", out var version))
            {
                return true;
            }

            if (deleted)
            {
                slices.Remove(slice.Metadata.Uid ?? "");
                return version != Deleted;
            }

            return version == Deleted || Version(slice) > version;
        }
    }

    /// <summary>True when the cached slices are older than what this controller wrote or still hold a deleted one.</summary>
    public bool Stale(string serviceKey, IReadOnlyList<V1EndpointSlice> cached)
    {
        lock (_lock)
        {
            if (!_byService.TryGetValue(serviceKey, out var slices))
            {
                return false;
            }

            var byUid = cached.ToDictionary(s => s.Metadata.Uid ?? "");
            foreach (var (uid, version) in slices)
            {
                var found = byUid.GetValueOrDefault(uid);
                if (version == Deleted ? found is not null : found is null || Version(found) < version)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Drops what was expected of slices the cache has settled (called after a sync that was not stale).</summary>
    public void Settle(string serviceKey, IReadOnlyList<V1EndpointSlice> cached)
    {
        lock (_lock)
        {
            if (_byService.TryGetValue(serviceKey, out var slices))
            {
                var present = cached.Select(s => s.Metadata.Uid ?? "").ToHashSet();
                foreach (var uid in slices.Where(kv => kv.Value == Deleted && !present.Contains(kv.Key)).Select(kv => kv.Key).ToList())
                {
                    slices.Remove(uid);
                }
            }
        }
    }

    public void Forget(string serviceKey)
    {
        lock (_lock)
        {
            _byService.Remove(serviceKey);
        }
    }

    private Dictionary<string, long> Slices(string serviceKey)
    {
        if (!_byService.TryGetValue(serviceKey, out var slices))
        {
            _byService[serviceKey] = slices = [];
        }

        return slices;
    }

    private static long Version(V1EndpointSlice slice) => long.TryParse(slice.Metadata.ResourceVersion, out var v) ? v : 0;
}
