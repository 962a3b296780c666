using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>Service validation: pkg/apis/core/validation/validation.go ValidateService / ValidateServiceUpdate.</summary>
internal static class ServiceValidator
{
    private const int MaxClientIPServiceAffinitySeconds = 86400;
    private const string TopologyModeAnnotation = "service.kubernetes.io/topology-mode";
    private const string TopologyHintsAnnotation = "service.kubernetes.io/topology-aware-hints";
    private const string SourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges";
    private static readonly FieldPath s_spec = FieldPath.Root("spec");

    public static List<FieldError> ValidateCreate(JsonObject service) => Validate(NormalizeClusterIPs(service, null));

    public static List<FieldError> ValidateUpdate(JsonObject service, JsonObject old)
    {
        var svc = NormalizeClusterIPs(service, old);
        var errs = MetadataValidator.ValidateUpdate(svc, old);
        errs.AddRange(UpgradeDowngradeClusterIPs(old, svc));
        errs.AddRange(UpgradeDowngradeIPFamilies(old, svc));
        errs.AddRange(LoadBalancerClass(old, svc));
        if (NeedsHealthCheck(old) && NeedsHealthCheck(svc) && svc.Obj("spec").Int("healthCheckNodePort") != old.Obj("spec").Int("healthCheckNodePort"))
        {
            errs.Add(FieldErrors.Forbidden(s_spec.Child("healthCheckNodePort"), "field is immutable"));
        }
        errs.AddRange(Validate(svc));
        return errs;
    }

    // The registry strategy (pkg/registry/core/service/strategy.go NormalizeClusterIPs) fills spec.clusterIPs
    // from spec.clusterIP before validation; done here on a copy so old clients that only send the singular
    // field validate as they do upstream.
    private static JsonObject NormalizeClusterIPs(JsonObject service, JsonObject? old)
    {
        var copy = (JsonObject)service.DeepClone();
        if (copy.Obj("spec") is not { } spec)
        {
            return copy;
        }
        var clusterIP = spec.Str("clusterIP");
        var clusterIPs = spec.Arr("clusterIPs");
        var oldSpec = old.Obj("spec");
        var pluralUnchanged = old is not null && JsonNode.DeepEquals(clusterIPs, oldSpec?["clusterIPs"]);
        if (clusterIP.Length > 0 && (clusterIPs is null || clusterIPs.Count == 0))
        {
            spec["clusterIPs"] = new JsonArray(clusterIP);
        }
        else if (old is not null && pluralUnchanged && clusterIP != oldSpec.Str("clusterIP"))
        {
            spec["clusterIPs"] = clusterIP.Length == 0 ? null : new JsonArray(clusterIP);
        }
        return copy;
    }

