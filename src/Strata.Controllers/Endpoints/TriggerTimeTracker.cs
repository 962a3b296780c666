using k8s.Models;

using Strata.Controllers.Machinery;

namespace Strata.Controllers.Endpoints;

/// <summary>
/// staging/src/k8s.io/endpointslice/util/trigger_time_tracker.go: the value of
/// <c>endpoints.kubernetes.io/last-change-trigger-time</c> for a sync, the earliest of the changes (a pod's Ready
/// transition, the Service's creation) not seen by the previous sync of that Service; the Service's creation time on
/// its first sync; null (remove the annotation) when nothing changed.
/// </summary>
public sealed class TriggerTimeTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, State> _states = [];

    public DateTime? Compute(V1Service service, IEnumerable<V1Pod> pods)
    {
        var key = $"{service.Metadata.NamespaceProperty}/{service.Metadata.Name}";
        State? state;
        lock (_lock)
        {
            state = _states.GetValueOrDefault(key);
        }

        DateTime? earliest = null;
        var podTimes = new Dictionary<string, DateTime>();
        foreach (var pod in pods)
        {
            if (PodConditions.Ready(pod)?.LastTransitionTime is { } time)
            {
                podTimes[pod.Metadata.Name] = time;
                if (state is null || !state.Pods.TryGetValue(pod.Metadata.Name, out var last) || time > last)
                {
                    earliest = Min(earliest, time);
                }
            }
        }

        var serviceTime = service.Metadata.CreationTimestamp;
        if (serviceTime is { } created && (state?.Service is not { } lastService || created > lastService))
        {
            earliest = Min(earliest, created);
        }

        lock (_lock)
        {
            _states[key] = new State(serviceTime, podTimes);
        }

        return state is null ? service.Metadata.CreationTimestamp : earliest;
    }

    public void Forget(string ns, string name)
    {
        lock (_lock)
        {
            _states.Remove($"{ns}/{name}");
        }
    }

    /// <summary>time.RFC3339Nano of the UTC time, as Go formats it (trailing zeros of the fraction dropped).</summary>
    public static string Format(DateTime time)
    {
        var utc = time.ToUniversalTime();
        var fraction = (utc.Ticks % TimeSpan.TicksPerSecond).ToString("D7").TrimEnd('0');
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss") + (fraction.Length > 0 ? "." + fraction : "") + "Z";
    }

    private static DateTime Min(DateTime? current, DateTime value) => current is { } c && c <= value ? c : value;

    private sealed record State(DateTime? Service, Dictionary<string, DateTime> Pods);
}
