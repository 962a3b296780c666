using k8s.Models;

namespace Strata.Controllers.Machinery;

/// <summary>Pod state as the controllers read it (pkg/api/v1/pod/util.go, pkg/controller/controller_utils.go).</summary>
public static class PodConditions
{
    public static V1PodCondition? Ready(V1Pod pod) => pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");

    public static bool IsReady(V1Pod pod) => Ready(pod)?.Status == "True";

    /// <summary>Ready for at least <paramref name="minReadySeconds"/> (IsPodAvailable).</summary>
    public static bool IsAvailable(V1Pod pod, int minReadySeconds, DateTime now)
    {
        if (!IsReady(pod))
        {
            return false;
        }

        if (minReadySeconds == 0)
        {
            return true;
        }

        var since = Ready(pod)?.LastTransitionTime;
        return since is { } t && t.AddSeconds(minReadySeconds) < now;
    }

    /// <summary>Not finished and not being deleted (IsPodActive).</summary>
    public static bool IsActive(V1Pod pod) =>
        pod.Status?.Phase is not ("Succeeded" or "Failed") && pod.Metadata.DeletionTimestamp is null;

    /// <summary>When the pod became ready, or null if it is not ready.</summary>
    public static DateTime? ReadyTime(V1Pod pod) => IsReady(pod) ? Ready(pod)?.LastTransitionTime : null;

    public static int MaxContainerRestarts(V1Pod pod) => pod.Status?.ContainerStatuses?.Select(c => c.RestartCount).DefaultIfEmpty(0).Max() ?? 0;

    /// <summary>When an available pod will have been ready for minReadySeconds (to requeue then), or null.</summary>
    public static TimeSpan? UntilAvailable(V1Pod pod, int minReadySeconds, DateTime now)
    {
        if (minReadySeconds == 0 || !IsReady(pod) || Ready(pod)?.LastTransitionTime is not { } t)
        {
            return null;
        }

        var at = t.AddSeconds(minReadySeconds);
        return at >= now ? at - now + TimeSpan.FromMilliseconds(10) : null;
    }
}
