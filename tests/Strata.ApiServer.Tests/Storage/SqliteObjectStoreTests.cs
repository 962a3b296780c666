using System.Text.Json.Nodes;
using Strata.ApiServer.Storage;

namespace Strata.ApiServer.Tests.Storage;

public sealed class SqliteObjectStoreTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-store-").FullName;
    private SqliteObjectStore _store = null!;

    private string DbPath => Path.Combine(_directory, "state.db");

    public Task InitializeAsync()
    {
        _store = SqliteObjectStore.Open(DbPath);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static JsonObject Obj(string name, string? data = null) =>
        new() { ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = data };

    [Fact]
    public async Task Every_write_bumps_one_global_revision_and_stamps_the_object()
    {
        var a = await _store.CreateAsync("/registry/configmaps/default/a", Obj("a"));
        var b = await _store.CreateAsync("/registry/secrets/default/b", Obj("b"));
        var a2 = await _store.UpdateAsync(a.Key, Obj("a", "x"), a.ModRevision);

        Assert.Equal([1L, 2L, 3L], new[] { a.ModRevision, b.ModRevision, a2.ModRevision });
        Assert.Equal(1, a2.CreateRevision);
        Assert.Equal("3", (string?)a2.Value["metadata"]!["resourceVersion"]);
        Assert.Equal(3, _store.Revision);
        Assert.Equal("x", (string?)(await _store.GetAsync(a.Key))!.Value["data"]);
    }

    [Fact]
    public async Task Create_of_an_existing_key_and_stale_updates_are_refused_and_change_nothing()
    {
        var a = await _store.CreateAsync("/k/a", Obj("a", "1"));
        await Assert.ThrowsAsync<KeyExistsException>(() => _store.CreateAsync("/k/a", Obj("a", "2")));
        var updated = await _store.UpdateAsync("/k/a", Obj("a", "3"), a.ModRevision);
        var stale = await Assert.ThrowsAsync<RevisionConflictException>(() => _store.UpdateAsync("/k/a", Obj("a", "4"), a.ModRevision));
        Assert.Contains("expected 1, found 2", stale.Message);
        await Assert.ThrowsAsync<RevisionConflictException>(() => _store.DeleteAsync("/k/a", a.ModRevision));
        await Assert.ThrowsAsync<KeyNotFoundInStoreException>(() => _store.UpdateAsync("/k/missing", Obj("m"), null));

        Assert.Equal("3", (string?)(await _store.GetAsync("/k/a"))!.Value["data"]);
        Assert.Equal(updated.ModRevision, _store.Revision);
    }

    [Fact]
    public async Task List_is_by_prefix_in_key_order_and_pages()
    {
        foreach (var name in new[] { "c", "a", "b", "d" })
        {
            await _store.CreateAsync($"/registry/pods/ns1/{name}", Obj(name));
        }

        await _store.CreateAsync("/registry/pods/ns10/x", Obj("x"));
        await _store.CreateAsync("/registry/podsecurity/y", Obj("y"));

        var all = await _store.ListAsync("/registry/pods/ns1/", null, 0);
        Assert.Equal(["a", "b", "c", "d"], all.Items.Select(i => (string)i.Value["metadata"]!["name"]!));
        Assert.Equal(6, all.Revision);

        var first = await _store.ListAsync("/registry/pods/ns1/", null, 3);
        Assert.True(first.More);
        var second = await _store.ListAsync("/registry/pods/ns1/", first.Items[^1].Key, 3);
        Assert.False(second.More);
        Assert.Equal(["d"], second.Items.Select(i => (string)i.Value["metadata"]!["name"]!));
    }

    [Fact]
    public async Task Watch_replays_the_log_after_a_revision_then_delivers_live_changes_in_order()
    {
        var a = await _store.CreateAsync("/r/a", Obj("a"));
        await _store.UpdateAsync("/r/a", Obj("a", "1"), null);
        await _store.CreateAsync("/other/z", Obj("z"));

        using var watch = _store.Watch("/r/", a.ModRevision);
        await _store.DeleteAsync("/r/a", null);
        await _store.CreateAsync("/r/b", Obj("b"));

        var events = await Take(watch, 3);
        Assert.Equal(
            [(WatchEventType.Modified, "/r/a", 2L), (WatchEventType.Deleted, "/r/a", 4L), (WatchEventType.Added, "/r/b", 5L)],
            events.Select(e => (e.Type, e.Key, e.Revision)));
        Assert.Equal("4", (string?)events[1].Value["metadata"]!["resourceVersion"]);
        Assert.Equal("1", (string?)events[1].Previous!["data"]);
    }

    [Fact]
    public async Task Watching_from_a_compacted_revision_is_refused_with_both_revisions()
    {
        for (var i = 0; i < 5; i++)
        {
            await _store.CreateAsync($"/c/{i}", Obj($"o{i}"));
        }

        await _store.CompactAsync(3);
        var e = Assert.Throws<RevisionCompactedException>(() => _store.Watch("/c/", 2));
        Assert.Equal("too old resource version: 2 (3)", e.Message);

        using var ok = _store.Watch("/c/", 3);
        Assert.Equal([4L, 5L], (await Take(ok, 2)).Select(x => x.Revision));
    }

    [Fact]
    public async Task Data_revision_and_log_survive_reopening()
    {
        await _store.CreateAsync("/p/a", Obj("a", "kept"));
        await _store.CreateAsync("/p/b", Obj("b"));
        await _store.DeleteAsync("/p/b", null);
        await _store.DisposeAsync();

        _store = SqliteObjectStore.Open(DbPath);
        Assert.Equal(3, _store.Revision);
        Assert.Equal("kept", (string?)(await _store.GetAsync("/p/a"))!.Value["data"]);
        using var watch = _store.Watch("/p/", 1);
        Assert.Equal([WatchEventType.Added, WatchEventType.Deleted], (await Take(watch, 2)).Select(e => e.Type));
        Assert.Equal(4, (await _store.CreateAsync("/p/c", Obj("c"))).ModRevision);
    }

    [Fact]
    public async Task Concurrent_writers_get_distinct_revisions_and_every_watcher_sees_every_event_in_order()
    {
        const int writers = 8;
        const int perWriter = 50;
        var watchers = Enumerable.Range(0, 4).Select(_ => _store.Watch("/w/", 0)).ToList();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < perWriter; i++)
                {
                    await _store.CreateAsync($"/w/{w}-{i}", Obj($"{w}-{i}"));
                }
            })));

            Assert.Equal(writers * perWriter, _store.Revision);
            foreach (var watcher in watchers)
            {
                var revisions = (await Take(watcher, writers * perWriter)).Select(e => e.Revision).ToList();
                Assert.Equal(Enumerable.Range(1, writers * perWriter).Select(i => (long)i), revisions);
            }
        }
        finally
        {
            watchers.ForEach(w => w.Dispose());
        }
    }

    [Fact]
    public async Task Concurrent_updates_of_one_key_at_the_same_revision_let_exactly_one_win()
    {
        var created = await _store.CreateAsync("/u/x", Obj("x", "0"));
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
        {
            try
            {
                await _store.UpdateAsync("/u/x", Obj("x", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), created.ModRevision);
                return true;
            }
            catch (RevisionConflictException)
            {
                return false;
            }
        })));
        Assert.Equal(1, results.Count(r => r));
    }

    private static async Task<List<StoreEvent>> Take(IWatchSubscription watch, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<StoreEvent>();
        while (events.Count < count)
        {
            events.Add(await watch.Events.ReadAsync(timeout.Token));
        }

        return events;
    }
}
