using System.Globalization;
using System.Text.Json.Nodes;
using Strata.ApiServer.Storage;

namespace Strata.ApiServer.Tests.Storage;

/// <summary>
/// What every <see cref="IObjectStore"/> must do, run against each backend by a subclass. A backend may be shared by the tests of
/// a class (one etcd) and may not start at revision 0 (etcd starts at 1), so each test writes under its own key root and states
/// revisions relative to <see cref="Base"/>, the revision before its first write. Tests of one class run one at a time, so no
/// other writer moves the revision during a test.
/// </summary>
public abstract class ObjectStoreContract : IAsyncLifetime
{
    private readonly string _root = $"/t-{Guid.NewGuid():N}";

    protected IObjectStore Store { get; set; } = null!;

    /// <summary>The store's revision when the test started.</summary>
    protected long Base { get; private set; }

    public async Task InitializeAsync()
    {
        Store = await OpenAsync();
        Base = Store.Revision;
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await CleanupAsync();
    }

    protected abstract Task<IObjectStore> OpenAsync();

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    /// <summary>The key under this test's root.</summary>
    protected string K(string key) => _root + key;

    protected long R(int offset) => Base + offset;

    protected static JsonObject Obj(string name, string? data = null) =>
        new() { ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = data };

    protected static string? Rv(JsonObject value) => (string?)value["metadata"]?["resourceVersion"];

    protected static string Text(long revision) => revision.ToString(CultureInfo.InvariantCulture);

    [StoreFact]
    public async Task Every_write_bumps_one_global_revision_and_stamps_the_object()
    {
        var a = await Store.CreateAsync(K("/registry/configmaps/default/a"), Obj("a"));
        var b = await Store.CreateAsync(K("/registry/secrets/default/b"), Obj("b"));
        var a2 = await Store.UpdateAsync(a.Key, Obj("a", "x"), a.ModRevision);

        Assert.Equal([R(1), R(2), R(3)], new[] { a.ModRevision, b.ModRevision, a2.ModRevision });
        Assert.Equal(R(1), a2.CreateRevision);
        Assert.Equal(Text(R(3)), Rv(a2.Value));
        Assert.Equal(R(3), Store.Revision);
        var read = (await Store.GetAsync(a.Key))!;
        Assert.Equal("x", (string?)read.Value["data"]);
        Assert.Equal((R(1), R(3), Text(R(3))), (read.CreateRevision, read.ModRevision, Rv(read.Value)));
    }

    [StoreFact]
    public async Task Create_of_an_existing_key_and_stale_updates_are_refused_and_change_nothing()
    {
        var a = await Store.CreateAsync(K("/k/a"), Obj("a", "1"));
        await Assert.ThrowsAsync<KeyExistsException>(() => Store.CreateAsync(K("/k/a"), Obj("a", "2")));
        var updated = await Store.UpdateAsync(K("/k/a"), Obj("a", "3"), a.ModRevision);
        var stale = await Assert.ThrowsAsync<RevisionConflictException>(() => Store.UpdateAsync(K("/k/a"), Obj("a", "4"), a.ModRevision));
        Assert.Contains($"expected {R(1)}, found {R(2)}", stale.Message);
        await Assert.ThrowsAsync<RevisionConflictException>(() => Store.DeleteAsync(K("/k/a"), a.ModRevision));
        await Assert.ThrowsAsync<KeyNotFoundInStoreException>(() => Store.UpdateAsync(K("/k/missing"), Obj("m"), null));

        Assert.Equal("3", (string?)(await Store.GetAsync(K("/k/a")))!.Value["data"]);
        Assert.Equal(updated.ModRevision, Store.Revision);
    }

