using System.Text.Json.Nodes;
using Strata.ApiServer.Storage;

namespace Strata.ApiServer.Tests.Allocation;

/// <summary>
/// A store that makes read-modify-write races happen: the first two reads wait for each other (so two writers start
/// from the same state), every read yields before returning, and lost races are counted.
/// </summary>
internal sealed class RacingStore(IObjectStore inner) : IObjectStore
{
    private readonly TaskCompletionSource _bothRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _reads;
    private int _conflicts;

    public int Conflicts => Volatile.Read(ref _conflicts);

    public long Revision => inner.Revision;

    public long CompactedRevision => inner.CompactedRevision;

    public int WatcherCount => inner.WatcherCount;

    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var result = await inner.GetAsync(key, cancellationToken);
        var read = Interlocked.Increment(ref _reads);
        if (read == 2)
        {
            _bothRead.SetResult();
        }

        if (read <= 2)
        {
            await _bothRead.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }

        await Task.Delay(1, cancellationToken);
        return result;
    }

    public Task<ListPage> ListAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default) =>
        inner.ListAsync(prefix, afterKey, limit, cancellationToken);

    public Task<StoredObject> CreateAsync(string key, JsonObject value, CancellationToken cancellationToken = default) =>
        Counted(() => inner.CreateAsync(key, value, cancellationToken));

    public Task<StoredObject> UpdateAsync(string key, JsonObject value, long? expectedRevision, CancellationToken cancellationToken = default) =>
        Counted(() => inner.UpdateAsync(key, value, expectedRevision, cancellationToken));

    public Task<StoredObject> DeleteAsync(string key, long? expectedRevision, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(key, expectedRevision, cancellationToken);

    public IWatchSubscription Watch(string prefix, long afterRevision) => inner.Watch(prefix, afterRevision);

    public Task CompactAsync(long revision, CancellationToken cancellationToken = default) => inner.CompactAsync(revision, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // SqliteObjectStore throws before returning a task, so the call itself goes inside the try.
    private async Task<StoredObject> Counted(Func<Task<StoredObject>> write)
    {
        try
        {
            return await write();
        }
        catch (StorageException e) when (e is RevisionConflictException or KeyExistsException)
        {
            Interlocked.Increment(ref _conflicts);
            throw;
        }
    }
}
