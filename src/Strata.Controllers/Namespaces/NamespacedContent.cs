using k8s;
using k8s.Models;
using Strata.Controllers.Client;

namespace Strata.Controllers.Namespaces;

/// <summary>What deleting one resource's objects in a namespace left behind.</summary>
public sealed record ResourceContent(string Resource, int Remaining, IReadOnlyDictionary<string, int> Finalizers, long EstimateSeconds, string? Error);

/// <summary>One namespaced resource the namespace controller empties.</summary>
public interface INamespacedResource
{
    /// <summary>"resource.group" as upstream reports it ("pods.", "deployments.apps").</summary>
    string Name { get; }

    Task<ResourceContent> DeleteAllAsync(IKubeClient client, string ns, CancellationToken cancellationToken);
}

/// <summary>
/// pkg/controller/namespace/deletion/namespaced_resources_deleter.go, deleteAllContentForGroupVersionResource: delete
/// every object (background propagation, pods with their own grace), then list what is still there and why.
/// </summary>
public sealed class NamespacedResource<T> : INamespacedResource where T : class, IKubernetesObject<V1ObjectMeta>
{
    public string Name { get; } = $"{ResourceType.Of<T>().Plural}.{ResourceType.Of<T>().Group}";

    public async Task<ResourceContent> DeleteAllAsync(IKubeClient client, string ns, CancellationToken cancellationToken)
    {
        IReadOnlyList<T> items;
        try
        {
            items = (await client.ListAsync<T>(new ListRequest(ns), cancellationToken)).Items;
        }
        catch (KubeApiException e) when (e.IsNotFound || e.Code == 405)
        {
            return new ResourceContent(Name, 0, new Dictionary<string, int>(), 0, null); // Not served there: nothing to delete.
        }

        string? error = null;
        foreach (var item in items.Where(i => i.Metadata.DeletionTimestamp is null))
        {
            try
            {
                await client.DeleteAsync<T>(ns, item.Metadata.Name, new DeleteRequest("Background", PreconditionUid: item.Metadata.Uid), cancellationToken);
            }
            catch (KubeApiException e) when (e.IsConflict)
            {
                // Replaced by a new object of the same name: the next pass deletes that one.
            }
            catch (KubeApiException e)
            {
                error ??= $"failed to delete {Name} {item.Metadata.Name}: {e.Message}";
            }
        }

        if (items.Count == 0)
        {
            return new ResourceContent(Name, 0, new Dictionary<string, int>(), 0, error);
        }

        var left = (await client.ListAsync<T>(new ListRequest(ns), cancellationToken)).Items;
        var finalizers = left.SelectMany(i => i.Metadata.Finalizers ?? []).GroupBy(f => f).ToDictionary(g => g.Key, g => g.Count());
        return new ResourceContent(Name, left.Count, finalizers, left.Max(EstimateSeconds), error);
    }

    // namespaced_resources_deleter.go estimateGracefulTerminationForPods: a pod still running its grace period.
    private static long EstimateSeconds(T item) =>
        item is V1Pod { Status.Phase: not ("Succeeded" or "Failed") } pod
            ? pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec?.TerminationGracePeriodSeconds ?? 0
            : 0;
}

/// <summary>The namespaced resources Strata serves, deleted in this order (workloads before what they use).</summary>
public static class NamespacedResources
{
    public static IReadOnlyList<INamespacedResource> All { get; } =
    [
        new NamespacedResource<V1Deployment>(),
        new NamespacedResource<V1DaemonSet>(),
        new NamespacedResource<V1ReplicaSet>(),
        new NamespacedResource<V1Pod>(),
        new NamespacedResource<V1Service>(),
        new NamespacedResource<V1Endpoints>(),
        new NamespacedResource<V1EndpointSlice>(),
        new NamespacedResource<V1Ingress>(),
        new NamespacedResource<V1NetworkPolicy>(),
        new NamespacedResource<V1ConfigMap>(),
        new NamespacedResource<V1Secret>(),
        new NamespacedResource<V1ServiceAccount>(),
        new NamespacedResource<V1Lease>(),
        new NamespacedResource<Corev1Event>(),
    ];

    /// <summary>Adds up what each resource left.</summary>
    public static ContentReport Report(IEnumerable<ResourceContent> contents)
    {
        var list = contents.ToList();
        var finalizers = new Dictionary<string, int>();
        foreach (var (finalizer, count) in list.SelectMany(c => c.Finalizers))
        {
            finalizers[finalizer] = finalizers.GetValueOrDefault(finalizer) + count;
        }

        return new ContentReport(
            [.. list.Where(c => c.Error is not null).Select(c => c.Error!)],
            list.Where(c => c.Remaining > 0).ToDictionary(c => c.Resource, c => c.Remaining),
            finalizers,
            list.Count == 0 ? 0 : list.Max(c => c.EstimateSeconds));
    }
}