    [StoreFact]
    public async Task A_missing_key_reads_as_null_and_cannot_be_updated_or_deleted_at_any_revision()
    {
        Assert.Null(await Store.GetAsync(K("/m/x")));
        await Assert.ThrowsAsync<KeyNotFoundInStoreException>(() => Store.UpdateAsync(K("/m/x"), Obj("x"), null));
        await Assert.ThrowsAsync<KeyNotFoundInStoreException>(() => Store.UpdateAsync(K("/m/x"), Obj("x"), 0));
        await Assert.ThrowsAsync<KeyNotFoundInStoreException>(() => Store.UpdateAsync(K("/m/x"), Obj("x"), Base));
        await Assert.ThrowsAsync<KeyNotFoundInStoreException>(() => Store.DeleteAsync(K("/m/x"), null));
        await Assert.ThrowsAsync<KeyNotFoundInStoreException>(() => Store.DeleteAsync(K("/m/x"), 0));
        Assert.Null(await Store.GetAsync(K("/m/x")));
        Assert.Equal(Base, Store.Revision);
    }

    [StoreFact]
    public async Task Delete_returns_the_last_state_at_the_delete_revision_and_a_recreated_key_starts_over()
    {
        var created = await Store.CreateAsync(K("/d/a"), Obj("a", "1"));
        await Store.UpdateAsync(K("/d/a"), Obj("a", "2"), null);
        var deleted = await Store.DeleteAsync(K("/d/a"), R(2));

        Assert.Equal((R(1), R(3)), (deleted.CreateRevision, deleted.ModRevision));
        Assert.Equal("2", (string?)deleted.Value["data"]);
        Assert.Equal(Text(R(3)), Rv(deleted.Value));
        Assert.Null(await Store.GetAsync(K("/d/a")));

        var again = await Store.CreateAsync(K("/d/a"), Obj("a", "new"));
        Assert.Equal((R(4), R(4)), (again.CreateRevision, again.ModRevision));

        using var watch = Store.Watch(K("/d/"), created.ModRevision);
        Assert.Equal(
            [(WatchEventType.Modified, R(2)), (WatchEventType.Deleted, R(3)), (WatchEventType.Added, R(4))],
            (await Take(watch, 3)).Select(e => (e.Type, e.Revision)));
    }

    [StoreFact]
    public async Task The_stored_resourceVersion_is_the_revision_whatever_the_caller_sent()
    {
        var sent = Obj("a");
        sent["metadata"]!["resourceVersion"] = "999";
        var created = await Store.CreateAsync(K("/v/a"), sent);
        var bare = await Store.CreateAsync(K("/v/b"), new JsonObject { ["data"] = "no metadata" });

        Assert.Equal(Text(R(1)), Rv(created.Value));
        Assert.Equal(Text(R(1)), Rv((await Store.GetAsync(K("/v/a")))!.Value));
        Assert.Equal(Text(R(2)), Rv(bare.Value));
        Assert.Equal(Text(R(2)), Rv((await Store.GetAsync(K("/v/b")))!.Value));
        Assert.Equal("999", Rv(sent)); // The caller's object is not modified.

        var stale = Obj("a", "x");
        stale["metadata"]!["resourceVersion"] = "1";
        Assert.Equal(Text(R(3)), Rv((await Store.UpdateAsync(K("/v/a"), stale, null)).Value));
        var listed = await Store.ListAsync(K("/v/"), null, 0);
        Assert.Equal([Text(R(3)), Text(R(2))], listed.Items.Select(i => Rv(i.Value)));
    }

    [StoreFact]
    public async Task Values_handed_in_or_out_are_not_shared_with_the_store()
    {
        var input = Obj("a", "original");
        var created = await Store.CreateAsync(K("/c/a"), input);
        input["data"] = "changed input";
        created.Value["data"] = "changed output";
        var read = (await Store.GetAsync(K("/c/a")))!;
        read.Value["data"] = "changed read";

        Assert.Equal("original", (string?)(await Store.GetAsync(K("/c/a")))!.Value["data"]);
    }

