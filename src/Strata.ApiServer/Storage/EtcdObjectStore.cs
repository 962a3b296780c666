using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mvccpb;

namespace Strata.ApiServer.Storage;

/// <summary>
/// <see cref="IObjectStore"/> on etcd's v3 gRPC API, used the way k8s.io/apiserver/pkg/storage/etcd3 (store.go, watcher.go) uses it:
/// <list type="bullet">
/// <item>objects are JSON values under their keys; <c>metadata.resourceVersion</c> is not stored but set on every read to the
/// key's <c>mod_revision</c> (deletes: the delete's revision), as upstream's APIObjectVersioner does;</item>
/// <item>create is <c>Txn(create_revision == 0 → put)</c>; update and delete are <c>Txn(mod_revision == expected → put|delete)</c>
/// with the current value read in the failure branch, so the check and the write are one atomic step even when no revision
/// is expected (the condition is then only that the key exists);</item>
/// <item>lists are Ranges in key order, later internal pages read at the first page's revision;</item>
/// <item>watches are etcd watches from <c>afterRevision + 1</c> with <c>prev_kv</c>; a broken stream is resumed after the last
/// delivered revision, as clientv3 does, and a compacted start ends the stream with <see cref="RevisionCompactedException"/>.</item>
/// </list>
/// <see cref="Revision"/> is the highest header revision seen in any response (the store's own writes keep it current; a write by
/// another client shows up on the next response or watch event). etcd starts at revision 1, not 0.
/// </summary>
public sealed class EtcdObjectStore : IObjectStore
{
    /// <summary>How many events a watcher may have unread before the stream stops reading from etcd (backpressure, no loss).</summary>
    public const int WatchBuffer = 1024;

    private const string CompactedError = "required revision has been compacted";

    private readonly GrpcChannel _channel;
    private readonly KV.KVClient _kv;
    private readonly Watch.WatchClient _watch;
    private readonly CancellationTokenSource _disposing = new();
    private readonly object _gate = new();
    private readonly HashSet<Subscription> _subscriptions = [];
    private long _revision;
    private long _compacted;
    private bool _disposed;

    private EtcdObjectStore(string endpoint, GrpcChannel channel)
    {
        Endpoint = endpoint;
        _channel = channel;
        _kv = new KV.KVClient(channel);
        _watch = new Watch.WatchClient(channel);
    }

    public string Endpoint { get; }

    public long Revision => Interlocked.Read(ref _revision);

    public long CompactedRevision => Interlocked.Read(ref _compacted);

    /// <summary>Keys per Range when a list asks for everything (limit 0); upstream's apiserver pages its own lists the same way.</summary>
    internal int ListPageSize { get; set; } = 500;

    public int WatcherCount
    {
        get
        {
            lock (_gate)
            {
                return _subscriptions.Count;
            }
        }
    }

