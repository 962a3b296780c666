using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>Namespace validation: ValidateNamespace / ValidateNamespaceUpdate (pkg/apis/core/validation).</summary>
internal static class NamespaceValidator
{
    public static List<FieldError> ValidateCreate(JsonObject ns)
    {
        var errs = MetadataValidator.ValidateCreate(ns, namespaced: false, NameRules.NameIsDnsLabel);
        var path = FieldPath.Root("spec").Child("finalizers");
        foreach (var finalizer in ns.Obj("spec").Arr("finalizers").Strings())
        {
            errs.AddRange(NameRules.IsQualifiedName(finalizer).Select(m => FieldErrors.Invalid(path, finalizer, m)));
            if (MetadataValidator.KubeFinalizerNameError(finalizer) is { } message)
            {
                errs.Add(FieldErrors.Invalid(path, finalizer, message));
            }
        }
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject ns, JsonObject old) => MetadataValidator.ValidateUpdate(ns, old);
}

/// <summary>Node validation: ValidateNode / ValidateNodeUpdate (pkg/apis/core/validation), without resources.</summary>
internal static class NodeValidator
{
    private static readonly FieldPath s_podCidrs = FieldPath.Root("spec").Child("podCIDRs");

    public static List<FieldError> ValidateCreate(JsonObject node)
    {
        var errs = MetadataValidator.ValidateCreate(node, namespaced: false, NameRules.NameIsDnsSubdomain);
        errs.AddRange(Taints(node.Obj("spec").Arr("taints")));
        var cidrs = node.Obj("spec").Arr("podCIDRs").Strings();
        for (var i = 0; i < cidrs.Count; i++)
        {
            errs.AddRange(IpRules.IsValidCIDR(s_podCidrs.Index(i), cidrs[i]));
        }
        if (cidrs.Count > 1)
        {
            var families = cidrs.Select(IpRules.CidrFamily).ToList();
            if (!(families.Contains(4) && families.Contains(6)) || cidrs.Count > 2)
            {
                errs.Add(FieldErrors.Invalid(s_podCidrs, BadValue.Json(node.Obj("spec").Arr("podCIDRs")!.DeepClone()), "may specify no more than one CIDR for each IP family"));
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < cidrs.Count; i++)
            {
                if (!seen.Add(cidrs[i]))
                {
                    errs.Add(FieldErrors.Duplicate(s_podCidrs.Index(i), cidrs[i]));
                }
            }
        }
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject node, JsonObject old)
    {
        var errs = MetadataValidator.ValidateUpdate(node, old);
        var cidrs = node.Obj("spec").Arr("podCIDRs").Strings();
        var oldCidrs = old.Obj("spec").Arr("podCIDRs").Strings();
        if (oldCidrs.Count > 0)
        {
            const string message = "node updates may not change podCIDR except from \"\" to valid";
            if (oldCidrs.Count != cidrs.Count)
            {
                errs.Add(FieldErrors.Forbidden(s_podCidrs, message));
            }
            else
            {
                errs.AddRange(oldCidrs.Where((c, i) => c != cidrs[i]).Select(_ => FieldErrors.Forbidden(s_podCidrs, message)));
            }
        }
        var providerID = old.Obj("spec").Str("providerID");
        if (providerID.Length > 0 && providerID != node.Obj("spec").Str("providerID"))
        {
            errs.Add(FieldErrors.Forbidden(FieldPath.Root("spec").Child("providerID"), "node updates may not change providerID except from \"\" to valid"));
        }
        errs.AddRange(Taints(node.Obj("spec").Arr("taints")));
        return errs;
    }

