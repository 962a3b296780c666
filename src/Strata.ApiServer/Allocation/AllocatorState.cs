using System.Text.Json.Nodes;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Storage;

namespace Strata.ApiServer.Allocation;

/// <summary>A range's stored state and the store revision it was read or written at.</summary>
public sealed record StoredRange(RangeSnapshot Snapshot, long Revision);

/// <summary>
/// Allocator snapshots kept in the <see cref="IObjectStore"/> as upstream keeps them in etcd
/// (pkg/registry/core/service/allocator/storage): one <c>v1 RangeAllocation</c> object per range, whose
/// <c>range</c> and <c>data</c> (base64 bitmap) are the allocator's snapshot, changed only by an atomic
/// read-modify-write against the revision that was read — so two writers, in one process or not, never both win.
/// </summary>
public sealed class AllocatorState(IObjectStore store, TimeProvider? time = null)
{
    /// <summary>Where kube-apiserver keeps the ClusterIP bitmap.</summary>
    public const string ServiceIpsKey = "/registry/ranges/serviceips";

    /// <summary>Where kube-apiserver keeps the NodePort bitmap.</summary>
    public const string NodePortsKey = "/registry/ranges/servicenodeports";

    /// <summary>How many times a conflicting write is retried before giving up.</summary>
    public const int MaxAttempts = 1000;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public IObjectStore Store { get; } = store;

    /// <summary>The stored range, or null if none was written yet.</summary>
    public async Task<StoredRange?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var current = await Store.GetAsync(key, cancellationToken);
        return current is null ? null : new StoredRange(FromRangeAllocation(current.Value), current.ModRevision);
    }

    /// <summary>
    /// Writes <paramref name="snapshot"/> over whatever is stored, if the stored revision is still
    /// <paramref name="expectedRevision"/> (0: only if nothing is stored; null: unconditionally). Throws
    /// <see cref="RevisionConflictException"/> or <see cref="KeyExistsException"/> otherwise. The repair
    /// controller's write: it read the revision before listing what is in use.
    /// </summary>
    public async Task<StoredRange> WriteAsync(string key, RangeSnapshot snapshot, long? expectedRevision, CancellationToken cancellationToken = default)
    {
        if (expectedRevision == 0)
        {
            var created = await Store.CreateAsync(key, ToRangeAllocation(snapshot, null), cancellationToken);
            return new StoredRange(snapshot, created.ModRevision);
        }

        var current = await Store.GetAsync(key, cancellationToken);
        if (current is null)
        {
            if (expectedRevision is { } expected)
            {
                throw new RevisionConflictException(key, expected, 0);
            }

            var created = await Store.CreateAsync(key, ToRangeAllocation(snapshot, null), cancellationToken);
            return new StoredRange(snapshot, created.ModRevision);
        }

        var updated = await Store.UpdateAsync(key, ToRangeAllocation(snapshot, current.Value), expectedRevision ?? current.ModRevision, cancellationToken);
        return new StoredRange(snapshot, updated.ModRevision);
    }

    /// <summary>
    /// Atomic read-modify-write: reads the stored snapshot (or <paramref name="initial"/> if none), lets
    /// <paramref name="change"/> compute the next one, and writes it only if nobody wrote in between — otherwise reads
    /// again and re-runs <paramref name="change"/> (so it must be a pure function of the snapshot it is given). An
    /// exception from <paramref name="change"/> ends the update with nothing written; an unchanged snapshot is not written.
    /// </summary>
    public async Task<(TResult Result, StoredRange Stored)> UpdateAsync<TResult>(
        string key, RangeSnapshot initial, Func<RangeSnapshot, (RangeSnapshot Next, TResult Result)> change, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = await Store.GetAsync(key, cancellationToken);
            var snapshot = current is null ? initial : FromRangeAllocation(current.Value);
            var (next, result) = change(snapshot);
            if (current is not null && next.Equals(snapshot))
            {
                return (result, new StoredRange(snapshot, current.ModRevision));
            }

            try
            {
                var written = current is null
                    ? await Store.CreateAsync(key, ToRangeAllocation(next, null), cancellationToken)
                    : await Store.UpdateAsync(key, ToRangeAllocation(next, current.Value), current.ModRevision, cancellationToken);
                return (result, new StoredRange(next, written.ModRevision));
            }
            catch (StorageException e) when (e is RevisionConflictException or KeyExistsException or KeyNotFoundInStoreException)
            {
                if (attempt >= MaxAttempts)
                {
                    throw;
                }

                // Someone else wrote first: back off a little (more as contention persists) and start over.
                if (attempt > 2)
                {
                    await Task.Delay(Random.Shared.Next(0, Math.Min(attempt, 20)), cancellationToken);
                }
            }
        }
    }

    /// <summary>
    /// The stored object: <c>{"kind":"RangeAllocation","apiVersion":"v1","metadata":{...},"range":...,"data":...}</c>,
    /// keeping the metadata of <paramref name="previous"/> (its creationTimestamp).
    /// </summary>
    public JsonObject ToRangeAllocation(RangeSnapshot snapshot, JsonObject? previous)
    {
        var metadata = previous?["metadata"] is JsonObject old
            ? old.DeepClone().AsObject()
            : new JsonObject { ["creationTimestamp"] = ObjectMeta.Timestamp(_time.GetUtcNow()) };
        metadata.Remove("resourceVersion");
        metadata.Remove("annotations");

        return new JsonObject
        {
            ["kind"] = "RangeAllocation",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["range"] = snapshot.Range,
            ["data"] = snapshot.DataBase64,
        };
    }

    /// <summary>Reads a stored RangeAllocation back into a snapshot.</summary>
    public static RangeSnapshot FromRangeAllocation(JsonObject value)
    {
        var range = value["range"]?.GetValue<string>() ?? "";
        var data = value["data"]?.GetValue<string>() ?? "";
        return RangeSnapshot.FromBase64(range, data);
    }
}
