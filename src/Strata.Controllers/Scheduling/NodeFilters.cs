using System.Globalization;
using k8s.Models;

namespace Strata.Controllers.Scheduling;

/// <summary>
/// Why a node cannot take a pod: the reasons as upstream's plugins word them, and whether evicting pods could change
/// that (framework.Unschedulable) or not (UnschedulableAndUnresolvable), which decides the preemption message.
/// </summary>
public sealed record FilterResult(IReadOnlyList<string> Reasons, bool Resolvable)
{
    public static FilterResult Fits { get; } = new([], true);

    public bool Success => Reasons.Count == 0;

    public static FilterResult Unresolvable(string reason) => new([reason], false);
}

/// <summary>
/// The default profile's filters, in its order, stopping at the first that fails (framework.RunFilterPlugins):
/// NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit (pkg/scheduler/framework/plugins). NodeName is
/// not needed: a pod with spec.nodeName is never scheduled here.
/// </summary>
public static class NodeFilters
{
    public const string NodeUnschedulable = "node(s) were unschedulable";
    public const string NodeAffinityMismatch = "node(s) didn't match Pod's node affinity/selector";
    public const string NotPinnedByNodeAffinity = "node(s) didn't satisfy plugin(s) [NodeAffinity]";
    public const string TooManyPods = "Too many pods";

    private static readonly string[] FirstResources = [PodRequests.Cpu, PodRequests.Memory, "ephemeral-storage"];

    public static FilterResult Run(V1Pod pod, IReadOnlyDictionary<string, decimal> podRequests, NodeInfo node)
    {
        foreach (var filter in new Func<FilterResult>[]
        {
            () => Unschedulable(pod, node.Node),
            () => TaintToleration(pod, node.Node),
            () => NodeMatching.MatchesNodeSelectorAndAffinity(pod, node.Node) ? FilterResult.Fits : FilterResult.Unresolvable(NodeAffinityMismatch),
            () => Fit(podRequests, node),
        })
        {
            var result = filter();
            if (!result.Success)
            {
                return result;
            }
        }

        return FilterResult.Fits;
    }

    /// <summary>nodeunschedulable: a cordoned node takes only pods tolerating its unschedulable taint.</summary>
    public static FilterResult Unschedulable(V1Pod pod, V1Node node) =>
        node.Spec?.Unschedulable == true
        && !NodeMatching.Tolerates(pod.Spec?.Tolerations, new V1Taint { Key = NodeMatching.UnschedulableTaint, Effect = "NoSchedule" })
            ? FilterResult.Unresolvable(NodeUnschedulable)
            : FilterResult.Fits;

    /// <summary>tainttoleration: the first NoSchedule or NoExecute taint the pod does not tolerate.</summary>
    public static FilterResult TaintToleration(V1Pod pod, V1Node node)
    {
        var taint = NodeMatching.EffectiveTaints(node)
            .FirstOrDefault(t => t.Effect is "NoSchedule" or "NoExecute" && !NodeMatching.Tolerates(pod.Spec?.Tolerations, t));
        return taint is null ? FilterResult.Fits : FilterResult.Unresolvable($"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}");
    }

    /// <summary>
    /// noderesources fit: the pod count, then each requested resource against what is left of the node's allocatable;
    /// every shortage is a reason. A request larger than the whole node cannot be helped by preemption.
    /// </summary>
    public static FilterResult Fit(IReadOnlyDictionary<string, decimal> podRequests, NodeInfo node)
    {
        var reasons = new List<string>();
        var resolvable = true;
        if (node.Pods.Count + 1 > node.Allocatable.GetValueOrDefault(PodRequests.Pods))
        {
            reasons.Add(TooManyPods);
        }

        var names = FirstResources.Concat(podRequests.Keys.Where(k => k != PodRequests.Pods && !FirstResources.Contains(k)).Order(StringComparer.Ordinal));
        foreach (var name in names)
        {
            var request = podRequests.GetValueOrDefault(name);
            if (request <= 0)
            {
                continue;
            }

            var allocatable = node.Allocatable.GetValueOrDefault(name);
            if (request > allocatable - node.Requested.GetValueOrDefault(name))
            {
                reasons.Add(string.Create(CultureInfo.InvariantCulture, $"Insufficient {name}"));
                resolvable &= request <= allocatable;
            }
        }

        return reasons.Count == 0 ? FilterResult.Fits : new FilterResult(reasons, resolvable);
    }
}
