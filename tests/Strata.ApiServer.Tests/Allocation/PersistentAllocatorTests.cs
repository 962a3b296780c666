using System.Net;
using Strata.ApiServer.Allocation;
using Strata.ApiServer.Storage;
using Strata.Controllers.NodeIpam;

namespace Strata.ApiServer.Tests.Allocation;

/// <summary>The allocators over a SQLite store in a temporary directory: what is stored, concurrency, restarts.</summary>
public sealed class PersistentAllocatorTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-alloc-").FullName;
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

    private static IPAddress Ip(string text) => IPAddress.Parse(text);

    [Fact]
    public async Task Ranges_are_stored_as_upstreams_RangeAllocation_objects()
    {
        var state = new AllocatorState(_store);
        using var ips = PersistentAllocators.ClusterIps(state);
        await ips.AllocateAsync(Ip("10.233.0.1"));

        var stored = (await _store.GetAsync("/registry/ranges/serviceips"))!;
        var value = stored.Value;
        Assert.Equal(("RangeAllocation", "v1", "10.233.0.0/18", "AQ=="),
            ((string?)value["kind"], (string?)value["apiVersion"], (string?)value["range"], (string?)value["data"]));
        Assert.NotNull(value["metadata"]?["creationTimestamp"]);
        Assert.Equal(stored.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)value["metadata"]?["resourceVersion"]);
        Assert.Equal(stored.ModRevision, ips.Revision);

        using var ports = PersistentAllocators.NodePorts(state);
        await ports.AllocateAsync(30001);
        Assert.Equal(("30000-32767", "Ag=="), ((string?)(await _store.GetAsync("/registry/ranges/servicenodeports"))!.Value["range"],
            (string?)(await _store.GetAsync("/registry/ranges/servicenodeports"))!.Value["data"]));

    }

    [Fact]
    public async Task A_refused_request_writes_nothing()
    {
        var state = new AllocatorState(_store);
        using var ips = PersistentAllocators.ClusterIps(state);
        await ips.AllocateAsync(Ip("10.233.0.10"));
        var revision = _store.Revision;

        var taken = await Assert.ThrowsAsync<AllocationException>(() => ips.AllocateAsync(Ip("10.233.0.10")));
        Assert.Equal("provided IP is already allocated", taken.Message);
        var outside = await Assert.ThrowsAsync<AllocationException>(() => ips.AllocateAsync(Ip("10.96.0.10")));
        Assert.Equal("the provided IP (10.96.0.10) is not in the valid range. The range of valid IPs is 10.233.0.0/18", outside.Message);
        await ips.ReleaseAsync(Ip("10.233.0.99")); // not allocated: nothing to write
        Assert.Equal(revision, _store.Revision);
    }

    [Fact]
    public async Task Fifty_concurrent_allocations_through_two_instances_never_collide()
    {
        using var first = PersistentAllocators.ClusterIps(new AllocatorState(_store), "10.0.0.0/26");
        using var second = PersistentAllocators.ClusterIps(new AllocatorState(_store), "10.0.0.0/26");
        using var firstPorts = PersistentAllocators.NodePorts(new AllocatorState(_store), "30000-30059");
        using var secondPorts = PersistentAllocators.NodePorts(new AllocatorState(_store), "30000-30059");

        // 62 usable addresses, 46 in the upper band: 50 draws also race for the static band.
        var ips = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).AllocateNextAsync())));
        var ports = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => (i % 2 == 0 ? firstPorts : secondPorts).AllocateNextAsync())));

        Assert.Equal(50, ips.Distinct().Count());
        Assert.Equal(50, ports.Distinct().Count());
        Assert.Equal(50, await first.ReadAsync(a => a.Used));
        Assert.Equal(ips.OrderBy(ip => ip.GetAddressBytes()[3]), await second.ReadAsync(a => a.Allocated()));
        Assert.Equal(ports.Order(), await firstPorts.ReadAsync(a => a.Allocated()));
    }

    [Fact]
    public async Task Lost_races_are_retried_from_a_fresh_read()
    {
        var racing = new RacingStore(_store);
        using var first = PersistentAllocators.ClusterIps(new AllocatorState(racing), "10.0.0.0/26");
        using var second = PersistentAllocators.ClusterIps(new AllocatorState(racing), "10.0.0.0/26");

        var ips = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).AllocateNextAsync())));

        // The first two reads saw the same (empty) state, so at least one write lost and was redone.
        Assert.True(racing.Conflicts >= 1);
        Assert.Equal(50, ips.Distinct().Count());
        Assert.Equal(50, await first.ReadAsync(a => a.Used));
    }

    [Fact]
    public async Task Concurrent_requests_for_one_IP_grant_it_exactly_once()
    {
        using var first = PersistentAllocators.ClusterIps(new AllocatorState(_store));
        using var second = PersistentAllocators.ClusterIps(new AllocatorState(_store));
        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            try
            {
                await (i % 2 == 0 ? first : second).AllocateAsync(Ip("10.233.0.10"));
                return "granted";
            }
            catch (AllocationException e)
            {
                return e.Message;
            }
        })));

        Assert.Single(attempts, a => a == "granted");
        Assert.All(attempts.Where(a => a != "granted"), a => Assert.Equal("provided IP is already allocated", a));
    }

    [Fact]
    public async Task Allocations_survive_reopening_the_store()
    {
        var state = new AllocatorState(_store);
        IPAddress[] ips;
        using (var allocator = PersistentAllocators.ClusterIps(state, "10.0.0.0/28"))
        {
            await allocator.AllocateAsync(Ip("10.0.0.1"));
            ips = [.. await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => allocator.AllocateNextAsync()))];
            await allocator.ReleaseAsync(ips[0]);
        }

        using (var ports = PersistentAllocators.NodePorts(state))
        {
            await ports.AllocateAsync(30080);
        }

        await _store.DisposeAsync();
        _store = SqliteObjectStore.Open(DbPath);
        state = new AllocatorState(_store);

        using var reopened = PersistentAllocators.ClusterIps(state, "10.0.0.0/28");
        Assert.True(await reopened.HasAsync(Ip("10.0.0.1")));
        Assert.False(await reopened.HasAsync(ips[0]));
        Assert.All(ips[1..], ip => Assert.True(reopened.HasAsync(ip).Result));
        // 14 usable, 10 taken: the next four are exactly the free ones, then the range is full.
        var rest = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => reopened.AllocateNextAsync()));
        Assert.Empty(rest.Intersect(ips[1..]));
        Assert.DoesNotContain(Ip("10.0.0.1"), rest);
        Assert.Equal("range is full", (await Assert.ThrowsAsync<AllocationException>(() => reopened.AllocateNextAsync())).Message);

        using var reopenedPorts = PersistentAllocators.NodePorts(state);
        Assert.Equal("provided port is already allocated", (await Assert.ThrowsAsync<AllocationException>(() => reopenedPorts.AllocateAsync(30080))).Message);
    }

    [Fact]
    public async Task A_changed_range_is_refused_until_a_repair_replaces_it()
    {
        var state = new AllocatorState(_store);
        using (var old = PersistentAllocators.ClusterIps(state, "10.96.0.0/12"))
        {
            await old.AllocateAsync(Ip("10.96.0.10"));
        }

        using var allocator = PersistentAllocators.ClusterIps(state);
        var e = await Assert.ThrowsAsync<AllocationException>(() => allocator.AllocateNextAsync());
        Assert.Equal((AllocationError.MismatchedRange, "the provided network does not match the current range"), (e.Error, e.Message));

        // The repair: read the revision, rebuild from the Services, write if nobody wrote in between.
        var before = await allocator.GetAsync();
        var rebuilt = ClusterIpAllocator.Rebuild(ServiceIpRange.Parse(), [Ip("10.233.0.1"), Ip("10.96.0.10")]);
        Assert.Equal([Ip("10.96.0.10")], rebuilt.OutOfRange);

        // Another API server, still on the old range, allocates in between: the repair's write loses and starts over.
        using (var old = PersistentAllocators.ClusterIps(state, "10.96.0.0/12"))
        {
            await old.AllocateAsync(Ip("10.96.0.11"));
        }

        await Assert.ThrowsAsync<RevisionConflictException>(() => allocator.ReplaceAsync(rebuilt.Allocator.Snapshot(), before.Revision));
        await allocator.ReplaceAsync(rebuilt.Allocator.Snapshot(), (await allocator.GetAsync()).Revision);

        Assert.True(await allocator.HasAsync(Ip("10.233.0.1")));
        Assert.NotEqual(Ip("10.233.0.1"), await allocator.AllocateNextAsync());
    }

    [Fact]
    public async Task A_repair_on_an_empty_store_creates_the_range_once()
    {
        using var allocator = PersistentAllocators.NodePorts(new AllocatorState(_store));
        Assert.Equal(0, (await allocator.GetAsync()).Revision);
        var rebuilt = NodePortAllocator.Rebuild(PortRange.Parse(PortRange.DefaultNodePorts), [30100]);
        await allocator.ReplaceAsync(rebuilt.Allocator.Snapshot(), 0);
        await Assert.ThrowsAsync<KeyExistsException>(() => allocator.ReplaceAsync(rebuilt.Allocator.Snapshot(), 0));
        Assert.True(await allocator.HasAsync(30100));
    }
}
