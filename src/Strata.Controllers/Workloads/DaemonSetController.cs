using k8s;
using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.Workloads;

/// <summary>
/// The DaemonSet controller (pkg/controller/daemon/daemon_controller.go, update.go): one pod per node that should run
/// it (see <see cref="DaemonPlacement"/>), pinned there by node affinity for the scheduler to bind; pods on nodes that
/// should not run it, or that are gone, deleted; RollingUpdate within maxUnavailable. Pods carry the template's hash as
/// <c>controller-revision-hash</c>; ControllerRevision objects are not kept because the API server does not serve them.
/// </summary>
public sealed class DaemonSetController : Controller
{
    public const string ControllerName = "daemonset";

    private readonly IKubeClient _client;
    private readonly Informer<V1DaemonSet> _daemonSets;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Node> _nodes;
    private readonly TimeProvider _time;
    private readonly Expectations _expectations;
    private readonly EventRecorder _recorder;
    private readonly PodControl _podControl;
    private readonly Claims<V1Pod> _claims;

    public DaemonSetController(ControllerContext context)
        : base(ControllerName, context.Logger(ControllerName))
    {
        _client = context.Client;
        _daemonSets = context.Informers.For<V1DaemonSet>();
        _pods = context.Informers.For<V1Pod>();
        _nodes = context.Informers.For<V1Node>();
        _time = context.Options.Time;
        _expectations = new Expectations(_time);
        _recorder = context.Recorder("daemonset-controller");
        _podControl = new PodControl(_client, _recorder);
        _claims = new Claims<V1Pod>(_client, Logger);

        _daemonSets.AddHandler(ds => Enqueue(ObjectKey.Of(ds)), (_, ds) => Enqueue(ObjectKey.Of(ds)), ds =>
        {
            _expectations.Forget(ObjectKey.Of(ds));
            Enqueue(ObjectKey.Of(ds));
        });
        _pods.AddHandler(AddPod, (old, pod) => UpdatePod(old, pod), DeletePod);
        _nodes.AddHandler(_ => EnqueueAll(), (old, node) =>
        {
            if (NodeChanged(old, node))
            {
                EnqueueAll();
            }
        }, _ => EnqueueAll());
    }

    protected override IEnumerable<IInformer> Informers => [_daemonSets, _pods, _nodes];

    protected override IEnumerable<string> InitialKeys() => _daemonSets.List().Select(ObjectKey.Of);

    private void EnqueueAll()
    {
        foreach (var ds in _daemonSets.List())
        {
            Enqueue(ObjectKey.Of(ds));
        }
    }

    private static bool NodeChanged(V1Node old, V1Node node) =>
        !SemanticJson.Same(old.Metadata.Labels, node.Metadata.Labels) || !SemanticJson.Same(old.Spec?.Taints, node.Spec?.Taints)
        || old.Spec?.Unschedulable != node.Spec?.Unschedulable;

    private V1DaemonSet? Resolve(V1Pod pod)
    {
        if (Ownership.ControllerOf(pod.Metadata) is not { Kind: "DaemonSet" } owner)
        {
            return null;
        }

        var ds = _daemonSets.Get(pod.Metadata.NamespaceProperty, owner.Name);
        return ds?.Metadata.Uid == owner.Uid ? ds : null;
    }

    private void EnqueueMatching(V1Pod pod)
    {
        foreach (var ds in _daemonSets.ByNamespace(pod.Metadata.NamespaceProperty).Where(ds => Selectors.Matches(ds.Spec.Selector, pod.Metadata.Labels)))
        {
            Enqueue(ObjectKey.Of(ds));
        }
    }

    private void AddPod(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            DeletePod(pod);
            return;
        }

        if (Ownership.ControllerOf(pod.Metadata) is not null)
        {
            if (Resolve(pod) is { } ds)
            {
                _expectations.CreationObserved(ObjectKey.Of(ds));
                Enqueue(ObjectKey.Of(ds));
            }

            return;
        }

