using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>A name check as <c>ValidateNameFunc</c>: the name and whether it is a generateName prefix.</summary>
public delegate List<string> NameCheck(string name, bool prefix);

/// <summary>
/// ObjectMeta validation: apimachinery pkg/api/validation/objectmeta.go plus core's finalizer-name rule
/// (pkg/apis/core/validation/validation.go ValidateObjectMeta / ValidateObjectMetaUpdate).
/// </summary>
internal static class MetadataValidator
{
    private const int TotalAnnotationSizeLimitB = 256 * (1 << 10);
    private const string FieldImmutable = "field is immutable";
    private static readonly FieldPath s_metadata = FieldPath.Root("metadata");

    public static List<FieldError> ValidateCreate(JsonObject obj, bool namespaced, NameCheck nameCheck, bool kubeFinalizerNames = true)
    {
        var meta = obj.Obj("metadata");
        var errs = new List<FieldError>();
        var generateName = meta.Str("generateName");
        if (generateName.Length != 0)
        {
            errs.AddRange(nameCheck(generateName, true).Select(m => FieldErrors.Invalid(s_metadata.Child("generateName"), generateName, m)));
        }
        var name = meta.Str("name");
        if (name.Length == 0)
        {
            errs.Add(FieldErrors.Required(s_metadata.Child("name"), "name or generateName is required"));
        }
        else
        {
            errs.AddRange(nameCheck(name, false).Select(m => FieldErrors.Invalid(s_metadata.Child("name"), name, m)));
        }
        var ns = meta.Str("namespace");
        if (namespaced)
        {
            if (ns.Length == 0)
            {
                errs.Add(FieldErrors.Required(s_metadata.Child("namespace"), ""));
            }
            else
            {
                errs.AddRange(NameRules.NameIsDnsLabel(ns, false).Select(m => FieldErrors.Invalid(s_metadata.Child("namespace"), ns, m)));
            }
        }
        else if (ns.Length != 0)
        {
            errs.Add(FieldErrors.Forbidden(s_metadata.Child("namespace"), "not allowed on this type"));
        }
        errs.AddRange(Nonnegative(meta.Int("generation"), s_metadata.Child("generation")));
        errs.AddRange(ValidateLabels(meta.StringMap("labels"), s_metadata.Child("labels")));
        errs.AddRange(ValidateAnnotations(meta.StringMap("annotations"), s_metadata.Child("annotations")));
        errs.AddRange(ValidateOwnerReferences(meta.Arr("ownerReferences"), s_metadata.Child("ownerReferences")));
        errs.AddRange(ValidateFinalizers(meta.Arr("finalizers"), s_metadata.Child("finalizers")));
        if (kubeFinalizerNames)
        {
            errs.AddRange(KubeFinalizerNames(meta.Arr("finalizers")));
        }
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old, bool kubeFinalizerNames = true)
    {
        var meta = obj.Obj("metadata");
        var oldMeta = old.Obj("metadata");
        var errs = new List<FieldError>();
        if (oldMeta.Has("deletionTimestamp"))
        {
            var added = meta.Arr("finalizers").Strings().Except(oldMeta.Arr("finalizers").Strings(), StringComparer.Ordinal)
                .Order(StringComparer.Ordinal).ToList();
            if (added.Count != 0)
            {
                var goList = "[]string{" + string.Join(", ", added.Select(GoFormat.Quote)) + "}";
                errs.Add(FieldErrors.Forbidden(s_metadata.Child("finalizers"), "no new finalizers can be added if the object is being deleted, found new finalizers " + goList));
            }
        }
        var resourceVersion = meta.Str("resourceVersion");
        if (resourceVersion.Length == 0)
        {
            errs.Add(FieldErrors.Invalid(s_metadata.Child("resourceVersion"), resourceVersion, "must be specified for an update"));
        }
        var generation = meta.Int("generation");
        errs.AddRange(Nonnegative(generation, s_metadata.Child("generation")));
        if (generation < oldMeta.Int("generation"))
        {
            errs.Add(FieldErrors.Invalid(s_metadata.Child("generation"), generation, "must not be decremented"));
        }
        foreach (var field in new[] { "name", "namespace", "uid" })
        {
            var now = meta.Str(field);
            if (now != oldMeta.Str(field))
            {
                errs.Add(FieldErrors.Invalid(s_metadata.Child(field), now, FieldImmutable));
            }
        }
        foreach (var field in new[] { "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            var now = meta?[field];
            if (!JsonNode.DeepEquals(now, oldMeta?[field]))
            {
                errs.Add(FieldErrors.Invalid(s_metadata.Child(field), BadValue.Json(now?.DeepClone()), FieldImmutable));
            }
        }
        errs.AddRange(ValidateLabels(meta.StringMap("labels"), s_metadata.Child("labels")));
        errs.AddRange(ValidateAnnotations(meta.StringMap("annotations"), s_metadata.Child("annotations")));
        errs.AddRange(ValidateOwnerReferences(meta.Arr("ownerReferences"), s_metadata.Child("ownerReferences")));
        if (kubeFinalizerNames)
        {
            errs.AddRange(KubeFinalizerNames(meta.Arr("finalizers")));
        }
        return errs;
    }

    public static List<FieldError> Nonnegative(long value, FieldPath path) =>
        value < 0 ? [FieldErrors.Invalid(path, value, "must be greater than or equal to 0")] : [];

    /// <summary>metav1 validation.ValidateLabels: keys and values, reported against the map's path.</summary>
    public static List<FieldError> ValidateLabels(IEnumerable<KeyValuePair<string, string>> labels, FieldPath path)
    {
        var errs = new List<FieldError>();
        foreach (var (key, value) in labels)
        {
            errs.AddRange(ValidateLabelName(key, path));
            errs.AddRange(NameRules.IsValidLabelValue(value).Select(m => FieldErrors.Invalid(path, value, m)));
        }
        return errs;
    }

    public static List<FieldError> ValidateLabelName(string key, FieldPath path) =>
        NameRules.IsQualifiedName(key).Select(m => FieldErrors.Invalid(path, key, m)).ToList();

    public static List<FieldError> ValidateAnnotations(IReadOnlyList<KeyValuePair<string, string>> annotations, FieldPath path)
    {
        var errs = new List<FieldError>();
        long total = 0;
        foreach (var (key, value) in annotations)
        {
            errs.AddRange(NameRules.IsQualifiedName(key.ToLowerInvariant()).Select(m => FieldErrors.Invalid(path, key, m)));
            total += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value);
        }
        if (total > TotalAnnotationSizeLimitB)
        {
            errs.Add(FieldErrors.TooLong(path, TotalAnnotationSizeLimitB));
        }
        return errs;
    }

