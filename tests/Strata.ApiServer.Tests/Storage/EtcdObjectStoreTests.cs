using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;
using Strata.ApiServer.Storage;
using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Storage;

/// <summary>
/// The store contract on a private etcd (one per class, started by <see cref="EtcdFixture"/>), and what only etcd does: another
/// client writing or compacting, the raw stored values, restarting etcd on the same data directory.
/// </summary>
[ObjectStoreBackend(typeof(LocalEtcd))]
public sealed class EtcdObjectStoreTests(EtcdFixture etcd) : ObjectStoreContract, IClassFixture<EtcdFixture>
{
    protected override async Task<IObjectStore> OpenAsync() => await EtcdObjectStore.ConnectAsync(etcd.Server!.Endpoint);

    [EtcdFact]
    public async Task Values_are_stored_as_json_without_resourceVersion_and_other_clients_writes_read_back_stamped()
    {
        await Store.CreateAsync(K("/raw/a"), Obj("a", "1"));
        using var channel = GrpcChannel.ForAddress(etcd.Server!.Endpoint);
        var kv = new KV.KVClient(channel);

        var raw = (await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(K("/raw/a")) })).Kvs.Single();
        Assert.Equal("""{"metadata":{"name":"a"},"data":"1"}""", raw.Value.ToStringUtf8());
        Assert.Equal((R(1), R(1)), (raw.CreateRevision, raw.ModRevision));

        using var watch = Store.Watch(K("/raw/"), R(1));
        var put = await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(K("/raw/b")), Value = ByteString.CopyFromUtf8("""{"metadata":{"name":"b","resourceVersion":"7"}}""") });
        var foreign = (await Store.GetAsync(K("/raw/b")))!;
        Assert.Equal((put.Header.Revision, put.Header.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture)), (foreign.ModRevision, Rv(foreign.Value)));
        var seen = (await Take(watch, 1)).Single();
        Assert.Equal((WatchEventType.Added, K("/raw/b"), put.Header.Revision), (seen.Type, seen.Key, seen.Revision));
        Assert.Equal(put.Header.Revision, Store.Revision);
    }

    [EtcdFact]
    public async Task Compaction_by_another_client_is_learned_at_connect_and_ends_watches_that_start_below_it()
    {
        for (var i = 0; i < 6; i++)
        {
            await Store.CreateAsync(K($"/c/{i}"), Obj($"o{i}"));
        }

        await using var other = await EtcdObjectStore.ConnectAsync(etcd.Server!.Endpoint);
        await other.CompactAsync(R(4));

        // This store has not heard of it: the watch starts, and etcd ends it.
        Assert.True(Store.CompactedRevision < R(4));
        using var watch = Store.Watch(K("/c/"), R(1));
        // WaitToReadAsync throws what ended the channel (ReadAsync would wrap it in a ChannelClosedException), as WatchStream reads it.
        var gone = await Assert.ThrowsAsync<RevisionCompactedException>(async () => await watch.Events.WaitToReadAsync());
        Assert.Equal($"too old resource version: {R(1)} ({R(4)})", gone.Message);
        Assert.Equal(R(4), Store.CompactedRevision);

        await using var fresh = await EtcdObjectStore.ConnectAsync(etcd.Server!.Endpoint);
        Assert.Equal(R(4), fresh.CompactedRevision);
        Assert.Throws<RevisionCompactedException>(() => fresh.Watch(K("/c/"), R(2)));

        // Compacting below what someone else compacted is a no-op, not an error.
        var behind = (EtcdObjectStore)Store;
        await using var third = await EtcdObjectStore.ConnectAsync(etcd.Server!.Endpoint);
        await other.CompactAsync(R(5));
        await third.CompactAsync(R(5));
        Assert.Equal(R(5), third.CompactedRevision);
        Assert.Equal(R(4), behind.CompactedRevision);
    }

    [EtcdFact]
    public async Task A_list_that_pages_internally_reads_every_page_at_the_first_pages_revision()
    {
        for (var i = 0; i < 7; i++)
        {
            await Store.CreateAsync(K($"/l/{i}"), Obj($"o{i}"));
        }

        var store = (EtcdObjectStore)Store;
        store.ListPageSize = 2;
        var all = await store.ListAsync(K("/l/"), null, 0);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => K($"/l/{i}")), all.Items.Select(i => i.Key));
        Assert.Equal((R(7), false), (all.Revision, all.More));

        var limited = await store.ListAsync(K("/l/"), K("/l/1"), 3);
        Assert.Equal([K("/l/2"), K("/l/3"), K("/l/4")], limited.Items.Select(i => i.Key));
        Assert.True(limited.More);
    }

    [EtcdFact]
    public async Task Data_revision_and_history_survive_an_etcd_restart_and_open_watches_resume()
    {
        await using var server = await LocalEtcd.StartAsync();
        var store = await EtcdObjectStore.ConnectAsync(server.Endpoint);
        try
        {
            var start = store.Revision;
            await store.CreateAsync("/p/a", Obj("a", "kept"));
            await store.CreateAsync("/p/b", Obj("b"));
            await store.DeleteAsync("/p/b", null);
            var watch = store.Watch("/p/", start + 3);

            var pid = server.ProcessId;
            await server.RestartAsync();
            Assert.NotEqual(pid, server.ProcessId);

            await using (var reopened = await EtcdObjectStore.ConnectAsync(server.Endpoint))
            {
                Assert.Equal(start + 3, reopened.Revision);
                Assert.Equal("kept", (string?)(await reopened.GetAsync("/p/a"))!.Value["data"]);
                using var history = reopened.Watch("/p/", start);
                Assert.Equal(
                    [WatchEventType.Added, WatchEventType.Added, WatchEventType.Deleted],
                    (await Take(history, 3)).Select(e => e.Type));
            }

            // The store that was connected across the restart keeps working, and its watch picks up where it was.
            var c = await RetryAsync(() => store.CreateAsync("/p/c", Obj("c")));
            Assert.Equal(start + 4, c.ModRevision);
            var resumed = await Take(watch, 1);
            Assert.Equal([("/p/c", start + 4)], resumed.Select(e => (e.Key, e.Revision)));
            watch.Dispose();
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    [EtcdFact]
    public async Task Connecting_to_nothing_fails_with_the_endpoint_in_the_message()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var e = await Assert.ThrowsAsync<StorageException>(() => EtcdObjectStore.ConnectAsync($"http://127.0.0.1:{port}"));
        Assert.Contains($"127.0.0.1:{port}", e.Message);
    }

    /// <summary>The first request after a restart may meet the old connection; gRPC then fails it as Unavailable.</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unavailable && attempt < 20)
            {
                await Task.Delay(100);
            }
        }
    }
}
