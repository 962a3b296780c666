using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.Scheduling;

/// <summary>
/// kube-scheduler's default profile (pkg/scheduler/schedule_one.go): each pending pod of this scheduler is placed by
/// <see cref="SchedulingCycle"/> and bound with pods/binding. A bound pod is remembered ("assumed") until the pod
/// informer shows it on its node, so the next cycle already counts it. A pod that fits nowhere gets
/// PodScheduled=False/Unschedulable and a FailedScheduling event, and is tried again when nodes or pods change, and
/// at least every <see cref="RetryInterval"/>.
/// </summary>
public sealed class SchedulerController : Controller
{
    public const string DefaultSchedulerName = "default-scheduler";
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(10);
    private const int StatusAttempts = 5;

    private readonly IKubeClient _client;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Node> _nodes;
    private readonly Informer<V1Service> _services;
    private readonly EventRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, V1Pod> _assumed = [];
    private readonly HashSet<string> _unschedulable = [];

    public SchedulerController(ControllerContext context)
        : base("scheduler", context.Logger("scheduler"), workers: 1)
    {
        _client = context.Client;
        _recorder = context.Recorder(DefaultSchedulerName);
        _time = context.Options.Time;
        _pods = context.Informers.For<V1Pod>();
        _nodes = context.Informers.For<V1Node>();
        _services = context.Informers.For<V1Service>();
        _pods.AddHandler(OnPodAdded, OnPodUpdated, OnPodDeleted);
        _nodes.AddHandler(
            added: _ => RetryUnschedulable(),
            updated: (old, node) =>
            {
                if (SchedulingView(old) != SchedulingView(node))
                {
                    RetryUnschedulable();
                }
            });
    }

    protected override IEnumerable<IInformer> Informers => [_pods, _nodes, _services];

    protected override IEnumerable<string> InitialKeys() =>
        _pods.List().Where(IsPending).OrderBy(p => p.Metadata.CreationTimestamp).Select(ObjectKey.Of);

    /// <summary>Pods this scheduler places: not yet on a node, not going away, and asking for the default scheduler.</summary>
    public static bool IsPending(V1Pod pod) =>
        string.IsNullOrEmpty(pod.Spec?.NodeName)
        && pod.Metadata.DeletionTimestamp is null
        && pod.Spec?.SchedulerName is null or "" or DefaultSchedulerName
        && pod.Status?.Phase is not ("Succeeded" or "Failed");

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var pod = _pods.Get(key);
        if (pod is null || !IsPending(pod))
        {
            lock (_lock)
            {
                _unschedulable.Remove(key);
            }

            return;
        }

        lock (_lock)
        {
            if (_assumed.ContainsKey(pod.Metadata.Uid))
            {
                return;
            }
        }

        if (pod.Spec?.SchedulingGates is { Count: > 0 })
        {
            await SetScheduledConditionAsync(pod, "SchedulingGated", "Scheduling is blocked due to non-empty scheduling gates", cancellationToken);
            return;
        }

