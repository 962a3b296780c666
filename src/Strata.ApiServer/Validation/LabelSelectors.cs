using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// metav1.LabelSelector validation (apimachinery pkg/apis/meta/v1/validation) and matching
/// (LabelSelectorAsSelector: nil selects nothing, empty selects everything).
/// </summary>
internal static class LabelSelectors
{
    public static List<FieldError> Validate(JsonObject? selector, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (selector is null)
        {
            return errs;
        }
        errs.AddRange(MetadataValidator.ValidateLabels(selector.StringMap("matchLabels"), path.Child("matchLabels")));
        foreach (var (i, expr) in selector.Arr("matchExpressions").Items())
        {
            var p = path.Child("matchExpressions").Index(i);
            var op = expr.Str("operator");
            var values = expr.Arr("values").Strings();
            switch (op)
            {
                case "In" or "NotIn":
                    if (values.Count == 0)
                    {
                        errs.Add(FieldErrors.Required(p.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
                    }
                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count > 0)
                    {
                        errs.Add(FieldErrors.Forbidden(p.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                    }
                    break;
                default:
                    errs.Add(FieldErrors.Invalid(p.Child("operator"), BadValue.Named(op), "not a valid selector operator"));
                    break;
            }
            errs.AddRange(MetadataValidator.ValidateLabelName(expr.Str("key"), p.Child("key")));
            for (var v = 0; v < values.Count; v++)
            {
                errs.AddRange(NameRules.IsValidLabelValue(values[v]).Select(m => FieldErrors.Invalid(p.Child("values").Index(v), values[v], m)));
            }
        }
        return errs;
    }

    /// <summary>False when LabelSelectorAsSelector would return an error.</summary>
    public static bool CanConvert(JsonObject? selector)
    {
        if (selector is null)
        {
            return true;
        }
        foreach (var (key, value) in selector.StringMap("matchLabels"))
        {
            if (NameRules.IsQualifiedName(key).Count > 0 || NameRules.IsValidLabelValue(value).Count > 0)
            {
                return false;
            }
        }
        foreach (var (_, expr) in selector.Arr("matchExpressions").Items())
        {
            var values = expr.Arr("values").Strings();
            var ok = expr.Str("operator") switch
            {
                "In" or "NotIn" => values.Count > 0,
                "Exists" or "DoesNotExist" => values.Count == 0,
                _ => false,
            };
            if (!ok || NameRules.IsQualifiedName(expr.Str("key")).Count > 0 || values.Any(v => NameRules.IsValidLabelValue(v).Count > 0))
            {
                return false;
            }
        }
        return true;
    }

    public static bool IsEmpty(JsonObject? selector) =>
        selector is not null && selector.StringMap("matchLabels").Count == 0 && (selector.Arr("matchExpressions")?.Count ?? 0) == 0;

    public static bool Matches(JsonObject? selector, IReadOnlyList<KeyValuePair<string, string>> labels)
    {
        if (selector is null)
        {
            return false;
        }
        var set = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in labels)
        {
            set[k] = v;
        }
        foreach (var (key, value) in selector.StringMap("matchLabels"))
        {
            if (!set.TryGetValue(key, out var have) || have != value)
            {
                return false;
            }
        }
        foreach (var (_, expr) in selector.Arr("matchExpressions").Items())
        {
            var key = expr.Str("key");
            var values = expr.Arr("values").Strings();
            var present = set.TryGetValue(key, out var have);
            var ok = expr.Str("operator") switch
            {
                "In" => present && values.Contains(have!),
                "NotIn" => !present || !values.Contains(have!),
                "Exists" => present,
                "DoesNotExist" => !present,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A *metav1.LabelSelector as json.Marshal prints it (matchLabels sorted, omitempty).</summary>
    public static JsonNode? AsGo(JsonObject? selector)
    {
        if (selector is null)
        {
            return null;
        }
        var result = new JsonObject();
        if (selector.SortedStringMap("matchLabels") is { Count: > 0 } labels)
        {
            result["matchLabels"] = labels;
        }
        if (selector.Arr("matchExpressions") is { Count: > 0 } exprs)
        {
            var list = new JsonArray();
            foreach (var (_, expr) in exprs.Items())
            {
                var e = new JsonObject { ["key"] = expr.Str("key"), ["operator"] = expr.Str("operator") };
                if (expr.Arr("values") is { Count: > 0 } values)
                {
                    e["values"] = values.DeepClone();
                }
                list.Add(e);
            }
            result["matchExpressions"] = list;
        }
        return result;
    }
}