    private static List<FieldError> ValidateOwnerReferences(JsonArray? refs, FieldPath path)
    {
        var errs = new List<FieldError>();
        string? firstController = null;
        foreach (var (i, owner) in refs.Items())
        {
            var p = path.Index(i);
            var apiVersion = owner.Str("apiVersion");
            if (apiVersion.Length == 0)
            {
                errs.Add(FieldErrors.Required(p.Child("apiVersion"), "must not be empty"));
            }
            else if (apiVersion.Count(c => c == '/') > 1 || apiVersion.EndsWith('/'))
            {
                errs.Add(FieldErrors.Invalid(p.Child("apiVersion"), apiVersion, "must be <group>/<version> or <version>"));
            }
            foreach (var field in new[] { "kind", "name", "uid" })
            {
                if (owner.Str(field).Length == 0)
                {
                    errs.Add(FieldErrors.Required(p.Child(field), "must not be empty"));
                }
            }
            if (owner.Bool("controller"))
            {
                var current = owner.Str("kind") + "/" + owner.Str("name");
                if (firstController is not null)
                {
                    errs.Add(FieldErrors.Invalid(path, BadValue.Json(OwnerReferencesAsGo(refs!)),
                        "Only one reference can have Controller set to true. Found \"true\" in references for " + firstController + " and " + current));
                }
                else
                {
                    firstController = current;
                }
            }
        }
        return errs;
    }

    // metav1.OwnerReference marshals in struct order with omitempty on the pointers.
    private static JsonArray OwnerReferencesAsGo(JsonArray refs)
    {
        var result = new JsonArray();
        foreach (var (_, owner) in refs.Items())
        {
            var o = new JsonObject
            {
                ["apiVersion"] = owner.Str("apiVersion"),
                ["kind"] = owner.Str("kind"),
                ["name"] = owner.Str("name"),
                ["uid"] = owner.Str("uid"),
            };
            if (owner.BoolOrNull("controller") is { } controller)
            {
                o["controller"] = controller;
            }
            if (owner.BoolOrNull("blockOwnerDeletion") is { } block)
            {
                o["blockOwnerDeletion"] = block;
            }
            result.Add(o);
        }
        return result;
    }

    private static List<FieldError> ValidateFinalizers(JsonArray? finalizers, FieldPath path)
    {
        var errs = new List<FieldError>();
        var names = finalizers.Strings();
        foreach (var name in names)
        {
            errs.AddRange(NameRules.IsQualifiedName(name).Select(m => FieldErrors.Invalid(path, name, m)));
        }
        if (names.Contains("orphan") && names.Contains("foregroundDeletion"))
        {
            errs.Add(FieldErrors.Invalid(path, BadValue.Json(finalizers!.DeepClone()), "finalizer orphan and foregroundDeletion cannot be both set"));
        }
        return errs;
    }

    private static IEnumerable<FieldError> KubeFinalizerNames(JsonArray? finalizers)
    {
        var names = finalizers.Strings();
        for (var i = 0; i < names.Count; i++)
        {
            if (KubeFinalizerNameError(names[i]) is { } message)
            {
                yield return FieldErrors.Invalid(s_metadata.Child("finalizers").Index(i), names[i], message);
            }
        }
    }

    /// <summary>core validateKubeFinalizerName: unqualified names must be one of the standard finalizers.</summary>
    public static string? KubeFinalizerNameError(string name) =>
        !name.Contains('/', StringComparison.Ordinal) && name is not ("kubernetes" or "orphan" or "foregroundDeletion")
            ? "name is neither a standard finalizer name nor is it fully qualified"
            : null;
}
