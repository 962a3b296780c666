using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.Client;

/// <summary>What every <see cref="IKubeClient"/> must do, run over the in-process client and the HTTPS one.</summary>
public abstract class KubeClientContract
{
    protected abstract IKubeClient Connect(ControlPlane plane);

    private async Task WithClientAsync(Func<ControlPlane, IKubeClient, Task> test)
    {
        await using var plane = await ControlPlane.StartAsync();
        var client = Connect(plane);
        try
        {
            await test(plane, client);
        }
        finally
        {
            (client as IDisposable)?.Dispose();
        }
    }

    private static V1ConfigMap ConfigMap(string name, string value, string app = "x") => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = app } },
        Data = new Dictionary<string, string> { ["k"] = value },
    };

    private static V1Pod Pod(string name) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    [Fact]
    public Task Lists_with_selectors_and_watches_every_change_from_the_lists_version() => WithClientAsync(async (_, client) =>
    {
        await client.CreateAsync(ConfigMap("one", "1"));
        await client.CreateAsync(ConfigMap("other", "1", app: "y"));
        var list = await client.ListAsync<V1ConfigMap>(new ListRequest("default", "app=x"));
        Assert.Equal(["one"], list.Items.Select(c => c.Metadata.Name));
        Assert.Equal("ConfigMap", list.Items[0].Kind);
        Assert.NotEmpty(list.ResourceVersion);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<string>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in client.WatchAsync<V1ConfigMap>(new ListRequest("default", "app=x"), list.ResourceVersion, stop.Token))
            {
                seen.Add($"{e.Kind} {e.Object.Metadata.Name} {e.Object.Data?["k"]}");
                if (seen.Count == 3)
                {
                    return;
                }
            }
        });
        var two = await client.CreateAsync(ConfigMap("two", "1"));
        await client.CreateAsync(ConfigMap("ignored", "1", app: "y"));
        two.Data["k"] = "2";
        await client.UpdateAsync(two);
        await client.DeleteAsync<V1ConfigMap>("default", "one");
        await watching;
        Assert.Equal(["Added two 1", "Modified two 2", "Deleted one 1"], seen);
    });

    [Fact]
    public Task Gets_creates_and_updates_with_optimistic_concurrency() => WithClientAsync(async (_, client) =>
    {
        var created = await client.CreateAsync(ConfigMap("c", "1"));
        Assert.NotEmpty(created.Metadata.Uid);
        var stale = await client.GetAsync<V1ConfigMap>("default", "c");
        Assert.Equal("1", stale!.Data["k"]);
        created.Data["k"] = "2";
        var updated = await client.UpdateAsync(created);
        Assert.Equal("2", updated.Data["k"]);
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);

        stale.Data["k"] = "3";
        var conflict = await Assert.ThrowsAsync<KubeApiException>(() => client.UpdateAsync(stale));
        Assert.True(conflict.IsConflict, conflict.Message);
        Assert.Equal(409, conflict.Code);
        Assert.Contains("the object has been modified", conflict.Message);

        var exists = await Assert.ThrowsAsync<KubeApiException>(() => client.CreateAsync(ConfigMap("c", "1")));
        Assert.True(exists.IsAlreadyExists, exists.Reason);
        Assert.Null(await client.GetAsync<V1ConfigMap>("default", "nope"));

        var invalid = await Assert.ThrowsAsync<KubeApiException>(() => client.CreateAsync(ConfigMap("Not_Valid", "1")));
        Assert.True(invalid.IsInvalid, $"{invalid.Code} {invalid.Reason}");
        Assert.Contains("Not_Valid", invalid.Message);
    });

    [Fact]
    public Task Updates_status_through_the_subresource_and_binds_pods() => WithClientAsync(async (plane, client) =>
    {
        await plane.AddNodeAsync("contract-node", "10.0.0.1");
        var pod = await client.CreateAsync(Pod("p"));
        pod.Status = new V1PodStatus { Phase = "Running", PodIP = "10.233.64.5" };
        var written = await client.UpdateStatusAsync(pod);
        Assert.Equal("Running", written.Status.Phase);

        await client.BindAsync("default", "p", "contract-node");
        var bound = await client.GetAsync<V1Pod>("default", "p");
        Assert.Equal("contract-node", bound!.Spec.NodeName);
        Assert.Contains(bound.Status.Conditions, c => c.Type == "PodScheduled" && c.Status == "True");
        var again = await Assert.ThrowsAsync<KubeApiException>(() => client.BindAsync("default", "p", "contract-node"));
        Assert.True(again.IsConflict, again.Message);
    });

    [Fact]
    public Task Deletes_with_preconditions_and_propagation_policy() => WithClientAsync(async (_, client) =>
    {
        var cm = await client.CreateAsync(ConfigMap("d", "1"));
        var wrongUid = await Assert.ThrowsAsync<KubeApiException>(() => client.DeleteAsync<V1ConfigMap>("default", "d", new DeleteRequest(PreconditionUid: "not-its-uid")));
        Assert.True(wrongUid.IsConflict, wrongUid.Message);

        // No garbage collector runs here: a foreground delete leaves the object waiting with the finalizer.
        Assert.True(await client.DeleteAsync<V1ConfigMap>("default", "d", new DeleteRequest("Foreground", PreconditionUid: cm.Metadata.Uid)));
        var waiting = await client.GetAsync<V1ConfigMap>("default", "d");
        Assert.NotNull(waiting!.Metadata.DeletionTimestamp);
        Assert.Contains("foregroundDeletion", waiting.Metadata.Finalizers);

        waiting.Metadata.Finalizers = null;
        await client.UpdateAsync(waiting);
        Assert.Null(await client.GetAsync<V1ConfigMap>("default", "d"));
        Assert.False(await client.DeleteAsync<V1ConfigMap>("default", "d"));

        await client.CreateAsync(ConfigMap("e", "1"));
        Assert.True(await client.DeleteAsync<V1ConfigMap>("default", "e", DeleteRequest.Background));
        Assert.Null(await client.GetAsync<V1ConfigMap>("default", "e"));
    });

    [Fact]
    public Task Finalizing_an_emptied_terminating_namespace_deletes_it() => WithClientAsync(async (_, client) =>
    {
        await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "contract-ns" } });
        await client.DeleteAsync<V1Namespace>(null, "contract-ns");
        var terminating = await client.GetAsync<V1Namespace>(null, "contract-ns");
        Assert.Equal("Terminating", terminating!.Status.Phase);
        Assert.Equal(["kubernetes"], terminating.Spec.Finalizers);

        terminating.Spec.Finalizers = [];
        await client.FinalizeNamespaceAsync(terminating);
        Assert.Null(await client.GetAsync<V1Namespace>(null, "contract-ns"));
    });

    [Fact]
    public Task Watch_from_a_compacted_version_is_gone() => WithClientAsync(async (plane, client) =>
    {
        var first = await client.CreateAsync(ConfigMap("a", "1"));
        await client.CreateAsync(ConfigMap("b", "1"));
        await plane.Server.Host.Store.CompactAsync(plane.Server.Host.Store.Revision);
        var gone = await Assert.ThrowsAsync<KubeApiException>(async () =>
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await foreach (var _ in client.WatchAsync<V1ConfigMap>(ListRequest.All, first.Metadata.ResourceVersion, stop.Token))
            {
            }
        });
        Assert.True(gone.IsGone, $"{gone.Code} {gone.Reason}");
        Assert.Equal(410, gone.Code);
    });
}

public sealed class InProcessKubeClientTests : KubeClientContract
{
    protected override IKubeClient Connect(ControlPlane plane) => plane.Client;
}

public sealed class RemoteKubeClientTests : KubeClientContract
{
    protected override IKubeClient Connect(ControlPlane plane) => RemoteKubeClient.FromKubeconfig(plane.Server.Host.KubeconfigPath);
}
