using System.Globalization;
using k8s;
using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.Workloads;

/// <summary>
/// The Deployment controller (pkg/controller/deployment/: deployment_controller.go, sync.go, rolling.go,
/// recreate.go, progress.go): one ReplicaSet per template, named <c>&lt;deployment&gt;-&lt;pod-template-hash&gt;</c>,
/// rolled to by RollingUpdate (within maxSurge/maxUnavailable) or Recreate, scaled proportionally, with revisions,
/// old ReplicaSets pruned to revisionHistoryLimit, and the status and conditions <c>kubectl rollout status</c> reads.
/// </summary>
public sealed class DeploymentController : Controller
{
    public const string ControllerName = "deployment";

    private readonly IKubeClient _client;
    private readonly Informer<V1Deployment> _deployments;
    private readonly Informer<V1ReplicaSet> _replicaSets;
    private readonly Informer<V1Pod> _pods;
    private readonly TimeProvider _time;
    private readonly EventRecorder _recorder;
    private readonly Claims<V1ReplicaSet> _claims;

    public DeploymentController(ControllerContext context)
        : base(ControllerName, context.Logger(ControllerName))
    {
        _client = context.Client;
        _deployments = context.Informers.For<V1Deployment>();
        _replicaSets = context.Informers.For<V1ReplicaSet>();
        _pods = context.Informers.For<V1Pod>();
        _time = context.Options.Time;
        _recorder = context.Recorder("deployment-controller");
        _claims = new Claims<V1ReplicaSet>(_client, Logger);

        _deployments.AddHandler(d => Enqueue(ObjectKey.Of(d)), (_, d) => Enqueue(ObjectKey.Of(d)), d => Enqueue(ObjectKey.Of(d)));
        _replicaSets.AddHandler(ReplicaSetChanged, (old, rs) =>
        {
            ReplicaSetChanged(old);
            ReplicaSetChanged(rs);
        }, ReplicaSetChanged);
        // Recreate waits for the old pods to be gone.
        _pods.AddHandler(deleted: PodDeleted);
    }

    protected override IEnumerable<IInformer> Informers => [_deployments, _replicaSets, _pods];

    protected override IEnumerable<string> InitialKeys() => _deployments.List().Select(ObjectKey.Of);

    private void ReplicaSetChanged(V1ReplicaSet rs)
    {
        if (Ownership.ControllerOf(rs.Metadata) is { } owner)
        {
            if (owner.Kind == "Deployment" && _deployments.Get(rs.Metadata.NamespaceProperty, owner.Name) is { } d && d.Metadata.Uid == owner.Uid)
            {
                Enqueue(ObjectKey.Of(d));
            }

            return;
        }

        foreach (var d in _deployments.ByNamespace(rs.Metadata.NamespaceProperty).Where(d => Selectors.Matches(d.Spec.Selector, rs.Metadata.Labels)))
        {
            Enqueue(ObjectKey.Of(d));
        }
    }