        EnqueueMatching(pod);
    }

    private void UpdatePod(V1Pod old, V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            DeletePod(pod);
            return;
        }

        if (Resolve(old) is { } previous)
        {
            Enqueue(ObjectKey.Of(previous));
        }

        if (Resolve(pod) is { } ds)
        {
            Enqueue(ObjectKey.Of(ds));
            if (!PodConditions.IsReady(old) && PodConditions.IsReady(pod) && ds.Spec.MinReadySeconds is > 0 and var seconds)
            {
                Queue.AddAfter(ObjectKey.Of(ds), TimeSpan.FromSeconds(seconds + 1));
            }
        }
        else if (Ownership.ControllerOf(pod.Metadata) is null)
        {
            EnqueueMatching(pod);
        }
    }

    private void DeletePod(V1Pod pod)
    {
        if (Resolve(pod) is { } ds)
        {
            _expectations.DeletionObserved(ObjectKey.Of(ds), ObjectKey.Of(pod));
            Enqueue(ObjectKey.Of(ds));
        }
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var ds = _daemonSets.Get(key);
        if (ds is null)
        {
            _expectations.Forget(key);
            return;
        }

        if (Selectors.IsEmpty(ds.Spec.Selector))
        {
            await _recorder.WarningAsync(ds, "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required.", cancellationToken);
            return;
        }

        var hash = TemplateHash.Compute(ds.Spec.Template, ds.Status?.CollisionCount);
        var nodes = _nodes.List();
        var podsByNode = await PodsByNodeAsync(ds, cancellationToken);
        if (ds.Metadata.DeletionTimestamp is not null || !_expectations.Satisfied(key))
        {
            await UpdateStatusAsync(ds, nodes, podsByNode, hash, cancellationToken);
            return;
        }

        Exception? error = null;
        try
        {
            await ManageAsync(key, ds, nodes, podsByNode, hash, cancellationToken);
            if (_expectations.Satisfied(key) && (ds.Spec.UpdateStrategy?.Type ?? "RollingUpdate") == "RollingUpdate")
            {
                podsByNode = await PodsByNodeAsync(ds, cancellationToken);
                await RollingUpdateAsync(key, ds, nodes, podsByNode, hash, cancellationToken);
            }
        }
        catch (KubeApiException e)
        {
            error = e;
        }

        await UpdateStatusAsync(ds, nodes, await PodsByNodeAsync(ds, cancellationToken), hash, cancellationToken);
        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>getNodesToDaemonPods: the DaemonSet's pods by the node they are on or pinned to.</summary>
    private async Task<Dictionary<string, List<V1Pod>>> PodsByNodeAsync(V1DaemonSet ds, CancellationToken cancellationToken)
    {
        var controllerRef = Ownership.ControllerRef(ds, "apps/v1", "DaemonSet");
        var pods = await _claims.ClaimAsync(ds, controllerRef, p => Selectors.Matches(ds.Spec.Selector, p.Metadata.Labels),
            _pods.ByNamespace(ds.Metadata.NamespaceProperty), cancellationToken);
        var byNode = new Dictionary<string, List<V1Pod>>();
        foreach (var pod in pods)
        {
            if (pod.Status?.Phase is "Succeeded" or "Failed" && pod.Metadata.DeletionTimestamp is not null)
            {
                continue;
            }

            if (DaemonPlacement.TargetNode(pod) is { } node)
            {
                (byNode.TryGetValue(node, out var list) ? list : byNode[node] = []).Add(pod);
            }
        }

        return byNode;
    }

    /// <summary>manage and podsShouldBeOnNode: which nodes need a pod and which pods must go.</summary>
    private async Task ManageAsync(string key, V1DaemonSet ds, IReadOnlyList<V1Node> nodes, Dictionary<string, List<V1Pod>> podsByNode, string hash,
        CancellationToken cancellationToken)
    {
        var needing = new List<string>();
        var toDelete = new List<V1Pod>();
        foreach (var node in nodes)
        {
            var fit = DaemonPlacement.Fit(ds.Spec.Template.Spec, node);
            var exists = podsByNode.TryGetValue(node.Metadata.Name, out var pods);
            if (fit.ShouldRun && !exists)
            {
                needing.Add(node.Metadata.Name);
            }
            else if (fit.ShouldContinueRunning && exists)
            {
                var running = new List<V1Pod>();
                foreach (var pod in pods!.Where(p => p.Metadata.DeletionTimestamp is null))
                {
                    if (pod.Status?.Phase == "Failed")
                    {
                        await _recorder.WarningAsync(ds, "FailedDaemonPod", $"Found failed daemon pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} on node {node.Metadata.Name}, will try to kill it", cancellationToken);
                        toDelete.Add(pod);
                    }
                    else if (pod.Status?.Phase == "Succeeded")
                    {
                        toDelete.Add(pod);
                    }
                    else
                    {
                        running.Add(pod);
                    }
                }

                // More than one: keep the oldest (scheduled ones first).
                toDelete.AddRange(running.OrderBy(p => string.IsNullOrEmpty(p.Spec?.NodeName) ? 1 : 0)
                    .ThenBy(p => p.Metadata.CreationTimestamp).ThenBy(p => p.Metadata.Name, StringComparer.Ordinal).Skip(1));
            }
            else if (!fit.ShouldContinueRunning && exists)
            {
                toDelete.AddRange(pods!.Where(p => p.Metadata.DeletionTimestamp is null));
            }
        }

        // Pods for nodes that no longer exist. Upstream deletes the unbound ones here and leaves bound ones to the
        // pod GC controller; Strata has no pod GC, so both go.
        var known = nodes.Select(n => n.Metadata.Name).ToHashSet();
        toDelete.AddRange(podsByNode.Where(p => !known.Contains(p.Key)).SelectMany(p => p.Value).Where(p => p.Metadata.DeletionTimestamp is null));
        await SyncNodesAsync(key, ds, toDelete, needing, hash, cancellationToken);
    }

    /// <summary>syncNodes: creates pinned pods in slow-start batches and deletes the given ones.</summary>
    private async Task SyncNodesAsync(string key, V1DaemonSet ds, IReadOnlyList<V1Pod> toDelete, IReadOnlyList<string> needing, string hash,
        CancellationToken cancellationToken)
    {
        if (toDelete.Count == 0 && needing.Count == 0)
        {
            return;
        }

        _expectations.Expect(key, needing.Count, toDelete.Select(ObjectKey.Of));
        var controllerRef = Ownership.ControllerRef(ds, "apps/v1", "DaemonSet");
        Exception? error = null;
        if (needing.Count > 0)
        {
            WorkloadsLog.CreatingPods(Logger, "DaemonSet", key, needing.Count);
            var next = 0;
            var (successes, createError) = await SlowStart.RunAsync(needing.Count, () =>
            {
                var node = needing[Interlocked.Increment(ref next) - 1];
                return _podControl.CreateAsync(NewPod(ds, controllerRef, node, hash), ds, cancellationToken);
            });
            for (var i = successes; i < needing.Count; i++)
            {
                _expectations.CreationObserved(key);
            }

            error = createError;
        }

        if (toDelete.Count > 0)
        {
            WorkloadsLog.DeletingPods(Logger, "DaemonSet", key, toDelete.Count);
            foreach (var pod in toDelete)
            {
                try
                {
                    if (!await _podControl.DeleteAsync(pod, ds, cancellationToken))
                    {
                        _expectations.DeletionObserved(key, ObjectKey.Of(pod));
                    }
                }
                catch (KubeApiException e)
                {
                    _expectations.DeletionObserved(key, ObjectKey.Of(pod));
                    error ??= e;
                }
            }
        }

        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>CreatePodTemplate plus ReplaceDaemonSetPodNodeNameNodeAffinity: the default tolerations, the hash label, the node.</summary>
    public static V1Pod NewPod(V1DaemonSet ds, V1OwnerReference controllerRef, string nodeName, string hash)
    {
        var template = DeploymentUtil.Clone(ds.Spec.Template);
        template.Metadata ??= new V1ObjectMeta();
        template.Metadata.Labels = new Dictionary<string, string>(template.Metadata.Labels ?? new Dictionary<string, string>())
        {
            [DaemonPlacement.RevisionHashLabel] = hash,
        };
        template.Spec.Tolerations = DaemonPlacement.WithDefaultTolerations(template.Spec.Tolerations, template.Spec.HostNetwork == true);
        template.Spec.Affinity = DaemonPlacement.PinToNode(template.Spec.Affinity, nodeName);
        return PodControl.FromTemplate(template, ds, controllerRef);
    }

    private int MaxUnavailable(V1DaemonSet ds, int desired)
    {
        var rolling = ds.Spec.UpdateStrategy?.RollingUpdate;
        var unavailable = RolloutMath.Scaled(rolling?.MaxUnavailable?.Value ?? "1", desired, true);
        var surge = RolloutMath.Scaled(rolling?.MaxSurge?.Value ?? "0", desired, true);
        return unavailable == 0 && surge == 0 ? 1 : unavailable;
    }

    /// <summary>rollingUpdate (update.go) without surge: replace old pods, at most maxUnavailable nodes at a time.</summary>
    private async Task RollingUpdateAsync(string key, V1DaemonSet ds, IReadOnlyList<V1Node> nodes, Dictionary<string, List<V1Pod>> podsByNode, string hash,
        CancellationToken cancellationToken)
    {
        var desiredNodes = nodes.Where(n => DaemonPlacement.Fit(ds.Spec.Template.Spec, n).ShouldRun).Select(n => n.Metadata.Name).ToList();
        var relevant = podsByNode.ToDictionary(p => p.Key, p => (IReadOnlyList<V1Pod>)p.Value);
        var toDelete = DaemonPlacement.OldPodsToDelete(relevant, desiredNodes, hash, MaxUnavailable(ds, desiredNodes.Count), ds.Spec.MinReadySeconds ?? 0, Now);
        await SyncNodesAsync(key, ds, toDelete, [], hash, cancellationToken);
    }

    /// <summary>updateDaemonSetStatus.</summary>
    private async Task UpdateStatusAsync(V1DaemonSet ds, IReadOnlyList<V1Node> nodes, Dictionary<string, List<V1Pod>> podsByNode, string hash,
        CancellationToken cancellationToken)
    {
        var status = DaemonSetStatus.Calculate(ds, nodes, podsByNode, hash, Now);
        if (ds.Spec.MinReadySeconds is > 0 and var seconds && status.NumberReady != status.NumberAvailable)
        {
            Queue.AddAfter(ObjectKey.Of(ds), TimeSpan.FromSeconds(seconds));
        }

        if (ds.Status is { } current && StatusComparer.Same(current, status))
        {
            return;
        }

        var copy = KubernetesJson.Deserialize<V1DaemonSet>(KubernetesJson.Serialize(ds));
        copy.Status = status;
        try
        {
            await _client.UpdateStatusAsync(copy, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            // The informer brings the newer object, which queues the DaemonSet again.
        }
    }
}

/// <summary>The counts of updateDaemonSetStatus in pkg/controller/daemon/daemon_controller.go.</summary>
public static class DaemonSetStatus
{
    public static V1DaemonSetStatus Calculate(V1DaemonSet ds, IReadOnlyList<V1Node> nodes, IReadOnlyDictionary<string, List<V1Pod>> podsByNode, string hash, DateTime now)
    {
        int desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
        foreach (var node in nodes)
        {
            var fit = DaemonPlacement.Fit(ds.Spec.Template.Spec, node);
            var scheduled = podsByNode.TryGetValue(node.Metadata.Name, out var pods) && pods.Count > 0;
            if (!fit.ShouldRun)
            {
                misscheduled += scheduled ? 1 : 0;
                continue;
            }

            desired++;
            if (!scheduled)
            {
                continue;
            }

            current++;
            var oldest = pods!.OrderBy(p => string.IsNullOrEmpty(p.Spec?.NodeName) ? 1 : 0).ThenBy(p => p.Metadata.CreationTimestamp)
                .ThenBy(p => p.Metadata.Name, StringComparer.Ordinal).First();
            if (PodConditions.IsReady(oldest))
            {
                ready++;
                if (PodConditions.IsAvailable(oldest, ds.Spec.MinReadySeconds ?? 0, now))
                {
                    available++;
                }
            }

            if (DaemonPlacement.IsUpdated(oldest, hash))
            {
                updated++;
            }
        }

        return new V1DaemonSetStatus
        {
            DesiredNumberScheduled = desired,
            CurrentNumberScheduled = current,
            NumberMisscheduled = misscheduled,
            NumberReady = ready,
            NumberAvailable = available,
            NumberUnavailable = desired - available,
            UpdatedNumberScheduled = updated,
            ObservedGeneration = ds.Metadata.Generation,
            CollisionCount = ds.Status?.CollisionCount,
            Conditions = ds.Status?.Conditions,
        };
    }
}