    [StoreFact]
    public async Task Updates_without_an_expected_revision_apply_to_whatever_is_there()
    {
        var created = await Store.CreateAsync(K("/u/a"), Obj("a", "0"));
        await Store.UpdateAsync(K("/u/a"), Obj("a", "1"), null);
        var last = await Store.UpdateAsync(K("/u/a"), Obj("a", "2"), null);

        Assert.Equal((created.ModRevision, R(3)), (last.CreateRevision, last.ModRevision));
        var deleted = await Store.DeleteAsync(K("/u/a"), null);
        Assert.Equal("2", (string?)deleted.Value["data"]);
        Assert.Equal(R(4), Store.Revision);
    }

    [StoreFact]
    public async Task List_is_by_prefix_in_key_order_and_pages()
    {
        foreach (var name in new[] { "c", "a", "b", "d" })
        {
            await Store.CreateAsync(K($"/registry/pods/ns1/{name}"), Obj(name));
        }

        await Store.CreateAsync(K("/registry/pods/ns10/x"), Obj("x"));
        await Store.CreateAsync(K("/registry/podsecurity/y"), Obj("y"));

        var all = await Store.ListAsync(K("/registry/pods/ns1/"), null, 0);
        Assert.Equal(["a", "b", "c", "d"], all.Items.Select(i => (string)i.Value["metadata"]!["name"]!));
        Assert.Equal(R(6), all.Revision);
        Assert.False(all.More);

        var first = await Store.ListAsync(K("/registry/pods/ns1/"), null, 3);
        Assert.True(first.More);
        Assert.Equal(R(6), first.Revision);
        var second = await Store.ListAsync(K("/registry/pods/ns1/"), first.Items[^1].Key, 3);
        Assert.False(second.More);
        Assert.Equal(["d"], second.Items.Select(i => (string)i.Value["metadata"]!["name"]!));

        var pods = await Store.ListAsync(K("/registry/pods/"), null, 0);
        Assert.Equal(
            ["/registry/pods/ns1/a", "/registry/pods/ns1/b", "/registry/pods/ns1/c", "/registry/pods/ns1/d", "/registry/pods/ns10/x"],
            pods.Items.Select(i => i.Key[K("").Length..]));
    }

    [StoreFact]
    public async Task List_paging_edges_and_what_a_page_reports()
    {
        for (var i = 0; i < 4; i++)
        {
            await Store.CreateAsync(K($"/p/{i}"), Obj($"o{i}"));
        }

        var exact = await Store.ListAsync(K("/p/"), null, 4);
        Assert.Equal(4, exact.Items.Count);
        Assert.False(exact.More);

        var fromBeforePrefix = await Store.ListAsync(K("/p/"), K("/a"), 2);
        Assert.Equal([K("/p/0"), K("/p/1")], fromBeforePrefix.Items.Select(i => i.Key));
        Assert.True(fromBeforePrefix.More);

        var pastTheEnd = await Store.ListAsync(K("/p/"), K("/p/3"), 2);
        Assert.Empty(pastTheEnd.Items);
        Assert.False(pastTheEnd.More);
        Assert.Equal(R(4), pastTheEnd.Revision);

        var afterEverything = await Store.ListAsync(K("/p/"), K("/q"), 0);
        Assert.Empty(afterEverything.Items);
        Assert.False(afterEverything.More);

        var empty = await Store.ListAsync(K("/nothing/"), null, 0);
        Assert.Empty(empty.Items);
        Assert.Equal(R(4), empty.Revision);

        var items = (await Store.ListAsync(K("/p/"), null, 0)).Items;
        Assert.Equal([R(1), R(2), R(3), R(4)], items.Select(i => i.ModRevision));
        Assert.All(items, i => Assert.Equal(i.CreateRevision, i.ModRevision));
    }

    [StoreFact]
    public async Task Watch_replays_the_log_after_a_revision_then_delivers_live_changes_in_order()
    {
        var a = await Store.CreateAsync(K("/r/a"), Obj("a"));
        await Store.UpdateAsync(K("/r/a"), Obj("a", "1"), null);
        await Store.CreateAsync(K("/other/z"), Obj("z"));

        using var watch = Store.Watch(K("/r/"), a.ModRevision);
        await Store.DeleteAsync(K("/r/a"), null);
        await Store.CreateAsync(K("/r/b"), Obj("b"));

        var events = await Take(watch, 3);
        Assert.Equal(
            [(WatchEventType.Modified, K("/r/a"), R(2)), (WatchEventType.Deleted, K("/r/a"), R(4)), (WatchEventType.Added, K("/r/b"), R(5))],
            events.Select(e => (e.Type, e.Key, e.Revision)));
        Assert.Equal(Text(R(4)), Rv(events[1].Value));
        Assert.Equal("1", (string?)events[1].Previous!["data"]);
    }