    // Upstream reports taint errors under metadata.taints.
    private static List<FieldError> Taints(JsonArray? taints)
    {
        var errs = new List<FieldError>();
        var path = FieldPath.Root("metadata").Child("taints");
        var unique = new HashSet<(string, string)>();
        foreach (var (i, taint) in taints.Items())
        {
            var p = path.Index(i);
            errs.AddRange(MetadataValidator.ValidateLabelName(taint.Str("key"), p.Child("key")));
            var value = taint.Str("value");
            if (NameRules.IsValidLabelValue(value) is { Count: > 0 } valueErrs)
            {
                errs.Add(FieldErrors.Invalid(p.Child("value"), value, string.Join(";", valueErrs)));
            }
            var effect = taint.Str("effect");
            if (effect.Length == 0)
            {
                errs.Add(FieldErrors.Required(p.Child("effect"), ""));
            }
            else if (effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
            {
                errs.Add(FieldErrors.NotSupported(p.Child("effect"), BadValue.Named(effect), ["NoSchedule", "PreferNoSchedule", "NoExecute"]));
            }
            if (!unique.Add((effect, taint.Str("key"))))
            {
                // The internal core.Taint marshals without json tags.
                var value2 = new JsonObject { ["Key"] = taint.Str("key"), ["Value"] = value, ["Effect"] = effect, ["TimeAdded"] = taint["timeAdded"]?.DeepClone() };
                errs.Add(FieldErrors.Duplicate(p, BadValue.Json(value2), "taints must be unique by key and effect pair"));
            }
        }
        return errs;
    }
}

/// <summary>ConfigMap validation: ValidateConfigMap / ValidateConfigMapUpdate (pkg/apis/core/validation).</summary>
internal static class ConfigMapValidator
{
    public const int MaxSize = 1024 * 1024;

    public static List<FieldError> ValidateCreate(JsonObject cm)
    {
        var errs = MetadataValidator.ValidateCreate(cm, namespaced: true, NameRules.NameIsDnsSubdomain);
        var binary = cm.Obj("binaryData");
        long total = 0;
        foreach (var (key, value) in cm.StringMap("data"))
        {
            var path = FieldPath.Root("data").Key(key);
            errs.AddRange(NameRules.IsConfigMapKey(key).Select(m => FieldErrors.Invalid(path, key, m)));
            if (binary?.ContainsKey(key) == true)
            {
                errs.Add(FieldErrors.Invalid(path, key, "duplicate of key present in binaryData"));
            }
            total += System.Text.Encoding.UTF8.GetByteCount(value);
        }
        foreach (var (key, value) in cm.StringMap("binaryData"))
        {
            errs.AddRange(NameRules.IsConfigMapKey(key).Select(m => FieldErrors.Invalid(FieldPath.Root("binaryData").Key(key), key, m)));
            total += SecretValidator.DecodedLength(value);
        }
        if (total > MaxSize)
        {
            errs.Add(FieldErrors.TooLong(FieldPath.Root(""), MaxSize));
        }
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject cm, JsonObject old)
    {
        var errs = MetadataValidator.ValidateUpdate(cm, old);
        if (old.Bool("immutable"))
        {
            if (!cm.Bool("immutable"))
            {
                errs.Add(FieldErrors.Forbidden(FieldPath.Root("immutable"), "field is immutable when `immutable` is set"));
            }
            foreach (var field in new[] { "data", "binaryData" })
            {
                if (!JsonNode.DeepEquals(cm[field], old[field]))
                {
                    errs.Add(FieldErrors.Forbidden(FieldPath.Root(field), "field is immutable when `immutable` is set"));
                }
            }
        }
        errs.AddRange(ValidateCreate(cm));
        return errs;
    }
}

/// <summary>Secret validation: ValidateSecret / ValidateSecretUpdate (pkg/apis/core/validation).</summary>
internal static class SecretValidator
{
    public static List<FieldError> ValidateCreate(JsonObject secret)
    {
        var errs = MetadataValidator.ValidateCreate(secret, namespaced: true, NameRules.NameIsDnsSubdomain);
        var dataPath = FieldPath.Root("data");
        // stringData is merged into data by conversion before upstream validates.
        var data = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in secret.StringMap("data"))
        {
            data[key] = DecodedLength(value);
        }
        foreach (var (key, value) in secret.StringMap("stringData"))
        {
            data[key] = System.Text.Encoding.UTF8.GetByteCount(value);
        }
        foreach (var key in data.Keys)
        {
            errs.AddRange(NameRules.IsConfigMapKey(key).Select(m => FieldErrors.Invalid(dataPath.Key(key), key, m)));
        }
        if (data.Values.Sum() > ConfigMapValidator.MaxSize)
        {
            errs.Add(FieldErrors.TooLong(dataPath, ConfigMapValidator.MaxSize));
        }
        switch (secret.Str("type"))
        {
            case "kubernetes.io/service-account-token":
                if (secret.Obj("metadata").Obj("annotations").Str("kubernetes.io/service-account.name").Length == 0)
                {
                    errs.Add(FieldErrors.Required(FieldPath.Root("metadata").Child("annotations").Key("kubernetes.io/service-account.name"), ""));
                }
                break;
            case "kubernetes.io/dockercfg" when !data.ContainsKey(".dockercfg"):
                errs.Add(FieldErrors.Required(dataPath.Key(".dockercfg"), ""));
                break;
            case "kubernetes.io/dockerconfigjson" when !data.ContainsKey(".dockerconfigjson"):
                errs.Add(FieldErrors.Required(dataPath.Key(".dockerconfigjson"), ""));
                break;
            case "kubernetes.io/basic-auth" when !data.ContainsKey("username") && !data.ContainsKey("password"):
                errs.Add(FieldErrors.Required(dataPath.Key("username"), ""));
                errs.Add(FieldErrors.Required(dataPath.Key("password"), ""));
                break;
            case "kubernetes.io/ssh-auth" when data.GetValueOrDefault("ssh-privatekey") == 0:
                errs.Add(FieldErrors.Required(dataPath.Key("ssh-privatekey"), ""));
                break;
            case "kubernetes.io/tls":
                if (!data.ContainsKey("tls.crt"))
                {
                    errs.Add(FieldErrors.Required(dataPath.Key("tls.crt"), ""));
                }
                if (!data.ContainsKey("tls.key"))
                {
                    errs.Add(FieldErrors.Required(dataPath.Key("tls.key"), ""));
                }
                break;
        }
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject secret, JsonObject old)
    {
        var errs = MetadataValidator.ValidateUpdate(secret, old);
        var type = secret.Str("type");
        if (type != old.Str("type"))
        {
            errs.Add(FieldErrors.Invalid(FieldPath.Root("type"), BadValue.Named(type), "field is immutable"));
        }
        if (old.Bool("immutable"))
        {
            if (!secret.Bool("immutable"))
            {
                errs.Add(FieldErrors.Forbidden(FieldPath.Root("immutable"), "field is immutable when `immutable` is set"));
            }
            if (!JsonNode.DeepEquals(secret["data"], old["data"]))
            {
                errs.Add(FieldErrors.Forbidden(FieldPath.Root("data"), "field is immutable when `immutable` is set"));
            }
        }
        errs.AddRange(ValidateCreate(secret));
        return errs;
    }