    private static List<FieldError> Validate(JsonObject service)
    {
        var errs = MetadataValidator.ValidateCreate(service, namespaced: true, NameRules.NameIsDns1035Label);
        var annotations = service.Obj("metadata").Obj("annotations");
        var modeValue = annotations.StrOrNull(TopologyModeAnnotation);
        var hintsValue = annotations.StrOrNull(TopologyHintsAnnotation);
        if (modeValue is not null && hintsValue is not null && modeValue != hintsValue)
        {
            errs.Add(FieldErrors.Invalid(FieldPath.Root("metadata").Child("annotations").Key(TopologyModeAnnotation), modeValue,
                "must match annotations[" + TopologyHintsAnnotation + "] when both are specified"));
        }

        var spec = service.Obj("spec");
        var type = spec.Str("type");
        var ports = spec.Arr("ports");
        var clusterIPs = spec.Arr("clusterIPs").Strings();
        var headless = IsHeadless(spec);
        if ((ports?.Count ?? 0) == 0 && !headless && type != "ExternalName")
        {
            errs.Add(FieldErrors.Required(s_spec.Child("ports"), ""));
        }
        switch (type)
        {
            case "LoadBalancer" when headless:
                errs.Add(FieldErrors.Invalid(s_spec.Child("clusterIPs").Index(0), clusterIPs[0], "may not be set to 'None' for LoadBalancer services"));
                break;
            case "NodePort" when headless:
                errs.Add(FieldErrors.Invalid(s_spec.Child("clusterIPs").Index(0), clusterIPs[0], "may not be set to 'None' for NodePort services"));
                break;
            case "ExternalName":
                if (clusterIPs.Count > 0)
                {
                    errs.Add(FieldErrors.Forbidden(s_spec.Child("clusterIPs"), "may not be set for ExternalName services"));
                }
                if ((spec.Arr("ipFamilies")?.Count ?? 0) > 0)
                {
                    errs.Add(FieldErrors.Forbidden(s_spec.Child("ipFamilies"), "may not be set for ExternalName services"));
                }
                if (spec.Has("ipFamilyPolicy"))
                {
                    errs.Add(FieldErrors.Forbidden(s_spec.Child("ipFamilyPolicy"), "may not be set for ExternalName services"));
                }
                var cname = spec.Str("externalName");
                if (cname.EndsWith('.'))
                {
                    cname = cname[..^1];
                }
                if (cname.Length > 0)
                {
                    errs.AddRange(NameRules.IsDns1123Subdomain(cname).Select(m => FieldErrors.Invalid(s_spec.Child("externalName"), cname, m)));
                }
                else
                {
                    errs.Add(FieldErrors.Required(s_spec.Child("externalName"), ""));
                }
                break;
        }

        var portNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in ports.Items())
        {
            errs.AddRange(ValidatePort(port, ports!.Count > 1, portNames, s_spec.Child("ports").Index(i)));
        }
        if (spec.Obj("selector") is not null)
        {
            errs.AddRange(MetadataValidator.ValidateLabels(spec.StringMap("selector"), s_spec.Child("selector")));
        }

        var affinity = spec.Str("sessionAffinity");
        if (affinity.Length == 0)
        {
            errs.Add(FieldErrors.Required(s_spec.Child("sessionAffinity"), ""));
        }
        else if (affinity is not ("ClientIP" or "None"))
        {
            errs.Add(FieldErrors.NotSupported(s_spec.Child("sessionAffinity"), BadValue.Named(affinity), ["ClientIP", "None"]));
        }
        if (affinity == "ClientIP")
        {
            errs.AddRange(ClientIPAffinityConfig(spec.Obj("sessionAffinityConfig"), s_spec.Child("sessionAffinityConfig")));
        }
        else if (affinity == "None" && spec.Has("sessionAffinityConfig"))
        {
            errs.Add(FieldErrors.Forbidden(s_spec.Child("sessionAffinityConfig"), "must not be set when session affinity is None"));
        }

        errs.AddRange(ClusterIPsRelatedFields(spec));

        foreach (var (i, ip) in spec.Arr("externalIPs").Strings().Select((ip, i) => (i, ip)))
        {
            var path = s_spec.Child("externalIPs").Index(i);
            var ipErrs = IpRules.IsValidIP(path, ip);
            errs.AddRange(ipErrs.Count != 0 ? ipErrs : IpRules.ValidateNonSpecialIP(ip, path));
        }

        if (type.Length == 0)
        {
            errs.Add(FieldErrors.Required(s_spec.Child("type"), ""));
        }
        else if (type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName"))
        {
            errs.Add(FieldErrors.NotSupported(s_spec.Child("type"), BadValue.Named(type), ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]));
        }
        if (type == "ClusterIP")
        {
            foreach (var (i, port) in ports.Items())
            {
                if (port.Int("nodePort") != 0)
                {
                    errs.Add(FieldErrors.Forbidden(s_spec.Child("ports").Index(i).Child("nodePort"), "may not be used when `type` is 'ClusterIP'"));
                }
            }
        }

        var nodePorts = new HashSet<(string, long)>();
        foreach (var (i, port) in ports.Items())
        {
            var nodePort = port.Int("nodePort");
            if (nodePort != 0 && !nodePorts.Add((port.Str("protocol"), nodePort)))
            {
                errs.Add(FieldErrors.Duplicate(s_spec.Child("ports").Index(i).Child("nodePort"), nodePort));
            }
        }
        var servicePorts = new HashSet<(string, long)>();
        foreach (var (i, port) in ports.Items())
        {
            if (!servicePorts.Add((port.Str("protocol"), port.Int("port"))))
            {
                // The key is an internal core.ServicePort with only Protocol and Port set, marshalled without json tags.
                var key = new JsonObject
                {
                    ["Name"] = "",
                    ["Protocol"] = port.Str("protocol"),
                    ["AppProtocol"] = null,
                    ["Port"] = port.Int("port"),
                    ["TargetPort"] = 0,
                    ["NodePort"] = 0,
                };
                errs.Add(FieldErrors.Duplicate(s_spec.Child("ports").Index(i), BadValue.Json(key)));
            }
        }

