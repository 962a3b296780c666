using Strata.ApiServer.Storage;

namespace Strata.ApiServer.Tests.Storage;

/// <summary>The store contract on SQLite (a fresh database file per test), and what only SQLite does: reopening the file.</summary>
public sealed class SqliteObjectStoreTests : ObjectStoreContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-store-").FullName;

    private string DbPath => Path.Combine(_directory, "state.db");

    protected override Task<IObjectStore> OpenAsync() => Task.FromResult<IObjectStore>(SqliteObjectStore.Open(DbPath));

    protected override Task CleanupAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public void A_new_database_starts_at_revision_zero()
    {
        Assert.Equal((0L, 0L), (Store.Revision, Store.CompactedRevision));
    }

    [Fact]
    public async Task Data_revision_and_log_survive_reopening()
    {
        await Store.CreateAsync(K("/p/a"), Obj("a", "kept"));
        await Store.CreateAsync(K("/p/b"), Obj("b"));
        await Store.DeleteAsync(K("/p/b"), null);
        await Store.CompactAsync(1);
        await Store.DisposeAsync();

        Store = SqliteObjectStore.Open(DbPath);
        Assert.Equal((3L, 1L), (Store.Revision, Store.CompactedRevision));
        Assert.Equal("kept", (string?)(await Store.GetAsync(K("/p/a")))!.Value["data"]);
        using var watch = Store.Watch(K("/p/"), 1);
        Assert.Equal([WatchEventType.Added, WatchEventType.Deleted], (await Take(watch, 2)).Select(e => e.Type));
        Assert.Equal(4, (await Store.CreateAsync(K("/p/c"), Obj("c"))).ModRevision);
    }
}
