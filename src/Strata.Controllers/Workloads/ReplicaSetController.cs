using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.Workloads;

/// <summary>
/// The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): keeps spec.replicas active pods that match
/// the selector, adopting orphans and releasing pods that stopped matching, creating in slow-start batches and
/// deleting the pods ranked first for deletion, with expectations so that a lagging informer never doubles up.
/// </summary>
public sealed class ReplicaSetController : Controller
{
    public const string ControllerName = "replicaset";
    private const int BurstReplicas = 500;

    private readonly IKubeClient _client;
    private readonly Informer<V1ReplicaSet> _replicaSets;
    private readonly Informer<V1Pod> _pods;
    private readonly TimeProvider _time;
    private readonly Expectations _expectations;
    private readonly PodControl _podControl;
    private readonly Claims<V1Pod> _claims;

    public ReplicaSetController(ControllerContext context)
        : base(ControllerName, context.Logger(ControllerName))
    {
        _client = context.Client;
        _replicaSets = context.Informers.For<V1ReplicaSet>();
        _pods = context.Informers.For<V1Pod>();
        _time = context.Options.Time;
        _expectations = new Expectations(_time);
        _podControl = new PodControl(_client, context.Recorder("replicaset-controller"));
        _claims = new Claims<V1Pod>(_client, Logger);

        _replicaSets.AddHandler(
            added: rs => Enqueue(ObjectKey.Of(rs)),
            updated: (_, rs) => Enqueue(ObjectKey.Of(rs)),
            deleted: rs =>
            {
                _expectations.Forget(ObjectKey.Of(rs));
                Enqueue(ObjectKey.Of(rs));
            });
        _pods.AddHandler(AddPod, UpdatePod, DeletePod);
    }

    protected override IEnumerable<IInformer> Informers => [_replicaSets, _pods];

    protected override IEnumerable<string> InitialKeys() => _replicaSets.List().Select(ObjectKey.Of);

    private V1ReplicaSet? Resolve(string? ns, V1OwnerReference? controllerRef)
    {
        if (controllerRef is not { Kind: "ReplicaSet" })
        {
            return null;
        }

        var rs = _replicaSets.Get(ns, controllerRef.Name);
        return rs?.Metadata.Uid == controllerRef.Uid ? rs : null;
    }

    private IEnumerable<V1ReplicaSet> MatchingReplicaSets(V1Pod pod) =>
        _replicaSets.ByNamespace(pod.Metadata.NamespaceProperty).Where(rs => Selectors.Matches(rs.Spec.Selector, pod.Metadata.Labels));

    private void AddPod(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            DeletePod(pod);
            return;
        }

        if (Ownership.ControllerOf(pod.Metadata) is { } controllerRef)
        {
            if (Resolve(pod.Metadata.NamespaceProperty, controllerRef) is { } rs)
            {
                _expectations.CreationObserved(ObjectKey.Of(rs));
                Enqueue(ObjectKey.Of(rs));
            }

            return;
        }

