using k8s.Models;

namespace Strata.Controllers.Workloads;

/// <summary>Label selector and node selector matching (apimachinery labels, component-helpers nodeaffinity).</summary>
public static class Selectors
{
    /// <summary>metav1.LabelSelectorAsSelector: null selects nothing, an empty selector selects everything.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null)
        {
            return false;
        }

        labels ??= new Dictionary<string, string>();
        foreach (var (k, v) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(k, out var have) || have != v)
            {
                return false;
            }
        }

        foreach (var e in selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(e.Key, out var value);
            var ok = e.OperatorProperty switch
            {
                "In" => has && (e.Values ?? []).Contains(value!),
                "NotIn" => !has || !(e.Values ?? []).Contains(value!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsEmpty(V1LabelSelector? selector) =>
        selector is not null && (selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0;

    /// <summary>A required node selector: the terms are ORed, each term's expressions and fields ANDed.</summary>
    public static bool Matches(V1NodeSelector? selector, V1Node node)
    {
        if (selector?.NodeSelectorTerms is not { Count: > 0 } terms)
        {
            return selector is null;
        }

        return terms.Any(t => TermMatches(t, node));
    }

    private static bool TermMatches(V1NodeSelectorTerm term, V1Node node)
    {
        if ((term.MatchExpressions?.Count ?? 0) == 0 && (term.MatchFields?.Count ?? 0) == 0)
        {
            return false;
        }

        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (var e in term.MatchExpressions ?? [])
        {
            if (!RequirementMatches(e, labels.TryGetValue(e.Key, out var v), v))
            {
                return false;
            }
        }

        foreach (var f in term.MatchFields ?? [])
        {
            var isName = f.Key == "metadata.name";
            if (!isName || !RequirementMatches(f, true, node.Metadata.Name))
            {
                return false;
            }
        }

        return true;
    }

    private static bool RequirementMatches(V1NodeSelectorRequirement e, bool has, string? value) => e.OperatorProperty switch
    {
        "In" => has && (e.Values ?? []).Contains(value!),
        "NotIn" => !has || !(e.Values ?? []).Contains(value!),
        "Exists" => has,
        "DoesNotExist" => !has,
        "Gt" => has && long.TryParse(value, out var a) && e.Values is [var gt] && long.TryParse(gt, out var b) && a > b,
        "Lt" => has && long.TryParse(value, out var c) && e.Values is [var lt] && long.TryParse(lt, out var d) && c < d,
        _ => false,
    };
}
