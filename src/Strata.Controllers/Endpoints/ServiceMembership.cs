using k8s.Models;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.Endpoints;

/// <summary>
/// Which Services a pod event concerns (GetPodServiceMemberships and GetServicesToUpdateOnPodChange in
/// staging/src/k8s.io/endpointslice/util/controller_utils.go): those in its namespace whose selector matches it.
/// </summary>
public static class ServiceMembership
{
    /// <summary>Queues the Services a pod's add, update or delete concerns (addPod, updatePod, deletePod).</summary>
    public static void EnqueueOnPodChanges(Informer<V1Pod> pods, Informer<V1Service> services, Action<string> enqueue) =>
        pods.AddHandler(
            pod => EnqueueAll(Of(services, pod), enqueue),
            (old, cur) => EnqueueAll(OnUpdate(services, old, cur), enqueue),
            pod => EnqueueAll(Of(services, pod), enqueue));

    private static void EnqueueAll(IEnumerable<string> keys, Action<string> enqueue)
    {
        foreach (var key in keys)
        {
            enqueue(key);
        }
    }

    public static IEnumerable<string> Of(Informer<V1Service> services, V1Pod pod) =>
        services.Selecting(pod.Metadata.NamespaceProperty, pod.Metadata.Labels).Select(ObjectKey.Of);

    /// <summary>
    /// The Services to sync after a pod update: none when nothing endpoints show changed; with new labels, the ones
    /// it left or joined (and those it stays in, when the pod itself changed too).
    /// </summary>
    public static IReadOnlyCollection<string> OnUpdate(Informer<V1Service> services, V1Pod old, V1Pod cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            return [];
        }

        var (podChanged, labelsChanged) = PodEndpoints.Changed(old, cur);
        if (!podChanged && !labelsChanged)
        {
            return [];
        }

        var now = Of(services, cur).ToHashSet();
        if (!labelsChanged)
        {
            return now;
        }

        var before = Of(services, old).ToHashSet();
        return podChanged ? [.. now.Union(before)] : [.. now.Union(before).Except(now.Intersect(before))];
    }
}
