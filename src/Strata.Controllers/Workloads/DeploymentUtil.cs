using System.Globalization;
using k8s;
using k8s.Models;

namespace Strata.Controllers.Workloads;

/// <summary>The pure parts of pkg/controller/deployment/util/deployment_util.go and sync.go/progress.go's status.</summary>
public static class DeploymentUtil
{
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
    public const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
    public const string PodTemplateHashLabel = "pod-template-hash";
    private const int MaxRevisionHistoryChars = 2000;

    // Reasons of the Progressing and Available conditions (deployment_util.go).
    public const string NewReplicaSetReason = "NewReplicaSetCreated";
    public const string FoundNewReplicaSetReason = "FoundNewReplicaSet";
    public const string ReplicaSetUpdatedReason = "ReplicaSetUpdated";
    public const string NewReplicaSetAvailableReason = "NewReplicaSetAvailable";
    public const string TimedOutReason = "ProgressDeadlineExceeded";
    public const string PausedReason = "DeploymentPaused";
    public const string ResumedReason = "DeploymentResumed";
    public const string FailedReplicaSetCreateReason = "ReplicaSetCreateError";
    public const string MinimumReplicasAvailable = "MinimumReplicasAvailable";
    public const string MinimumReplicasUnavailable = "MinimumReplicasUnavailable";

    private static readonly HashSet<string> AnnotationsToSkip =
    [
        "kubectl.kubernetes.io/last-applied-configuration", RevisionAnnotation, RevisionHistoryAnnotation,
        DesiredReplicasAnnotation, MaxReplicasAnnotation, "deprecated.deployment.rollback.to",
    ];

    public static string? Value(IDictionary<string, string>? map, string key) => map is not null && map.TryGetValue(key, out var v) ? v : null;

    public static int Replicas(V1ReplicaSet rs) => rs.Spec.Replicas ?? 1;

    public static long Revision(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata.Annotations?.TryGetValue(RevisionAnnotation, out var v) == true && long.TryParse(v, out var r) ? r : 0;

    public static long MaxRevision(IEnumerable<V1ReplicaSet> replicaSets) => replicaSets.Select(Revision).DefaultIfEmpty(0).Max();

    /// <summary>EqualIgnoreHash: the templates are equal once the pod-template-hash label is dropped from both.</summary>
    public static bool EqualIgnoreHash(V1PodTemplateSpec? a, V1PodTemplateSpec? b) => TemplateKey(a) == TemplateKey(b);

    private static string TemplateKey(V1PodTemplateSpec? template)
    {
        if (template is null)
        {
            return "";
        }

        var copy = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(template));
        copy.Metadata?.Labels?.Remove(PodTemplateHashLabel);
        return TemplateHash.CanonicalJson(copy);
    }

