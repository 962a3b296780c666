using k8s.Models;

using Strata.Controllers.Machinery;

namespace Strata.Controllers.Workloads;

/// <summary>Where a node stands for a DaemonSet: NodeShouldRunDaemonPod in pkg/controller/daemon/daemon_controller.go.</summary>
public readonly record struct DaemonFit(bool ShouldRun, bool ShouldContinueRunning);

/// <summary>
/// Which nodes run a DaemonSet's pod, and the pod each gets (pkg/controller/daemon/daemon_controller.go and
/// pkg/controller/daemon/util/daemonset_util.go): nodeName, nodeSelector and required node affinity must match, and
/// every NoSchedule/NoExecute taint must be tolerated, counting the tolerations every daemon pod gets.
/// </summary>
public static class DaemonPlacement
{
    public const string NodeNameField = "metadata.name";

    /// <summary>AddOrUpdateDaemonPodTolerations: what daemon pods tolerate whatever their template says.</summary>
    public static IReadOnlyList<V1Toleration> DefaultTolerations(bool hostNetwork)
    {
        List<V1Toleration> t =
        [
            new() { Key = "node.kubernetes.io/not-ready", OperatorProperty = "Exists", Effect = "NoExecute" },
            new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute" },
            new() { Key = "node.kubernetes.io/disk-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
            new() { Key = "node.kubernetes.io/memory-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
            new() { Key = "node.kubernetes.io/pid-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
            new() { Key = "node.kubernetes.io/unschedulable", OperatorProperty = "Exists", Effect = "NoSchedule" },
        ];
        if (hostNetwork)
        {
            t.Add(new() { Key = "node.kubernetes.io/network-unavailable", OperatorProperty = "Exists", Effect = "NoSchedule" });
        }

        return t;
    }

    /// <summary>The template's tolerations plus the defaults it does not already have.</summary>
    public static IList<V1Toleration> WithDefaultTolerations(IList<V1Toleration>? tolerations, bool hostNetwork)
    {
        var result = new List<V1Toleration>(tolerations ?? []);
        foreach (var d in DefaultTolerations(hostNetwork))
        {
            if (!result.Any(t => t.Key == d.Key && t.OperatorProperty == d.OperatorProperty && t.Value == d.Value && t.Effect == d.Effect))
            {
                result.Add(d);
            }
        }

        return result;
    }

    public static DaemonFit Fit(V1PodSpec template, V1Node node)
    {
        if (!string.IsNullOrEmpty(template.NodeName) && template.NodeName != node.Metadata.Name)
        {
            return new(false, false);
        }

        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        var fitsSelector = LabelIndex.Matches(template.NodeSelector ?? new Dictionary<string, string>(), labels);
        var required = template.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        if (!fitsSelector || (required is not null && !Selectors.Matches(required, node)))
        {
            return new(false, false);
        }

        var tolerations = WithDefaultTolerations(template.Tolerations, template.HostNetwork == true);
        var taints = node.Spec?.Taints ?? [];
        if (taints.Any(t => t.Effect is "NoSchedule" or "NoExecute" && !Tolerated(t, tolerations)))
        {
            // A scheduled daemon pod keeps running unless a NoExecute taint evicts it.
            return new(false, !taints.Any(t => t.Effect == "NoExecute" && !Tolerated(t, tolerations)));
        }

        return new(true, true);
    }

    public static bool Tolerated(V1Taint taint, IEnumerable<V1Toleration> tolerations) => tolerations.Any(t => Tolerates(t, taint));

    /// <summary>Toleration.ToleratesTaint.</summary>
    public static bool Tolerates(V1Toleration t, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(t.Effect) && t.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(t.Key) && t.Key != taint.Key)
        {
            return false;
        }

        return t.OperatorProperty switch
        {
            null or "" or "Equal" => (t.Value ?? "") == (taint.Value ?? ""),
            "Exists" => true,
            _ => false,
        };
    }

    /// <summary>
    /// ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes the one term
    /// <c>matchFields metadata.name In [node]</c>, so the scheduler places the pod on that node.
    /// </summary>
    public static V1Affinity PinToNode(V1Affinity? affinity, string nodeName)
    {
        var selector = new V1NodeSelector
        {
            NodeSelectorTerms =
            [
                new V1NodeSelectorTerm
                {
                    MatchFields = [new V1NodeSelectorRequirement { Key = NodeNameField, OperatorProperty = "In", Values = [nodeName] }],
                },
            ],
        };
        affinity ??= new V1Affinity();
        affinity.NodeAffinity ??= new V1NodeAffinity();
        affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = selector;
        return affinity;
    }

    /// <summary>GetTargetNodeName: spec.nodeName, or else the node the affinity pins the pod to.</summary>
    public static string? TargetNode(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            return pod.Spec.NodeName;
        }

        foreach (var term in pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms ?? [])
        {
            foreach (var field in term.MatchFields ?? [])
            {
                if (field is { Key: NodeNameField, OperatorProperty: "In", Values: [var node] })
                {
                    return node;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The maxSurge = 0 rolling update of pkg/controller/daemon/update.go: old pods to delete so that at most
    /// maxUnavailable nodes are without an available daemon pod. Unavailable old pods are always replaced.
    /// A node in <paramref name="desiredNodes"/> without any pod counts as unavailable (updatedDesiredNodeCounts adds it
    /// to the map): its old pod may just have left the cache and its replacement not yet been created.
    /// </summary>
    public static IReadOnlyList<V1Pod> OldPodsToDelete(
        IReadOnlyDictionary<string, IReadOnlyList<V1Pod>> podsByNode, IEnumerable<string> desiredNodes, string hash, int maxUnavailable,
        int minReadySeconds, DateTime now)
    {
        var unavailable = desiredNodes.Distinct().Count(n => !podsByNode.ContainsKey(n));
        var replaceable = new List<V1Pod>();
        var candidates = new List<V1Pod>();
        foreach (var (_, pods) in podsByNode.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var active = pods.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            var updated = active.Where(p => IsUpdated(p, hash)).ToList();
            var old = active.Where(p => !IsUpdated(p, hash)).ToList();
            if (updated.Count > 1 || old.Count > 1)
            {
                unavailable++;
                continue;
            }

            var newPod = updated.FirstOrDefault();
            var oldPod = old.FirstOrDefault();
            if ((newPod is null) == (oldPod is null))
            {
                unavailable++;
            }
            else if (newPod is not null)
            {
                if (!PodConditions.IsAvailable(newPod, minReadySeconds, now))
                {
                    unavailable++;
                }
            }
            else if (!PodConditions.IsAvailable(oldPod!, minReadySeconds, now))
            {
                replaceable.Add(oldPod!);
            }
            else if (unavailable < maxUnavailable)
            {
                candidates.Add(oldPod!);
            }
        }

        var remaining = Math.Clamp(maxUnavailable - unavailable, 0, candidates.Count);
        return [.. replaceable, .. candidates.Take(remaining)];
    }

    public const string RevisionHashLabel = "controller-revision-hash";

    public static bool IsUpdated(V1Pod pod, string hash) =>
        pod.Metadata.Labels?.TryGetValue(RevisionHashLabel, out var h) == true && h == hash;
}