        foreach (var rs in MatchingReplicaSets(pod))
        {
            Enqueue(ObjectKey.Of(rs));
        }
    }

    private void UpdatePod(V1Pod old, V1Pod pod)
    {
        if (old.Metadata.ResourceVersion == pod.Metadata.ResourceVersion)
        {
            return;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            // A pod being deleted counts as deleted for expectations (the kubelet may take its time).
            DeletePod(pod);
            if (!LabelsEqual(old, pod))
            {
                DeletePod(old);
            }

            return;
        }

        var oldRef = Ownership.ControllerOf(old.Metadata);
        var newRef = Ownership.ControllerOf(pod.Metadata);
        if (oldRef is not null && oldRef.Uid != newRef?.Uid && Resolve(old.Metadata.NamespaceProperty, oldRef) is { } previous)
        {
            Enqueue(ObjectKey.Of(previous));
        }

        if (newRef is not null)
        {
            if (Resolve(pod.Metadata.NamespaceProperty, newRef) is { } rs)
            {
                Enqueue(ObjectKey.Of(rs));
                // A pod that just became ready is available after minReadySeconds: look again then.
                if (!PodConditions.IsReady(old) && PodConditions.IsReady(pod) && rs.Spec.MinReadySeconds is > 0 and var seconds)
                {
                    Queue.AddAfter(ObjectKey.Of(rs), TimeSpan.FromSeconds(seconds) + TimeSpan.FromSeconds(1));
                }
            }

            return;
        }

        if (!LabelsEqual(old, pod) || oldRef is not null)
        {
            foreach (var rs in MatchingReplicaSets(pod))
            {
                Enqueue(ObjectKey.Of(rs));
            }
        }
    }

    private static bool LabelsEqual(V1Pod a, V1Pod b) =>
        (a.Metadata.Labels ?? new Dictionary<string, string>()).OrderBy(k => k.Key).SequenceEqual((b.Metadata.Labels ?? new Dictionary<string, string>()).OrderBy(k => k.Key));

    private void DeletePod(V1Pod pod)
    {
        if (Resolve(pod.Metadata.NamespaceProperty, Ownership.ControllerOf(pod.Metadata)) is { } rs)
        {
            _expectations.DeletionObserved(ObjectKey.Of(rs), ObjectKey.Of(pod));
            Enqueue(ObjectKey.Of(rs));
        }
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var rs = _replicaSets.Get(key);
        if (rs is null)
        {
            _expectations.Forget(key);
            return;
        }

        var needsSync = _expectations.Satisfied(key);
        var controllerRef = Ownership.ControllerRef(rs, "apps/v1", "ReplicaSet");
        var active = _pods.ByNamespace(rs.Metadata.NamespaceProperty).Where(PodConditions.IsActive);
        var owned = await _claims.ClaimAsync(rs, controllerRef, p => Selectors.Matches(rs.Spec.Selector, p.Metadata.Labels), active, cancellationToken);

        Exception? manageError = null;
        if (needsSync && rs.Metadata.DeletionTimestamp is null)
        {
            try
            {
                await ManageReplicasAsync(key, rs, owned, controllerRef, cancellationToken);
            }
            catch (KubeApiException e)
            {
                manageError = e;
            }
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var status = ReplicaSetStatus.Calculate(rs, owned, manageError, now);
        var updated = await UpdateStatusAsync(rs, status, cancellationToken);
        var replicas = updated.Spec.Replicas ?? 1;
        if (manageError is null && updated.Spec.MinReadySeconds is > 0 && updated.Status?.ReadyReplicas == replicas && updated.Status?.AvailableReplicas != replicas)
        {
            Queue.AddAfter(key, TimeSpan.FromSeconds(updated.Spec.MinReadySeconds.Value));
        }

        if (manageError is not null)
        {
            throw manageError;
        }
    }

    private async Task ManageReplicasAsync(string key, V1ReplicaSet rs, List<V1Pod> owned, V1OwnerReference controllerRef, CancellationToken cancellationToken)
    {
        var diff = owned.Count - (rs.Spec.Replicas ?? 1);
        if (diff < 0)
        {
            var count = Math.Min(-diff, BurstReplicas);
            _expectations.ExpectCreations(key, count);
            WorkloadsLog.CreatingPods(Logger, "ReplicaSet", key, count);
            var (successes, error) = await SlowStart.RunAsync(count, () =>
                _podControl.CreateAsync(PodControl.FromTemplate(rs.Spec.Template, rs, controllerRef), rs, cancellationToken));
            var skipped = count - successes;
            if (skipped > 0)
            {
                WorkloadsLog.SkippedCreations(Logger, "ReplicaSet", key, skipped);
                for (var i = 0; i < skipped; i++)
                {
                    // The informer will never see these.
                    _expectations.CreationObserved(key);
                }
            }

            if (error is not null)
            {
                throw error;
            }
        }
        else if (diff > 0)
        {
            var count = Math.Min(diff, BurstReplicas);
            var related = RelatedPods(rs);
            var victims = PodRanking.PodsToDelete(owned, related, count, _time.GetUtcNow().UtcDateTime);
            _expectations.ExpectDeletions(key, victims.Select(ObjectKey.Of));
            WorkloadsLog.DeletingPods(Logger, "ReplicaSet", key, victims.Count);
            var errors = await Task.WhenAll(victims.Select(async pod =>
            {
                try
                {
                    if (!await _podControl.DeleteAsync(pod, rs, cancellationToken))
                    {
                        _expectations.DeletionObserved(key, ObjectKey.Of(pod));
                    }

                    return null;
                }
                catch (KubeApiException e)
                {
                    _expectations.DeletionObserved(key, ObjectKey.Of(pod));
                    return e;
                }
            }));
            if (errors.FirstOrDefault(e => e is not null) is { } first)
            {
                throw first;
            }
        }
    }

    /// <summary>getIndirectlyRelatedPods: the active pods of every ReplicaSet with the same controller (all of one Deployment's).</summary>
    private List<V1Pod> RelatedPods(V1ReplicaSet rs)
    {
        var owner = Ownership.ControllerOf(rs.Metadata);
        var siblings = owner is null
            ? [rs.Metadata.Uid]
            : _replicaSets.ByNamespace(rs.Metadata.NamespaceProperty).Where(r => Ownership.ControllerOf(r.Metadata)?.Uid == owner.Uid).Select(r => r.Metadata.Uid).ToHashSet();
        return [.. _pods.ByNamespace(rs.Metadata.NamespaceProperty).Where(p => Ownership.ControllerOf(p.Metadata) is { } r && siblings.Contains(r.Uid))];
    }

    private async Task<V1ReplicaSet> UpdateStatusAsync(V1ReplicaSet rs, V1ReplicaSetStatus status, CancellationToken cancellationToken)
    {
        if (ReplicaSetStatus.Same(rs.Status, status) && (rs.Metadata.Generation ?? 0) == (rs.Status?.ObservedGeneration ?? 0))
        {
            return rs;
        }

        for (var attempt = 0; ; attempt++)
        {
            status.ObservedGeneration = rs.Metadata.Generation;
            var copy = KubernetesJson.Deserialize<V1ReplicaSet>(KubernetesJson.Serialize(rs));
            copy.Status = status;
            try
            {
                return await _client.UpdateStatusAsync(copy, cancellationToken);
            }
            catch (KubeApiException e) when (e.IsConflict && attempt < 1)
            {
                if (await _client.GetAsync<V1ReplicaSet>(rs.Metadata.NamespaceProperty, rs.Metadata.Name, cancellationToken) is not { } fresh)
                {
                    return rs;
                }

                rs = fresh;
            }
        }
    }
}

