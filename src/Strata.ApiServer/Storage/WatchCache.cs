using System.Text.Json.Nodes;

namespace Strata.ApiServer.Storage;

/// <summary>
/// A watch cache in front of a store, as kube-apiserver's Cacher sits in front of etcd
/// (k8s.io/apiserver/pkg/storage/cacher): one watch on the whole store feeds a window of recent events and a fan-out
/// to every watcher, so a hundred watchers cost one etcd watch and one decoding per change. A watch that starts
/// before the window goes to the store itself (which may answer that the revision is compacted). Everything
/// else is passed through.
/// </summary>
public sealed class WatchCache : IObjectStore
{
    private const string Root = "/";

    private readonly IObjectStore _inner;
    private readonly int _capacity;
    private readonly WatchHub _hub = new();
    private readonly object _gate = new();
    private readonly LinkedList<StoreEvent> _window = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _pump;
    private long _windowStart; // Events after this revision are all in the window (or still to come).
    private long _latest;

    private WatchCache(IObjectStore inner, int capacity, long start, IWatchSubscription first)
    {
        _inner = inner;
        _capacity = capacity;
        _windowStart = start;
        _latest = start;
        _pump = Task.Run(() => PumpAsync(first));
    }

    /// <summary>
    /// Puts a cache in front of <paramref name="inner"/>. It returns once the store is watched, so that no write
    /// made after it returns can fall before the window, and no compaction can cut the cache's own watch short.
    /// </summary>
    public static async Task<WatchCache> StartAsync(IObjectStore inner, int capacity = 100_000)
    {
        var start = inner.Revision;
        var first = inner.Watch(Root, start);
        await first.Established;
        return new WatchCache(inner, capacity, start, first);
    }

    public long Revision => _inner.Revision;

    public long CompactedRevision => _inner.CompactedRevision;

    public int WatcherCount => _hub.Count;

    public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default) => _inner.GetAsync(key, cancellationToken);

    public Task<ListPage> ListAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default) =>
        _inner.ListAsync(prefix, afterKey, limit, cancellationToken);

    public Task<StoredObject> CreateAsync(string key, JsonObject value, CancellationToken cancellationToken = default) =>
        _inner.CreateAsync(key, value, cancellationToken);

    public Task<StoredObject> UpdateAsync(string key, JsonObject value, long? expectedRevision, CancellationToken cancellationToken = default) =>
        _inner.UpdateAsync(key, value, expectedRevision, cancellationToken);

    public Task<StoredObject> DeleteAsync(string key, long? expectedRevision, CancellationToken cancellationToken = default) =>
        _inner.DeleteAsync(key, expectedRevision, cancellationToken);

    public async Task CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        await _inner.CompactAsync(revision, cancellationToken);
        lock (_gate)
        {
            var compacted = _inner.CompactedRevision;
            while (_window.First is { } oldest && oldest.Value.Revision <= compacted)
            {
                _window.RemoveFirst();
            }

            _windowStart = Math.Max(_windowStart, compacted);
        }
    }

    public IWatchSubscription Watch(string prefix, long afterRevision)
    {
        if (afterRevision < _inner.CompactedRevision)
        {
            throw new RevisionCompactedException(afterRevision, _inner.CompactedRevision);
        }

        lock (_gate)
        {
            if (afterRevision >= _windowStart)
            {
                var backlog = _window.Where(e => e.Revision > afterRevision && e.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                return _hub.Subscribe(prefix, backlog, afterRevision);
            }
        }

        return _inner.Watch(prefix, afterRevision);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _pump;
        }
        catch (OperationCanceledException)
        {
        }

        _hub.CloseAll();
        await _inner.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>Starts a new window at the store's current revision, with a watch on the whole store from there.</summary>
    private IWatchSubscription Follow()
    {
        lock (_gate)
        {
            var start = Math.Max(_latest, _inner.Revision);
            if (start > _latest)
            {
                _hub.CloseStartedBefore(start);
            }

            _latest = start;
            _windowStart = start;
            _window.Clear();
            return _inner.Watch(Root, start);
        }
    }

    /// <summary>Follows the whole store; if its watch ends (the store lost it), watchers are closed and it starts again.</summary>
    private async Task PumpAsync(IWatchSubscription first)
    {
        var ct = _stopping.Token;
        var watch = first;
        while (true)
        {
            try
            {
                using (watch)
                {
                    while (await watch.Events.WaitToReadAsync(ct))
                    {
                        while (watch.Events.TryRead(out var read))
                        {
                            // Watchers share the event and only read it: build every node now, and the JSON once.
                            var e = read with { Value = read.Value.DeepClone().AsObject(), Previous = read.Previous?.DeepClone().AsObject() };
                            _ = e.ValueJson;
                            lock (_gate)
                            {
                                _window.AddLast(e);
                                _latest = e.Revision;
                                if (_window.Count > _capacity)
                                {
                                    _windowStart = _window.First!.Value.Revision;
                                    _window.RemoveFirst();
                                }

                                _hub.Publish(e);
                            }
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (StorageException)
            {
            }

            if (ct.IsCancellationRequested)
            {
                return;
            }

            // The store's watch ended (it fell behind a compaction, or the store went away): follow again from
            // now. Watchers that may have missed changes in between are closed and re-list, as when the Cacher restarts.
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            if (ct.IsCancellationRequested)
            {
                return;
            }

            watch = Follow();
            await watch.Established;
        }
    }
}