    public static V1PodTemplateSpec Clone(V1PodTemplateSpec template) => KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(template));

    /// <summary>FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's.</summary>
    public static V1ReplicaSet? FindNew(V1Deployment d, IEnumerable<V1ReplicaSet> replicaSets) =>
        ByCreation(replicaSets).FirstOrDefault(rs => EqualIgnoreHash(rs.Spec.Template, d.Spec.Template));

    public static IEnumerable<V1ReplicaSet> ByCreation(IEnumerable<V1ReplicaSet> replicaSets) =>
        replicaSets.OrderBy(rs => rs.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(rs => rs.Metadata.Name, StringComparer.Ordinal);

    /// <summary>
    /// SetNewReplicaSetAnnotations: copies the Deployment's annotations, raises the revision (remembering the old
    /// one in revision-history when rolling back to this ReplicaSet), and on creation sets the replica annotations.
    /// </summary>
    public static bool SetNewReplicaSetAnnotations(V1Deployment d, V1ReplicaSet rs, long newRevision, bool exists)
    {
        var changed = CopyDeploymentAnnotations(d, rs);
        rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var hadRevision = rs.Metadata.Annotations.TryGetValue(RevisionAnnotation, out var oldRevisionText);
        long oldRevision = 0;
        if (hadRevision && !long.TryParse(oldRevisionText, out oldRevision))
        {
            return false;
        }

        if (oldRevision < newRevision)
        {
            rs.Metadata.Annotations[RevisionAnnotation] = newRevision.ToString(CultureInfo.InvariantCulture);
            changed = true;
            if (hadRevision)
            {
                var history = Value(rs.Metadata.Annotations, RevisionHistoryAnnotation) ?? "";
                var revisions = history.Length == 0 ? new List<string>() : [.. history.Split(',')];
                revisions.Add(oldRevisionText!);
                while (string.Join(",", revisions).Length > MaxRevisionHistoryChars && revisions.Count > 1)
                {
                    revisions.RemoveAt(0);
                }

                rs.Metadata.Annotations[RevisionHistoryAnnotation] = string.Join(",", revisions);
            }
        }

        if (!exists && SetReplicasAnnotations(rs, RolloutMath.Replicas(d), RolloutMath.Replicas(d) + RolloutMath.MaxSurge(d)))
        {
            changed = true;
        }

        return changed;
    }

    private static bool CopyDeploymentAnnotations(V1Deployment d, V1ReplicaSet rs)
    {
        var changed = false;
        rs.Metadata.Annotations ??= new Dictionary<string, string>();
        foreach (var (k, v) in d.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            if (AnnotationsToSkip.Contains(k) || rs.Metadata.Annotations.TryGetValue(k, out var have) && have == v)
            {
                continue;
            }

            rs.Metadata.Annotations[k] = v;
            changed = true;
        }

        return changed;
    }

    public static bool SetReplicasAnnotations(V1ReplicaSet rs, int desired, int max)
    {
        rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var d = desired.ToString(CultureInfo.InvariantCulture);
        var m = max.ToString(CultureInfo.InvariantCulture);
        if (Value(rs.Metadata.Annotations, DesiredReplicasAnnotation) == d && Value(rs.Metadata.Annotations, MaxReplicasAnnotation) == m)
        {
            return false;
        }

        rs.Metadata.Annotations[DesiredReplicasAnnotation] = d;
        rs.Metadata.Annotations[MaxReplicasAnnotation] = m;
        return true;
    }

    public static int? IntAnnotation(V1ReplicaSet rs, string name) =>
        rs.Metadata.Annotations?.TryGetValue(name, out var v) == true && int.TryParse(v, out var n) ? n : null;

    /// <summary>SetDeploymentRevision: false if the annotation already says so.</summary>
    public static bool SetDeploymentRevision(V1Deployment d, string revision)
    {
        d.Metadata.Annotations ??= new Dictionary<string, string>();
        if (Value(d.Metadata.Annotations, RevisionAnnotation) == revision)
        {
            return false;
        }

        d.Metadata.Annotations[RevisionAnnotation] = revision;
        return true;
    }

    public static V1DeploymentCondition? Condition(V1DeploymentStatus? status, string type) => status?.Conditions?.FirstOrDefault(c => c.Type == type);

    public static V1DeploymentCondition NewCondition(string type, string status, string reason, string message, DateTime now) =>
        new() { Type = type, Status = status, Reason = reason, Message = message, LastUpdateTime = now, LastTransitionTime = now };

    /// <summary>SetDeploymentCondition: same status and reason is no change; same status keeps the transition time.</summary>
    public static void SetCondition(V1DeploymentStatus status, V1DeploymentCondition condition)
    {
        var current = Condition(status, condition.Type);
        if (current is not null && current.Status == condition.Status && current.Reason == condition.Reason)
        {
            return;
        }

        if (current is not null && current.Status == condition.Status)
        {
            condition.LastTransitionTime = current.LastTransitionTime;
        }

        RemoveCondition(status, condition.Type);
        status.Conditions ??= [];
        status.Conditions.Add(condition);
    }

    public static void RemoveCondition(V1DeploymentStatus status, string type)
    {
        if (status.Conditions is { } conditions)
        {
            status.Conditions = [.. conditions.Where(c => c.Type != type)];
        }
    }

    public static bool HasProgressDeadline(V1Deployment d) => d.Spec.ProgressDeadlineSeconds is { } s && s != int.MaxValue;

    /// <summary>calculateStatus in sync.go.</summary>
    public static V1DeploymentStatus CalculateStatus(IReadOnlyList<V1ReplicaSet> all, V1ReplicaSet? newRs, V1Deployment d, DateTime now)
    {
        var available = all.Sum(rs => rs.Status?.AvailableReplicas ?? 0);
        var total = all.Sum(Replicas);
        var status = new V1DeploymentStatus
        {
            ObservedGeneration = d.Metadata.Generation,
            Replicas = all.Sum(rs => rs.Status?.Replicas ?? 0),
            UpdatedReplicas = newRs?.Status?.Replicas ?? 0,
            ReadyReplicas = all.Sum(rs => rs.Status?.ReadyReplicas ?? 0),
            AvailableReplicas = available,
            UnavailableReplicas = Math.Max(total - available, 0),
            CollisionCount = d.Status?.CollisionCount,
            Conditions = d.Status?.Conditions is { } c ? [.. c.Select(Clone)] : null,
        };
        if (available >= RolloutMath.Replicas(d) - RolloutMath.MaxUnavailable(d))
        {
            SetCondition(status, NewCondition("Available", "True", MinimumReplicasAvailable, "Deployment has minimum availability.", now));
        }
        else
        {
            SetCondition(status, NewCondition("Available", "False", MinimumReplicasUnavailable, "Deployment does not have minimum availability.", now));
        }

        return status;
    }

    private static V1DeploymentCondition Clone(V1DeploymentCondition c) => KubernetesJson.Deserialize<V1DeploymentCondition>(KubernetesJson.Serialize(c));

    /// <summary>DeploymentComplete.</summary>
    public static bool Complete(V1Deployment d, V1DeploymentStatus s)
    {
        var replicas = RolloutMath.Replicas(d);
        return s.UpdatedReplicas == replicas && s.Replicas == replicas && s.AvailableReplicas == replicas && s.ObservedGeneration >= d.Metadata.Generation;
    }

    /// <summary>DeploymentProgressing: more updated, fewer old, more ready or more available than the stored status.</summary>
    public static bool Progressing(V1Deployment d, V1DeploymentStatus s)
    {
        var old = d.Status ?? new V1DeploymentStatus();
        return (s.UpdatedReplicas ?? 0) > (old.UpdatedReplicas ?? 0)
            || (s.Replicas ?? 0) - (s.UpdatedReplicas ?? 0) < (old.Replicas ?? 0) - (old.UpdatedReplicas ?? 0)
            || (s.ReadyReplicas ?? 0) > (old.ReadyReplicas ?? 0)
            || (s.AvailableReplicas ?? 0) > (old.AvailableReplicas ?? 0);
    }

    /// <summary>DeploymentTimedOut.</summary>
    public static bool TimedOut(V1Deployment d, V1DeploymentStatus s, DateTime now)
    {
        if (!HasProgressDeadline(d) || Condition(s, "Progressing") is not { } c)
        {
            return false;
        }

        if (c.Reason == NewReplicaSetAvailableReason)
        {
            return false;
        }

        if (c.Reason == TimedOutReason)
        {
            return true;
        }

        return c.LastUpdateTime is { } from && from.AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) < now;
    }

    /// <summary>The Progressing condition for a rollout (syncRolloutStatus in progress.go).</summary>
    public static void UpdateProgress(V1Deployment d, V1ReplicaSet? newRs, V1DeploymentStatus status, DateTime now)
    {
        if (!HasProgressDeadline(d))
        {
            RemoveCondition(status, "Progressing");
            return;
        }

        var current = Condition(d.Status, "Progressing");
        var complete = status.Replicas == status.UpdatedReplicas && current?.Reason == NewReplicaSetAvailableReason;
        if (complete)
        {
            return;
        }

        if (Complete(d, status))
        {
            var message = newRs is null ? $"Deployment \"{d.Metadata.Name}\" has successfully progressed." : $"ReplicaSet \"{newRs.Metadata.Name}\" has successfully progressed.";
            SetCondition(status, NewCondition("Progressing", "True", NewReplicaSetAvailableReason, message, now));
        }
        else if (Progressing(d, status))
        {
            var message = newRs is null ? $"Deployment \"{d.Metadata.Name}\" is progressing." : $"ReplicaSet \"{newRs.Metadata.Name}\" is progressing.";
            var condition = NewCondition("Progressing", "True", ReplicaSetUpdatedReason, message, now);
            if (current is not null)
            {
                if (current.Status == "True")
                {
                    condition.LastTransitionTime = current.LastTransitionTime;
                }

                RemoveCondition(status, "Progressing");
            }

            SetCondition(status, condition);
        }
        else if (TimedOut(d, status, now))
        {
            var message = newRs is null ? $"Deployment \"{d.Metadata.Name}\" has timed out progressing." : $"ReplicaSet \"{newRs.Metadata.Name}\" has timed out progressing.";
            SetCondition(status, NewCondition("Progressing", "False", TimedOutReason, message, now));
        }
    }

    public static bool SameStatus(V1DeploymentStatus? a, V1DeploymentStatus b) =>
        a is not null && StatusComparer.Same(a, b);
}
