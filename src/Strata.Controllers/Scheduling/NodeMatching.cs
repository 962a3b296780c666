using System.Globalization;
using k8s.Models;

namespace Strata.Controllers.Scheduling;

/// <summary>
/// Node selection rules shared by the filters and scores: node selector terms (component-helpers
/// scheduling/corev1/nodeaffinity) and taint toleration (api/core/v1 toleration.go ToleratesTaint).
/// </summary>
public static class NodeMatching
{
    public const string NotReadyTaint = "node.kubernetes.io/not-ready";
    public const string UnreachableTaint = "node.kubernetes.io/unreachable";
    public const string UnschedulableTaint = "node.kubernetes.io/unschedulable";

    /// <summary>Whether the node matches spec.nodeSelector and the required node affinity.</summary>
    public static bool MatchesNodeSelectorAndAffinity(V1Pod pod, V1Node node)
    {
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (var (key, value) in pod.Spec?.NodeSelector ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        var required = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        return required is null || MatchesAnyTerm(required.NodeSelectorTerms ?? [], node);
    }

    /// <summary>Terms are ORed; an empty term matches nothing.</summary>
    public static bool MatchesAnyTerm(IEnumerable<V1NodeSelectorTerm> terms, V1Node node) => terms.Any(t => MatchesTerm(t, node));

    public static bool MatchesTerm(V1NodeSelectorTerm term, V1Node node)
    {
        var expressions = term.MatchExpressions ?? [];
        var fields = term.MatchFields ?? [];
        if (expressions.Count == 0 && fields.Count == 0)
        {
            return false;
        }

        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        return expressions.All(r => Matches(r, labels.TryGetValue(r.Key, out var v) ? v : null))
            && fields.All(r => r.Key == "metadata.name" && Matches(r, node.Metadata.Name));
    }

    /// <summary>
    /// NodeAffinity's PreFilter: the node names every required term pins with <c>matchFields metadata.name In</c>
    /// (DaemonSet pods), or null when some term does not pin names and every node stays eligible.
    /// </summary>
    public static IReadOnlySet<string>? PinnedNodeNames(V1Pod pod)
    {
        var terms = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is null || terms.Count == 0)
        {
            return null;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var term in terms)
        {
            HashSet<string>? termNames = null;
            foreach (var field in term.MatchFields ?? [])
            {
                if (field.Key == "metadata.name" && field.OperatorProperty == "In")
                {
                    var values = new HashSet<string>(field.Values ?? [], StringComparer.Ordinal);
                    if (termNames is null)
                    {
                        termNames = values;
                    }
                    else
                    {
                        termNames.IntersectWith(values);
                    }
                }
            }

            if (termNames is null)
            {
                return null;
            }

            names.UnionWith(termNames);
        }

        return names;
    }

    private static bool Matches(V1NodeSelectorRequirement requirement, string? value)
    {
        var values = requirement.Values ?? [];
        switch (requirement.OperatorProperty)
        {
            case "In":
                return value is not null && values.Contains(value);
            case "NotIn":
                return value is null || !values.Contains(value);
            case "Exists":
                return value is not null;
            case "DoesNotExist":
                return value is null;
            case "Gt":
            case "Lt":
                if (value is null || values.Count != 1
                    || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
                    || !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound))
                {
                    return false;
                }

                return requirement.OperatorProperty == "Gt" ? actual > bound : actual < bound;
            default:
                return false;
        }
    }

    public static bool Tolerates(IEnumerable<V1Toleration>? tolerations, V1Taint taint) =>
        (tolerations ?? []).Any(t => Tolerates(t, taint));

    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }

        return toleration.OperatorProperty switch
        {
            null or "" or "Equal" => (toleration.Value ?? "") == (taint.Value ?? ""),
            "Exists" => true,
            _ => false,
        };
    }

    /// <summary>
    /// The node's taints, plus the NoSchedule taint the node lifecycle controller puts on a node whose Ready
    /// condition is not True (pkg/controller/nodelifecycle: not-ready for False, unreachable for Unknown or missing),
    /// so that a NotReady node is avoided as upstream avoids it, with the same message.
    /// </summary>
    public static IReadOnlyList<V1Taint> EffectiveTaints(V1Node node)
    {
        var taints = new List<V1Taint>(node.Spec?.Taints ?? []);
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status;
        if (ready != "True")
        {
            var key = ready == "False" ? NotReadyTaint : UnreachableTaint;
            if (!taints.Any(t => t.Key == key && t.Effect == "NoSchedule"))
            {
                taints.Add(new V1Taint { Key = key, Effect = "NoSchedule" });
            }
        }

        return taints;
    }

    public static bool IsReady(V1Node node) => node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status == "True";
}
