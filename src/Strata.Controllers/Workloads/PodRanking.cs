using k8s.Models;

using Strata.Controllers.Machinery;

namespace Strata.Controllers.Workloads;

/// <summary>
/// Which surplus pods a ReplicaSet deletes first: ActivePodsWithRanks.Less in pkg/controller/controller_utils.go with
/// PodDeletionCost and LogarithmicScaleDown on (their 1.32 defaults), ranked by getPodsRankedByRelatedPodsOnSameNode
/// in pkg/controller/replicaset/replica_set.go.
/// </summary>
public static class PodRanking
{
    public const string DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";

    /// <summary>The first <paramref name="count"/> pods to delete, each ranked by the active related pods on its node.</summary>
    public static IReadOnlyList<V1Pod> PodsToDelete(IReadOnlyList<V1Pod> pods, IReadOnlyList<V1Pod> related, int count, DateTime now)
    {
        if (count >= pods.Count)
        {
            return pods;
        }

        var onNode = related.Where(PodConditions.IsActive).GroupBy(p => p.Spec?.NodeName ?? "").ToDictionary(g => g.Key, g => g.Count());
        var ranked = pods.Select(p => (Pod: p, Rank: onNode.GetValueOrDefault(p.Spec?.NodeName ?? ""))).ToList();
        ranked.Sort((a, b) => Compare(a.Pod, a.Rank, b.Pod, b.Rank, now));
        return [.. ranked.Take(count).Select(r => r.Pod)];
    }

    /// <summary>Negative when <paramref name="a"/> should be deleted before <paramref name="b"/>.</summary>
    public static int Compare(V1Pod a, int rankA, V1Pod b, int rankB, DateTime now)
    {
        if (Less(a, rankA, b, rankB, now))
        {
            return -1;
        }

        return Less(b, rankB, a, rankA, now) ? 1 : 0;
    }

    private static bool Less(V1Pod i, int rankI, V1Pod j, int rankJ, DateTime now)
    {
        var nodeI = i.Spec?.NodeName ?? "";
        var nodeJ = j.Spec?.NodeName ?? "";
        // 1. Unassigned before assigned.
        if (nodeI != nodeJ && (nodeI.Length == 0 || nodeJ.Length == 0))
        {
            return nodeI.Length == 0;
        }

        // 2. Pending before Unknown before Running.
        if (PhaseOrdinal(i) != PhaseOrdinal(j))
        {
            return PhaseOrdinal(i) < PhaseOrdinal(j);
        }

        // 3. Not ready before ready.
        var readyI = PodConditions.IsReady(i);
        if (readyI != PodConditions.IsReady(j))
        {
            return !readyI;
        }

        // 4. Lower deletion cost first.
        if (DeletionCost(i) != DeletionCost(j))
        {
            return DeletionCost(i) < DeletionCost(j);
        }

        // 5. More related pods on the same node first.
        if (rankI != rankJ)
        {
            return rankI > rankJ;
        }

        // 6. Ready for less time first (log2 buckets of the age).
        if (readyI)
        {
            var ti = PodConditions.ReadyTime(i);
            var tj = PodConditions.ReadyTime(j);
            if (ti != tj)
            {
                if (ti is null || tj is null)
                {
                    return AfterOrZero(ti, tj);
                }

                var diff = LogarithmicRankDiff(ti.Value, tj.Value, now);
                return diff == 0 ? string.CompareOrdinal(i.Metadata.Uid, j.Metadata.Uid) < 0 : diff < 0;
            }
        }

        // 7. More container restarts first.
        if (PodConditions.MaxContainerRestarts(i) != PodConditions.MaxContainerRestarts(j))
        {
            return PodConditions.MaxContainerRestarts(i) > PodConditions.MaxContainerRestarts(j);
        }

        // 8. Newer before older.
        var ci = i.Metadata.CreationTimestamp;
        var cj = j.Metadata.CreationTimestamp;
        if (ci != cj)
        {
            if (ci is null || cj is null)
            {
                return AfterOrZero(ci, cj);
            }

            var diff = LogarithmicRankDiff(ci.Value, cj.Value, now);
            return diff == 0 ? string.CompareOrdinal(i.Metadata.Uid, j.Metadata.Uid) < 0 : diff < 0;
        }

        return false;
    }

    private static int PhaseOrdinal(V1Pod pod) => pod.Status?.Phase switch
    {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 0, // a missing phase is the map's zero value upstream
    };

    public static int DeletionCost(V1Pod pod) =>
        pod.Metadata.Annotations?.TryGetValue(DeletionCostAnnotation, out var v) == true && int.TryParse(v, out var cost) ? cost : 0;

    // afterOrZero: a zero time counts as the latest.
    private static bool AfterOrZero(DateTime? t1, DateTime? t2) => t1 is null || t2 is null ? t1 is null : t1 > t2;

    /// <summary>logarithmicRankDiff: the difference of floor(log2(age in ns)) of two times.</summary>
    public static long LogarithmicRankDiff(DateTime t1, DateTime t2, DateTime now)
    {
        static long Rank(TimeSpan d) => d > TimeSpan.Zero ? (long)Math.Log2(d.Ticks * 100.0) : -1;
        return Rank(now - t1) - Rank(now - t2);
    }
}
