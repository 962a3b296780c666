using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// PodSpec validation as pkg/apis/core/validation/validation.go ValidatePodSpec does it, for the parts a
/// cluster network needs: containers and their ports, probes, env, volume names and mounts, restart and DNS
/// policy, host networking, DNS config, tolerations and the name-like fields. Resource quantities, security
/// contexts, affinity and topology spread are not checked.
/// </summary>
internal static class PodSpecValidator
{
    private static readonly string[] s_volumeSources =
    [
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
        "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
        "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
        "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
    ];

    /// <summary>ValidatePodSpec; <paramref name="isPod"/> is PodValidationOptions.ResourceIsPod.</summary>
    public static List<FieldError> Validate(JsonObject? spec, FieldPath path, bool isPod)
    {
        var errs = new List<FieldError>();
        if (!spec.Has("terminationGracePeriodSeconds"))
        {
            errs.Add(FieldErrors.Required(path.Child("terminationGracePeriodSeconds"), ""));
        }
        var volumes = ValidateVolumes(spec.Arr("volumes"), path.Child("volumes"), errs);
        var restartPolicy = spec.Str("restartPolicy");
        var containers = spec.Arr("containers");
        var initContainers = spec.Arr("initContainers");
        errs.AddRange(ValidateContainers(containers, volumes, path.Child("containers")));
        errs.AddRange(ValidateInitContainers(initContainers, containers, volumes, path.Child("initContainers")));
        if (spec.Bool("hostNetwork"))
        {
            foreach (var (c, container) in containers.Items())
            {
                foreach (var (p, port) in container.Arr("ports").Items())
                {
                    var hostPort = port.Int("hostPort");
                    if ((isPod || hostPort != 0) && hostPort != port.Int("containerPort"))
                    {
                        errs.Add(FieldErrors.Invalid(path.Child("containers").Index(c).Child("ports").Index(p).Child("hostPort"), hostPort, "must match `containerPort` when `hostNetwork` is true"));
                    }
                }
            }
        }
        errs.AddRange(Enum(restartPolicy, path.Child("restartPolicy"), ["Always", "OnFailure", "Never"], sorted: false));
        errs.AddRange(Enum(spec.Str("dnsPolicy"), path.Child("dnsPolicy"), ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"], sorted: false));
        errs.AddRange(MetadataValidator.ValidateLabels(spec.StringMap("nodeSelector"), path.Child("nodeSelector")));
        errs.AddRange(ValidateDnsConfig(spec.Obj("dnsConfig"), spec.Str("dnsPolicy"), path.Child("dnsConfig")));
        foreach (var (i, gate) in spec.Arr("readinessGates").Items())
        {
            var condition = gate.Str("conditionType");
            errs.AddRange(MetadataValidator.ValidateLabelName(condition, path.Child("readinessGates").Index(i).Child("conditionType")));
        }
        NameField(spec.Str("serviceAccountName"), path.Child("serviceAccountName"), NameRules.NameIsDnsSubdomain, errs);
        NameField(spec.Str("nodeName"), path.Child("nodeName"), NameRules.NameIsDnsSubdomain, errs);
        if (spec.IntOrNull("activeDeadlineSeconds") is { } deadline && deadline is < 1 or > int.MaxValue)
        {
            errs.Add(FieldErrors.Invalid(path.Child("activeDeadlineSeconds"), deadline, NameRules.InclusiveRangeError(1, int.MaxValue)));
        }
        foreach (var field in new[] { "hostname", "subdomain" })
        {
            var value = spec.Str(field);
            if (value.Length > 0)
            {
                errs.AddRange(NameRules.IsDns1123Label(value).Select(m => FieldErrors.Invalid(path.Child(field), value, m)));
            }
        }
        errs.AddRange(ValidateTolerations(spec.Arr("tolerations"), path.Child("tolerations")));
        foreach (var (i, alias) in spec.Arr("hostAliases").Items())
        {
            errs.AddRange(IpRules.IsValidIP(path.Child("hostAliases").Index(i).Child("ip"), alias.Str("ip")));
            var hostnames = alias.Arr("hostnames").Strings();
            for (var j = 0; j < hostnames.Count; j++)
            {
                errs.AddRange(NameRules.IsDns1123Subdomain(hostnames[j]).Select(m => FieldErrors.Invalid(path.Child("hostAliases").Index(i).Child("hostnames").Index(j), hostnames[j], m)));
            }
        }
        NameField(spec.Str("priorityClassName"), path.Child("priorityClassName"), NameRules.NameIsDnsSubdomain, errs);
        if (spec.StrOrNull("preemptionPolicy") is { } preemption)
        {
            errs.AddRange(Enum(preemption, path.Child("preemptionPolicy"), ["PreemptLowerPriority", "Never"], sorted: false));
        }
        return errs;
    }

    private static void NameField(string value, FieldPath path, NameCheck check, List<FieldError> errs)
    {
        if (value.Length > 0)
        {
            errs.AddRange(check(value, false).Select(m => FieldErrors.Invalid(path, value, m)));
        }
    }

    /// <summary>The usual enum rule: empty is Required, anything else not listed is NotSupported (value printed as JSON).</summary>
    public static List<FieldError> Enum(string value, FieldPath path, string[] valid, bool sorted = true)
    {
        if (value.Length == 0)
        {
            return [FieldErrors.Required(path, "")];
        }
        if (valid.Contains(value))
        {
            return [];
        }
        return [FieldErrors.NotSupported(path, BadValue.Named(value), sorted ? valid.Order(StringComparer.Ordinal) : valid)];
    }

    private static HashSet<string> ValidateVolumes(JsonArray? volumes, FieldPath path, List<FieldError> errs)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, volume) in volumes.Items())
        {
            var p = path.Index(i);
            var el = new List<FieldError>();
            var count = 0;
            foreach (var source in s_volumeSources)
            {
                if (!volume.Has(source))
                {
                    continue;
                }
                if (count > 0)
                {
                    el.Add(FieldErrors.Forbidden(p.Child(source), "may not specify more than 1 volume type"));
                    continue;
                }
                count++;
                el.AddRange(ValidateVolumeSource(source, volume.Obj(source), p.Child(source)));
            }
            if (count == 0)
            {
                el.Add(FieldErrors.Required(p, "must specify a volume type"));
            }
            var name = volume.Str("name");
            if (name.Length == 0)
            {
                el.Add(FieldErrors.Required(p.Child("name"), ""));
            }
            else
            {
                el.AddRange(NameRules.IsDns1123Label(name).Select(m => FieldErrors.Invalid(p.Child("name"), name, m)));
            }
            if (names.Contains(name))
            {
                el.Add(FieldErrors.Duplicate(p.Child("name"), name));
            }
            if (el.Count == 0)
            {
                names.Add(name);
            }
            else
            {
                errs.AddRange(el);
            }
        }
        return names;
    }

    private static List<FieldError> ValidateVolumeSource(string kind, JsonObject? source, FieldPath path)
    {
        var errs = new List<FieldError>();
        switch (kind)
        {
            case "hostPath" when source.Str("path").Length == 0:
                errs.Add(FieldErrors.Required(path.Child("path"), ""));
                break;
            case "secret" when source.Str("secretName").Length == 0:
                errs.Add(FieldErrors.Required(path.Child("secretName"), ""));
                break;
            case "configMap" when source.Str("name").Length == 0:
                errs.Add(FieldErrors.Required(path.Child("name"), ""));
                break;
            case "persistentVolumeClaim" when source.Str("claimName").Length == 0:
                errs.Add(FieldErrors.Required(path.Child("claimName"), ""));
                break;
        }
        return errs;
    }

    private static List<FieldError> ValidateContainers(JsonArray? containers, HashSet<string> volumes, FieldPath path)
    {
        var errs = new List<FieldError>();
        if ((containers?.Count ?? 0) == 0)
        {
            errs.Add(FieldErrors.Required(path, ""));
            return errs;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, container) in containers.Items())
        {
            var p = path.Index(i);
            errs.AddRange(ValidateContainerCommon(container, volumes, p));
            var name = container.Str("name");
            if (!names.Add(name))
            {
                errs.Add(FieldErrors.Duplicate(p.Child("name"), name));
            }
            if (container.Obj("lifecycle") is { } lifecycle)
            {
                foreach (var hook in new[] { "postStart", "preStop" })
                {
                    if (lifecycle.Obj(hook) is { } handler)
                    {
                        errs.AddRange(ValidateHandler(handler, p.Child("lifecycle").Child(hook), probe: false));
                    }
                }
            }
            errs.AddRange(ValidateProbe(container.Obj("livenessProbe"), p.Child("livenessProbe"), successMustBeOne: true));
            errs.AddRange(ValidateProbe(container.Obj("readinessProbe"), p.Child("readinessProbe"), successMustBeOne: false));
            errs.AddRange(ValidateProbe(container.Obj("startupProbe"), p.Child("startupProbe"), successMustBeOne: true));
            if (container.Has("restartPolicy"))
            {
                errs.Add(FieldErrors.Forbidden(p.Child("restartPolicy"), "may not be set for non-init containers"));
            }
        }
        errs.AddRange(HostPortConflicts(containers.Items().ToList(), path));
        return errs;
    }

    private static List<FieldError> ValidateInitContainers(JsonArray? initContainers, JsonArray? containers, HashSet<string> volumes, FieldPath path)
    {
        var errs = new List<FieldError>();
        var names = new HashSet<string>(containers.Items().Select(c => c.Item.Str("name")), StringComparer.Ordinal);
        foreach (var (i, container) in initContainers.Items())
        {
            var p = path.Index(i);
            errs.AddRange(ValidateContainerCommon(container, volumes, p));
            var restartAlways = false;
            if (container.StrOrNull("restartPolicy") is { } restartPolicy)
            {
                if (restartPolicy != "Always")
                {
                    errs.Add(FieldErrors.NotSupported(p.Child("restartPolicy"), BadValue.Named(restartPolicy), ["Always"]));
                }
                restartAlways = restartPolicy == "Always";
            }
            var name = container.Str("name");
            if (names.Contains(name))
            {
                errs.Add(FieldErrors.Duplicate(p.Child("name"), name));
            }
            else if (name.Length > 0)
            {
                names.Add(name);
            }
            errs.AddRange(HostPortConflicts([(i, container)], path));
            if (restartAlways)
            {
                errs.AddRange(ValidateProbe(container.Obj("livenessProbe"), p.Child("livenessProbe"), successMustBeOne: true));
                errs.AddRange(ValidateProbe(container.Obj("readinessProbe"), p.Child("readinessProbe"), successMustBeOne: false));
                errs.AddRange(ValidateProbe(container.Obj("startupProbe"), p.Child("startupProbe"), successMustBeOne: true));
            }
            else
            {
                foreach (var field in new[] { "lifecycle", "livenessProbe", "readinessProbe", "startupProbe" })
                {
                    if (container.Has(field))
                    {
                        errs.Add(FieldErrors.Forbidden(p.Child(field), "may not be set for init containers without restartPolicy=Always"));
                    }
                }
            }
        }
        return errs;
    }

    private static List<FieldError> ValidateContainerCommon(JsonObject container, HashSet<string> volumes, FieldPath path)
    {
        var errs = new List<FieldError>();
        var name = container.Str("name");
        if (name.Length == 0)
        {
            errs.Add(FieldErrors.Required(path.Child("name"), ""));
        }
        else
        {
            errs.AddRange(NameRules.IsDns1123Label(name).Select(m => FieldErrors.Invalid(path.Child("name"), name, m)));
        }
        if (container.Str("image").Length == 0)
        {
            errs.Add(FieldErrors.Required(path.Child("image"), ""));
        }
        errs.AddRange(Enum(container.Str("terminationMessagePolicy"), path.Child("terminationMessagePolicy"), ["File", "FallbackToLogsOnError"], sorted: false));
        errs.AddRange(ValidateContainerPorts(container.Arr("ports"), path.Child("ports")));
        foreach (var (i, env) in container.Arr("env").Items())
        {
            var envName = env.Str("name");
            if (envName.Length == 0)
            {
                errs.Add(FieldErrors.Required(path.Child("env").Index(i).Child("name"), ""));
            }
            else
            {
                errs.AddRange(NameRules.IsRelaxedEnvVarName(envName).Select(m => FieldErrors.Invalid(path.Child("env").Index(i).Child("name"), envName, m)));
            }
        }
        var mountPaths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, mount) in container.Arr("volumeMounts").Items())
        {
            var p = path.Child("volumeMounts").Index(i);
            var mountName = mount.Str("name");
            if (mountName.Length == 0)
            {
                errs.Add(FieldErrors.Required(p.Child("name"), ""));
            }
            if (!volumes.Contains(mountName))
            {
                errs.Add(FieldErrors.NotFound(p.Child("name"), mountName));
            }
            var mountPath = mount.Str("mountPath");
            if (mountPath.Length == 0)
            {
                errs.Add(FieldErrors.Required(p.Child("mountPath"), ""));
            }
            if (!mountPaths.Add(mountPath))
            {
                errs.Add(FieldErrors.Invalid(p.Child("mountPath"), mountPath, "must be unique"));
            }
        }
        var pullPolicy = container.Str("imagePullPolicy");
        errs.AddRange(Enum(pullPolicy, path.Child("imagePullPolicy"), ["Always", "IfNotPresent", "Never"]));
        return errs;
    }

    private static List<FieldError> ValidateContainerPorts(JsonArray? ports, FieldPath path)
    {
        var errs = new List<FieldError>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in ports.Items())
        {
            var p = path.Index(i);
            var name = port.Str("name");
            if (name.Length > 0)
            {
                var nameErrs = NameRules.IsValidPortName(name);
                if (nameErrs.Count != 0)
                {
                    errs.AddRange(nameErrs.Select(m => FieldErrors.Invalid(p.Child("name"), name, m)));
                }
                else if (!names.Add(name))
                {
                    errs.Add(FieldErrors.Duplicate(p.Child("name"), name));
                }
            }
            var containerPort = port.Int("containerPort");
            if (containerPort == 0)
            {
                errs.Add(FieldErrors.Required(p.Child("containerPort"), ""));
            }
            else
            {
                errs.AddRange(NameRules.IsValidPortNum(containerPort).Select(m => FieldErrors.Invalid(p.Child("containerPort"), containerPort, m)));
            }
            var hostPort = port.Int("hostPort");
            if (hostPort != 0)
            {
                errs.AddRange(NameRules.IsValidPortNum(hostPort).Select(m => FieldErrors.Invalid(p.Child("hostPort"), hostPort, m)));
            }
            var protocol = port.Str("protocol");
            errs.AddRange(PortRules.Protocol(p.Child("protocol"), protocol));
        }
        return errs;
    }

    // AccumulateUniqueHostPorts: the key is "<protocol>/<hostIP>/<hostPort>".
    private static List<FieldError> HostPortConflicts(List<(int Index, JsonObject Item)> containers, FieldPath path)
    {
        var errs = new List<FieldError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (c, container) in containers)
        {
            foreach (var (p, port) in container.Arr("ports").Items())
            {
                var hostPort = port.Int("hostPort");
                if (hostPort == 0)
                {
                    continue;
                }
                var key = $"{port.Str("protocol")}/{port.Str("hostIP")}/{hostPort}";
                if (!seen.Add(key))
                {
                    errs.Add(FieldErrors.Duplicate(path.Index(c).Child("ports").Index(p).Child("hostPort"), key));
                }
            }
        }
        return errs;
    }

    private static List<FieldError> ValidateProbe(JsonObject? probe, FieldPath path, bool successMustBeOne)
    {
        var errs = new List<FieldError>();
        if (probe is null)
        {
            return errs;
        }
        errs.AddRange(ValidateHandler(probe, path, probe: true));
        foreach (var field in new[] { "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold" })
        {
            errs.AddRange(MetadataValidator.Nonnegative(probe.Int(field), path.Child(field)));
        }
        if (probe.IntOrNull("terminationGracePeriodSeconds") is { } grace && grace <= 0)
        {
            errs.Add(FieldErrors.Invalid(path.Child("terminationGracePeriodSeconds"), grace, "must be greater than 0"));
        }
        if (successMustBeOne && probe.Int("successThreshold") != 1)
        {
            errs.Add(FieldErrors.Invalid(path.Child("successThreshold"), probe.Int("successThreshold"), "must be 1"));
        }
        return errs;
    }

    private static List<FieldError> ValidateHandler(JsonObject handler, FieldPath path, bool probe)
    {
        var errs = new List<FieldError>();
        var count = 0;
        var kinds = probe ? new[] { "exec", "httpGet", "tcpSocket", "grpc" } : ["exec", "httpGet", "tcpSocket", "sleep"];
        foreach (var kind in kinds)
        {
            if (handler.Obj(kind) is not { } action)
            {
                continue;
            }
            if (count > 0)
            {
                errs.Add(FieldErrors.Forbidden(path.Child(kind), "may not specify more than 1 handler type"));
                continue;
            }
            count++;
            var p = path.Child(kind);
            switch (kind)
            {
                case "exec" when (action.Arr("command")?.Count ?? 0) == 0:
                    errs.Add(FieldErrors.Required(p.Child("command"), ""));
                    break;
                case "httpGet":
                    if (action.Str("path").Length == 0)
                    {
                        errs.Add(FieldErrors.Required(p.Child("path"), ""));
                    }
                    errs.AddRange(PortNumOrName(action["port"], p.Child("port")));
                    var scheme = action.Str("scheme");
                    if (scheme is not ("HTTP" or "HTTPS"))
                    {
                        errs.Add(FieldErrors.NotSupported(p.Child("scheme"), BadValue.Named(scheme), ["HTTP", "HTTPS"]));
                    }
                    foreach (var (_, header) in action.Arr("httpHeaders").Items())
                    {
                        var headerName = header.Str("name");
                        errs.AddRange(NameRules.IsHttpHeaderName(headerName).Select(m => FieldErrors.Invalid(p.Child("httpHeaders"), headerName, m)));
                    }
                    break;
                case "tcpSocket":
                    errs.AddRange(PortNumOrName(action["port"], p.Child("port")));
                    break;
                case "grpc":
                    var grpcPort = action.Int("port");
                    errs.AddRange(NameRules.IsValidPortNum(grpcPort).Select(m => FieldErrors.Invalid(p.Child("port"), grpcPort, m)));
                    break;
            }
        }
        if (count == 0)
        {
            errs.Add(FieldErrors.Required(path, "must specify a handler type"));
        }
        return errs;
    }

    /// <summary>ValidatePortNumOrName for an intstr.IntOrString.</summary>
    public static List<FieldError> PortNumOrName(JsonNode? port, FieldPath path)
    {
        var (isInt, number, name) = JsonFields.IntOrString(port);
        return isInt
            ? NameRules.IsValidPortNum(number).Select(m => FieldErrors.Invalid(path, number, m)).ToList()
            : NameRules.IsValidPortName(name).Select(m => FieldErrors.Invalid(path, name, m)).ToList();
    }

    private static List<FieldError> ValidateDnsConfig(JsonObject? config, string dnsPolicy, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (dnsPolicy == "None")
        {
            if (config is null)
            {
                return [FieldErrors.Required(path, "must provide `dnsConfig` when `dnsPolicy` is None")];
            }
            if ((config.Arr("nameservers")?.Count ?? 0) == 0)
            {
                return [FieldErrors.Required(path.Child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None")];
            }
        }
        if (config is null)
        {
            return errs;
        }
        var nameservers = config.Arr("nameservers");
        if (nameservers?.Count > 3)
        {
            errs.Add(FieldErrors.Invalid(path.Child("nameservers"), BadValue.Json(nameservers.DeepClone()), "must not have more than 3 nameservers"));
        }
        var servers = nameservers.Strings();
        for (var i = 0; i < servers.Count; i++)
        {
            errs.AddRange(IpRules.IsValidIP(path.Child("nameservers").Index(i), servers[i]));
        }
        var searchesNode = config.Arr("searches");
        var searches = searchesNode.Strings();
        if (searches.Count > 32)
        {
            errs.Add(FieldErrors.Invalid(path.Child("searches"), BadValue.Json(searchesNode!.DeepClone()), "must not have more than 32 search paths"));
        }
        if (string.Join(" ", searches).Length > 2048)
        {
            errs.Add(FieldErrors.Invalid(path.Child("searches"), BadValue.Json(searchesNode!.DeepClone()), "must not have more than 2048 characters (including spaces) in the search list"));
        }
        for (var i = 0; i < searches.Count; i++)
        {
            // RelaxedDNSSearchValidation (on by default): "." is allowed and underscores are accepted.
            var search = searches[i];
            if (search == ".")
            {
                continue;
            }
            search = search.EndsWith('.') ? search[..^1] : search;
            errs.AddRange(SubdomainWithUnderscore(search).Select(m => FieldErrors.Invalid(path.Child("searches").Index(i), search, m)));
        }
        foreach (var (i, option) in config.Arr("options").Items())
        {
            if (option.Str("name").Length == 0)
            {
                errs.Add(FieldErrors.Required(path.Child("options").Index(i), "must not be empty"));
            }
        }
        return errs;
    }

    private static List<string> SubdomainWithUnderscore(string value)
    {
        const string fmt = "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*";
        var errs = new List<string>();
        if (System.Text.Encoding.UTF8.GetByteCount(value) > NameRules.Dns1123SubdomainMaxLength)
        {
            errs.Add(NameRules.MaxLenError(NameRules.Dns1123SubdomainMaxLength));
        }
        if (!System.Text.RegularExpressions.Regex.IsMatch(value, "^(?:" + fmt + ")\\z", System.Text.RegularExpressions.RegexOptions.CultureInvariant))
        {
            errs.Add(NameRules.RegexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character", fmt, "example.com"));
        }
        return errs;
    }

    public static List<FieldError> ValidateTolerations(JsonArray? tolerations, FieldPath path)
    {
        var errs = new List<FieldError>();
        foreach (var (i, toleration) in tolerations.Items())
        {
            var p = path.Index(i);
            var key = toleration.Str("key");
            var op = toleration.Str("operator");
            var effect = toleration.Str("effect");
            var value = toleration.Str("value");
            if (key.Length > 0)
            {
                errs.AddRange(MetadataValidator.ValidateLabelName(key, p.Child("key")));
            }
            if (key.Length == 0 && op != "Exists")
            {
                errs.Add(FieldErrors.Invalid(p.Child("operator"), BadValue.Named(op), "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
            }
            if (toleration.Has("tolerationSeconds") && effect != "NoExecute")
            {
                errs.Add(FieldErrors.Invalid(p.Child("effect"), BadValue.Named(effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
            }
            switch (op)
            {
                case "Equal" or "":
                    if (NameRules.IsValidLabelValue(value) is { Count: > 0 } valueErrs)
                    {
                        errs.Add(FieldErrors.Invalid(p.Child("operator"), value, string.Join(";", valueErrs)));
                    }
                    break;
                case "Exists":
                    if (value.Length > 0)
                    {
                        errs.Add(FieldErrors.Invalid(p.Child("operator"), value, "value must be empty when `operator` is 'Exists'"));
                    }
                    break;
                default:
                    errs.Add(FieldErrors.NotSupported(p.Child("operator"), BadValue.Named(op), ["Equal", "Exists"]));
                    break;
            }
            if (effect.Length > 0 && effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
            {
                errs.Add(FieldErrors.NotSupported(p.Child("effect"), BadValue.Named(effect), ["NoSchedule", "PreferNoSchedule", "NoExecute"]));
            }
        }
        return errs;
    }
}
