using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using Strata.Controllers.GatewayApi;
using Strata.Controllers.Workloads;
using Strata.Ingress.Configuration;
using Strata.Ingress.Routing;
using static Strata.Ingress.Gateway.GatewayConditions;

namespace Strata.Ingress.Gateway;

/// <summary>
/// Builds the Gateway configuration and every status from the cluster's objects (pure). It follows the Gateway API v1
/// spec (apis/v1 *_types.go docs and the conformance suite): GatewayClasses whose controllerName is ours are Accepted;
/// their Gateways' HTTP and HTTPS listeners are validated (protocol, route kinds, certificate Secrets, cross-namespace
/// references through ReferenceGrants, port conflicts); each HTTPRoute parentRef attaches to the listeners its
/// sectionName/port select, that allow its namespace and kind, and whose hostname intersects its own; each rule's
/// backendRefs are resolved to Service endpoints or to the reason their share of requests gets a 500.
/// </summary>
public sealed class GatewayConfigBuilder(string controllerName, IReadOnlyList<string> addresses)
{
    public const string DefaultControllerName = "strata.dev/gateway-controller";

    private static readonly RouteGroupKind HttpRouteKind = new() { Group = GatewayApiGroup.Name, Kind = "HTTPRoute" };

    public string ControllerName => controllerName;

