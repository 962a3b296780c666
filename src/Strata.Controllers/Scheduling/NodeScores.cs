using k8s.Models;

namespace Strata.Controllers.Scheduling;

/// <summary>
/// The default profile's scores, each normalized to 0..100 over the feasible nodes and weighted as upstream's
/// defaults weigh them (pkg/scheduler/apis/config/v1 default_plugins.go): TaintToleration 3, NodeAffinity 2,
/// PodTopologySpread 2, NodeResourcesFit (LeastAllocated) 1, NodeResourcesBalancedAllocation 1.
/// </summary>
public static class NodeScores
{
    public const int MaxScore = 100;

    /// <summary>Total weighted score per node, in the order of <paramref name="nodes"/>.</summary>
    public static IReadOnlyList<long> Score(V1Pod pod, IReadOnlyList<NodeInfo> nodes, IReadOnlyList<V1Service> services)
    {
        var podRequests = PodRequests.NonZero(pod);
        var totals = new long[nodes.Count];
        Add(totals, 3, Reverse(nodes.Select(n => (long)IntolerablePreferNoSchedule(pod, n.Node)).ToList()));
        Add(totals, 2, Normalize(nodes.Select(n => PreferredAffinity(pod, n.Node)).ToList()));
        Add(totals, 2, Reverse(nodes.Select(n => (long)MatchingPods(pod, n, services)).ToList()));
        Add(totals, 1, nodes.Select(n => LeastAllocated(podRequests, n)).ToList());
        Add(totals, 1, nodes.Select(n => BalancedAllocation(podRequests, n)).ToList());
        return totals;
    }

    /// <summary>tainttoleration score: PreferNoSchedule taints the pod does not tolerate (fewer is better).</summary>
    public static int IntolerablePreferNoSchedule(V1Pod pod, V1Node node) =>
        (node.Spec?.Taints ?? []).Count(t => t.Effect == "PreferNoSchedule" && !NodeMatching.Tolerates(pod.Spec?.Tolerations, t));

    /// <summary>nodeaffinity score: the weights of the preferred terms the node matches.</summary>
    public static long PreferredAffinity(V1Pod pod, V1Node node) =>
        (pod.Spec?.Affinity?.NodeAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
            .Where(p => p.Weight != 0 && p.Preference is not null && NodeMatching.MatchesTerm(p.Preference, node))
            .Sum(p => (long)p.Weight);

    /// <summary>
    /// Replicas of the same workload already on the node (fewer is better): podtopologyspread's system default
    /// hostname constraint, counting pods that share the pod's controller or a Service selecting the pod.
    /// </summary>
    public static int MatchingPods(V1Pod pod, NodeInfo node, IReadOnlyList<V1Service> services)
    {
        var owner = ControllerUid(pod);
        var selectors = services
            .Where(s => s.Metadata.NamespaceProperty == pod.Metadata.NamespaceProperty && s.Spec?.Selector is { Count: > 0 })
            .Select(s => s.Spec.Selector)
            .Where(sel => Selects(sel, pod))
            .ToList();
        if (owner is null && selectors.Count == 0)
        {
            return 0;
        }

        return node.Pods.Count(p =>
            p.Metadata.Uid != pod.Metadata.Uid
            && p.Metadata.NamespaceProperty == pod.Metadata.NamespaceProperty
            && p.Metadata.DeletionTimestamp is null
            && ((owner is not null && ControllerUid(p) == owner) || selectors.Any(sel => Selects(sel, p))));
    }

    /// <summary>noderesources LeastAllocated over cpu and memory (equal weights).</summary>
    public static long LeastAllocated(IReadOnlyDictionary<string, decimal> podRequests, NodeInfo node)
    {
        static long One(decimal requested, decimal allocatable) =>
            allocatable <= 0 || requested > allocatable ? 0 : (long)((allocatable - requested) * MaxScore / allocatable);

        return (One(Requested(PodRequests.Cpu), node.Allocatable.GetValueOrDefault(PodRequests.Cpu))
            + One(Requested(PodRequests.Memory), node.Allocatable.GetValueOrDefault(PodRequests.Memory))) / 2;

        decimal Requested(string name) => node.NonZeroRequested.GetValueOrDefault(name) + podRequests.GetValueOrDefault(name);
    }

    /// <summary>noderesources BalancedAllocation: (1 - standard deviation of the cpu and memory fractions) × 100.</summary>
    public static long BalancedAllocation(IReadOnlyDictionary<string, decimal> podRequests, NodeInfo node)
    {
        decimal Fraction(string name)
        {
            var allocatable = node.Allocatable.GetValueOrDefault(name);
            return allocatable <= 0 ? 1 : Math.Min(1, (node.NonZeroRequested.GetValueOrDefault(name) + podRequests.GetValueOrDefault(name)) / allocatable);
        }

        var deviation = Math.Abs(Fraction(PodRequests.Cpu) - Fraction(PodRequests.Memory)) / 2;
        return (long)((1 - deviation) * MaxScore);
    }

    private static string? ControllerUid(V1Pod pod) => pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true)?.Uid;

    private static bool Selects(IDictionary<string, string> selector, V1Pod pod) =>
        pod.Metadata.Labels is { } labels && selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);

    /// <summary>Highest raw value scores 100 (helper.DefaultNormalizeScore).</summary>
    private static IReadOnlyList<long> Normalize(IReadOnlyList<long> raw)
    {
        var max = raw.Count == 0 ? 0 : raw.Max();
        return max <= 0 ? [.. raw.Select(_ => 0L)] : [.. raw.Select(r => r * MaxScore / max)];
    }

    /// <summary>Lowest raw value scores 100 (DefaultNormalizeScore with reverse).</summary>
    private static IReadOnlyList<long> Reverse(IReadOnlyList<long> raw)
    {
        var max = raw.Count == 0 ? 0 : raw.Max();
        return max <= 0 ? [.. raw.Select(_ => (long)MaxScore)] : [.. raw.Select(r => MaxScore - (r * MaxScore / max))];
    }

    private static void Add(long[] totals, int weight, IReadOnlyList<long> scores)
    {
        for (var i = 0; i < totals.Length; i++)
        {
            totals[i] += weight * scores[i];
        }
    }
}