    private void PodDeleted(V1Pod pod)
    {
        if (Ownership.ControllerOf(pod.Metadata) is { Kind: "ReplicaSet" } owner
            && _replicaSets.Get(pod.Metadata.NamespaceProperty, owner.Name) is { } rs && rs.Metadata.Uid == owner.Uid)
        {
            ReplicaSetChanged(rs);
        }
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _deployments.Get(key);
        if (cached is null)
        {
            return;
        }

        var d = KubernetesJson.Deserialize<V1Deployment>(KubernetesJson.Serialize(cached));
        if (Selectors.IsEmpty(d.Spec.Selector))
        {
            await _recorder.WarningAsync(d, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.", cancellationToken);
            if (d.Status?.ObservedGeneration < d.Metadata.Generation)
            {
                d.Status.ObservedGeneration = d.Metadata.Generation;
                await _client.UpdateStatusAsync(d, cancellationToken);
            }

            return;
        }

        var controllerRef = Ownership.ControllerRef(d, "apps/v1", "Deployment");
        var rsList = await _claims.ClaimAsync(d, controllerRef, rs => Selectors.Matches(d.Spec.Selector, rs.Metadata.Labels),
            _replicaSets.ByNamespace(d.Metadata.NamespaceProperty), cancellationToken);
        var context = new Sync(this, d, rsList, cancellationToken);

        if (d.Metadata.DeletionTimestamp is not null)
        {
            await context.StatusOnlyAsync();
            return;
        }

        await context.CheckPausedConditionsAsync();
        if (d.Spec.Paused == true || await context.IsScalingEventAsync())
        {
            await context.ScaleAsync();
            return;
        }

        if (d.Spec.Strategy?.Type == "Recreate")
        {
            await context.RecreateAsync();
        }
        else
        {
            await context.RollingAsync();
        }
    }

    /// <summary>One sync of one Deployment: the Deployment being changed and its ReplicaSets.</summary>
    private sealed class Sync(DeploymentController controller, V1Deployment d, List<V1ReplicaSet> rsList, CancellationToken cancellationToken)
    {
        private readonly IKubeClient _client = controller._client;
        private readonly string _key = ObjectKey.Of(d);

        private int Desired => RolloutMath.Replicas(d);

        private int MaxSurge => RolloutMath.MaxSurge(d);

        public async Task StatusOnlyAsync()
        {
            var (newRs, oldRss) = await AllReplicaSetsAsync(false);
            await SyncStatusAsync(All(newRs, oldRss), newRs);
        }

        public async Task CheckPausedConditionsAsync()
        {
            if (!DeploymentUtil.HasProgressDeadline(d))
            {
                return;
            }

            var cond = DeploymentUtil.Condition(d.Status, "Progressing");
            if (cond?.Reason == DeploymentUtil.TimedOutReason)
            {
                return;
            }

            var paused = cond?.Reason == DeploymentUtil.PausedReason;
            V1DeploymentCondition? next = null;
            if (d.Spec.Paused == true && !paused)
            {
                next = DeploymentUtil.NewCondition("Progressing", "Unknown", DeploymentUtil.PausedReason, "Deployment is paused", controller.Now);
            }
            else if (d.Spec.Paused != true && paused)
            {
                next = DeploymentUtil.NewCondition("Progressing", "Unknown", DeploymentUtil.ResumedReason, "Deployment is resumed", controller.Now);
            }

            if (next is not null)
            {
                d.Status ??= new V1DeploymentStatus();
                DeploymentUtil.SetCondition(d.Status, next);
                await SaveStatusAsync();
            }
        }

        /// <summary>isScalingEvent: an active ReplicaSet was sized for another replica count.</summary>
        public async Task<bool> IsScalingEventAsync()
        {
            var (newRs, oldRss) = await AllReplicaSetsAsync(false);
            return All(newRs, oldRss).Where(rs => DeploymentUtil.Replicas(rs) > 0)
                .Any(rs => DeploymentUtil.IntAnnotation(rs, DeploymentUtil.DesiredReplicasAnnotation) is { } desired && desired != Desired);
        }

        /// <summary>sync: scale, and clean up when paused.</summary>
        public async Task ScaleAsync()
        {
            var (newRs, oldRss) = await AllReplicaSetsAsync(false);
            await ScaleReplicaSetsAsync(newRs, oldRss);
            if (d.Spec.Paused == true)
            {
                await CleanupAsync(oldRss);
            }

            await SyncStatusAsync(All(newRs, oldRss), newRs);
        }

        public async Task RollingAsync()
        {
            var (newRs, oldRss) = await AllReplicaSetsAsync(true);
            var all = All(newRs, oldRss);
            if (await ReconcileNewAsync(all, newRs!))
            {
                await SyncRolloutStatusAsync(All(newRs, oldRss), newRs);
                return;
            }

            if (await ReconcileOldAsync(all, oldRss, newRs!))
            {
                await SyncRolloutStatusAsync(All(newRs, oldRss), newRs);
                return;
            }

            if (d.Status is { } status && DeploymentUtil.Complete(d, status))
            {
                await CleanupAsync(oldRss);
            }

            await SyncRolloutStatusAsync(all, newRs);
        }

        public async Task RecreateAsync()
        {
            var (newRs, oldRss) = await AllReplicaSetsAsync(false);
            var scaledDown = false;
            foreach (var rs in oldRss.Where(rs => DeploymentUtil.Replicas(rs) > 0).ToList())
            {
                scaledDown |= (await ScaleAndRecordAsync(rs, 0)).Scaled;
            }

            if (scaledDown || OldPodsRunning(newRs, oldRss))
            {
                await SyncRolloutStatusAsync(All(newRs, oldRss), newRs);
                return;
            }

            if (newRs is null)
            {
                (newRs, oldRss) = await AllReplicaSetsAsync(true);
            }

            if (DeploymentUtil.Replicas(newRs!) != Desired)
            {
                await ScaleAndRecordAsync(newRs!, Desired);
            }

            if (d.Status is { } status && DeploymentUtil.Complete(d, status))
            {
                await CleanupAsync(oldRss);
            }

            await SyncRolloutStatusAsync(All(newRs, oldRss), newRs);
        }

        private bool OldPodsRunning(V1ReplicaSet? newRs, List<V1ReplicaSet> oldRss)
        {
            if (oldRss.Sum(rs => rs.Status?.Replicas ?? 0) > 0)
            {
                return true;
            }

            var oldUids = oldRss.Select(rs => rs.Metadata.Uid).ToHashSet();
            return controller._pods.ByNamespace(d.Metadata.NamespaceProperty)
                .Where(p => Ownership.ControllerOf(p.Metadata) is { } r && oldUids.Contains(r.Uid) && r.Uid != newRs?.Metadata.Uid)
                .Any(p => p.Status?.Phase is not ("Failed" or "Succeeded"));
        }

        private static List<V1ReplicaSet> All(V1ReplicaSet? newRs, List<V1ReplicaSet> oldRss) => newRs is null ? [.. oldRss] : [.. oldRss, newRs];

        private void Replace(List<V1ReplicaSet> list, V1ReplicaSet updated)
        {
            var i = list.FindIndex(r => r.Metadata.Uid == updated.Metadata.Uid);
            if (i >= 0)
            {
                list[i] = updated;
            }
        }

        /// <summary>getAllReplicaSetsAndSyncRevision.</summary>
        private async Task<(V1ReplicaSet? New, List<V1ReplicaSet> Old)> AllReplicaSetsAsync(bool createIfMissing)
        {
            var existing = DeploymentUtil.FindNew(d, rsList);
            var old = rsList.Where(rs => rs.Metadata.Uid != existing?.Metadata.Uid).ToList();
            var newRs = await NewReplicaSetAsync(existing, old, createIfMissing);
            return (newRs, old);
        }

        private async Task<V1ReplicaSet?> NewReplicaSetAsync(V1ReplicaSet? existing, List<V1ReplicaSet> old, bool createIfMissing)
        {
            var newRevision = DeploymentUtil.MaxRevision(old) + 1;
            if (existing is not null)
            {
                var copy = KubernetesJson.Deserialize<V1ReplicaSet>(KubernetesJson.Serialize(existing));
                var annotationsChanged = DeploymentUtil.SetNewReplicaSetAnnotations(d, copy, newRevision, true);
                var minReadyChanged = (copy.Spec.MinReadySeconds ?? 0) != (d.Spec.MinReadySeconds ?? 0);
                if (annotationsChanged || minReadyChanged)
                {
                    copy.Spec.MinReadySeconds = d.Spec.MinReadySeconds;
                    var updated = await _client.UpdateAsync(copy, cancellationToken);
                    Replace(rsList, updated);
                    return updated;
                }

                var needsStatus = false;
                await SaveRevisionAsync(DeploymentUtil.Value(copy.Metadata.Annotations, DeploymentUtil.RevisionAnnotation) ?? "");
                if (DeploymentUtil.HasProgressDeadline(d) && DeploymentUtil.Condition(d.Status, "Progressing") is null)
                {
                    d.Status ??= new V1DeploymentStatus();
                    DeploymentUtil.SetCondition(d.Status, DeploymentUtil.NewCondition("Progressing", "True", DeploymentUtil.FoundNewReplicaSetReason,
                        $"Found new replica set \"{copy.Metadata.Name}\"", controller.Now));
                    needsStatus = true;
                }

                if (needsStatus)
                {
                    await SaveStatusAsync();
                }

                return existing;
            }

            if (!createIfMissing)
            {
                return null;
            }

            var hash = TemplateHash.Compute(d.Spec.Template, d.Status?.CollisionCount);
            var template = DeploymentUtil.Clone(d.Spec.Template);
            template.Metadata ??= new V1ObjectMeta();
            template.Metadata.Labels = new Dictionary<string, string>(template.Metadata.Labels ?? new Dictionary<string, string>())
            {
                [DeploymentUtil.PodTemplateHashLabel] = hash,
            };
            var selector = KubernetesJson.Deserialize<V1LabelSelector>(KubernetesJson.Serialize(d.Spec.Selector));
            selector.MatchLabels = new Dictionary<string, string>(selector.MatchLabels ?? new Dictionary<string, string>())
            {
                [DeploymentUtil.PodTemplateHashLabel] = hash,
            };
            var rs = new V1ReplicaSet
            {
                ApiVersion = "apps/v1",
                Kind = "ReplicaSet",
                Metadata = new V1ObjectMeta
                {
                    Name = $"{d.Metadata.Name}-{hash}",
                    NamespaceProperty = d.Metadata.NamespaceProperty,
                    OwnerReferences = [Ownership.ControllerRef(d, "apps/v1", "Deployment")],
                    Labels = new Dictionary<string, string>(template.Metadata.Labels),
                },
                Spec = new V1ReplicaSetSpec { Replicas = 0, MinReadySeconds = d.Spec.MinReadySeconds, Selector = selector, Template = template },
            };
            var replicas = RolloutMath.NewReplicaSetReplicas(d, old.Sum(DeploymentUtil.Replicas), 0);
            rs.Spec.Replicas = replicas;
            DeploymentUtil.SetNewReplicaSetAnnotations(d, rs, newRevision, false);

            V1ReplicaSet created;
            var alreadyExists = false;
            try
            {
                created = await _client.CreateAsync(rs, cancellationToken);
                WorkloadsLog.CreatedReplicaSet(controller.Logger, _key, created.Metadata.Name);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                alreadyExists = true;
                var found = await _client.GetAsync<V1ReplicaSet>(rs.Metadata.NamespaceProperty, rs.Metadata.Name, cancellationToken);
                if (found is not null && Ownership.IsControlledBy(found.Metadata, d.Metadata.Uid) && DeploymentUtil.EqualIgnoreHash(d.Spec.Template, found.Spec.Template))
                {
                    created = found;
                }
                else
                {
                    d.Status ??= new V1DeploymentStatus();
                    d.Status.CollisionCount = (d.Status.CollisionCount ?? 0) + 1;
                    WorkloadsLog.HashCollision(controller.Logger, _key, rs.Metadata.Name, d.Status.CollisionCount.Value);
                    await SaveStatusAsync();
                    throw;
                }
            }
            catch (KubeApiException e)
            {
                var message = $"Failed to create new replica set \"{rs.Metadata.Name}\": {e.Message}";
                if (DeploymentUtil.HasProgressDeadline(d))
                {
                    d.Status ??= new V1DeploymentStatus();
                    DeploymentUtil.SetCondition(d.Status, DeploymentUtil.NewCondition("Progressing", "False", DeploymentUtil.FailedReplicaSetCreateReason, message, controller.Now));
                    try
                    {
                        await SaveStatusAsync();
                    }
                    catch (KubeApiException)
                    {
                    }
                }

                await controller._recorder.WarningAsync(d, DeploymentUtil.FailedReplicaSetCreateReason, message, cancellationToken);
                throw;
            }

            if (!alreadyExists && replicas > 0)
            {
                await controller._recorder.NormalAsync(d, "ScalingReplicaSet", $"Scaled up replica set {created.Metadata.Name} from 0 to {replicas}", cancellationToken);
            }

            rsList.Add(created);
            await SaveRevisionAsync(newRevision.ToString(CultureInfo.InvariantCulture));
            if (!alreadyExists && DeploymentUtil.HasProgressDeadline(d))
            {
                d.Status ??= new V1DeploymentStatus();
                DeploymentUtil.SetCondition(d.Status, DeploymentUtil.NewCondition("Progressing", "True", DeploymentUtil.NewReplicaSetReason,
                    $"Created new replica set \"{created.Metadata.Name}\"", controller.Now));
                await SaveStatusAsync();
            }

            return created;
        }

        /// <summary>
        /// The Deployment's revision annotation. Upstream writes it with the status update; our status subresource
        /// keeps metadata as stored, so it is a metadata update of its own.
        /// </summary>
        private async Task SaveRevisionAsync(string revision)
        {
            if (!DeploymentUtil.SetDeploymentRevision(d, revision))
            {
                return;
            }

            var status = d.Status;
            var updated = await _client.UpdateAsync(d, cancellationToken);
            d.Metadata = updated.Metadata;
            d.Status = status;
        }

        private async Task SaveStatusAsync()
        {
            var updated = await _client.UpdateStatusAsync(d, cancellationToken);
            d.Metadata.ResourceVersion = updated.Metadata.ResourceVersion;
        }

        /// <summary>reconcileNewReplicaSet.</summary>
        private async Task<bool> ReconcileNewAsync(List<V1ReplicaSet> all, V1ReplicaSet newRs)
        {
            var current = DeploymentUtil.Replicas(newRs);
            if (current == Desired)
            {
                return false;
            }

            var target = current > Desired ? Desired : RolloutMath.NewReplicaSetReplicas(d, all.Sum(DeploymentUtil.Replicas), current);
            return (await ScaleAndRecordAsync(newRs, target)).Scaled;
        }

        /// <summary>reconcileOldReplicaSets: first unhealthy old replicas, then healthy ones down to the minimum available.</summary>
        private async Task<bool> ReconcileOldAsync(List<V1ReplicaSet> all, List<V1ReplicaSet> oldRss, V1ReplicaSet newRs)
        {
            var active = oldRss.Where(rs => DeploymentUtil.Replicas(rs) > 0).ToList();
            if (active.Sum(DeploymentUtil.Replicas) == 0)
            {
                return false;
            }

            var maxScaledDown = RolloutMath.MaxScaledDown(d, all.Sum(DeploymentUtil.Replicas), DeploymentUtil.Replicas(newRs), newRs.Status?.AvailableReplicas ?? 0);
            if (maxScaledDown <= 0)
            {
                return false;
            }

            // Unhealthy replicas first, or they would block the rollout.
            var cleaned = 0;
            foreach (var rs in DeploymentUtil.ByCreation(active).ToList())
            {
                if (cleaned >= maxScaledDown)
                {
                    break;
                }

                var replicas = DeploymentUtil.Replicas(rs);
                var available = rs.Status?.AvailableReplicas ?? 0;
                if (replicas == 0 || replicas == available)
                {
                    continue;
                }

                var count = Math.Min(maxScaledDown - cleaned, replicas - available);
                if (count < 0)
                {
                    // The ReplicaSet's status still counts pods it is removing; try again once it has caught up.
                    throw new InvalidOperationException(
                        $"when cleaning up unhealthy replicas, got invalid request to scale down {rs.Metadata.NamespaceProperty}/{rs.Metadata.Name} {replicas} -> {replicas - count}");
                }

                var (_, updated) = await ScaleAndRecordAsync(rs, replicas - count);
                cleaned += count;
                Replace(active, updated);
                Replace(oldRss, updated);
            }

            // Then healthy ones, keeping minAvailable.
            var minAvailable = Desired - RolloutMath.MaxUnavailable(d);
            var allNow = All(newRs, oldRss);
            var availableCount = allNow.Sum(rs => rs.Status?.AvailableReplicas ?? 0);
            var scaledDown = 0;
            if (availableCount > minAvailable)
            {
                var total = availableCount - minAvailable;
                foreach (var rs in DeploymentUtil.ByCreation(active).ToList())
                {
                    if (scaledDown >= total)
                    {
                        break;
                    }

                    var replicas = DeploymentUtil.Replicas(rs);
                    if (replicas == 0)
                    {
                        continue;
                    }

                    var count = Math.Min(replicas, total - scaledDown);
                    var (_, updated) = await ScaleAndRecordAsync(rs, replicas - count);
                    Replace(oldRss, updated);
                    scaledDown += count;
                }
            }

            return cleaned + scaledDown > 0;
        }

        /// <summary>scale: one active ReplicaSet takes the full count; otherwise proportional scaling (sync.go).</summary>
        private async Task ScaleReplicaSetsAsync(V1ReplicaSet? newRs, List<V1ReplicaSet> oldRss)
        {
            var active = All(newRs, oldRss).Where(rs => DeploymentUtil.Replicas(rs) > 0).ToList();
            V1ReplicaSet? activeOrLatest = active.Count switch
            {
                0 => newRs ?? DeploymentUtil.ByCreation(oldRss).LastOrDefault(),
                1 => active[0],
                _ => null,
            };
            if (activeOrLatest is not null)
            {
                if (DeploymentUtil.Replicas(activeOrLatest) != Desired)
                {
                    var (_, updated) = await ScaleAndRecordAsync(activeOrLatest, Desired);
                    Replace(oldRss, updated);
                }

                return;
            }

            if (newRs is not null && IsSaturated(newRs))
            {
                foreach (var rs in oldRss.Where(rs => DeploymentUtil.Replicas(rs) > 0).ToList())
                {
                    var (_, updated) = await ScaleAndRecordAsync(rs, 0);
                    Replace(oldRss, updated);
                }

                return;
            }

            if (!RolloutMath.IsRollingUpdate(d))
            {
                return;
            }

            var allowed = Desired > 0 ? Desired + MaxSurge : 0;
            var toAdd = allowed - active.Sum(DeploymentUtil.Replicas);
            var operation = toAdd > 0 ? "up" : toAdd < 0 ? "down" : "";
            // Scaling up favours the largest and newest, scaling down the largest and oldest.
            var ordered = toAdd > 0
                ? active.OrderByDescending(DeploymentUtil.Replicas).ThenByDescending(rs => rs.Metadata.CreationTimestamp).ThenByDescending(rs => rs.Metadata.Name, StringComparer.Ordinal).ToList()
                : active.OrderByDescending(DeploymentUtil.Replicas).ThenBy(rs => rs.Metadata.CreationTimestamp).ThenBy(rs => rs.Metadata.Name, StringComparer.Ordinal).ToList();
            var added = 0;
            var sizes = new Dictionary<string, int>();
            foreach (var rs in ordered)
            {
                var proportion = toAdd != 0 ? RolloutMath.Proportion(DeploymentUtil.Replicas(rs), DeploymentUtil.IntAnnotation(rs, DeploymentUtil.MaxReplicasAnnotation), d, toAdd, added) : 0;
                sizes[rs.Metadata.Name] = DeploymentUtil.Replicas(rs) + proportion;
                added += proportion;
            }

            for (var i = 0; i < ordered.Count; i++)
            {
                var rs = ordered[i];
                if (i == 0 && toAdd != 0)
                {
                    sizes[rs.Metadata.Name] = Math.Max(sizes[rs.Metadata.Name] + toAdd - added, 0);
                }

                var (_, updated) = await ScaleAsync(rs, sizes[rs.Metadata.Name], operation);
                Replace(oldRss, updated);
            }
        }

        /// <summary>IsSaturated: the new ReplicaSet has all the Deployment's replicas, all available.</summary>
        private bool IsSaturated(V1ReplicaSet rs) =>
            DeploymentUtil.Replicas(rs) == Desired && DeploymentUtil.IntAnnotation(rs, DeploymentUtil.DesiredReplicasAnnotation) == Desired
            && rs.Status?.AvailableReplicas == Desired;

        private async Task<(bool Scaled, V1ReplicaSet Rs)> ScaleAndRecordAsync(V1ReplicaSet rs, int to)
        {
            var from = DeploymentUtil.Replicas(rs);
            if (from == to)
            {
                return (false, rs);
            }

            return await ScaleAsync(rs, to, from < to ? "up" : "down");
        }

        /// <summary>scaleReplicaSet: the new size and the replica annotations, with a ScalingReplicaSet event.</summary>
        private async Task<(bool Scaled, V1ReplicaSet Rs)> ScaleAsync(V1ReplicaSet rs, int to, string operation)
        {
            var from = DeploymentUtil.Replicas(rs);
            var copy = KubernetesJson.Deserialize<V1ReplicaSet>(KubernetesJson.Serialize(rs));
            var annotationsChanged = DeploymentUtil.SetReplicasAnnotations(copy, Desired, Desired + MaxSurge);
            if (from == to && !annotationsChanged)
            {
                return (false, rs);
            }

            copy.Spec.Replicas = to;
            var updated = await _client.UpdateAsync(copy, cancellationToken);
            Replace(rsList, updated);
            if (from != to)
            {
                WorkloadsLog.Scaled(controller.Logger, _key, rs.Metadata.Name, from, to);
                await controller._recorder.NormalAsync(d, "ScalingReplicaSet", $"Scaled {(from < to ? "up" : "down")} replica set {rs.Metadata.Name} from {from} to {to}", cancellationToken);
            }

            return (from != to, updated);
        }

        /// <summary>cleanupDeployment: deletes the oldest empty ReplicaSets beyond revisionHistoryLimit.</summary>
        private async Task CleanupAsync(List<V1ReplicaSet> oldRss)
        {
            if (d.Spec.RevisionHistoryLimit is not { } limit)
            {
                return;
            }

            var cleanable = oldRss.Where(rs => rs.Metadata.DeletionTimestamp is null).ToList();
            var diff = cleanable.Count - limit;
            if (diff <= 0)
            {
                return;
            }

            var byRevision = cleanable.OrderBy(DeploymentUtil.Revision).ThenBy(rs => rs.Metadata.CreationTimestamp).ToList();
            foreach (var rs in byRevision.Take(diff))
            {
                if ((rs.Status?.Replicas ?? 0) != 0 || DeploymentUtil.Replicas(rs) != 0 || rs.Metadata.Generation > (rs.Status?.ObservedGeneration ?? 0))
                {
                    continue;
                }

                WorkloadsLog.CleaningUp(controller.Logger, _key, rs.Metadata.Name);
                await _client.DeleteAsync<V1ReplicaSet>(rs.Metadata.NamespaceProperty, rs.Metadata.Name, null, cancellationToken);
            }
        }

        /// <summary>syncDeploymentStatus.</summary>
        private async Task SyncStatusAsync(List<V1ReplicaSet> all, V1ReplicaSet? newRs)
        {
            var status = DeploymentUtil.CalculateStatus(all, newRs, d, controller.Now);
            if (DeploymentUtil.SameStatus(d.Status, status))
            {
                return;
            }

            d.Status = status;
            await SaveStatusAsync();
        }

        /// <summary>syncRolloutStatus (progress.go): the status with the Progressing condition brought up to date.</summary>
        private async Task SyncRolloutStatusAsync(List<V1ReplicaSet> all, V1ReplicaSet? newRs)
        {
            var now = controller.Now;
            var status = DeploymentUtil.CalculateStatus(all, newRs, d, now);
            DeploymentUtil.UpdateProgress(d, newRs, status, now);
            var failure = all.Select(rs => rs.Status?.Conditions?.FirstOrDefault(c => c.Type == "ReplicaFailure" && c.Status == "True")).FirstOrDefault(c => c is not null);
            if (failure is not null)
            {
                DeploymentUtil.SetCondition(status, DeploymentUtil.NewCondition("ReplicaFailure", failure.Status, failure.Reason, failure.Message, now));
            }
            else
            {
                DeploymentUtil.RemoveCondition(status, "ReplicaFailure");
            }

            if (DeploymentUtil.SameStatus(d.Status, status))
            {
                RequeueIfStuck(status, now);
                return;
            }

            d.Status = status;
            await SaveStatusAsync();
        }

        /// <summary>requeueStuckDeployment: look again when the progress deadline would pass.</summary>
        private void RequeueIfStuck(V1DeploymentStatus status, DateTime now)
        {
            var cond = DeploymentUtil.Condition(status, "Progressing");
            if (!DeploymentUtil.HasProgressDeadline(d) || cond is null || cond.Reason is DeploymentUtil.NewReplicaSetAvailableReason or DeploymentUtil.TimedOutReason
                || DeploymentUtil.Complete(d, status) || cond.LastUpdateTime is not { } from)
            {
                return;
            }

            var after = from.AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) - now;
            controller.Queue.AddAfter(_key, after < TimeSpan.Zero ? TimeSpan.Zero : after + TimeSpan.FromSeconds(1));
        }
    }
}
