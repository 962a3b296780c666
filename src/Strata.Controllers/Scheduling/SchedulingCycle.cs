using k8s.Models;

namespace Strata.Controllers.Scheduling;

/// <summary>Where a pod goes: a node, or why none fits.</summary>
public sealed record ScheduleResult(string? NodeName, string? FailureMessage)
{
    public bool Scheduled => NodeName is not null;
}

/// <summary>
/// One scheduling cycle (pkg/scheduler/schedule_one.go schedulePod): filter every node, score the feasible ones, take
/// the best. Pure: the same pod and snapshots give the same answer. Upstream picks at random among equal best scores;
/// here the first by node name wins, so results are reproducible.
/// </summary>
public static class SchedulingCycle
{
    public static ScheduleResult Schedule(V1Pod pod, IReadOnlyList<NodeInfo> nodes, IReadOnlyList<V1Service> services)
    {
        if (nodes.Count == 0)
        {
            return new ScheduleResult(null, FitError.NoNodesAvailable);
        }

        var pinned = NodeMatching.PinnedNodeNames(pod);
        var requests = PodRequests.Of(pod);
        var feasible = new List<NodeInfo>();
        var failures = new List<FilterResult>();
        foreach (var node in nodes)
        {
            // NodeAffinity's PreFilter left this node out: upstream reports it under the plugin's name.
            var result = pinned is not null && !pinned.Contains(node.Name)
                ? FilterResult.Unresolvable(NodeFilters.NotPinnedByNodeAffinity)
                : NodeFilters.Run(pod, requests, node);
            if (result.Success)
            {
                feasible.Add(node);
            }
            else
            {
                failures.Add(result);
            }
        }

        if (feasible.Count == 0)
        {
            return new ScheduleResult(null, FitError.Message(nodes.Count, failures));
        }

        if (feasible.Count == 1)
        {
            return new ScheduleResult(feasible[0].Name, null);
        }

        var scores = NodeScores.Score(pod, feasible, services);
        var best = 0;
        for (var i = 1; i < feasible.Count; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
            }
        }

        return new ScheduleResult(feasible[best].Name, null);
    }
}
