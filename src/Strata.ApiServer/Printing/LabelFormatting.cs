using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// The label and selector strings the printers show, as k8s.io/apimachinery formats them
/// (pkg/labels/labels.go, pkg/labels/selector.go, pkg/apis/meta/v1/helpers.go).
/// </summary>
internal static class LabelFormatting
{
    /// <summary><c>labels.FormatLabels</c>: sorted <c>k=v</c> pairs joined by commas, or <c>&lt;none&gt;</c>.</summary>
    public static string FormatLabels(IReadOnlyDictionary<string, string> labels)
    {
        var text = SetString(labels);
        return text.Length == 0 ? "<none>" : text;
    }

    /// <summary>
    /// <c>metav1.FormatLabelSelector</c>: the selector's string, <c>&lt;none&gt;</c> when it selects everything
    /// or is absent, <c>&lt;error&gt;</c> when it cannot be converted.
    /// </summary>
    public static string FormatLabelSelector(JsonObject? selector)
    {
        var text = SelectorString(selector);
        return text switch
        {
            null => "<error>",
            "" => "<none>",
            _ => text,
        };
    }

    /// <summary>
    /// <c>LabelSelectorAsSelector(selector).String()</c>: "" for an absent or empty selector, null when the
    /// selector is invalid (unknown operator, or In/NotIn without values, or values with Exists/DoesNotExist).
    /// </summary>
    public static string? SelectorString(JsonObject? selector)
    {
        if (selector is null)
        {
            return "";
        }

        var requirements = new List<(string Key, string Text)>();
        foreach (var (key, value) in selector.StringMap("matchLabels"))
        {
            requirements.Add((key, key + "=" + value));
        }

        foreach (var expression in selector.Objects("matchExpressions"))
        {
            var key = expression.Str("key");
            var values = expression.Strings("values");
            var text = expression.Str("operator") switch
            {
                "In" when values.Count > 0 => key + " in (" + ValueList(values) + ")",
                "NotIn" when values.Count > 0 => key + " notin (" + ValueList(values) + ")",
                "Exists" when values.Count == 0 => key,
                "DoesNotExist" when values.Count == 0 => "!" + key,
                _ => null,
            };
            if (text is null)
            {
                return null;
            }

            requirements.Add((key, text));
        }

        // Upstream sorts the requirements by key only (internalSelector.Add); a stable sort keeps equal keys in
        // matchLabels-then-matchExpressions order, where Go's unstable sort leaves them unspecified.
        return string.Join(",", requirements.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Text));
    }

    /// <summary><c>labels.Set.String()</c>: the <c>k=v</c> strings sorted bytewise, joined by commas.</summary>
    private static string SetString(IReadOnlyDictionary<string, string> labels) =>
        string.Join(",", labels.Select(kv => kv.Key + "=" + kv.Value).Order(StringComparer.Ordinal));

    /// <summary>Requirement.String() prints a single value as is and several values sorted.</summary>
    private static string ValueList(IReadOnlyList<string> values) =>
        values.Count == 1 ? values[0] : string.Join(",", values.Order(StringComparer.Ordinal));
}
