using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.GarbageCollection;

public sealed class GarbageCollectorTests
{
    private const string Ns = "default";

    private static V1ConfigMap ConfigMap(string name, params V1ConfigMap[] owners) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns, OwnerReferences = References(owners) },
    };

    private static V1Pod Pod(string name, IEnumerable<V1ConfigMap> owners, bool block = false, IList<string>? finalizers = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns, OwnerReferences = References([.. owners], block), Finalizers = finalizers },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    private static List<V1OwnerReference>? References(V1ConfigMap[] owners, bool block = false) =>
        owners.Length == 0
            ? null
            : [.. owners.Select(o => new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = o.Metadata.Name, Uid = o.Metadata.Uid, BlockOwnerDeletion = block })];

    private static Task Gone<T>(ControlPlane plane, string name) where T : class, k8s.IKubernetesObject<V1ObjectMeta> =>
        ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<T>(Ns, name) is null, $"{typeof(T).Name} {name} to be deleted");

    [Fact]
    public async Task Deleting_an_owner_deletes_its_dependents_in_the_background()
    {
        await using var plane = await ControlPlane.StartAsync("garbagecollector");
        var owner = await plane.Client.CreateAsync(ConfigMap("bg-owner"));
        await plane.Client.CreateAsync(Pod("bg-dep-1", [owner]));
        await plane.Client.CreateAsync(Pod("bg-dep-2", [owner]));
        await plane.Client.CreateAsync(Pod("bg-unrelated", []));

        plane.KubectlOk("delete", "configmap", "bg-owner", "-n", Ns);

        await Gone<V1Pod>(plane, "bg-dep-1");
        await Gone<V1Pod>(plane, "bg-dep-2");
        Assert.NotNull(await plane.Client.GetAsync<V1Pod>(Ns, "bg-unrelated"));
    }

    [Fact]
    public async Task A_dependent_whose_owner_never_existed_or_was_replaced_is_deleted()
    {
        await using var plane = await ControlPlane.StartAsync("garbagecollector");
        var replaced = await plane.Client.CreateAsync(ConfigMap("replaced-owner"));
        await plane.Client.DeleteAsync<V1ConfigMap>(Ns, "replaced-owner");
        await plane.Client.CreateAsync(ConfigMap("replaced-owner")); // same name, new uid
        var never = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "never-owner", Uid = Guid.NewGuid().ToString() } };

        await plane.Client.CreateAsync(Pod("orphaned-by-replacement", [replaced]));
        await plane.Client.CreateAsync(Pod("orphaned-from-birth", [never]));

        await Gone<V1Pod>(plane, "orphaned-by-replacement");
        await Gone<V1Pod>(plane, "orphaned-from-birth");
        Assert.NotNull(await plane.Client.GetAsync<V1ConfigMap>(Ns, "replaced-owner"));
    }

    [Fact]
    public async Task Foreground_deletion_keeps_the_owner_until_its_blocking_dependents_are_gone()
    {
        await using var plane = await ControlPlane.StartAsync("garbagecollector");
        var owner = await plane.Client.CreateAsync(ConfigMap("fg-owner"));
        // A finalizer keeps this dependent around after the collector deletes it, so the owner must wait.
        await plane.Client.CreateAsync(Pod("fg-held", [owner], block: true, finalizers: ["example.com/hold"]));
        await plane.Client.CreateAsync(Pod("fg-plain", [owner], block: true));

        await plane.Client.DeleteAsync<V1ConfigMap>(Ns, "fg-owner", DeleteRequest.Foreground);

        var held = await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1Pod>(Ns, "fg-held"), p => p?.Metadata.DeletionTimestamp is not null, "the held dependent to be deleted");
        await Gone<V1Pod>(plane, "fg-plain");
        var waiting = await plane.Client.GetAsync<V1ConfigMap>(Ns, "fg-owner");
        Assert.NotNull(waiting!.Metadata.DeletionTimestamp);
        Assert.Contains("foregroundDeletion", waiting.Metadata.Finalizers);

        held!.Metadata.Finalizers = null;
        await plane.Client.UpdateAsync(held);

        await Gone<V1Pod>(plane, "fg-held");
        await Gone<V1ConfigMap>(plane, "fg-owner");
    }

    [Fact]
    public async Task Foreground_deletion_reaches_dependents_of_dependents()
    {
        await using var plane = await ControlPlane.StartAsync("garbagecollector");
        var top = await plane.Client.CreateAsync(ConfigMap("chain-top"));
        var middle = ConfigMap("chain-middle");
        middle.Metadata.OwnerReferences = References([top], block: true);
        middle = await plane.Client.CreateAsync(middle);
        await plane.Client.CreateAsync(Pod("chain-bottom", [middle], block: true, finalizers: ["example.com/hold"]));

        await plane.Client.DeleteAsync<V1ConfigMap>(Ns, "chain-top", DeleteRequest.Foreground);

        // The middle object is itself deleted in the foreground, so both wait for the bottom one.
        var bottom = await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1Pod>(Ns, "chain-bottom"), p => p?.Metadata.DeletionTimestamp is not null, "the bottom dependent to be deleted");
        var waitingMiddle = await plane.Client.GetAsync<V1ConfigMap>(Ns, "chain-middle");
        Assert.Contains("foregroundDeletion", waitingMiddle!.Metadata.Finalizers);
        Assert.NotNull(await plane.Client.GetAsync<V1ConfigMap>(Ns, "chain-top"));

        bottom!.Metadata.Finalizers = null;
        await plane.Client.UpdateAsync(bottom);

        await Gone<V1ConfigMap>(plane, "chain-middle");
        await Gone<V1ConfigMap>(plane, "chain-top");
    }

    [Fact]
    public async Task Orphan_deletion_leaves_the_dependents_without_the_reference()
    {
        await using var plane = await ControlPlane.StartAsync("garbagecollector");
        var owner = await plane.Client.CreateAsync(ConfigMap("orphan-owner"));
        var other = await plane.Client.CreateAsync(ConfigMap("orphan-other-owner"));
        await plane.Client.CreateAsync(Pod("orphan-dep-only", [owner]));
        await plane.Client.CreateAsync(Pod("orphan-dep-shared", [owner, other]));

        plane.KubectlOk("delete", "configmap", "orphan-owner", "-n", Ns, "--cascade=orphan");

        await Gone<V1ConfigMap>(plane, "orphan-owner");
        var only = await plane.Client.GetAsync<V1Pod>(Ns, "orphan-dep-only");
        Assert.Null(only!.Metadata.OwnerReferences);
        var shared = await plane.Client.GetAsync<V1Pod>(Ns, "orphan-dep-shared");
        Assert.Equal(["orphan-other-owner"], shared!.Metadata.OwnerReferences.Select(r => r.Name));
    }

    [Fact]
    public async Task A_dependent_with_two_owners_lives_while_one_remains()
    {
        await using var plane = await ControlPlane.StartAsync("garbagecollector");
        var first = await plane.Client.CreateAsync(ConfigMap("two-first"));
        var second = await plane.Client.CreateAsync(ConfigMap("two-second"));
        await plane.Client.CreateAsync(Pod("two-dep", [first, second]));

        plane.KubectlOk("delete", "configmap", "two-first", "-n", Ns);

        // The reference to the gone owner is dropped; the pod stays.
        var kept = await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1Pod>(Ns, "two-dep"), p => p?.Metadata.OwnerReferences?.Count == 1, "the dangling reference to be removed");
        Assert.Equal("two-second", kept!.Metadata.OwnerReferences[0].Name);
        Assert.Null(kept.Metadata.DeletionTimestamp);

        plane.KubectlOk("delete", "configmap", "two-second", "-n", Ns);
        await Gone<V1Pod>(plane, "two-dep");
    }
}
