using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// Deployment, ReplicaSet and DaemonSet validation: pkg/apis/apps/validation/validation.go, plus the
/// apps/v1 selector immutability the registry strategies add on update (pkg/registry/apps/*/strategy.go).
/// </summary>
internal static class WorkloadValidator
{
    private static readonly FieldPath s_spec = FieldPath.Root("spec");

    public static List<FieldError> ValidateCreate(string kind, JsonObject obj)
    {
        var errs = MetadataValidator.ValidateCreate(obj, namespaced: true, NameRules.NameIsDnsSubdomain);
        errs.AddRange(ValidateSpec(kind, obj.Obj("spec")));
        return errs;
    }

    public static List<FieldError> ValidateUpdate(string kind, JsonObject obj, JsonObject old)
    {
        var errs = MetadataValidator.ValidateUpdate(obj, old);
        var spec = obj.Obj("spec");
        var oldSpec = old.Obj("spec");
        if (kind == "DaemonSet")
        {
            var generation = spec.Int("templateGeneration");
            var oldGeneration = oldSpec.Int("templateGeneration");
            if (generation < oldGeneration)
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("templateGeneration"), generation, "must not be decremented"));
            }
            var templateUpdated = !JsonNode.DeepEquals(spec?["template"], oldSpec?["template"]);
            if (generation == oldGeneration && templateUpdated && spec.Has("templateGeneration"))
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("templateGeneration"), generation, "must be incremented upon template update"));
            }
            else if (generation > oldGeneration && !templateUpdated)
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("templateGeneration"), generation, "must not be incremented without template update"));
            }
        }
        errs.AddRange(ValidateSpec(kind, spec));
        if (!JsonNode.DeepEquals(LabelSelectors.AsGo(spec.Obj("selector")), LabelSelectors.AsGo(oldSpec.Obj("selector"))))
        {
            errs.Add(FieldErrors.Invalid(s_spec.Child("selector"), BadValue.Json(LabelSelectors.AsGo(spec.Obj("selector"))), "field is immutable"));
        }
        return errs;
    }

    private static List<FieldError> ValidateSpec(string kind, JsonObject? spec)
    {
        var errs = new List<FieldError>();
        var selector = spec.Obj("selector");
        var template = spec.Obj("template");
        var templateLabels = template.Obj("metadata").StringMap("labels");
        if (kind == "DaemonSet")
        {
            errs.AddRange(LabelSelectors.Validate(selector, s_spec.Child("selector")));
            if (LabelSelectors.CanConvert(selector) && !(LabelSelectors.IsEmpty(selector) || LabelSelectors.Matches(selector, templateLabels)))
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("template", "metadata", "labels"), BadValue.Json(template.Obj("metadata").SortedStringMap("labels")), "`selector` does not match template `labels`"));
            }
            if (LabelSelectors.IsEmpty(selector))
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("selector"), BadValue.Json(LabelSelectors.AsGo(selector)), "empty selector is invalid for daemonset"));
            }
            errs.AddRange(ValidatePodTemplateSpec(template, s_spec.Child("template")));
            errs.AddRange(RestartAlwaysOnly(template, s_spec.Child("template"), "DaemonSet"));
            errs.AddRange(MetadataValidator.Nonnegative(spec.Int("minReadySeconds"), s_spec.Child("minReadySeconds")));
            errs.AddRange(MetadataValidator.Nonnegative(spec.Int("templateGeneration"), s_spec.Child("templateGeneration")));
            errs.AddRange(DaemonSetUpdateStrategy(spec.Obj("updateStrategy"), s_spec.Child("updateStrategy")));
            if (spec.IntOrNull("revisionHistoryLimit") is { } limit)
            {
                errs.AddRange(MetadataValidator.Nonnegative(limit, s_spec.Child("revisionHistoryLimit")));
            }
            return errs;
        }

        var replicas = spec.Int("replicas");
        errs.AddRange(MetadataValidator.Nonnegative(replicas, s_spec.Child("replicas")));
        if (kind == "ReplicaSet")
        {
            errs.AddRange(MetadataValidator.Nonnegative(spec.Int("minReadySeconds"), s_spec.Child("minReadySeconds")));
        }
        if (selector is null)
        {
            errs.Add(FieldErrors.Required(s_spec.Child("selector"), ""));
        }
        else
        {
            errs.AddRange(LabelSelectors.Validate(selector, s_spec.Child("selector")));
            if (LabelSelectors.IsEmpty(selector))
            {
                // ReplicaSet shares the Deployment wording upstream.
                errs.Add(FieldErrors.Invalid(s_spec.Child("selector"), BadValue.Json(LabelSelectors.AsGo(selector)), "empty selector is invalid for deployment"));
            }
        }
        if (!LabelSelectors.CanConvert(selector))
        {
            errs.Add(FieldErrors.Invalid(s_spec.Child("selector"), BadValue.Json(LabelSelectors.AsGo(selector)), "invalid label selector"));
        }
        else
        {
            // ValidatePodTemplateSpecForReplicaSet: a nil selector selects nothing, so it never matches.
            if (!LabelSelectors.IsEmpty(selector) && !LabelSelectors.Matches(selector, templateLabels))
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("template", "metadata", "labels"), BadValue.Json(template.Obj("metadata").SortedStringMap("labels")), "`selector` does not match template `labels`"));
            }
            errs.AddRange(ValidatePodTemplateSpec(template, s_spec.Child("template")));
            errs.AddRange(RestartAlwaysOnly(template, s_spec.Child("template"), kind == "Deployment" ? "ReplicaSet" : kind));
        }
        if (kind == "Deployment")
        {
            errs.AddRange(DeploymentStrategy(spec.Obj("strategy"), s_spec.Child("strategy")));
            var minReady = spec.Int("minReadySeconds");
            errs.AddRange(MetadataValidator.Nonnegative(minReady, s_spec.Child("minReadySeconds")));
            if (spec.IntOrNull("revisionHistoryLimit") is { } limit)
            {
                errs.AddRange(MetadataValidator.Nonnegative(limit, s_spec.Child("revisionHistoryLimit")));
            }
            if (spec.IntOrNull("progressDeadlineSeconds") is { } deadline)
            {
                errs.AddRange(MetadataValidator.Nonnegative(deadline, s_spec.Child("progressDeadlineSeconds")));
                if (deadline <= minReady)
                {
                    errs.Add(FieldErrors.Invalid(s_spec.Child("progressDeadlineSeconds"), deadline, "must be greater than minReadySeconds"));
                }
            }
        }
        return errs;
    }

    /// <summary>core ValidatePodTemplateSpec.</summary>
    public static List<FieldError> ValidatePodTemplateSpec(JsonObject? template, FieldPath path)
    {
        var errs = new List<FieldError>();
        var meta = template.Obj("metadata");
        errs.AddRange(MetadataValidator.ValidateLabels(meta.StringMap("labels"), path.Child("labels")));
        errs.AddRange(MetadataValidator.ValidateAnnotations(meta.StringMap("annotations"), path.Child("annotations")));
        errs.AddRange(PodSpecValidator.Validate(template.Obj("spec"), path.Child("spec"), isPod: false));
        if ((template.Obj("spec").Arr("ephemeralContainers")?.Count ?? 0) > 0)
        {
            errs.Add(FieldErrors.Forbidden(path.Child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"));
        }
        return errs;
    }

    private static List<FieldError> RestartAlwaysOnly(JsonObject? template, FieldPath path, string kind)
    {
        var errs = new List<FieldError>();
        var restartPolicy = template.Obj("spec").Str("restartPolicy");
        if (restartPolicy != "Always")
        {
            errs.Add(FieldErrors.NotSupported(path.Child("spec", "restartPolicy"), BadValue.Named(restartPolicy), ["Always"]));
        }
        if (template.Obj("spec").Has("activeDeadlineSeconds"))
        {
            errs.Add(FieldErrors.Forbidden(path.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in " + kind + " is not Supported"));
        }
        return errs;
    }

    private static List<FieldError> DeploymentStrategy(JsonObject? strategy, FieldPath path)
    {
        var errs = new List<FieldError>();
        var type = strategy.Str("type");
        switch (type)
        {
            case "Recreate":
                if (strategy.Has("rollingUpdate"))
                {
                    errs.Add(FieldErrors.Forbidden(path.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"));
                }
                break;
            case "RollingUpdate":
                if (strategy.Obj("rollingUpdate") is not { } rolling)
                {
                    errs.Add(FieldErrors.Required(path.Child("rollingUpdate"), "this should be defaulted and never be nil"));
                    break;
                }
                var maxUnavailable = rolling["maxUnavailable"];
                var maxSurge = rolling["maxSurge"];
                errs.AddRange(PositiveIntOrPercent(maxUnavailable, path.Child("rollingUpdate", "maxUnavailable")));
                errs.AddRange(PositiveIntOrPercent(maxSurge, path.Child("rollingUpdate", "maxSurge")));
                if (IntOrPercentValue(maxUnavailable) == 0 && IntOrPercentValue(maxSurge) == 0)
                {
                    errs.Add(FieldErrors.Invalid(path.Child("rollingUpdate", "maxUnavailable"), IntOrStringValue(maxUnavailable), "may not be 0 when `maxSurge` is 0"));
                }
                errs.AddRange(NotMoreThan100Percent(maxUnavailable, path.Child("rollingUpdate", "maxUnavailable")));
                break;
            default:
                // Upstream passes the internal DeploymentStrategy struct, which marshals without json tags.
                var value = new JsonObject { ["Type"] = type, ["RollingUpdate"] = InternalRollingUpdate(strategy.Obj("rollingUpdate")) };
                errs.Add(FieldErrors.NotSupported(path, BadValue.Json(value), ["Recreate", "RollingUpdate"]));
                break;
        }
        return errs;
    }

    private static List<FieldError> DaemonSetUpdateStrategy(JsonObject? strategy, FieldPath path)
    {
        var errs = new List<FieldError>();
        switch (strategy.Str("type"))
        {
            case "OnDelete":
                break;
            case "RollingUpdate":
                if (strategy.Obj("rollingUpdate") is not { } rolling)
                {
                    errs.Add(FieldErrors.Required(path.Child("rollingUpdate"), ""));
                    break;
                }
                var p = path.Child("rollingUpdate");
                var maxUnavailable = rolling["maxUnavailable"];
                var maxSurge = rolling["maxSurge"];
                errs.AddRange(PositiveIntOrPercent(maxUnavailable, p.Child("maxUnavailable")));
                errs.AddRange(PositiveIntOrPercent(maxSurge, p.Child("maxSurge")));
                errs.AddRange(NotMoreThan100Percent(maxUnavailable, p.Child("maxUnavailable")));
                errs.AddRange(NotMoreThan100Percent(maxSurge, p.Child("maxSurge")));
                var hasUnavailable = IntOrPercentValue(maxUnavailable) != 0;
                var hasSurge = IntOrPercentValue(maxSurge) != 0;
                if (hasUnavailable && hasSurge)
                {
                    errs.Add(FieldErrors.Invalid(p.Child("maxSurge"), IntOrStringValue(maxSurge), "may not be set when maxUnavailable is non-zero"));
                }
                else if (!hasUnavailable && !hasSurge)
                {
                    errs.Add(FieldErrors.Required(p.Child("maxUnavailable"), "cannot be 0 when maxSurge is 0"));
                }
                break;
            default:
                var value = new JsonObject { ["Type"] = strategy.Str("type"), ["RollingUpdate"] = InternalRollingUpdate(strategy.Obj("rollingUpdate")) };
                errs.Add(FieldErrors.NotSupported(path, BadValue.Json(value), ["RollingUpdate", "OnDelete"]));
                break;
        }
        return errs;
    }

    private static JsonObject? InternalRollingUpdate(JsonObject? rolling) =>
        rolling is null ? null : new JsonObject
        {
            ["MaxUnavailable"] = rolling["maxUnavailable"]?.DeepClone() ?? 0,
            ["MaxSurge"] = rolling["maxSurge"]?.DeepClone() ?? 0,
        };

    // An intstr.IntOrString prints as its int or its string through MarshalJSON.
    private static BadValue IntOrStringValue(JsonNode? node)
    {
        var (isInt, number, text) = JsonFields.IntOrString(node);
        return isInt ? BadValue.Json(number) : BadValue.Json(text);
    }

    private static List<FieldError> PositiveIntOrPercent(JsonNode? node, FieldPath path)
    {
        var (isInt, number, text) = JsonFields.IntOrString(node);
        return isInt
            ? MetadataValidator.Nonnegative(number, path)
            : NameRules.IsValidPercent(text).Select(m => FieldErrors.Invalid(path, IntOrStringValue(node), m)).ToList();
    }

    private static long IntOrPercentValue(JsonNode? node)
    {
        var (isInt, number, text) = JsonFields.IntOrString(node);
        if (isInt)
        {
            return number;
        }
        return NameRules.IsValidPercent(text).Count == 0 && long.TryParse(text[..^1], out var percent) ? percent : 0;
    }

    private static List<FieldError> NotMoreThan100Percent(JsonNode? node, FieldPath path)
    {
        var (isInt, _, text) = JsonFields.IntOrString(node);
        if (isInt || NameRules.IsValidPercent(text).Count != 0 || IntOrPercentValue(node) <= 100)
        {
            return [];
        }
        return [FieldErrors.Invalid(path, IntOrStringValue(node), "must not be greater than 100%")];
    }
}
