using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.Machinery;

public sealed class InformerTests
{
    private static V1ConfigMap ConfigMap(string name, string value) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "x" } },
        Data = new Dictionary<string, string> { ["k"] = value },
    };

    [Fact]
    public async Task Lists_then_watches_and_tells_handlers_of_every_change()
    {
        await using var plane = await ControlPlane.StartAsync();
        var client = plane.Client;
        await client.CreateAsync(ConfigMap("before", "1"));
        var informer = new Informer<V1ConfigMap>(client);
        var seen = new List<string>();
        informer.AddHandler(
            added: c => { lock (seen) { seen.Add($"add {c.Metadata.Name}"); } },
            updated: (o, n) => { lock (seen) { seen.Add($"update {n.Metadata.Name} {o.Data["k"]}->{n.Data["k"]}"); } },
            deleted: c => { lock (seen) { seen.Add($"delete {c.Metadata.Name}"); } });
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var after = await client.CreateAsync(ConfigMap("after", "1"));
        after.Data["k"] = "2";
        await client.UpdateAsync(after);
        await client.DeleteAsync<V1ConfigMap>("default", "before");

        string[] expected = ["add before", "add after", "update after 1->2", "delete before"];
        await ControlPlane.EventuallyAsync(() => { lock (seen) { return Task.FromResult(seen.Count >= 4); } }, "four events");
        Assert.Equal(expected, seen);
        Assert.Equal("2", informer.Get("default/after")!.Data["k"]);
        Assert.Null(informer.Get("default", "before"));
        Assert.Single(informer.ByNamespace("default"));

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Stale_update_is_a_conflict_and_missing_object_is_null()
    {
        await using var plane = await ControlPlane.StartAsync();
        var client = plane.Client;
        var created = await client.CreateAsync(ConfigMap("c", "1"));
        var stale = await client.GetAsync<V1ConfigMap>("default", "c");
        created.Data["k"] = "2";
        await client.UpdateAsync(created);
        stale!.Data["k"] = "3";
        var conflict = await Assert.ThrowsAsync<KubeApiException>(() => client.UpdateAsync(stale));
        Assert.True(conflict.IsConflict, conflict.Message);
        Assert.Contains("the object has been modified", conflict.Message);
        Assert.Null(await client.GetAsync<V1ConfigMap>("default", "nope"));
        Assert.False(await client.DeleteAsync<V1ConfigMap>("default", "nope"));
        var exists = await Assert.ThrowsAsync<KubeApiException>(() => client.CreateAsync(ConfigMap("c", "1")));
        Assert.True(exists.IsAlreadyExists);
    }

    [Fact]
    public async Task Watch_from_a_compacted_version_is_gone()
    {
        await using var plane = await ControlPlane.StartAsync();
        var client = plane.Client;
        var first = await client.CreateAsync(ConfigMap("a", "1"));
        await client.CreateAsync(ConfigMap("b", "1"));
        await plane.Server.Host.Store.CompactAsync(plane.Server.Host.Store.Revision);
        var gone = await Assert.ThrowsAsync<KubeApiException>(async () =>
        {
            await foreach (var _ in client.WatchAsync<V1ConfigMap>(ListRequest.All, first.Metadata.ResourceVersion))
            {
            }
        });
        Assert.True(gone.IsGone);
    }
}