    [StoreFact]
    public async Task Watch_events_carry_the_new_state_and_the_previous_one()
    {
        using var watch = Store.Watch(K("/e/"), Base);
        var created = await Store.CreateAsync(K("/e/a"), Obj("a", "1"));
        await Store.UpdateAsync(K("/e/a"), Obj("a", "2"), created.ModRevision);
        await Store.DeleteAsync(K("/e/a"), R(2));

        var events = await Take(watch, 3);
        var (added, modified, deleted) = (events[0], events[1], events[2]);
        Assert.Equal((WatchEventType.Added, "1", Text(R(1))), (added.Type, (string?)added.Value["data"], Rv(added.Value)));
        Assert.Null(added.Previous);
        Assert.Equal((WatchEventType.Modified, "2", Text(R(2))), (modified.Type, (string?)modified.Value["data"], Rv(modified.Value)));
        Assert.Equal(("1", Text(R(1))), ((string?)modified.Previous!["data"], Rv(modified.Previous)));
        Assert.Equal((WatchEventType.Deleted, "2", Text(R(3))), (deleted.Type, (string?)deleted.Value["data"], Rv(deleted.Value)));
        Assert.Equal(("2", Text(R(2))), ((string?)deleted.Previous!["data"], Rv(deleted.Previous)));
    }

    [StoreFact]
    public async Task Watch_sees_only_its_prefix_and_only_changes_after_its_revision()
    {
        await Store.CreateAsync(K("/ns1/before"), Obj("before"));
        using var watch = Store.Watch(K("/ns1/"), Store.Revision);
        await Store.CreateAsync(K("/ns10/x"), Obj("x"));
        await Store.CreateAsync(K("/ns1"), Obj("no slash"));
        await Store.CreateAsync(K("/ns1/after"), Obj("after"));

        var events = await Take(watch, 1);
        Assert.Equal([(K("/ns1/after"), R(4))], events.Select(e => (e.Key, e.Revision)));
        Assert.False(watch.Events.TryRead(out _));
    }