    public GatewayConfig Build(GatewayState state)
    {
        var classes = state.Classes.Where(c => c.Spec.ControllerName == controllerName).OrderBy(c => c.Metadata.Name, StringComparer.Ordinal).ToList();
        var classResults = classes.Select(c => new GatewayClassResult(c.Metadata.Name, c.Metadata.Generation,
            [Make(Accepted, true, ReasonAccepted, $"handled by {controllerName}", c.Metadata.Generation)])).ToList();
        var ourClasses = classes.Select(c => c.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var gateways = state.Gateways.Where(g => ourClasses.Contains(g.Spec.GatewayClassName)).OrderBy(g => g.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(KeyOf, StringComparer.Ordinal).ToList();
        var grants = new ReferenceGrants(state.Grants);
        var listeners = gateways.ToDictionary(KeyOf, g => g.Spec.Listeners.Select(l => CheckListener(g, l, state, grants)).ToList(), StringComparer.Ordinal);
        MarkConflicts(listeners.Values.SelectMany(l => l).ToList());

        var services = state.Services.ToDictionary(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}", StringComparer.Ordinal);
        var resolver = new ServiceResolver(new ClusterState([], [], state.Services, state.EndpointSlices, []));
        var namespaceLabels = state.Namespaces.ToDictionary(n => n.Metadata.Name, n => n.Metadata.Labels, StringComparer.Ordinal);
        var hosts = new Dictionary<(int Port, string Hostname), List<RouteEntry>>();
        var routeResults = new List<HttpRouteResult>();
        foreach (var route in state.Routes.OrderBy(r => r.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(KeyOf, StringComparer.Ordinal))
        {
            var parents = new List<RouteParentStatus>();
            var compiled = CompileRoute(route, services, resolver, grants);
            foreach (var parentRef in route.Spec.ParentRefs ?? [])
            {
                if ((parentRef.Group ?? GatewayApiGroup.Name) != GatewayApiGroup.Name || (parentRef.Kind ?? "Gateway") != "Gateway")
                {
                    continue;
                }

                var gatewayKey = $"{parentRef.Namespace ?? route.Metadata.NamespaceProperty}/{parentRef.Name}";
                if (!listeners.TryGetValue(gatewayKey, out var gatewayListeners))
                {
                    continue; // not a Gateway of ours: its controller reports
                }

                var (accepted, reason, message, attached) = Attach(route, parentRef, gatewayKey, gatewayListeners, namespaceLabels);
                if (accepted && compiled.Unsupported is { } unsupported)
                {
                    (accepted, reason, message, attached) = (false, ReasonUnsupportedValue, unsupported, []);
                }

                foreach (var (listener, hostnames) in attached)
                {
                    listener.AttachedRoutes++;
                    if (!listener.Programmed)
                    {
                        continue;
                    }

                    foreach (var hostname in hostnames)
                    {
                        var key = (listener.Spec.Port, hostname);
                        if (!hosts.TryGetValue(key, out var entries))
                        {
                            hosts[key] = entries = [];
                        }

                        foreach (var entry in compiled.Entries)
                        {
                            if (!entries.Contains(entry))
                            {
                                entries.Add(entry);
                            }
                        }
                    }
                }

                var generation = route.Metadata.Generation;
                parents.Add(new RouteParentStatus
                {
                    ParentRef = new ParentReference
                    {
                        Group = GatewayApiGroup.Name,
                        Kind = "Gateway",
                        Namespace = parentRef.Namespace ?? route.Metadata.NamespaceProperty,
                        Name = parentRef.Name,
                        SectionName = parentRef.SectionName,
                        Port = parentRef.Port,
                    },
                    ControllerName = controllerName,
                    Conditions =
                    [
                        Make(Accepted, accepted, reason, message, generation),
                        Make(ResolvedRefs, compiled.RefsReason is null, compiled.RefsReason ?? ReasonResolvedRefs, compiled.RefsMessage ?? "all backend references resolved", generation),
                    ],
                });
            }

            if (parents.Count > 0)
            {
                routeResults.Add(new HttpRouteResult(KeyOf(route), parents));
            }
        }

        var ports = BuildPorts(listeners.Values.SelectMany(l => l).Where(l => l.Programmed).ToList(), hosts);
        var gatewayResults = gateways.Select(g => GatewayResultOf(g, listeners[KeyOf(g)])).ToList();
        return new GatewayConfig(ports, classResults, gatewayResults, routeResults);
    }

    public static string KeyOf(k8s.IKubernetesObject<V1ObjectMeta> obj) => $"{obj.Metadata.NamespaceProperty}/{obj.Metadata.Name}";

    private GatewayResult GatewayResultOf(V1Gateway gateway, List<ListenerCheck> listeners)
    {
        var generation = gateway.Metadata.Generation;
        var invalid = listeners.Where(l => !l.Accepted || !l.Programmed).Select(l => l.Spec.Name).ToList();
        var anyProgrammed = listeners.Any(l => l.Programmed);
        var conditions = new List<V1Condition>
        {
            invalid.Count == 0
                ? Make(Accepted, true, ReasonAccepted, "the Gateway is accepted", generation)
                : Make(Accepted, anyProgrammed, ReasonListenersNotValid, $"listeners not valid: {string.Join(", ", invalid)}", generation),
            anyProgrammed
                ? Make(Programmed, true, ReasonProgrammed, $"served by {controllerName}", generation)
                : Make(Programmed, false, ReasonInvalid, "no listener can be served", generation),
        };
        var statuses = listeners.Select(l => new ListenerStatus
        {
            Name = l.Spec.Name,
            SupportedKinds = l.SupportedKinds,
            AttachedRoutes = l.AttachedRoutes,
            Conditions =
            [
                Make(Accepted, l.Accepted, l.AcceptedReason, l.AcceptedMessage, generation),
                Make(Programmed, l.Programmed, l.Programmed ? ReasonProgrammed : ReasonInvalid, l.Programmed ? "the listener is served" : "the listener is not served", generation),
                Make(ResolvedRefs, l.RefsReason is null, l.RefsReason ?? ReasonResolvedRefs, l.RefsMessage ?? "all references resolved", generation),
                Make(Conflicted, l.ConflictReason is not null, l.ConflictReason ?? ReasonNoConflicts, l.ConflictReason is null ? "no conflicts" : l.ConflictMessage!, generation),
            ],
        }).ToList();
        return new GatewayResult(KeyOf(gateway), generation, conditions, statuses, addresses);
    }

    private ListenerCheck CheckListener(V1Gateway gateway, GatewayListener spec, GatewayState state, ReferenceGrants grants)
    {
        var check = new ListenerCheck(gateway, spec);
        var protocol = spec.Protocol;
        if (protocol is not ("HTTP" or "HTTPS"))
        {
            check.Accepted = false;
            check.AcceptedReason = ReasonUnsupportedProtocol;
            check.AcceptedMessage = $"protocol {protocol} is not supported (HTTP and HTTPS are)";
            return check;
        }

        var problems = new List<string>();
        if (spec.AllowedRoutes?.Kinds is { Count: > 0 } kinds)
        {
            foreach (var kind in kinds)
            {
                if ((kind.Group ?? GatewayApiGroup.Name) == GatewayApiGroup.Name && kind.Kind == "HTTPRoute")
                {
                    check.SupportedKinds.Add(HttpRouteKind);
                }
                else
                {
                    check.RefsReason ??= ReasonInvalidRouteKinds;
                    problems.Add($"route kind {(string.IsNullOrEmpty(kind.Group) ? "" : kind.Group + "/")}{kind.Kind} is not supported");
                }
            }
        }
        else
        {
            check.SupportedKinds.Add(HttpRouteKind);
        }

        if (protocol == "HTTPS")
        {
            if (spec.Tls?.Mode is { } mode && mode != "Terminate")
            {
                check.Accepted = false;
                check.AcceptedReason = ReasonUnsupportedValue;
                check.AcceptedMessage = $"TLS mode {mode} is not supported on an HTTPS listener";
                return check;
            }

            foreach (var reference in spec.Tls?.CertificateRefs ?? [])
            {
                var (certificate, reason, problem) = LoadCertificate(gateway, reference, state, grants);
                if (certificate is not null)
                {
                    check.Certificate ??= certificate;
                }
                else
                {
                    check.RefsReason ??= reason;
                    problems.Add(problem!);
                }
            }

            if (spec.Tls?.CertificateRefs is not { Count: > 0 })
            {
                check.RefsReason ??= ReasonInvalidCertificateRef;
                problems.Add("an HTTPS listener needs tls.certificateRefs");
            }
        }

        check.RefsMessage = problems.Count > 0 ? string.Join("; ", problems) : null;
        check.Programmed = check.RefsReason is null;
        return check;
    }

    private static (ListenerCertificate?, string?, string?) LoadCertificate(V1Gateway gateway, SecretObjectReference reference, GatewayState state, ReferenceGrants grants)
    {
        var ns = reference.Namespace ?? gateway.Metadata.NamespaceProperty;
        var name = $"{ns}/{reference.Name}";
        if ((reference.Group ?? "") != "" || (reference.Kind ?? "Secret") != "Secret")
        {
            return (null, ReasonInvalidCertificateRef, $"certificateRef {reference.Group}/{reference.Kind} {name} is not a core Secret");
        }

        if (ns != gateway.Metadata.NamespaceProperty && !grants.Permits(GatewayApiGroup.Name, "Gateway", gateway.Metadata.NamespaceProperty, "", "Secret", ns, reference.Name))
        {
            return (null, ReasonRefNotPermitted, $"certificateRef Secret {name} is in another namespace and no ReferenceGrant there allows it");
        }

        var secret = state.Secrets.FirstOrDefault(s => s.Metadata.NamespaceProperty == ns && s.Metadata.Name == reference.Name);
        if (secret is null)
        {
            return (null, ReasonInvalidCertificateRef, $"Secret {name} not found");
        }

        if (secret.Type != "kubernetes.io/tls")
        {
            return (null, ReasonInvalidCertificateRef, $"Secret {name} is of type {secret.Type ?? "Opaque"}, not kubernetes.io/tls");
        }

        if (secret.Data?.TryGetValue("tls.crt", out var crt) != true || secret.Data?.TryGetValue("tls.key", out var key) != true)
        {
            return (null, ReasonInvalidCertificateRef, $"Secret {name} has no tls.crt or tls.key");
        }

        try
        {
            var certificate = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(crt!), Encoding.UTF8.GetString(key!));
            return (new ListenerCertificate("", null, name, certificate), null, null);
        }
        catch (CryptographicException e)
        {
            return (null, ReasonInvalidCertificateRef, $"Secret {name} does not hold a usable certificate and key: {e.Message}");
        }
    }

    /// <summary>Listeners sharing a port must share the protocol (this process serves one socket per port); within a Gateway, port+hostname must be unique.</summary>
    private static void MarkConflicts(List<ListenerCheck> listeners)
    {
        foreach (var group in listeners.Where(l => l.Accepted).GroupBy(l => l.Spec.Port))
        {
            var protocols = group.Select(l => l.Spec.Protocol).Distinct(StringComparer.Ordinal).ToList();
            if (protocols.Count > 1)
            {
                // The first listener's protocol keeps the port, as the oldest Gateway wins.
                var first = group.First().Spec.Protocol;
                foreach (var listener in group.Where(l => l.Spec.Protocol != first))
                {
                    listener.Conflict(ReasonProtocolConflict, $"port {group.Key} is already served as {first}");
                }
            }

            foreach (var same in group.GroupBy(l => (Gateway: KeyOf(l.Gateway), Host: (l.Spec.Hostname ?? "").ToLowerInvariant())).Where(g => g.Count() > 1))
            {
                foreach (var listener in same)
                {
                    listener.Conflict(ReasonHostnameConflict, $"listeners {string.Join(", ", same.Select(l => l.Spec.Name))} share port {group.Key} and hostname \"{same.Key.Host}\"");
                }
            }
        }
    }

    private static (bool, string, string, List<(ListenerCheck, IReadOnlyList<string>)>) Attach(V1HttpRoute route, ParentReference parentRef, string gatewayKey,
        List<ListenerCheck> listeners, Dictionary<string, IDictionary<string, string>> namespaceLabels)
    {
        var selected = listeners.Where(l => (parentRef.SectionName is null || l.Spec.Name == parentRef.SectionName) && (parentRef.Port is null || l.Spec.Port == parentRef.Port)).ToList();
        if (selected.Count == 0)
        {
            var which = string.Join(" ", new[] { parentRef.SectionName is { } s ? $"sectionName {s}" : null, parentRef.Port is { } p ? $"port {p}" : null }.OfType<string>());
            return (false, ReasonNoMatchingParent, $"Gateway {gatewayKey} has no listener with {which}", []);
        }

        var routeNamespace = route.Metadata.NamespaceProperty;
        var allowed = selected.Where(l => l.Accepted && l.SupportedKinds.Count > 0 && AllowsNamespace(l, routeNamespace, namespaceLabels)).ToList();
        if (allowed.Count == 0)
        {
            return (false, ReasonNotAllowedByListeners, $"no listener of Gateway {gatewayKey} allows HTTPRoutes from namespace {routeNamespace}", []);
        }

        var attached = allowed.Select(l => (l, Hostnames.Effective(l.Spec.Hostname, route.Spec.Hostnames))).Where(a => a.Item2.Count > 0).ToList();
        if (attached.Count == 0)
        {
            return (false, ReasonNoMatchingListenerHostname, $"no listener of Gateway {gatewayKey} has a hostname that intersects {string.Join(", ", route.Spec.Hostnames ?? [])}", []);
        }

        return (true, ReasonAccepted, $"attached to listeners {string.Join(", ", attached.Select(a => a.l.Spec.Name))}", attached);
    }

    private static bool AllowsNamespace(ListenerCheck listener, string routeNamespace, Dictionary<string, IDictionary<string, string>> namespaceLabels)
    {
        var from = listener.Spec.AllowedRoutes?.Namespaces?.From ?? "Same";
        return from switch
        {
            "All" => true,
            "Same" => routeNamespace == listener.Gateway.Metadata.NamespaceProperty,
            "Selector" => listener.Spec.AllowedRoutes?.Namespaces?.Selector is { } selector
                && namespaceLabels.TryGetValue(routeNamespace, out var labels)
                && Selectors.Matches(selector, labels ?? new Dictionary<string, string>()),
            _ => false,
        };
    }

    private static List<GatewayPort> BuildPorts(List<ListenerCheck> programmed, Dictionary<(int Port, string Hostname), List<RouteEntry>> hosts)
    {
        var ports = new List<GatewayPort>();
        foreach (var group in programmed.Where(l => l.ConflictReason is null).GroupBy(l => l.Spec.Port).OrderBy(g => g.Key))
        {
            var https = group.First().Spec.Protocol == "HTTPS";
            var virtualHosts = hosts.Where(h => h.Key.Port == group.Key)
                .Select(h => new GatewayVirtualHost(h.Key.Hostname, [.. h.Value.Order(EntryPrecedence.Instance)]))
                .OrderBy(h => Hostnames.Specificity(h.Hostname)).ThenBy(h => h.Hostname, StringComparer.Ordinal)
                .ToList();
            var certificates = https
                ? group.Where(l => l.Certificate is not null).Select(l => l.Certificate! with { Listener = $"{KeyOf(l.Gateway)}/{l.Spec.Name}", Hostname = string.IsNullOrEmpty(l.Spec.Hostname) ? null : l.Spec.Hostname.ToLowerInvariant() }).ToList()
                : [];
            ports.Add(new GatewayPort(group.Key, https, virtualHosts, certificates));
        }

        return ports;
    }

    private static CompiledRoute CompileRoute(V1HttpRoute route, Dictionary<string, V1Service> services, ServiceResolver resolver, ReferenceGrants grants)
    {
        var name = KeyOf(route);
        var created = route.Metadata.CreationTimestamp ?? DateTime.MinValue;
        var entries = new List<RouteEntry>();
        string? unsupported = null;
        string? refsReason = null;
        var refsProblems = new List<string>();
        var rules = route.Spec.Rules ?? [];
        for (var r = 0; r < rules.Count; r++)
        {
            var rule = rules[r];
            var filters = ParseFilters(rule.Filters, $"rule[{r}]", ref unsupported);
            var backends = new List<WeightedBackend>();
            foreach (var backendRef in rule.BackendRefs ?? [])
            {
                var backend = ResolveBackend(route, backendRef, services, resolver, grants, ParseFilters(backendRef.Filters, $"rule[{r}] backendRef {backendRef.Name}", ref unsupported));
                if (backend.Invalid is { } problem)
                {
                    refsReason ??= backend.InvalidReason;
                    refsProblems.Add(problem);
                }

                backends.Add(backend);
            }

            var matches = rule.Matches is { Count: > 0 } given ? given : [new HttpRouteMatch()];
            for (var m = 0; m < matches.Count; m++)
            {
                var match = matches[m];
                var pathType = match.Path?.Type switch
                {
                    null or "PathPrefix" => GatewayPathType.PathPrefix,
                    "Exact" => GatewayPathType.Exact,
                    "RegularExpression" => GatewayPathType.RegularExpression,
                    var other => Unsupported(ref unsupported, $"rule[{r}] match[{m}]: path type {other} is not supported"),
                };
                var pathValue = match.Path?.Value ?? "/";
                Regex? pathPattern = null;
                if (pathType == GatewayPathType.RegularExpression)
                {
                    pathPattern = Compile(pathValue, $"rule[{r}] match[{m}] path", ref unsupported);
                }

                var headers = (match.Headers ?? []).DistinctBy(h => h.Name, StringComparer.OrdinalIgnoreCase)
                    .Select(h => Condition(h.Type, h.Name, h.Value, $"rule[{r}] match[{m}] header {h.Name}", ref unsupported)).ToList();
                var query = (match.QueryParams ?? []).DistinctBy(q => q.Name, StringComparer.Ordinal)
                    .Select(q => Condition(q.Type, q.Name, q.Value, $"rule[{r}] match[{m}] query parameter {q.Name}", ref unsupported)).ToList();
                entries.Add(new RouteEntry(name, created, r, m, pathType, pathValue, pathPattern, match.Method, headers, query, filters, backends));
            }
        }

        return new CompiledRoute(entries, unsupported, refsReason, refsProblems.Count > 0 ? string.Join("; ", refsProblems) : null);
    }

    private static GatewayPathType Unsupported(ref string? unsupported, string message)
    {
        unsupported ??= message;
        return GatewayPathType.PathPrefix;
    }

    private static ValueCondition Condition(string? type, string name, string value, string where, ref string? unsupported)
    {
        switch (type)
        {
            case null or "Exact":
                return new ValueCondition(name, value, null);
            case "RegularExpression":
                return new ValueCondition(name, value, Compile(value, where, ref unsupported));
            default:
                unsupported ??= $"{where}: match type {type} is not supported";
                return new ValueCondition(name, value, null);
        }
    }

    private static Regex? Compile(string pattern, string where, ref string? unsupported)
    {
        try
        {
            // RegularExpression matches are anchored: the whole path or value must match.
            return new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
        }
        catch (ArgumentException e)
        {
            unsupported ??= $"{where}: invalid regular expression {pattern}: {e.Message}";
            return null;
        }
    }

    private static List<RouteFilter> ParseFilters(IList<HttpRouteFilter>? filters, string where, ref string? unsupported)
    {
        var result = new List<RouteFilter>();
        foreach (var filter in filters ?? [])
        {
            switch (filter.Type)
            {
                case "RequestHeaderModifier" when filter.RequestHeaderModifier is { } modifier:
                    result.Add(new RequestHeaderFilter(ModifierOf(modifier)));
                    break;
                case "ResponseHeaderModifier" when filter.ResponseHeaderModifier is { } modifier:
                    result.Add(new ResponseHeaderFilter(ModifierOf(modifier)));
                    break;
                case "RequestRedirect" when filter.RequestRedirect is { } redirect:
                    result.Add(new RedirectFilter(redirect.Scheme, redirect.Hostname, PathOf(redirect.Path), redirect.Port, redirect.StatusCode ?? 302));
                    break;
                case "URLRewrite" when filter.UrlRewrite is { } rewrite:
                    result.Add(new RewriteFilter(rewrite.Hostname, PathOf(rewrite.Path)));
                    break;
                default:
                    unsupported ??= $"{where}: filter {filter.Type} is not supported";
                    break;
            }
        }

        return result;
    }

    private static HeaderModifier ModifierOf(HttpHeaderFilter filter) => new(
        [.. (filter.Set ?? []).Select(h => KeyValuePair.Create(h.Name, h.Value))],
        [.. (filter.Add ?? []).Select(h => KeyValuePair.Create(h.Name, h.Value))],
        [.. filter.Remove ?? []]);

    private static PathModifier? PathOf(HttpPathModifier? path) => path?.Type switch
    {
        "ReplaceFullPath" => new PathModifier(true, path.ReplaceFullPath ?? "/"),
        "ReplacePrefixMatch" => new PathModifier(false, path.ReplacePrefixMatch ?? "/"),
        _ => null,
    };

    /// <summary>A backendRef to its Service, or the reason and message of why it cannot be used.</summary>
    private static WeightedBackend ResolveBackend(V1HttpRoute route, HttpBackendRef backendRef, Dictionary<string, V1Service> services, ServiceResolver resolver, ReferenceGrants grants, List<RouteFilter> filters)
    {
        var routeNamespace = route.Metadata.NamespaceProperty;
        var ns = backendRef.Namespace ?? routeNamespace;
        var key = $"{ns}/{backendRef.Name}";
        var display = backendRef.Port is { } p ? $"{key}:{p}" : key;
        var weight = backendRef.Weight ?? 1;
        var group = backendRef.Group ?? "";
        var kind = backendRef.Kind ?? "Service";
        if (group != "" || kind != "Service")
        {
            return new WeightedBackend(display, weight, null, $"backendRef {(group.Length > 0 ? group + "/" : "")}{kind} {key} is not a core Service", filters) { InvalidReason = ReasonInvalidKind };
        }

        if (ns != routeNamespace && !grants.Permits(GatewayApiGroup.Name, "HTTPRoute", routeNamespace, "", "Service", ns, backendRef.Name))
        {
            return new WeightedBackend(display, weight, null, $"backendRef Service {key} is in another namespace and no ReferenceGrant there allows it", filters) { InvalidReason = ReasonRefNotPermitted };
        }

        if (!services.ContainsKey(key))
        {
            return new WeightedBackend(display, weight, null, $"Service {key} not found", filters) { InvalidReason = ReasonBackendNotFound };
        }

        if (backendRef.Port is not { } port)
        {
            return new WeightedBackend(display, weight, null, $"backendRef Service {key} needs a port", filters) { InvalidReason = ReasonBackendNotFound };
        }

        var target = resolver.Resolve(ns, new V1IngressServiceBackend { Name = backendRef.Name, Port = new V1ServiceBackendPort { Number = port } });
        if (target.Problem is { } problem && problem.Contains("has no port", StringComparison.Ordinal))
        {
            return new WeightedBackend(display, weight, null, problem, filters) { InvalidReason = ReasonBackendNotFound };
        }

        return new WeightedBackend(display, weight, target, null, filters);
    }

    private sealed record CompiledRoute(List<RouteEntry> Entries, string? Unsupported, string? RefsReason, string? RefsMessage);

    /// <summary>A listener being checked: its verdicts, and the routes counted on it.</summary>
    private sealed class ListenerCheck(V1Gateway gateway, GatewayListener spec)
    {
        public V1Gateway Gateway { get; } = gateway;

        public GatewayListener Spec { get; } = spec;

        public bool Accepted { get; set; } = true;

        public string AcceptedReason { get; set; } = ReasonAccepted;

        public string AcceptedMessage { get; set; } = "the listener is accepted";

        public bool Programmed { get; set; }

        public string? RefsReason { get; set; }

        public string? RefsMessage { get; set; }

        public string? ConflictReason { get; private set; }

        public string? ConflictMessage { get; private set; }

        public List<RouteGroupKind> SupportedKinds { get; } = [];

        public ListenerCertificate? Certificate { get; set; }

        public int AttachedRoutes { get; set; }

        public void Conflict(string reason, string message)
        {
            ConflictReason ??= reason;
            ConflictMessage ??= message;
            Programmed = false;
        }
    }
}

/// <summary>ReferenceGrants by the namespace they live in (the namespace of the referenced object).</summary>
public sealed class ReferenceGrants(IReadOnlyList<V1Beta1ReferenceGrant> grants)
{
    private readonly ILookup<string, V1Beta1ReferenceGrant> _byNamespace = grants.ToLookup(g => g.Metadata.NamespaceProperty, StringComparer.Ordinal);

    /// <summary>Whether a grant in <paramref name="toNamespace"/> lets <paramref name="fromKind"/>s of <paramref name="fromNamespace"/> refer to the object.</summary>
    public bool Permits(string fromGroup, string fromKind, string fromNamespace, string toGroup, string toKind, string toNamespace, string toName) =>
        _byNamespace[toNamespace].Any(g =>
            g.Spec.From.Any(f => f.Group == fromGroup && f.Kind == fromKind && f.Namespace == fromNamespace)
            && g.Spec.To.Any(t => t.Group == toGroup && t.Kind == toKind && (string.IsNullOrEmpty(t.Name) || t.Name == toName)));
}

/// <summary>
/// The HTTPRoute precedence (apis/v1 httproute_types.go, HTTPRouteRule): an Exact path, then the longest PathPrefix,
/// then a method match, then the most header matches, then the most query parameter matches; across routes the oldest,
/// then "namespace/name" alphabetically; within a route the first rule and match. Regular expressions rank after
/// prefixes (their precedence is implementation-specific).
/// </summary>
public sealed class EntryPrecedence : IComparer<RouteEntry>
{
    public static EntryPrecedence Instance { get; } = new();

    public int Compare(RouteEntry? x, RouteEntry? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? 1 : -1;
        }

        var c = Rank(x.PathType).CompareTo(Rank(y.PathType));
        if (c != 0)
        {
            return c;
        }

        c = -x.PathValue.Length.CompareTo(y.PathValue.Length);
        if (c != 0)
        {
            return c;
        }

        c = -(x.Method is not null).CompareTo(y.Method is not null);
        if (c != 0)
        {
            return c;
        }

        c = -x.Headers.Count.CompareTo(y.Headers.Count);
        if (c != 0)
        {
            return c;
        }

        c = -x.QueryParams.Count.CompareTo(y.QueryParams.Count);
        if (c != 0)
        {
            return c;
        }

        c = x.Created.CompareTo(y.Created);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(x.Route, y.Route);
        if (c != 0)
        {
            return c;
        }

        c = x.Rule.CompareTo(y.Rule);
        return c != 0 ? c : x.Match.CompareTo(y.Match);
    }

    private static int Rank(GatewayPathType type) => type switch
    {
        GatewayPathType.Exact => 0,
        GatewayPathType.PathPrefix => 1,
        _ => 2,
    };
}
