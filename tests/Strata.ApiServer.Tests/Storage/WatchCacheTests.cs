using Strata.ApiServer.Storage;
using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Storage;

/// <summary>The store contract through the watch cache in front of etcd, as <c>strata apiserver --etcd-servers</c> runs it.</summary>
[ObjectStoreBackend(typeof(LocalEtcd))]
public sealed class EtcdWatchCacheTests(EtcdFixture etcd) : ObjectStoreContract, IClassFixture<EtcdFixture>
{
    protected override async Task<IObjectStore> OpenAsync() => await WatchCache.StartAsync(await EtcdObjectStore.ConnectAsync(etcd.Server!.Endpoint));

    [EtcdFact]
    public async Task Many_watchers_share_one_watch_on_the_store_and_a_watch_from_before_the_window_goes_to_the_store()
    {
        var first = await Store.CreateAsync(K("/w/a"), Obj("a"));
        var watchers = Enumerable.Range(0, 20).Select(_ => Store.Watch(K("/w/"), first.ModRevision)).ToList();
        try
        {
            await Store.CreateAsync(K("/w/b"), Obj("b"));
            foreach (var watcher in watchers)
            {
                Assert.Equal(K("/w/b"), (await Take(watcher, 1)).Single().Key);
            }

            Assert.Equal(20, Store.WatcherCount);

            // Revision R(0) is before the cache started (it started at the store's revision when opened), so the store answers.
            using var old = Store.Watch(K("/w/"), Base);
            Assert.Equal([K("/w/a"), K("/w/b")], (await Take(old, 2)).Select(e => e.Key));
        }
        finally
        {
            watchers.ForEach(w => w.Dispose());
        }
    }
}

/// <summary>The store contract through the watch cache in front of SQLite: the cache is store-agnostic.</summary>
public sealed class SqliteWatchCacheTests : ObjectStoreContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-cache-").FullName;

    protected override async Task<IObjectStore> OpenAsync() =>
        await WatchCache.StartAsync(SqliteObjectStore.Open(Path.Combine(_directory, "state.db")));

    protected override Task CleanupAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