        var nodes = NodeInfo.Build(_nodes.List(), AssignedPods());
        var result = SchedulingCycle.Schedule(pod, nodes, _services.List());
        if (result.NodeName is { } node)
        {
            await BindAsync(key, pod, node, cancellationToken);
        }
        else
        {
            await FailAsync(key, pod, result.FailureMessage ?? FitError.NoNodesAvailable, cancellationToken);
        }
    }

    private async Task BindAsync(string key, V1Pod pod, string node, CancellationToken cancellationToken)
    {
        // Assume before binding, as schedule_one.go does: the pod's bound event may reach the informer (and forget the
        // assumption) before the bind call returns, and an assumption made after it would then never be forgotten.
        var assumed = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(pod));
        assumed.Spec.NodeName = node;
        lock (_lock)
        {
            _unschedulable.Remove(key);
            _assumed[pod.Metadata.Uid] = assumed;
        }

        try
        {
            await _client.BindAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, node, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Forget(pod);
            if (e is KubeApiException { IsNotFound: true })
            {
                return;
            }

            throw;
        }

        SchedulerLog.Bound(Logger, key, node);
        await _recorder.NormalAsync(pod, "Scheduled", $"Successfully assigned {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} to {node}", cancellationToken);
    }

    private async Task FailAsync(string key, V1Pod pod, string message, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _unschedulable.Add(key);
        }

        SchedulerLog.Unschedulable(Logger, key, message);
        await SetScheduledConditionAsync(pod, "Unschedulable", message, cancellationToken);
        await _recorder.WarningAsync(pod, "FailedScheduling", message, cancellationToken);
        Queue.AddAfter(key, RetryInterval);
    }

    /// <summary>Writes PodScheduled=False with the reason and message, unless the pod already says so.</summary>
    private async Task SetScheduledConditionAsync(V1Pod pod, string reason, string message, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = attempt == 1 ? pod : await _client.GetAsync<V1Pod>(pod.Metadata.NamespaceProperty, pod.Metadata.Name, cancellationToken);
            if (current is null || !IsPending(current) || current.Metadata.Uid != pod.Metadata.Uid)
            {
                return;
            }

            var conditions = current.Status?.Conditions ?? [];
            var existing = conditions.FirstOrDefault(c => c.Type == "PodScheduled");
            if (existing is { Status: "False" } && existing.Reason == reason && existing.Message == message)
            {
                return;
            }

            var updated = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(current));
            updated.Status ??= new V1PodStatus();
            updated.Status.Phase ??= "Pending";
            updated.Status.Conditions = [.. conditions.Where(c => c.Type != "PodScheduled"), new V1PodCondition
            {
                Type = "PodScheduled",
                Status = "False",
                Reason = reason,
                Message = message,
                LastTransitionTime = existing is { Status: "False" } ? existing.LastTransitionTime : _time.GetUtcNow().UtcDateTime,
            }];
            try
            {
                await _client.UpdateStatusAsync(updated, cancellationToken);
                return;
            }
            catch (KubeApiException e) when (e.IsConflict && attempt < StatusAttempts)
            {
            }
            catch (KubeApiException e) when (e.IsNotFound)
            {
                return;
            }
        }
    }

    /// <summary>Pods on nodes as the informer shows them, plus those bound here that it does not show bound yet.</summary>
    private List<V1Pod> AssignedPods()
    {
        // The assumed pods are read before the cache: the informer stores a bound pod before its handler forgets the
        // assumption, so a pod forgotten after this read is already bound in the list read next. In the other order a
        // pod bound in between would be in neither, and the next cycle would overcommit its node.
        List<V1Pod> assumed;
        lock (_lock)
        {
            assumed = [.. _assumed.Values];
        }

        var bound = _pods.List().Where(p => !string.IsNullOrEmpty(p.Spec?.NodeName)).ToList();
        var boundUids = bound.Select(p => p.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        bound.AddRange(assumed.Where(p => !boundUids.Contains(p.Metadata.Uid)));
        return bound;
    }

    private void OnPodAdded(V1Pod pod)
    {
        if (IsPending(pod))
        {
            Enqueue(ObjectKey.Of(pod));
        }
        else
        {
            Forget(pod);
        }
    }

    private void OnPodUpdated(V1Pod old, V1Pod pod)
    {
        if (IsPending(pod))
        {
            // Our own status writes come back as updates: only a changed spec or labels is worth another cycle.
            if (!IsPending(old) || KubernetesJson.Serialize(old.Spec) != KubernetesJson.Serialize(pod.Spec)
                || KubernetesJson.Serialize(old.Metadata.Labels) != KubernetesJson.Serialize(pod.Metadata.Labels))
            {
                Enqueue(ObjectKey.Of(pod));
            }

            return;
        }

        Forget(pod);
        var freed = !string.IsNullOrEmpty(pod.Spec?.NodeName)
            && ((old.Metadata.DeletionTimestamp is null && pod.Metadata.DeletionTimestamp is not null)
                || (old.Status?.Phase is not ("Succeeded" or "Failed") && pod.Status?.Phase is "Succeeded" or "Failed"));
        if (freed)
        {
            RetryUnschedulable();
        }
    }

    private void OnPodDeleted(V1Pod pod)
    {
        Forget(pod);
        lock (_lock)
        {
            _unschedulable.Remove(ObjectKey.Of(pod));
        }

        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            RetryUnschedulable();
        }
    }

    private void Forget(V1Pod pod)
    {
        lock (_lock)
        {
            _assumed.Remove(pod.Metadata.Uid);
        }
    }

    private void RetryUnschedulable()
    {
        string[] keys;
        lock (_lock)
        {
            keys = [.. _unschedulable];
        }

        foreach (var key in keys)
        {
            Enqueue(key);
        }
    }

    /// <summary>What of a node the filters and scores read; other changes (heartbeats) do not retry pods.</summary>
    private static string SchedulingView(V1Node node) => KubernetesJson.Serialize(new object?[]
    {
        node.Metadata.Labels, node.Spec?.Taints, node.Spec?.Unschedulable, node.Status?.Allocatable,
        NodeMatching.IsReady(node),
    });
}

internal static partial class SchedulerLog
{
    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "bound {Pod} to {Node}")]
    public static partial void Bound(ILogger logger, string pod, string node);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "{Pod} is unschedulable: {Message}")]
    public static partial void Unschedulable(ILogger logger, string pod, string message);
}