    [StoreFact]
    public async Task Watching_from_a_compacted_revision_is_refused_with_both_revisions()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.CreateAsync(K($"/c/{i}"), Obj($"o{i}"));
        }

        await Store.CompactAsync(R(3));
        Assert.Equal(R(3), Store.CompactedRevision);
        var e = Assert.Throws<RevisionCompactedException>(() => Store.Watch(K("/c/"), R(2)));
        Assert.Equal($"too old resource version: {R(2)} ({R(3)})", e.Message);
        Assert.Equal((R(2), R(3)), (e.Requested, e.Compacted));

        using var ok = Store.Watch(K("/c/"), R(3));
        Assert.Equal([R(4), R(5)], (await Take(ok, 2)).Select(x => x.Revision));
        Assert.Equal(5, (await Store.ListAsync(K("/c/"), null, 0)).Items.Count);
    }

    [StoreFact]
    public async Task Compaction_is_clamped_to_the_current_revision_and_never_goes_back()
    {
        await Store.CreateAsync(K("/k/a"), Obj("a"));
        await Store.CreateAsync(K("/k/b"), Obj("b"));

        await Store.CompactAsync(R(1000));
        Assert.Equal(R(2), Store.CompactedRevision);
        await Store.CompactAsync(R(1));
        Assert.Equal(R(2), Store.CompactedRevision);

        Assert.Throws<RevisionCompactedException>(() => Store.Watch(K("/k/"), R(1)));
        using var live = Store.Watch(K("/k/"), R(2));
        await Store.CreateAsync(K("/k/c"), Obj("c"));
        Assert.Equal([R(3)], (await Take(live, 1)).Select(x => x.Revision));
    }

    [StoreFact]
    public async Task Disposing_a_watch_or_the_store_ends_the_event_stream()
    {
        var watch = Store.Watch(K("/w/"), Base);
        await Store.CreateAsync(K("/w/a"), Obj("a"));
        Assert.Single(await Take(watch, 1));
        watch.Dispose();
        await AssertCompletes(watch);

        var second = Store.Watch(K("/w/"), Store.Revision);
        await Store.DisposeAsync();
        await AssertCompletes(second);
        second.Dispose();
        Store = await OpenAsync();
    }

    [StoreFact]
    public async Task Concurrent_writers_get_distinct_revisions_and_every_watcher_sees_every_event_in_order()
    {
        const int writers = 8;
        const int perWriter = 50;
        var watchers = Enumerable.Range(0, 4).Select(_ => Store.Watch(K("/w/"), Base)).ToList();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < perWriter; i++)
                {
                    await Store.CreateAsync(K($"/w/{w}-{i}"), Obj($"{w}-{i}"));
                }
            })));

            Assert.Equal(R(writers * perWriter), Store.Revision);
            foreach (var watcher in watchers)
            {
                var revisions = (await Take(watcher, writers * perWriter)).Select(e => e.Revision).ToList();
                Assert.Equal(Enumerable.Range(1, writers * perWriter).Select(i => R(i)), revisions);
            }
        }
        finally
        {
            watchers.ForEach(w => w.Dispose());
        }
    }

    [StoreFact]
    public async Task A_watcher_that_reads_late_still_gets_every_event_in_order()
    {
        const int writers = 8;
        const int perWriter = 300; // 2,400 events: more than a watch buffers before it stops reading from its source.
        using var watch = Store.Watch(K("/late/"), Base);
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                await Store.CreateAsync(K($"/late/{w}-{i}"), Obj($"{w}-{i}"));
            }
        })));

        var revisions = (await Take(watch, writers * perWriter)).Select(e => e.Revision);
        Assert.Equal(Enumerable.Range(1, writers * perWriter).Select(i => R(i)), revisions);
    }

    [StoreFact]
    public async Task Concurrent_updates_of_one_key_at_the_same_revision_let_exactly_one_win()
    {
        var created = await Store.CreateAsync(K("/u/x"), Obj("x", "0"));
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.UpdateAsync(K("/u/x"), Obj("x", i.ToString(CultureInfo.InvariantCulture)), created.ModRevision);
                return true;
            }
            catch (RevisionConflictException)
            {
                return false;
            }
        })));
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(R(2), Store.Revision);
    }

    [StoreFact]
    public async Task Concurrent_creates_and_deletes_of_one_key_let_exactly_one_win()
    {
        var creates = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.CreateAsync(K("/x/one"), Obj("one", i.ToString(CultureInfo.InvariantCulture)));
                return true;
            }
            catch (KeyExistsException)
            {
                return false;
            }
        })));
        Assert.Equal(1, creates.Count(r => r));

        var deletes = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.DeleteAsync(K("/x/one"), i % 2 == 0 ? R(1) : null);
                return true;
            }
            catch (KeyNotFoundInStoreException)
            {
                return false;
            }
            catch (RevisionConflictException)
            {
                return false;
            }
        })));
        Assert.Equal(1, deletes.Count(r => r));
        Assert.Equal(R(2), Store.Revision);
    }

    protected static async Task<List<StoreEvent>> Take(IWatchSubscription watch, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<StoreEvent>();
        while (events.Count < count)
        {
            events.Add(await watch.Events.ReadAsync(timeout.Token));
        }

        return events;
    }

    /// <summary>The reader ends (no more events, no error) within a few seconds.</summary>
    protected static async Task AssertCompletes(IWatchSubscription watch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (await watch.Events.WaitToReadAsync(timeout.Token))
        {
            watch.Events.TryRead(out _);
        }
    }
}
