using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>Pod validation: ValidatePodCreate / ValidatePodUpdate in pkg/apis/core/validation/validation.go.</summary>
internal static class PodValidator
{
    private static readonly FieldPath s_spec = FieldPath.Root("spec");

    // The fields pod updates may change; joined with "," as upstream prints them.
    private static readonly string[] s_updatablePodSpecFields =
    [
        "`spec.containers[*].image`",
        "`spec.initContainers[*].image`",
        "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    ];

    public static List<FieldError> ValidateCreate(JsonObject pod)
    {
        var errs = MetadataAndSpec(pod);
        var spec = pod.Obj("spec");
        if ((spec.Arr("ephemeralContainers")?.Count ?? 0) > 0)
        {
            errs.Add(FieldErrors.Forbidden(s_spec.Child("ephemeralContainers"), "cannot be set on create"));
        }
        if (spec.Str("nodeName").Length > 0 && (spec.Arr("schedulingGates")?.Count ?? 0) > 0)
        {
            errs.Add(FieldErrors.Forbidden(s_spec.Child("nodeName"), "cannot be set until all schedulingGates have been cleared"));
        }
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject pod, JsonObject old)
    {
        var errs = MetadataValidator.ValidateUpdate(pod, old);
        errs.AddRange(MetadataAndSpec(pod));
        var spec = pod.Obj("spec");
        var oldSpec = old.Obj("spec");
        foreach (var list in new[] { "containers", "initContainers" })
        {
            var now = spec.Arr(list);
            if ((now?.Count ?? 0) != (oldSpec.Arr(list)?.Count ?? 0))
            {
                errs.Add(FieldErrors.Forbidden(s_spec.Child(list), "pod updates may not add or remove containers"));
                return errs;
            }
            foreach (var (i, container) in now.Items())
            {
                var image = container.Str("image");
                if (image.Length == 0)
                {
                    errs.Add(FieldErrors.Required(s_spec.Child(list).Index(i).Child("image"), ""));
                }
                if (image.Trim().Length != image.Length)
                {
                    errs.Add(FieldErrors.Invalid(s_spec.Child(list).Index(i).Child("image"), image, "must not have leading or trailing whitespace"));
                }
            }
        }
        if (spec.IntOrNull("activeDeadlineSeconds") is { } deadline)
        {
            if (deadline is < 0 or > int.MaxValue)
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("activeDeadlineSeconds"), deadline, NameRules.InclusiveRangeError(0, int.MaxValue)));
                return errs;
            }
            if (oldSpec.IntOrNull("activeDeadlineSeconds") is { } oldDeadline && oldDeadline < deadline)
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("activeDeadlineSeconds"), deadline, "must be less than or equal to previous value"));
                return errs;
            }
        }
        else if (oldSpec.Has("activeDeadlineSeconds"))
        {
            errs.Add(FieldErrors.Invalid(s_spec.Child("activeDeadlineSeconds"), BadValue.Json(null), "must not update from a positive integer to nil value"));
        }

        // Compare the specs with the updatable fields taken from the old pod, as upstream's munging does.
        var munged = (JsonObject?)spec?.DeepClone() ?? [];
        foreach (var list in new[] { "containers", "initContainers" })
        {
            var oldList = oldSpec.Arr(list);
            foreach (var (i, container) in munged.Arr(list).Items())
            {
                container["image"] = oldList?[i]?["image"]?.DeepClone();
            }
        }
        foreach (var field in new[] { "activeDeadlineSeconds", "schedulingGates", "tolerations" })
        {
            munged[field] = oldSpec?[field]?.DeepClone();
        }
        if (!JsonNode.DeepEquals(WithoutNulls(munged), WithoutNulls(oldSpec)))
        {
            // Upstream appends a cmp.Diff of the two specs, which cannot be reproduced byte for byte;
            // this prints the top-level fields that differ instead.
            var changed = munged.Select(kv => kv.Key).Union(oldSpec?.Select(kv => kv.Key) ?? [])
                .Where(k => !JsonNode.DeepEquals(WithoutNulls(munged[k]), WithoutNulls(oldSpec?[k])))
                .Order(StringComparer.Ordinal);
            errs.Add(FieldErrors.Forbidden(s_spec, "pod updates may not change fields other than "
                + string.Join(",", s_updatablePodSpecFields) + "\n  changed: " + string.Join(", ", changed)));
        }
        return errs;
    }

    private static List<FieldError> MetadataAndSpec(JsonObject pod)
    {
        var errs = MetadataValidator.ValidateCreate(pod, namespaced: true, NameRules.NameIsDnsSubdomain);
        var spec = pod.Obj("spec");
        errs.AddRange(PodSpecValidator.Validate(spec, s_spec, isPod: true));
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var (i, container) in spec.Arr(list).Items())
            {
                var image = container.Str("image");
                if (image.Length != image.Trim().Length)
                {
                    errs.Add(FieldErrors.Invalid(s_spec.Child(list).Index(i).Child("image"), image, "must not have leading or trailing whitespace"));
                }
            }
        }
        return errs;
    }

    private static JsonNode? WithoutNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (k, v) in obj)
                {
                    if (v is not null)
                    {
                        copy[k] = WithoutNulls(v);
                    }
                }
                return copy;
            case JsonArray array:
                return new JsonArray(array.Select(WithoutNulls).ToArray());
            default:
                return node?.DeepClone();
        }
    }
}
