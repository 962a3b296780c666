using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>IngressClass validation: pkg/apis/networking/validation/validation.go ValidateIngressClass.</summary>
internal static class IngressClassValidator
{
    private const int MaxControllerLength = 250;
    private static readonly FieldPath s_spec = FieldPath.Root("spec");

    public static List<FieldError> ValidateCreate(JsonObject obj)
    {
        var errs = MetadataValidator.ValidateCreate(obj, namespaced: false, NameRules.NameIsDnsSubdomain);
        var spec = obj.Obj("spec");
        var controller = spec.Str("controller");
        if (controller.Length == 0)
        {
            errs.Add(FieldErrors.Required(s_spec.Child("controller"), ""));
        }
        else
        {
            if (System.Text.Encoding.UTF8.GetByteCount(controller) > MaxControllerLength)
            {
                errs.Add(FieldErrors.TooLong(s_spec.Child("controller"), MaxControllerLength));
            }
            errs.AddRange(NameRules.IsDomainPrefixedPath(s_spec.Child("controller"), controller));
        }
        if (spec.Obj("parameters") is { } parameters)
        {
            errs.AddRange(Parameters(parameters, s_spec.Child("parameters")));
        }
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var errs = MetadataValidator.ValidateUpdate(obj, old);
        var controller = obj.Obj("spec").Str("controller");
        if (controller != old.Obj("spec").Str("controller"))
        {
            errs.Add(FieldErrors.Invalid(s_spec.Child("controller"), controller, "field is immutable"));
        }
        errs.AddRange(ValidateCreate(obj));
        return errs;
    }

    private static List<FieldError> Parameters(JsonObject parameters, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (parameters.StrOrNull("apiGroup") is { } group)
        {
            errs.AddRange(NameRules.IsDns1123Subdomain(group).Select(m => FieldErrors.Invalid(path.Child("apiGroup"), group, m)));
        }
        foreach (var field in new[] { "kind", "name" })
        {
            var value = parameters.Str(field);
            if (value.Length == 0)
            {
                errs.Add(FieldErrors.Required(path.Child(field), ""));
            }
            else
            {
                errs.AddRange(NameRules.IsPathSegmentName(value).Select(m => FieldErrors.Invalid(path.Child(field), value, m)));
            }
        }
        if (parameters.StrOrNull("scope") is not { } scope)
        {
            errs.Add(FieldErrors.Required(path.Child("scope"), ""));
            return errs;
        }
        if (scope is not ("Namespace" or "Cluster"))
        {
            errs.Add(FieldErrors.NotSupported(path.Child("scope"), scope, ["Cluster", "Namespace"]));
            return errs;
        }
        var ns = parameters.StrOrNull("namespace");
        if (scope == "Namespace")
        {
            if (ns is null)
            {
                errs.Add(FieldErrors.Required(path.Child("namespace"), "`parameters.scope` is set to 'Namespace'"));
            }
            else
            {
                errs.AddRange(NameRules.NameIsDnsLabel(ns, false).Select(m => FieldErrors.Invalid(path.Child("namespace"), ns, m)));
            }
        }
        if (scope == "Cluster" && ns is not null)
        {
            errs.Add(FieldErrors.Forbidden(path.Child("namespace"), "`parameters.scope` is set to 'Cluster'"));
        }
        return errs;
    }
}
