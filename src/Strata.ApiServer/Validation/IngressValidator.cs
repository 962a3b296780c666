using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>Ingress validation: pkg/apis/networking/validation/validation.go ValidateIngressCreate / ValidateIngressUpdate.</summary>
internal static class IngressValidator
{
    private const string IngressClassAnnotation = "kubernetes.io/ingress.class";
    private static readonly string[] s_invalidPathSequences = ["//", "/./", "/../", "%2f", "%2F"];
    private static readonly string[] s_invalidPathSuffixes = ["/..", "/."];
    private static readonly FieldPath s_spec = FieldPath.Root("spec");

    private sealed record Options(bool AllowInvalidSecretName, bool AllowInvalidWildcardHostRule);

    public static List<FieldError> ValidateCreate(JsonObject ingress)
    {
        var errs = Validate(ingress, new Options(false, false));
        var annotation = ingress.Obj("metadata").Obj("annotations").StrOrNull(IngressClassAnnotation);
        var className = ingress.Obj("spec").StrOrNull("ingressClassName");
        if (annotation is not null && className is not null && annotation != className)
        {
            // Upstream builds this path without "metadata.".
            errs.Add(FieldErrors.Invalid(FieldPath.Root("annotations").Child(IngressClassAnnotation), annotation, "must match `ingressClassName` when both are specified"));
        }
        return errs;
    }

    public static List<FieldError> ValidateUpdate(JsonObject ingress, JsonObject old)
    {
        var errs = MetadataValidator.ValidateUpdate(ingress, old);
        var oldSpec = old.Obj("spec");
        var allowInvalidSecretName = oldSpec.Arr("tls").Items().Any(t => TlsSecretNameErrors(t.Item.Str("secretName")).Count > 0);
        var allowInvalidWildcard = oldSpec.Arr("rules").Items().Any(r =>
            r.Item.Str("host").Contains('*', StringComparison.Ordinal) && RuleValue(r.Item, FieldPath.Root("")).Count > 0);
        errs.AddRange(Validate(ingress, new Options(allowInvalidSecretName, allowInvalidWildcard)));
        return errs;
    }

    private static List<FieldError> Validate(JsonObject ingress, Options opts)
    {
        var errs = MetadataValidator.ValidateCreate(ingress, namespaced: true, NameRules.NameIsDnsSubdomain);
        var spec = ingress.Obj("spec");
        var rules = spec.Arr("rules");
        if ((rules?.Count ?? 0) == 0 && !spec.Has("defaultBackend"))
        {
            errs.Add(FieldErrors.Invalid(s_spec, BadValue.Json(rules?.DeepClone()), "either `defaultBackend` or `rules` must be specified"));
        }
        if (spec.Obj("defaultBackend") is { } defaultBackend)
        {
            errs.AddRange(Backend(defaultBackend, s_spec.Child("defaultBackend")));
        }
        foreach (var (i, rule) in rules.Items())
        {
            var path = s_spec.Child("rules").Index(i);
            var host = rule.Str("host");
            var wildcard = false;
            if (host.Length > 0)
            {
                if (IpRules.IsIP(host))
                {
                    errs.Add(FieldErrors.Invalid(path.Child("host"), host, "must be a DNS name, not an IP address"));
                }
                if (host.Contains('*', StringComparison.Ordinal))
                {
                    errs.AddRange(NameRules.IsWildcardDns1123Subdomain(host).Select(m => FieldErrors.Invalid(path.Child("host"), host, m)));
                    wildcard = true;
                }
                else
                {
                    errs.AddRange(NameRules.IsDns1123Subdomain(host).Select(m => FieldErrors.Invalid(path.Child("host"), host, m)));
                }
            }
            if (!wildcard || !opts.AllowInvalidWildcardHostRule)
            {
                errs.AddRange(RuleValue(rule, path));
            }
        }
        foreach (var (t, tls) in spec.Arr("tls").Items())
        {
            var path = s_spec.Child("tls").Index(t);
            var hosts = tls.Arr("hosts").Strings();
            for (var i = 0; i < hosts.Count; i++)
            {
                var check = hosts[i].Contains('*', StringComparison.Ordinal) ? NameRules.IsWildcardDns1123Subdomain(hosts[i]) : NameRules.IsDns1123Subdomain(hosts[i]);
                errs.AddRange(check.Select(m => FieldErrors.Invalid(path.Child("hosts").Index(i), hosts[i], m)));
            }
            if (!opts.AllowInvalidSecretName)
            {
                var secretName = tls.Str("secretName");
                errs.AddRange(TlsSecretNameErrors(secretName).Select(m => FieldErrors.Invalid(path.Child("secretName"), secretName, m)));
            }
        }
        if (spec.StrOrNull("ingressClassName") is { } className)
        {
            errs.AddRange(NameRules.NameIsDnsSubdomain(className, false).Select(m => FieldErrors.Invalid(s_spec.Child("ingressClassName"), className, m)));
        }
        return errs;
    }