/// <summary>calculateStatus in pkg/controller/replicaset/replica_set_utils.go.</summary>
public static class ReplicaSetStatus
{
    public static V1ReplicaSetStatus Calculate(V1ReplicaSet rs, IReadOnlyList<V1Pod> pods, Exception? manageError, DateTime now)
    {
        var templateLabels = rs.Spec.Template?.Metadata?.Labels;
        var status = new V1ReplicaSetStatus
        {
            Replicas = pods.Count,
            FullyLabeledReplicas = pods.Count(p => LabelIndex.Matches(templateLabels ?? new Dictionary<string, string>(), p.Metadata.Labels)),
            ReadyReplicas = pods.Count(PodConditions.IsReady),
            AvailableReplicas = pods.Count(p => PodConditions.IsAvailable(p, rs.Spec.MinReadySeconds ?? 0, now)),
            ObservedGeneration = rs.Status?.ObservedGeneration,
            Conditions = rs.Status?.Conditions is { } c ? [.. c] : null,
        };
        var failure = status.Conditions?.FirstOrDefault(c => c.Type == "ReplicaFailure");
        if (manageError is not null && failure is null)
        {
            var diff = pods.Count - (rs.Spec.Replicas ?? 1);
            status.Conditions ??= [];
            status.Conditions.Add(new V1ReplicaSetCondition
            {
                Type = "ReplicaFailure",
                Status = "True",
                Reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "",
                Message = manageError.Message,
                LastTransitionTime = now,
            });
        }
        else if (manageError is null && failure is not null)
        {
            status.Conditions!.Remove(failure);
        }

        if (status.Conditions is { Count: 0 })
        {
            status.Conditions = null;
        }

        return status;
    }

    public static bool Same(V1ReplicaSetStatus? a, V1ReplicaSetStatus b) =>
        a is not null && StatusComparer.Same(
            new V1ReplicaSetStatus { Replicas = a.Replicas, FullyLabeledReplicas = a.FullyLabeledReplicas, ReadyReplicas = a.ReadyReplicas, AvailableReplicas = a.AvailableReplicas, Conditions = a.Conditions },
            new V1ReplicaSetStatus { Replicas = b.Replicas, FullyLabeledReplicas = b.FullyLabeledReplicas, ReadyReplicas = b.ReadyReplicas, AvailableReplicas = b.AvailableReplicas, Conditions = b.Conditions });
}
