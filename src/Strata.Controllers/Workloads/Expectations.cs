namespace Strata.Controllers.Workloads;

/// <summary>
/// UIDTrackingControllerExpectations (pkg/controller/controller_utils.go): how many pod creations, and which pod
/// deletions, a controller is still waiting to see in its informer. While any are outstanding (and younger than
/// five minutes) it does not create or delete again, so a lagging cache cannot make it double up.
/// </summary>
public sealed class Expectations(TimeProvider time)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, Entry> _entries = [];

    public void ExpectCreations(string key, int count)
    {
        lock (_entries)
        {
            _entries[key] = new Entry(count, [], time.GetUtcNow());
        }
    }

    public void ExpectDeletions(string key, IEnumerable<string> podKeys)
    {
        lock (_entries)
        {
            _entries[key] = new Entry(0, [.. podKeys], time.GetUtcNow());
        }
    }

    /// <summary>Both at once (the DaemonSet controller's SetExpectations).</summary>
    public void Expect(string key, int creations, IEnumerable<string> deletions)
    {
        lock (_entries)
        {
            _entries[key] = new Entry(creations, [.. deletions], time.GetUtcNow());
        }
    }

    public void CreationObserved(string key)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var e))
            {
                e.Adds--;
            }
        }
    }

    public void DeletionObserved(string key, string podKey)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var e))
            {
                e.Deletes.Remove(podKey);
            }
        }
    }

    public bool Satisfied(string key)
    {
        lock (_entries)
        {
            return !_entries.TryGetValue(key, out var e)
                || (e.Adds <= 0 && e.Deletes.Count == 0)
                || time.GetUtcNow() - e.Since > Timeout;
        }
    }

    public void Forget(string key)
    {
        lock (_entries)
        {
            _entries.Remove(key);
        }
    }

    private sealed class Entry(int adds, HashSet<string> deletes, DateTimeOffset since)
    {
        public int Adds { get; set; } = adds;

        public HashSet<string> Deletes { get; } = deletes;

        public DateTimeOffset Since { get; } = since;
    }
}
