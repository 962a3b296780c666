using System.Text.Json.Nodes;

namespace Strata.ApiServer.Storage;

/// <summary>
/// The API server's storage, shaped as etcd's key-value API (as k8s.io/apiserver/pkg/storage.Interface uses it):
/// keys such as <c>/registry/pods/default/web</c>, one global revision that every write bumps, and a change log
/// that watches replay from until it is compacted.
/// Objects are stored with <c>metadata.resourceVersion</c> set to the revision of their last write.
/// </summary>
public interface IObjectStore : IAsyncDisposable
{
    /// <summary>The revision of the latest write (0 for an empty store).</summary>
    long Revision { get; }

    /// <summary>Revisions at or below this one have been compacted away: a watch cannot start there.</summary>
    long CompactedRevision { get; }

    /// <summary>Open watch subscriptions.</summary>
    int WatcherCount { get; }

    Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Keys under <paramref name="prefix"/> in key order, starting after <paramref name="afterKey"/>, at most <paramref name="limit"/> (0: all).</summary>
    Task<ListPage> ListAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default);

    /// <summary>Stores a new object; throws <see cref="KeyExistsException"/> if the key is taken.</summary>
    Task<StoredObject> CreateAsync(string key, JsonObject value, CancellationToken cancellationToken = default);

    /// <summary>Replaces an object if its revision is still <paramref name="expectedRevision"/> (any, if null).</summary>
    Task<StoredObject> UpdateAsync(string key, JsonObject value, long? expectedRevision, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object if its revision is still <paramref name="expectedRevision"/> (any, if null); returns its last state.</summary>
    Task<StoredObject> DeleteAsync(string key, long? expectedRevision, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes under <paramref name="prefix"/> after <paramref name="afterRevision"/>, in revision order, then live.
    /// Throws <see cref="RevisionCompactedException"/> if that revision is no longer in the log.
    /// </summary>
    IWatchSubscription Watch(string prefix, long afterRevision);

    /// <summary>Drops the change log up to and including <paramref name="revision"/>.</summary>
    Task CompactAsync(long revision, CancellationToken cancellationToken = default);
}

public sealed record StoredObject(string Key, JsonObject Value, long CreateRevision, long ModRevision);

public sealed record ListPage(IReadOnlyList<StoredObject> Items, long Revision, bool More);

public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>
/// A change: for deletes, <see cref="Value"/> is the last state with the delete's revision.
/// <see cref="Previous"/> is the state before it (etcd's prevKV), null for creates.
/// </summary>
public sealed record StoreEvent(WatchEventType Type, string Key, JsonObject Value, long Revision, JsonObject? Previous)
{
    private byte[]? _valueJson;

    /// <summary>
    /// <see cref="Value"/> serialized once for every watcher that sends it as is (the watch cache's cached encoding).
    /// Two watchers may race to fill it; both compute the same bytes.
    /// </summary>
    public byte[] ValueJson => _valueJson ??= System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Value);
}

public interface IWatchSubscription : IDisposable
{
    /// <summary>The events; the reader ends when the subscription is disposed or falls too far behind.</summary>
    System.Threading.Channels.ChannelReader<StoreEvent> Events { get; }

    /// <summary>Completes once the store is watching (etcd has created the watch); from then on no compaction can cut it short.</summary>
    Task Established => Task.CompletedTask;
}

public class StorageException(string message) : Exception(message);

public sealed class KeyExistsException(string key) : StorageException($"key exists: {key}")
{
    public string Key { get; } = key;
}

public sealed class KeyNotFoundInStoreException(string key) : StorageException($"key not found: {key}")
{
    public string Key { get; } = key;
}

public sealed class RevisionConflictException(string key, long expected, long actual)
    : StorageException($"revision conflict on {key}: expected {expected}, found {actual}")
{
    public string Key { get; } = key;
}

/// <summary>etcd's "mvcc: required revision has been compacted"; the API answers 410 Gone.</summary>
public sealed class RevisionCompactedException(long requested, long compacted)
    : StorageException($"too old resource version: {requested} ({compacted})")
{
    public long Requested { get; } = requested;

    public long Compacted { get; } = compacted;
}
