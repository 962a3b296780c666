using System.Net;

namespace Strata.ApiServer.Allocation;

/// <summary>
/// An allocator whose state lives in the store (upstream's storage-backed <c>allocator.Interface</c>): every
/// operation restores the allocator from the stored snapshot, applies itself, and writes the result back with
/// <see cref="AllocatorState.UpdateAsync"/>, retrying from a fresh read when another writer got in first. So any number
/// of instances, over one store, never hand out the same value, and a restart finds every allocation.
/// </summary>
public sealed class PersistentAllocator<TAllocator> : IDisposable
    where TAllocator : IRangeAllocator
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TAllocator _allocator;
    private readonly RangeSnapshot _empty;

    /// <param name="state">The store helper.</param>
    /// <param name="key">Where the range lives (<see cref="AllocatorState.ServiceIpsKey"/>, ...).</param>
    /// <param name="allocator">A fresh allocator over the configured range; it is used as scratch space, so do not share it.</param>
    public PersistentAllocator(AllocatorState state, string key, TAllocator allocator)
    {
        State = state;
        Key = key;
        _allocator = allocator;
        _empty = allocator.Snapshot();
    }

    public AllocatorState State { get; }

    public string Key { get; }

    /// <summary>The store revision of the last state read or written.</summary>
    public long Revision { get; private set; }

    /// <summary>
    /// Runs <paramref name="change"/> on the current stored state and stores the result atomically. If it throws
    /// (an <see cref="AllocationException"/>, typically), nothing is written and the exception propagates.
    /// A stored range other than the configured one fails with <see cref="AllocationError.MismatchedRange"/>.
    /// </summary>
    public async Task<TResult> UpdateAsync<TResult>(Func<TAllocator, TResult> change, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var (result, stored) = await State.UpdateAsync(Key, _empty, snapshot =>
            {
                _allocator.Restore(snapshot);
                var result = change(_allocator);
                return (_allocator.Snapshot(), result);
            }, cancellationToken);
            Revision = stored.Revision;
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs a query on the current stored state (nothing is written).</summary>
    public async Task<TResult> ReadAsync<TResult>(Func<TAllocator, TResult> query, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var stored = await State.GetAsync(Key, cancellationToken);
            _allocator.Restore(stored?.Snapshot ?? _empty);
            Revision = stored?.Revision ?? 0;
            return query(_allocator);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The stored snapshot with its revision (the empty range at revision 0 if nothing is stored yet).</summary>
    public async Task<StoredRange> GetAsync(CancellationToken cancellationToken = default) =>
        await State.GetAsync(Key, cancellationToken) ?? new StoredRange(_empty, 0);

    /// <summary>
    /// Replaces the stored state with <paramref name="snapshot"/> (a repair's rebuild) if it is still at
    /// <paramref name="expectedRevision"/> (0: nothing stored yet) — else <see cref="Storage.RevisionConflictException"/>
    /// or <see cref="Storage.KeyExistsException"/>, and the repair starts over.
    /// </summary>
    public async Task<StoredRange> ReplaceAsync(RangeSnapshot snapshot, long expectedRevision, CancellationToken cancellationToken = default)
    {
        var stored = await State.WriteAsync(Key, snapshot, expectedRevision, cancellationToken);
        Revision = stored.Revision;
        return stored;
    }

    public void Dispose() => _gate.Dispose();
}

/// <summary>The allocators' operations over their stored state.</summary>
public static class PersistentAllocators
{
    public static PersistentAllocator<ClusterIpAllocator> ClusterIps(AllocatorState state, string cidr = ServiceIpRange.DefaultCidr) =>
        new(state, AllocatorState.ServiceIpsKey, new ClusterIpAllocator(cidr));

    public static PersistentAllocator<NodePortAllocator> NodePorts(AllocatorState state, string range = PortRange.DefaultNodePorts) =>
        new(state, AllocatorState.NodePortsKey, new NodePortAllocator(range));

    public static Task AllocateAsync(this PersistentAllocator<ClusterIpAllocator> allocator, IPAddress ip, CancellationToken cancellationToken = default) =>
        allocator.UpdateAsync(a => { a.Allocate(ip); return true; }, cancellationToken);

    public static Task<IPAddress> AllocateNextAsync(this PersistentAllocator<ClusterIpAllocator> allocator, CancellationToken cancellationToken = default) =>
        allocator.UpdateAsync(a => a.AllocateNext(), cancellationToken);

    public static Task ReleaseAsync(this PersistentAllocator<ClusterIpAllocator> allocator, IPAddress ip, CancellationToken cancellationToken = default) =>
        allocator.UpdateAsync(a => { a.Release(ip); return true; }, cancellationToken);

    public static Task<bool> HasAsync(this PersistentAllocator<ClusterIpAllocator> allocator, IPAddress ip, CancellationToken cancellationToken = default) =>
        allocator.ReadAsync(a => a.Has(ip), cancellationToken);

    public static Task AllocateAsync(this PersistentAllocator<NodePortAllocator> allocator, int port, CancellationToken cancellationToken = default) =>
        allocator.UpdateAsync(a => { a.Allocate(port); return true; }, cancellationToken);

    public static Task<int> AllocateNextAsync(this PersistentAllocator<NodePortAllocator> allocator, CancellationToken cancellationToken = default) =>
        allocator.UpdateAsync(a => a.AllocateNext(), cancellationToken);

    public static Task ReleaseAsync(this PersistentAllocator<NodePortAllocator> allocator, int port, CancellationToken cancellationToken = default) =>
        allocator.UpdateAsync(a => { a.Release(port); return true; }, cancellationToken);

    public static Task<bool> HasAsync(this PersistentAllocator<NodePortAllocator> allocator, int port, CancellationToken cancellationToken = default) =>
        allocator.ReadAsync(a => a.Has(port), cancellationToken);
}
