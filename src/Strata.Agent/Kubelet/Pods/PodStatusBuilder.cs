using k8s;
using k8s.Models;

namespace Strata.Agent.Kubelet.Pods;

/// <summary>What the runtime knows of a pod, for its status.</summary>
/// <param name="SandboxReady">The sandbox and its network exist (PodReadyToStartContainers).</param>
/// <param name="Containers">One status per spec container, in spec order.</param>
public sealed record PodRuntimeView(bool SandboxReady, IReadOnlyList<string> PodIps, string HostIp, DateTime? StartTime, IReadOnlyList<V1ContainerStatus> Containers)
{
    /// <summary>One status per spec init container, in spec order.</summary>
    public IReadOnlyList<V1ContainerStatus> InitContainers { get; init; } = [];
}

/// <summary>
/// The pod status the kubelet writes (pkg/kubelet/kubelet_pods.go generateAPIPodStatus, getPhase, and
/// pkg/kubelet/status/generate.go for the conditions), from the runtime's view. A condition keeps its
/// lastTransitionTime while its status stays the same. Times are whole seconds, as the API stores them. Pure.
/// </summary>
public static class PodStatusBuilder
{
    public static V1PodStatus Build(V1Pod pod, PodRuntimeView view, DateTime now)
    {
        now = Truncate(now);
        var previous = pod.Status;
        var incomplete = view.InitContainers.Where(c => c.State?.Terminated is not { ExitCode: 0 }).Select(c => c.Name).ToList();
        bool initFailed = (pod.Spec.RestartPolicy ?? "Always") == "Never" && view.InitContainers.Any(c => c.State?.Terminated is { ExitCode: not 0 });
        string phase = initFailed ? "Failed" : incomplete.Count > 0 ? "Pending" : Phase(pod.Spec, view.Containers);
        var unready = view.Containers.Where(c => !c.Ready).Select(c => c.Name).ToList();
        bool terminal = phase is "Succeeded" or "Failed";
        var conditions = new List<V1PodCondition>
        {
            Condition(previous, "PodReadyToStartContainers", view.SandboxReady && !terminal, null, null, now),
            Condition(previous, "Initialized", incomplete.Count == 0, incomplete.Count == 0 ? null : "ContainersNotInitialized",
                incomplete.Count == 0 ? null : $"containers with incomplete status: [{string.Join(' ', incomplete)}]", now),
            terminal
                ? Condition(previous, "Ready", false, "PodCompleted", null, now)
                : Condition(previous, "Ready", unready.Count == 0, unready.Count == 0 ? null : "ContainersNotReady", Unready(unready), now),
            terminal
                ? Condition(previous, "ContainersReady", false, "PodCompleted", null, now)
                : Condition(previous, "ContainersReady", unready.Count == 0, unready.Count == 0 ? null : "ContainersNotReady", Unready(unready), now),
        };
        if (previous?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled") is { } scheduled)
        {
            conditions.Add(scheduled);
        }

        var status = new V1PodStatus
        {
            Phase = phase,
            Conditions = conditions,
            HostIP = view.HostIp,
            HostIPs = [new V1HostIP { Ip = view.HostIp }],
            StartTime = view.StartTime is { } start ? Truncate(start) : previous?.StartTime,
            ContainerStatuses = [.. view.Containers],
            InitContainerStatuses = view.InitContainers.Count > 0 ? [.. view.InitContainers] : null,
            QosClass = previous?.QosClass,
        };
        var podIps = view.PodIps.Count > 0 ? view.PodIps : terminal ? (previous?.PodIPs?.Select(p => p.Ip).ToList() ?? []) : [];
        if (podIps.Count > 0)
        {
            status.PodIP = podIps[0];
            status.PodIPs = [.. podIps.Select(ip => new V1PodIP { Ip = ip })];
        }

        return status;
    }

    /// <summary>getPhase: Pending until every container has started once; terminal only when none will restart.</summary>
    public static string Phase(V1PodSpec spec, IReadOnlyList<V1ContainerStatus> containers)
    {
        int pending = 0, running = 0, stopped = 0, succeeded = 0;
        foreach (var container in containers)
        {
            if (container.State?.Running is not null)
            {
                running++;
            }
            else if (container.State?.Terminated is { } terminated)
            {
                stopped++;
                if (terminated.ExitCode == 0)
                {
                    succeeded++;
                }
            }
            else if (container.LastState?.Terminated is { } last)
            {
                stopped++;
                if (last.ExitCode == 0)
                {
                    succeeded++;
                }
            }
            else
            {
                pending++;
            }
        }

        var policy = spec.RestartPolicy ?? "Always";
        if (pending > 0)
        {
            return "Pending";
        }

        if (running > 0)
        {
            return "Running";
        }

        if (stopped > 0)
        {
            if (policy == "Always")
            {
                return "Running";
            }

            if (succeeded == stopped)
            {
                return "Succeeded";
            }

            return policy == "Never" ? "Failed" : "Running";
        }

        return "Pending";
    }

    /// <summary>Whether writing <paramref name="computed"/> would change what the API holds.</summary>
    public static bool Differs(V1PodStatus? current, V1PodStatus computed) =>
        current is null || KubernetesJson.Serialize(Normalize(current)) != KubernetesJson.Serialize(Normalize(computed));

    public static DateTime Truncate(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    private static V1PodStatus Normalize(V1PodStatus status)
    {
        var copy = KubernetesJson.Deserialize<V1PodStatus>(KubernetesJson.Serialize(status));
        copy.Conditions = copy.Conditions?.OrderBy(c => c.Type, StringComparer.Ordinal).ToList();
        copy.ContainerStatuses = copy.ContainerStatuses?.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        return copy;
    }

    private static string? Unready(List<string> names) =>
        names.Count == 0 ? null : $"containers with unready status: [{string.Join(' ', names)}]";

    private static V1PodCondition Condition(V1PodStatus? previous, string type, bool value, string? reason, string? message, DateTime now)
    {
        string status = value ? "True" : "False";
        var old = previous?.Conditions?.FirstOrDefault(c => c.Type == type);
        return new V1PodCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastProbeTime = null,
            LastTransitionTime = old is not null && old.Status == status && old.LastTransitionTime is not null ? old.LastTransitionTime : now,
        };
    }
}