    private static List<string> TlsSecretNameErrors(string name) => name.Length == 0 ? [] : NameRules.NameIsDnsSubdomain(name, false);

    private static List<FieldError> RuleValue(JsonObject rule, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (rule.Obj("http") is not { } http)
        {
            return errs;
        }
        var paths = http.Arr("paths");
        if ((paths?.Count ?? 0) == 0)
        {
            errs.Add(FieldErrors.Required(path.Child("http", "paths"), ""));
        }
        foreach (var (i, httpPath) in paths.Items())
        {
            errs.AddRange(HttpPath(httpPath, path.Child("http", "paths").Index(i)));
        }
        return errs;
    }

    private static List<FieldError> HttpPath(JsonObject httpPath, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (httpPath.StrOrNull("pathType") is not { } pathType)
        {
            return [FieldErrors.Required(path.Child("pathType"), "pathType must be specified")];
        }
        var value = httpPath.Str("path");
        switch (pathType)
        {
            case "Exact" or "Prefix":
                if (!value.StartsWith('/'))
                {
                    errs.Add(FieldErrors.Invalid(path.Child("path"), value, "must be an absolute path"));
                }
                if (value.Length > 0)
                {
                    foreach (var sequence in s_invalidPathSequences.Where(s => value.Contains(s, StringComparison.Ordinal)))
                    {
                        errs.Add(FieldErrors.Invalid(path.Child("path"), value, $"must not contain '{sequence}'"));
                    }
                    foreach (var suffix in s_invalidPathSuffixes.Where(s => value.EndsWith(s, StringComparison.Ordinal)))
                    {
                        errs.Add(FieldErrors.Invalid(path.Child("path"), value, $"cannot end with '{suffix}'"));
                    }
                }
                break;
            case "ImplementationSpecific":
                if (value.Length > 0 && !value.StartsWith('/'))
                {
                    errs.Add(FieldErrors.Invalid(path.Child("path"), value, "must be an absolute path"));
                }
                break;
            default:
                errs.Add(FieldErrors.NotSupported(path.Child("pathType"), BadValue.Named(pathType), ["Exact", "ImplementationSpecific", "Prefix"]));
                break;
        }
        errs.AddRange(Backend(httpPath.Obj("backend"), path.Child("backend")));
        return errs;
    }

    private static List<FieldError> Backend(JsonObject? backend, FieldPath path)
    {
        var errs = new List<FieldError>();
        var resource = backend.Obj("resource");
        var service = backend.Obj("service");
        if (resource is not null && service is not null)
        {
            return [FieldErrors.Invalid(path, "", "cannot set both resource and service backends")];
        }
        if (resource is not null)
        {
            errs.AddRange(TypedLocalObjectReference(resource, path.Child("resource")));
            return errs;
        }
        if (service is null)
        {
            errs.Add(FieldErrors.Invalid(path, "", "resource or service backend is required"));
            return errs;
        }
        var name = service.Str("name");
        if (name.Length == 0)
        {
            errs.Add(FieldErrors.Required(path.Child("service", "name"), ""));
        }
        else
        {
            errs.AddRange(NameRules.NameIsDns1035Label(name, false).Select(m => FieldErrors.Invalid(path.Child("service", "name"), name, m)));
        }
        var port = service.Obj("port");
        var portName = port.Str("name");
        var portNumber = port.Int("number");
        if (portName.Length > 0 && portNumber != 0)
        {
            errs.Add(FieldErrors.Invalid(path, "", "cannot set both port name & port number"));
        }
        else if (portName.Length > 0)
        {
            errs.AddRange(NameRules.IsValidPortName(portName).Select(m => FieldErrors.Invalid(path.Child("service", "port", "name"), portName, m)));
        }
        else if (portNumber != 0)
        {
            errs.AddRange(NameRules.IsValidPortNum(portNumber).Select(m => FieldErrors.Invalid(path.Child("service", "port", "number"), portNumber, m)));
        }
        else
        {
            errs.Add(FieldErrors.Required(path, "port name or number is required"));
        }
        return errs;
    }

    private static List<FieldError> TypedLocalObjectReference(JsonObject reference, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (reference.StrOrNull("apiGroup") is { } group)
        {
            errs.AddRange(NameRules.IsDns1123Subdomain(group).Select(m => FieldErrors.Invalid(path.Child("apiGroup"), group, m)));
        }
        foreach (var field in new[] { "kind", "name" })
        {
            var value = reference.Str(field);
            if (value.Length == 0)
            {
                errs.Add(FieldErrors.Required(path.Child(field), ""));
            }
            else
            {
                errs.AddRange(NameRules.IsPathSegmentName(value).Select(m => FieldErrors.Invalid(path.Child(field), value, m)));
            }
        }
        return errs;
    }
}