        var sourceRanges = spec.Arr("loadBalancerSourceRanges").Strings();
        if (sourceRanges.Count > 0)
        {
            // Upstream names this path with a capital L.
            var path = s_spec.Child("LoadBalancerSourceRanges");
            if (type != "LoadBalancer")
            {
                errs.Add(FieldErrors.Forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
            }
            for (var i = 0; i < sourceRanges.Count; i++)
            {
                errs.AddRange(IpRules.IsValidCIDR(path.Index(i), sourceRanges[i].Trim()));
            }
        }
        else if (annotations.StrOrNull(SourceRangesAnnotation) is { } rangesAnnotation)
        {
            var path = FieldPath.Root("metadata").Child("annotations").Key(SourceRangesAnnotation);
            if (type != "LoadBalancer")
            {
                errs.Add(FieldErrors.Forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
            }
            var value = rangesAnnotation.Trim();
            if (value.Length > 0)
            {
                foreach (var cidr in value.Split(','))
                {
                    errs.AddRange(IpRules.IsValidCIDR(path, cidr.Trim()));
                }
            }
        }

        if (spec.Has("allocateLoadBalancerNodePorts") && type != "LoadBalancer")
        {
            errs.Add(FieldErrors.Forbidden(s_spec.Child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"));
        }
        if (type == "LoadBalancer" && !spec.Has("allocateLoadBalancerNodePorts"))
        {
            // Upstream reports this without the "spec." prefix.
            errs.Add(FieldErrors.Required(FieldPath.Root("allocateLoadBalancerNodePorts"), ""));
        }
        errs.AddRange(LoadBalancerClass(null, service));
        errs.AddRange(ExternalTrafficPolicy(spec));
        errs.AddRange(InternalTrafficPolicy(spec));
        if (spec.StrOrNull("trafficDistribution") is { } distribution && distribution != "PreferClose")
        {
            errs.Add(FieldErrors.NotSupported(s_spec.Child("trafficDistribution"), distribution, ["PreferClose"]));
        }
        return errs;
    }

    private static List<FieldError> ValidatePort(JsonObject port, bool requireName, HashSet<string> names, FieldPath path)
    {
        var errs = new List<FieldError>();
        var name = port.Str("name");
        if (requireName && name.Length == 0)
        {
            errs.Add(FieldErrors.Required(path.Child("name"), ""));
        }
        else if (name.Length != 0)
        {
            errs.AddRange(NameRules.IsDns1123Label(name).Select(m => FieldErrors.Invalid(path.Child("name"), name, m)));
            if (!names.Add(name))
            {
                errs.Add(FieldErrors.Duplicate(path.Child("name"), name));
            }
        }
        var number = port.Int("port");
        errs.AddRange(NameRules.IsValidPortNum(number).Select(m => FieldErrors.Invalid(path.Child("port"), number, m)));
        var protocol = port.Str("protocol");
        errs.AddRange(PortRules.Protocol(path.Child("protocol"), protocol));
        errs.AddRange(PodSpecValidator.PortNumOrName(port["targetPort"], path.Child("targetPort")));
        if (port.StrOrNull("appProtocol") is { } appProtocol)
        {
            errs.AddRange(MetadataValidator.ValidateLabelName(appProtocol, path.Child("appProtocol")));
        }
        return errs;
    }

    private static List<FieldError> ClientIPAffinityConfig(JsonObject? config, FieldPath path)
    {
        const string when = "when session affinity type is ClientIP";
        if (config is null)
        {
            return [FieldErrors.Required(path, when)];
        }
        if (config.Obj("clientIP") is not { } clientIP)
        {
            return [FieldErrors.Required(path.Child("clientIP"), when)];
        }
        if (clientIP.IntOrNull("timeoutSeconds") is not { } timeout)
        {
            return [FieldErrors.Required(path.Child("clientIP").Child("timeoutSeconds"), when)];
        }
        return timeout is <= 0 or > MaxClientIPServiceAffinitySeconds
            ? [FieldErrors.Invalid(path.Child("clientIP").Child("timeoutSeconds"), timeout, "must be greater than 0 and less than 86400")]
            : [];
    }

    private static List<FieldError> ClusterIPsRelatedFields(JsonObject? spec)
    {
        var errs = new List<FieldError>();
        if (spec.Str("type") == "ExternalName")
        {
            return errs;
        }
        var clusterIPsField = s_spec.Child("clusterIPs");
        var clusterIP = spec.Str("clusterIP");
        var clusterIPsNode = spec.Arr("clusterIPs");
        var clusterIPs = clusterIPsNode.Strings();
        var clusterIPsValue = BadValue.Json(clusterIPsNode?.DeepClone());
        if (clusterIP.Length != 0)
        {
            if (clusterIPs.Count == 0)
            {
                errs.Add(FieldErrors.Required(clusterIPsField, ""));
            }
            else if (clusterIPs[0] != clusterIP)
            {
                errs.Add(FieldErrors.Invalid(clusterIPsField, clusterIPsValue, "first value must match `clusterIP`"));
            }
        }
        else if (clusterIPs.Count != 0)
        {
            errs.Add(FieldErrors.Invalid(clusterIPsField, clusterIPsValue, "must be empty when `clusterIP` is not specified"));
        }

        var families = spec.Arr("ipFamilies").Strings();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < families.Count; i++)
        {
            if (families[i] is not ("IPv4" or "IPv6"))
            {
                errs.Add(FieldErrors.NotSupported(s_spec.Child("ipFamilies").Index(i), BadValue.Named(families[i]), ["IPv4", "IPv6"]));
            }
            if (!seen.Add(families[i]))
            {
                errs.Add(FieldErrors.Duplicate(s_spec.Child("ipFamilies").Index(i), BadValue.Named(families[i])));
            }
        }
        if (spec.StrOrNull("ipFamilyPolicy") is { } policy && policy is not ("SingleStack" or "PreferDualStack" or "RequireDualStack"))
        {
            errs.Add(FieldErrors.NotSupported(s_spec.Child("ipFamilyPolicy"), BadValue.Named(policy), ["PreferDualStack", "RequireDualStack", "SingleStack"]));
        }

        var hasInvalidIPs = false;
        for (var i = 0; i < clusterIPs.Count; i++)
        {
            if (i == 0 && clusterIPs[i] == "None")
            {
                if (clusterIPs.Count > 1)
                {
                    hasInvalidIPs = true;
                    errs.Add(FieldErrors.Invalid(clusterIPsField, clusterIPsValue, "'None' must be the first and only value"));
                }
                continue;
            }
            var ipErrs = IpRules.IsValidIP(clusterIPsField.Index(i), clusterIPs[i]);
            hasInvalidIPs |= ipErrs.Count != 0;
            errs.AddRange(ipErrs);
        }
        if (clusterIPs.Count > 2)
        {
            errs.Add(FieldErrors.Invalid(clusterIPsField, clusterIPsValue, "may only hold up to 2 values"));
        }
        if (hasInvalidIPs)
        {
            return errs;
        }
        if (clusterIPs.Count > 1)
        {
            // netutils.IsDualStackIPStrings: at least one address of each family.
            var v6 = clusterIPs.Count(IpRules.IsIPv6);
            if (v6 == 0 || v6 == clusterIPs.Count)
            {
                errs.Add(FieldErrors.Invalid(clusterIPsField, clusterIPsValue, "may specify no more than one IP for each IP family"));
            }
        }
        if (!IsHeadless(spec) && clusterIPs.Count > 0 && families.Count > 0)
        {
            for (var i = 0; i < clusterIPs.Count && i < families.Count; i++)
            {
                if (families[i] == "IPv4" && IpRules.IsIPv6(clusterIPs[i]))
                {
                    errs.Add(FieldErrors.Invalid(clusterIPsField.Index(i), clusterIPs[i], $"expected an IPv4 value as indicated by `ipFamilies[{i}]`"));
                }
                if (families[i] == "IPv6" && !IpRules.IsIPv6(clusterIPs[i]))
                {
                    errs.Add(FieldErrors.Invalid(clusterIPsField.Index(i), clusterIPs[i], $"expected an IPv6 value as indicated by `ipFamilies[{i}]`"));
                }
            }
        }
        return errs;
    }

    private static List<FieldError> UpgradeDowngradeClusterIPs(JsonObject old, JsonObject service)
    {
        var errs = new List<FieldError>();
        var spec = service.Obj("spec");
        var oldSpec = old.Obj("spec");
        if (spec.Str("type") == "ExternalName" || oldSpec.Str("type") == "ExternalName" || IsHeadless(spec) && IsHeadless(oldSpec))
        {
            return errs;
        }
        var path = s_spec.Child("clusterIPs");
        var now = spec.Arr("clusterIPs").Strings();
        var before = oldSpec.Arr("clusterIPs").Strings();
        var value = BadValue.Json(spec.Arr("clusterIPs")?.DeepClone());
        if (before.Count == now.Count)
        {
            for (var i = 0; i < before.Count; i++)
            {
                if (before[i] != now[i])
                {
                    errs.Add(FieldErrors.Invalid(path.Index(i), value, "may not change once set"));
                }
            }
        }
        else if (before.Count > now.Count)
        {
            if (now.Count == 0)
            {
                errs.Add(FieldErrors.Invalid(path.Index(0), value, "primary clusterIP can not be unset"));
            }
            if (now.Count > 0 && now[0] != before[0])
            {
                errs.Add(FieldErrors.Invalid(path.Index(0), value, "may not change once set"));
            }
            if (now.Count == 1 && spec.StrOrNull("ipFamilyPolicy") != "SingleStack")
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("ipFamilyPolicy"), BadValue.Json(spec?["ipFamilyPolicy"]?.DeepClone()), "must be set to 'SingleStack' when releasing the secondary clusterIP"));
            }
        }
        else if (before.Count > 0 && now[0] != before[0])
        {
            errs.Add(FieldErrors.Invalid(path.Index(0), value, "may not change once set"));
        }
        return errs;
    }

    private static List<FieldError> UpgradeDowngradeIPFamilies(JsonObject old, JsonObject service)
    {
        var errs = new List<FieldError>();
        var spec = service.Obj("spec");
        var oldSpec = old.Obj("spec");
        if (spec.Str("type") == "ExternalName" || oldSpec.Str("type") == "ExternalName" || IsHeadless(spec) || IsHeadless(oldSpec))
        {
            return errs;
        }
        var path = s_spec.Child("ipFamilies").Index(0);
        var now = spec.Arr("ipFamilies").Strings();
        var before = oldSpec.Arr("ipFamilies").Strings();
        var familiesValue = BadValue.Json(spec.Arr("ipFamilies")?.DeepClone());
        // Upstream prints clusterIPs (not ipFamilies) for two of these errors.
        var clusterIPsValue = BadValue.Json(spec.Arr("clusterIPs")?.DeepClone());
        if (before.Count == now.Count)
        {
            for (var i = 0; i < before.Count; i++)
            {
                if (before[i] != now[i])
                {
                    errs.Add(FieldErrors.Invalid(path, familiesValue, "may not change once set"));
                }
            }
        }
        else if (before.Count > now.Count)
        {
            if ((spec.Arr("clusterIPs")?.Count ?? 0) == 0)
            {
                errs.Add(FieldErrors.Invalid(path, familiesValue, "primary ipFamily can not be unset"));
            }
            if (now.Count > 0 && now[0] != before[0])
            {
                errs.Add(FieldErrors.Invalid(path, clusterIPsValue, "may not change once set"));
            }
            if (now.Count == 1 && spec.StrOrNull("ipFamilyPolicy") != "SingleStack")
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("ipFamilyPolicy"), BadValue.Json(spec?["ipFamilyPolicy"]?.DeepClone()), "must be set to 'SingleStack' when releasing the secondary ipFamily"));
            }
        }
        else if (before.Count > 0 && now.Count > 0 && now[0] != before[0])
        {
            errs.Add(FieldErrors.Invalid(path, clusterIPsValue, "may not change once set"));
        }
        return errs;
    }

    private static List<FieldError> LoadBalancerClass(JsonObject? old, JsonObject service)
    {
        var errs = new List<FieldError>();
        var spec = service.Obj("spec");
        var path = s_spec.Child("loadBalancerClass");
        var lbClass = spec.StrOrNull("loadBalancerClass");
        if (old is not null)
        {
            if (old.Obj("spec").Str("type") == "LoadBalancer" && spec.Str("type") == "LoadBalancer" && old.Obj("spec").StrOrNull("loadBalancerClass") != lbClass)
            {
                errs.Add(FieldErrors.Invalid(path, BadValue.Json(spec?["loadBalancerClass"]?.DeepClone()), "may not change once set"));
            }
        }
        if (spec.Str("type") == "LoadBalancer")
        {
            if (lbClass is not null)
            {
                errs.AddRange(MetadataValidator.ValidateLabelName(lbClass, path));
            }
        }
        else if (lbClass is not null)
        {
            errs.Add(FieldErrors.Forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
        }
        return errs;
    }

    private static List<FieldError> ExternalTrafficPolicy(JsonObject? spec)
    {
        var errs = new List<FieldError>();
        var policy = spec.Str("externalTrafficPolicy");
        if (!ExternallyAccessible(spec))
        {
            if (policy.Length != 0)
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("externalTrafficPolicy"), BadValue.Named(policy), "may only be set for externally-accessible services"));
            }
        }
        else if (policy.Length == 0)
        {
            errs.Add(FieldErrors.Required(s_spec.Child("externalTrafficPolicy"), ""));
        }
        else if (policy is not ("Cluster" or "Local"))
        {
            errs.Add(FieldErrors.NotSupported(s_spec.Child("externalTrafficPolicy"), BadValue.Named(policy), ["Cluster", "Local"]));
        }
        var healthCheckNodePort = spec.Int("healthCheckNodePort");
        if (!NeedsHealthCheck(spec))
        {
            if (healthCheckNodePort != 0)
            {
                errs.Add(FieldErrors.Invalid(s_spec.Child("healthCheckNodePort"), healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
            }
        }
        else if (healthCheckNodePort == 0)
        {
            errs.Add(FieldErrors.Required(s_spec.Child("healthCheckNodePort"), ""));
        }
        else
        {
            errs.AddRange(NameRules.IsValidPortNum(healthCheckNodePort).Select(m => FieldErrors.Invalid(s_spec.Child("healthCheckNodePort"), healthCheckNodePort, m)));
        }
        return errs;
    }

    private static List<FieldError> InternalTrafficPolicy(JsonObject? spec)
    {
        var errs = new List<FieldError>();
        var policy = spec.StrOrNull("internalTrafficPolicy");
        if (policy is null && spec.Str("type") is "NodePort" or "LoadBalancer" or "ClusterIP")
        {
            errs.Add(FieldErrors.Required(s_spec.Child("internalTrafficPolicy"), ""));
        }
        if (policy is not null and not ("Cluster" or "Local"))
        {
            errs.Add(FieldErrors.NotSupported(s_spec.Child("internalTrafficPolicy"), BadValue.Named(policy), ["Cluster", "Local"]));
        }
        return errs;
    }

    /// <summary>pkg/api/service ExternallyAccessible.</summary>
    public static bool ExternallyAccessible(JsonObject? spec) =>
        spec.Str("type") is "LoadBalancer" or "NodePort"
        || spec.Str("type") == "ClusterIP" && (spec.Arr("externalIPs")?.Count ?? 0) > 0;

    private static bool NeedsHealthCheck(JsonObject? serviceOrSpec)
    {
        var spec = serviceOrSpec?["spec"] is JsonObject s ? s : serviceOrSpec;
        return spec.Str("type") == "LoadBalancer" && spec.Str("externalTrafficPolicy") == "Local";
    }

    private static bool IsHeadless(JsonObject? spec) =>
        spec.Arr("clusterIPs").Strings() is [ "None" ];
}