    /// <summary>The byte length of a base64 value as the []byte field holds it.</summary>
    public static long DecodedLength(string base64)
    {
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, buffer, out var written) ? written : base64.Length;
    }
}

/// <summary>Lease validation: pkg/apis/coordination/validation/validation.go (ObjectMeta and spec durations).</summary>
internal static class LeaseValidator
{
    private static readonly FieldPath s_spec = FieldPath.Root("spec");

    public static List<FieldError> ValidateCreate(JsonObject lease)
    {
        var errs = MetadataValidator.ValidateCreate(lease, namespaced: true, NameRules.NameIsDnsSubdomain, kubeFinalizerNames: false);
        errs.AddRange(Spec(lease.Obj("spec")));
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject lease, JsonObject old)
    {
        var errs = MetadataValidator.ValidateUpdate(lease, old, kubeFinalizerNames: false);
        errs.AddRange(Spec(lease.Obj("spec")));
        return errs;
    }

    private static List<FieldError> Spec(JsonObject? spec)
    {
        var errs = new List<FieldError>();
        if (spec.IntOrNull("leaseDurationSeconds") is { } duration && duration <= 0)
        {
            errs.Add(FieldErrors.Invalid(s_spec.Child("leaseDurationSeconds"), duration, "must be greater than 0"));
        }
        if (spec.IntOrNull("leaseTransitions") is { } transitions && transitions < 0)
        {
            errs.Add(FieldErrors.Invalid(s_spec.Child("leaseTransitions"), transitions, "must be greater than or equal to 0"));
        }
        if (spec.StrOrNull("strategy") is { } strategy && strategy != "OldestEmulationVersion")
        {
            errs.Add(FieldErrors.NotSupported(s_spec.Child("strategy"), BadValue.Named(strategy), ["OldestEmulationVersion"]));
        }
        if (spec.StrOrNull("preferredHolder") is { Length: > 0 } && spec.Str("strategy").Length == 0)
        {
            errs.Add(FieldErrors.Forbidden(s_spec.Child("preferredHolder"), "may only be specified if `strategy` is defined"));
        }
        return errs;
    }
}
