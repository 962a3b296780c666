using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;

namespace Strata.Controllers.Machinery;

/// <summary>A started informer, whatever its type.</summary>
public interface IInformer
{
    bool HasSynced { get; }

    Task WaitForSyncAsync(CancellationToken cancellationToken);

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// client-go's shared informer (tools/cache): lists, then watches from the list's resourceVersion, keeps every object
/// in a local cache with indexes, and tells its handlers of each change. A watch that ends is resumed from the last
/// version seen; one that is too old (410) or fails is answered with a fresh list, whose differences from the cache
/// are delivered as adds, updates and deletes so that no change is lost.
/// </summary>
public sealed class Informer<T> : IInformer where T : class, IKubernetesObject<V1ObjectMeta>
{
    public const string NamespaceIndex = "namespace";

    private readonly IKubeClient _client;
    private readonly ListRequest _scope;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, T> _items = [];
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> _indexers = [];
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indexes = [];
    private readonly List<Handler> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Informer(IKubeClient client, ListRequest? scope = null, ILogger? logger = null)
    {
        _client = client;
        _scope = scope ?? ListRequest.All;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        AddIndex(NamespaceIndex, o => [o.Metadata.NamespaceProperty ?? ""]);
    }

    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>The resourceVersion of the last list or event applied.</summary>
    public string LastResourceVersion { get; private set; } = "";

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Adds an index (built over what the cache already holds); a name already indexed is kept as it is.</summary>
    public void AddIndex(string name, Func<T, IEnumerable<string>> values)
    {
        lock (_lock)
        {
            if (!_indexers.TryAdd(name, values))
            {
                return;
            }

            var index = _indexes[name] = [];
            foreach (var (key, obj) in _items)
            {
                foreach (var value in values(obj))
                {
                    if (!index.TryGetValue(value, out var keys))
                    {
                        index[value] = keys = [];
                    }

                    keys.Add(key);
                }
            }
        }
    }

    /// <summary>How many objects an index value holds, without copying them.</summary>
    public int CountByIndex(string index, string value)
    {
        lock (_lock)
        {
            return _indexes[index].TryGetValue(value, out var keys) ? keys.Count : 0;
        }
    }

    public void AddHandler(Action<T>? added = null, Action<T, T>? updated = null, Action<T>? deleted = null)
    {
        lock (_lock)
        {
            _handlers.Add(new Handler(added, updated, deleted));
        }
    }

    public T? Get(string key)
    {
        lock (_lock)
        {
            return _items.GetValueOrDefault(key);
        }
    }

    public T? Get(string? ns, string name) => Get(ObjectKey.For(ns, name));

    public IReadOnlyList<T> List()
    {
        lock (_lock)
        {
            return [.. _items.Values];
        }
    }

    public IReadOnlyList<T> ByIndex(string index, string value)
    {
        lock (_lock)
        {
            return _indexes[index].TryGetValue(value, out var keys) ? [.. keys.Select(k => _items[k])] : [];
        }
    }

    public IReadOnlyList<T> ByNamespace(string? ns) => ByIndex(NamespaceIndex, ns ?? "");

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var list = await _client.ListAsync<T>(_scope, cancellationToken);
                Replace(list.Items);
                LastResourceVersion = list.ResourceVersion;
                _synced.TrySetResult();
                failures = 0;
                while (!cancellationToken.IsCancellationRequested)
                {
                    await foreach (var e in _client.WatchAsync<T>(_scope, LastResourceVersion, cancellationToken))
                    {
                        Apply(e);
                        LastResourceVersion = e.Object.Metadata.ResourceVersion ?? LastResourceVersion;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                InformerLog.Relisting(_logger, typeof(T).Name, e.Message);
            }
            catch (Exception e)
            {
                failures++;
                InformerLog.WatchFailed(_logger, typeof(T).Name, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, failures), 5000)), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Apply(WatchEvent<T> e)
    {
        var key = ObjectKey.Of(e.Object);
        T? old;
        lock (_lock)
        {
            old = _items.GetValueOrDefault(key);
            if (e.Kind == WatchEventKind.Deleted)
            {
                Remove(key);
            }
            else
            {
                Store(key, e.Object);
            }
        }

        if (e.Kind == WatchEventKind.Deleted)
        {
            Notify(h => h.Deleted?.Invoke(e.Object));
        }
        else if (old is null)
        {
            Notify(h => h.Added?.Invoke(e.Object));
        }
        else
        {
            Notify(h => h.Updated?.Invoke(old, e.Object));
        }
    }

    private void Replace(IReadOnlyList<T> items)
    {
        var changes = new List<Action<Handler>>();
        lock (_lock)
        {
            var seen = new HashSet<string>();
            foreach (var item in items)
            {
                var key = ObjectKey.Of(item);
                seen.Add(key);
                var old = _items.GetValueOrDefault(key);
                if (old is not null && old.Metadata.ResourceVersion == item.Metadata.ResourceVersion)
                {
                    continue;
                }

                Store(key, item);
                changes.Add(old is null ? h => h.Added?.Invoke(item) : h => h.Updated?.Invoke(old, item));
            }

            foreach (var key in _items.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                var gone = _items[key];
                Remove(key);
                changes.Add(h => h.Deleted?.Invoke(gone));
            }
        }

        foreach (var change in changes)
        {
            Notify(change);
        }
    }

    private void Store(string key, T obj)
    {
        Unindex(key);
        _items[key] = obj;
        foreach (var (name, values) in _indexers)
        {
            foreach (var value in values(obj))
            {
                if (!_indexes[name].TryGetValue(value, out var keys))
                {
                    _indexes[name][value] = keys = [];
                }

                keys.Add(key);
            }
        }
    }

    private void Remove(string key)
    {
        Unindex(key);
        _items.Remove(key);
    }

    private void Unindex(string key)
    {
        if (!_items.TryGetValue(key, out var old))
        {
            return;
        }

        foreach (var (name, values) in _indexers)
        {
            foreach (var value in values(old))
            {
                if (_indexes[name].TryGetValue(value, out var keys) && keys.Remove(key) && keys.Count == 0)
                {
                    _indexes[name].Remove(value);
                }
            }
        }
    }

    private void Notify(Action<Handler> call)
    {
        Handler[] handlers;
        lock (_lock)
        {
            handlers = [.. _handlers];
        }

        foreach (var handler in handlers)
        {
            try
            {
                call(handler);
            }
            catch (Exception e)
            {
                InformerLog.HandlerFailed(_logger, typeof(T).Name, e);
            }
        }
    }

    private sealed record Handler(Action<T>? Added, Action<T, T>? Updated, Action<T>? Deleted);
}

internal static partial class InformerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Kind} informer re-lists: {Reason}")]
    public static partial void Relisting(ILogger logger, string kind, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Kind} informer's list or watch failed, retrying: {Reason}")]
    public static partial void WatchFailed(ILogger logger, string kind, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "{Kind} informer handler failed")]
    public static partial void HandlerFailed(ILogger logger, string kind, Exception exception);
}