    /// <summary>
    /// Connects to etcd at <paramref name="endpoint"/> (<c>http://host:port</c>), reads its current revision and learns how far
    /// it has been compacted.
    /// </summary>
    public static async Task<EtcdObjectStore> ConnectAsync(string endpoint, CancellationToken ct = default)
    {
        var channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            // Lists and watch responses may carry many objects; etcd itself bounds requests (--max-request-bytes).
            MaxReceiveMessageSize = null,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            },
            DisposeHttpClient = true,
        });

        var store = new EtcdObjectStore(endpoint, channel);
        try
        {
            await store.ReadCurrentRevisionAsync(ct);
            await store.LearnCompactedRevisionAsync(ct);
            return store;
        }
        catch (RpcException e)
        {
            await store.DisposeAsync();
            throw new StorageException($"cannot use etcd at {endpoint}: {e.Status.StatusCode}: {e.Status.Detail}");
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var response = await Call(_kv.RangeAsync(new RangeRequest { Key = Bytes(key) }, cancellationToken: cancellationToken));
        Observe(response.Header);
        return response.Kvs.Count == 0 ? null : ToStoredObject(response.Kvs[0]);
    }

    public async Task<ListPage> ListAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default)
    {
        var from = Bytes(prefix);
        var end = PrefixEnd(from);
        if (afterKey is not null)
        {
            var next = KeyAfter(Bytes(afterKey));
            if (CompareKeys(next, from) > 0)
            {
                from = next;
            }
        }

        var items = new List<StoredObject>();
        long revision = 0;
        while (true)
        {
            var request = new RangeRequest
            {
                Key = from,
                RangeEnd = end,
                Limit = limit > 0 ? limit : ListPageSize,
                Revision = revision,
            };
            RangeResponse response;
            try
            {
                response = await Call(_kv.RangeAsync(request, cancellationToken: cancellationToken));
            }
            catch (RpcException e) when (IsCompacted(e))
            {
                // Compacted between two internal pages.
                await LearnCompactedRevisionAsync(cancellationToken);
                throw new RevisionCompactedException(revision, CompactedRevision);
            }

            Observe(response.Header);
            if (revision == 0)
            {
                revision = response.Header.Revision;
            }

            foreach (var kv in response.Kvs)
            {
                items.Add(ToStoredObject(kv));
            }

            if (limit > 0 || !response.More || response.Kvs.Count == 0)
            {
                return new ListPage(items, revision, limit > 0 && response.More);
            }

            from = KeyAfter(response.Kvs[^1].Key);
        }
    }

    public async Task<StoredObject> CreateAsync(string key, JsonObject value, CancellationToken cancellationToken = default)
    {
        var k = Bytes(key);
        var stored = ForStorage(value, out var data);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = k, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = k, Value = data } });
        var response = await Call(_kv.TxnAsync(txn, cancellationToken: cancellationToken));
        Observe(response.Header);
        if (!response.Succeeded)
        {
            throw new KeyExistsException(key);
        }

        var revision = response.Header.Revision;
        SetResourceVersion(stored, revision);
        return new StoredObject(key, stored, revision, revision);
    }

    public async Task<StoredObject> UpdateAsync(string key, JsonObject value, long? expectedRevision, CancellationToken cancellationToken = default)
    {
        var k = Bytes(key);
        var stored = ForStorage(value, out var data);
        var response = await ConditionalAsync(key, expectedRevision,
            new RequestOp { RequestPut = new PutRequest { Key = k, Value = data, PrevKv = true } }, cancellationToken);
        var previous = response.Responses[0].ResponsePut.PrevKv;
        var revision = response.Header.Revision;
        SetResourceVersion(stored, revision);
        return new StoredObject(key, stored, previous.CreateRevision, revision);
    }

    public async Task<StoredObject> DeleteAsync(string key, long? expectedRevision, CancellationToken cancellationToken = default)
    {
        var response = await ConditionalAsync(key, expectedRevision,
            new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(key), PrevKv = true } }, cancellationToken);
        var previous = response.Responses[0].ResponseDeleteRange.PrevKvs[0];
        var revision = response.Header.Revision;
        return new StoredObject(key, Decode(previous.Value, revision), previous.CreateRevision, revision);
    }

    public IWatchSubscription Watch(string prefix, long afterRevision)
    {
        var compacted = CompactedRevision;
        if (afterRevision < compacted)
        {
            throw new RevisionCompactedException(afterRevision, compacted);
        }

        var subscription = new Subscription(this, prefix, afterRevision);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _subscriptions.Add(subscription);
        }

        subscription.Start();
        return subscription;
    }

    public async Task CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        revision = Math.Min(revision, Revision);
        if (revision <= CompactedRevision)
        {
            return;
        }

        try
        {
            var response = await Call(_kv.CompactAsync(new CompactionRequest { Revision = revision }, cancellationToken: cancellationToken));
            Observe(response.Header);
            ObserveCompacted(revision);
        }
        catch (RpcException e) when (IsCompacted(e))
        {
            // Someone else compacted at or past this revision already.
            await LearnCompactedRevisionAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Subscription[] subscriptions;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
        }

        await _disposing.CancelAsync();
        foreach (var subscription in subscriptions)
        {
            subscription.Dispose();
        }

        await Task.WhenAll(subscriptions.Select(s => s.Completion));
        _channel.Dispose();
        _disposing.Dispose();
    }

    /// <summary>
    /// <c>Txn(key exists [and mod_revision == expected] → op, else range key)</c>: the write happens only if the state that
    /// decided it is still the current one; otherwise the failure branch tells a missing key from a stale revision.
    /// </summary>
    private async Task<TxnResponse> ConditionalAsync(string key, long? expectedRevision, RequestOp op, CancellationToken cancellationToken)
    {
        var k = Bytes(key);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = k, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Greater, CreateRevision = 0 });
        if (expectedRevision is { } expected)
        {
            txn.Compare.Add(new Compare { Key = k, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = expected });
        }

        txn.Success.Add(op);
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = k, KeysOnly = true } });
        var response = await Call(_kv.TxnAsync(txn, cancellationToken: cancellationToken));
        Observe(response.Header);
        if (response.Succeeded)
        {
            return response;
        }

        var current = response.Responses[0].ResponseRange.Kvs;
        if (current.Count == 0)
        {
            throw new KeyNotFoundInStoreException(key);
        }

        throw new RevisionConflictException(key, expectedRevision ?? 0, current[0].ModRevision);
    }

    private async Task ReadCurrentRevisionAsync(CancellationToken ct)
    {
        // Any Range answers with the current revision; this one asks for one key's count only (GetCurrentResourceVersion).
        var response = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(0), CountOnly = true }, cancellationToken: ct);
        Observe(response.Header);
    }

    /// <summary>
    /// etcd does not report its compacted revision directly; a Range at revision r fails with "required revision has been
    /// compacted" exactly when r is below it, so the lowest readable revision is found by bisection (a few cheap count-only
    /// reads of one key, done when connecting and when another client's compaction is noticed).
    /// </summary>
    private async Task LearnCompactedRevisionAsync(CancellationToken ct)
    {
        await ReadCurrentRevisionAsync(ct);
        if (await ReadableAsync(1, ct))
        {
            return;
        }

        long low = 1, high = Revision; // low is not readable; high is (the current revision always is).
        while (high - low > 1)
        {
            var mid = low + ((high - low) / 2);
            if (await ReadableAsync(mid, ct))
            {
                high = mid;
            }
            else
            {
                low = mid;
            }
        }

        ObserveCompacted(high);
    }

    private async Task<bool> ReadableAsync(long revision, CancellationToken ct)
    {
        try
        {
            await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(0), CountOnly = true, Revision = revision }, cancellationToken: ct);
            return true;
        }
        catch (RpcException e) when (IsCompacted(e))
        {
            return false;
        }
    }

    private void Observe(ResponseHeader? header)
    {
        if (header is not null)
        {
            Max(ref _revision, header.Revision);
        }
    }

    private void ObserveCompacted(long revision) => Max(ref _compacted, revision);

    private static void Max(ref long field, long value)
    {
        var current = Interlocked.Read(ref field);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref field, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static async Task<T> Call<T>(AsyncUnaryCall<T> call)
    {
        using (call)
        {
            return await call.ResponseAsync.ConfigureAwait(false);
        }
    }

    private static bool IsCompacted(RpcException e) => e.Status.Detail.Contains(CompactedError, StringComparison.Ordinal);

    private static StoredObject ToStoredObject(KeyValue kv) =>
        new(kv.Key.ToStringUtf8(), Decode(kv.Value, kv.ModRevision), kv.CreateRevision, kv.ModRevision);

    /// <summary>A private copy without <c>metadata.resourceVersion</c> (upstream's PrepareObjectForStorage), and its JSON.</summary>
    private static JsonObject ForStorage(JsonObject value, out ByteString data)
    {
        var copy = value.DeepClone().AsObject();
        if (copy["metadata"] is JsonObject metadata)
        {
            metadata.Remove("resourceVersion");
        }

        data = ByteString.CopyFromUtf8(copy.ToJsonString());
        return copy;
    }

    private static JsonObject Decode(ByteString data, long revision)
    {
        var value = JsonNode.Parse(data.Span)?.AsObject() ?? throw new StorageException("etcd value is not a JSON object");
        SetResourceVersion(value, revision);
        return value;
    }

    private static void SetResourceVersion(JsonObject value, long revision)
    {
        if (value["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            value["metadata"] = metadata;
        }

        metadata["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
    }

    private static ByteString Bytes(string key) => ByteString.CopyFromUtf8(key);

    /// <summary>The smallest key greater than <paramref name="key"/>: the key with a zero byte appended.</summary>
    private static ByteString KeyAfter(ByteString key)
    {
        var bytes = new byte[key.Length + 1];
        key.Span.CopyTo(bytes);
        return ByteString.CopyFrom(bytes);
    }

    /// <summary>clientv3.GetPrefixRangeEnd: the prefix with its last byte below 0xff incremented and the rest dropped.</summary>
    private static ByteString PrefixEnd(ByteString prefix)
    {
        var bytes = prefix.ToByteArray();
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }

        return ByteString.CopyFrom(0); // No upper bound: "\0" means every key from the start key on.
    }

    private static int CompareKeys(ByteString a, ByteString b) => a.Span.SequenceCompareTo(b.Span);

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    /// <summary>One etcd watch stream for one subscriber.</summary>
    private sealed class Subscription : IWatchSubscription
    {
        private readonly EtcdObjectStore _store;
        private readonly ByteString _key;
        private readonly ByteString _rangeEnd;
        private readonly long _afterRevision;
        private readonly CancellationTokenSource _stop;
        private readonly Channel<StoreEvent> _events = Channel.CreateBounded<StoreEvent>(
            new BoundedChannelOptions(WatchBuffer) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

        private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _delivered;

        public Subscription(EtcdObjectStore store, string prefix, long afterRevision)
        {
            _store = store;
            _key = Bytes(prefix);
            _rangeEnd = PrefixEnd(_key);
            _afterRevision = afterRevision;
            _delivered = afterRevision;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(store._disposing.Token);
        }

        public ChannelReader<StoreEvent> Events => _events.Reader;

        public Task Completion { get; private set; } = Task.CompletedTask;

        public Task Established => _established.Task;

        public void Start() => Completion = Task.Run(RunAsync);

        public void Dispose()
        {
            _store.Remove(this);
            _events.Writer.TryComplete();
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private async Task RunAsync()
        {
            var ct = _stop.Token;
            var backoff = TimeSpan.FromMilliseconds(100);
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    try
                    {
                        if (await StreamAsync(ct))
                        {
                            return;
                        }

                        backoff = TimeSpan.FromMilliseconds(100);
                    }
                    catch (RpcException e) when (!ct.IsCancellationRequested && IsTransient(e))
                    {
                        // etcd went away (restart, leader change): resume after the last delivered revision, as clientv3 does.
                    }

                    await Task.Delay(backoff, ct);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (RpcException) when (ct.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _events.Writer.TryComplete(e);
            }
            finally
            {
                _established.TrySetResult();
                _events.Writer.TryComplete();
                _store.Remove(this);
                _stop.Dispose();
            }
        }

        /// <summary>Runs one watch stream; true when the subscription is over, false when the stream broke and should be resumed.</summary>
        private async Task<bool> StreamAsync(CancellationToken ct)
        {
            using var call = _store._watch.Watch(cancellationToken: ct);
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest
                {
                    Key = _key,
                    RangeEnd = _rangeEnd,
                    StartRevision = _delivered + 1,
                    PrevKv = true,
                },
            }, ct);

            while (await call.ResponseStream.MoveNext(ct))
            {
                var response = call.ResponseStream.Current;
                _store.Observe(response.Header);
                if (response.Created)
                {
                    _established.TrySetResult();
                }

                if (response.CompactRevision != 0)
                {
                    _store.ObserveCompacted(response.CompactRevision);
                    _events.Writer.TryComplete(new RevisionCompactedException(_afterRevision, response.CompactRevision));
                    return true;
                }

                if (response.Canceled)
                {
                    _events.Writer.TryComplete(new StorageException($"etcd canceled the watch on {_key.ToStringUtf8()}: {response.CancelReason}"));
                    return true;
                }

                foreach (var e in response.Events)
                {
                    var change = ToStoreEvent(e);
                    await _events.Writer.WriteAsync(change, ct);
                    _delivered = change.Revision;
                }
            }

            return false; // The server ended the stream.
        }

        private static bool IsTransient(RpcException e) =>
            e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted;

        private static StoreEvent ToStoreEvent(Event e)
        {
            var kv = e.Kv;
            var key = kv.Key.ToStringUtf8();
            var previous = e.PrevKv is { } p ? Decode(p.Value, p.ModRevision) : null;
            if (e.Type == Event.Types.EventType.Delete)
            {
                if (e.PrevKv is null)
                {
                    throw new StorageException($"etcd delete event without prev_kv for {key} at revision {kv.ModRevision}");
                }

                return new StoreEvent(WatchEventType.Deleted, key, Decode(e.PrevKv.Value, kv.ModRevision), kv.ModRevision, previous);
            }

            var type = kv.CreateRevision == kv.ModRevision ? WatchEventType.Added : WatchEventType.Modified;
            return new StoreEvent(type, key, Decode(kv.Value, kv.ModRevision), kv.ModRevision, type == WatchEventType.Added ? null : previous);
        }
    }
}
