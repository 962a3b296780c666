using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using k8s.Models;
using Strata.Controllers.GatewayApi;
using Strata.Ingress.Routing;

namespace Strata.Ingress.Gateway;

/// <summary>The objects a Gateway configuration is built from, as the informers (or a manifest) hold them.</summary>
public sealed record GatewayState(
    IReadOnlyList<V1GatewayClass> Classes,
    IReadOnlyList<V1Gateway> Gateways,
    IReadOnlyList<V1HttpRoute> Routes,
    IReadOnlyList<V1Beta1ReferenceGrant> Grants,
    IReadOnlyList<V1Namespace> Namespaces,
    IReadOnlyList<V1Service> Services,
    IReadOnlyList<V1EndpointSlice> EndpointSlices,
    IReadOnlyList<V1Secret> Secrets);

public enum GatewayPathType
{
    Exact,
    PathPrefix,
    RegularExpression,
}

/// <summary>A header or query parameter condition of an HTTPRoute match (Exact, or a full-match regex).</summary>
public sealed record ValueCondition(string Name, string Value, Regex? Pattern)
{
    public bool Matches(string? actual) => actual is not null && (Pattern?.IsMatch(actual) ?? string.Equals(actual, Value, StringComparison.Ordinal));
}

/// <summary>What a rule does to a request before (or instead of) forwarding it.</summary>
public abstract record RouteFilter;

/// <summary>RequestHeaderModifier (or, on the response, ResponseHeaderModifier): set, add (appended), remove.</summary>
public sealed record HeaderModifier(IReadOnlyList<KeyValuePair<string, string>> Set, IReadOnlyList<KeyValuePair<string, string>> Add, IReadOnlyList<string> Remove);

public sealed record RequestHeaderFilter(HeaderModifier Modifier) : RouteFilter;

public sealed record ResponseHeaderFilter(HeaderModifier Modifier) : RouteFilter;

/// <summary>ReplaceFullPath or ReplacePrefixMatch (of the rule's PathPrefix match).</summary>
public sealed record PathModifier(bool FullPath, string Value);

public sealed record RedirectFilter(string? Scheme, string? Hostname, PathModifier? Path, int? Port, int StatusCode) : RouteFilter;

public sealed record RewriteFilter(string? Hostname, PathModifier? Path) : RouteFilter;

/// <summary>
/// One backendRef of a rule with its weight: a resolved Service (endpoints may be empty: 503), or <see cref="Invalid"/>
/// saying why its share of the requests gets a 500 (not found, not permitted, not a Service), with the ResolvedRefs
/// reason in <see cref="InvalidReason"/>.
/// </summary>
public sealed record WeightedBackend(string Name, int Weight, ServiceTarget? Target, string? Invalid, IReadOnlyList<RouteFilter> Filters)
{
    public string? InvalidReason { get; init; }
}

/// <summary>One match of one rule of one HTTPRoute, with everything needed to rank and apply it.</summary>
public sealed record RouteEntry(
    string Route,
    DateTime Created,
    int Rule,
    int Match,
    GatewayPathType PathType,
    string PathValue,
    Regex? PathPattern,
    string? Method,
    IReadOnlyList<ValueCondition> Headers,
    IReadOnlyList<ValueCondition> QueryParams,
    IReadOnlyList<RouteFilter> Filters,
    IReadOnlyList<WeightedBackend> Backends)
{
    /// <summary>Where the entry came from, for the dump and logs: <c>ns/name rule[i] match[j]</c>.</summary>
    public string Source => $"{Route} rule[{Rule}] match[{Match}]";
}

/// <summary>
/// The entries of every route attached with one effective hostname (the intersection of a listener's and a route's
/// hostnames; "*" when neither has one), in the spec's precedence order.
/// </summary>
public sealed record GatewayVirtualHost(string Hostname, IReadOnlyList<RouteEntry> Entries)
{
    public bool IsWildcard => Hostname.StartsWith("*.", StringComparison.Ordinal);
}

/// <summary>The certificate of an HTTPS listener, for the SNI names its hostname covers (all when it has none).</summary>
public sealed record ListenerCertificate(string Listener, string? Hostname, string SecretName, X509Certificate2 Certificate);

/// <summary>What the proxy serves on one port: HTTP or HTTPS, its virtual hosts, and the HTTPS listeners' certificates.</summary>
public sealed record GatewayPort(int Port, bool Https, IReadOnlyList<GatewayVirtualHost> Hosts, IReadOnlyList<ListenerCertificate> Certificates)
{
    /// <summary>The virtual hosts a Host header selects, most specific first: the exact one, wildcards longest first, then "*".</summary>
    public IEnumerable<GatewayVirtualHost> HostsFor(string host)
    {
        foreach (var candidate in Hosts)
        {
            if (Hostnames.Matches(candidate.Hostname, host))
            {
                yield return candidate;
            }
        }
    }

    /// <summary>The certificate for an SNI name: the listener with the most specific matching hostname, else the first.</summary>
    public X509Certificate2? CertificateFor(string? serverName)
    {
        if (Certificates.Count == 0)
        {
            return null;
        }

        if (serverName is { Length: > 0 })
        {
            var name = RouteMatcher.NormalizeHost(serverName);
            var best = Certificates
                .Where(c => c.Hostname is null || Hostnames.Matches(c.Hostname, name))
                .OrderBy(c => Hostnames.Specificity(c.Hostname))
                .FirstOrDefault();
            if (best is not null)
            {
                return best.Certificate;
            }
        }

        return Certificates[0].Certificate;
    }
}

/// <summary>The status one object should have, computed by the builder (conditions without their transition times).</summary>
public sealed record GatewayClassResult(string Name, long? Generation, IReadOnlyList<V1Condition> Conditions);

public sealed record GatewayResult(string Key, long? Generation, IReadOnlyList<V1Condition> Conditions, IReadOnlyList<ListenerStatus> Listeners, IReadOnlyList<string> Addresses);

public sealed record HttpRouteResult(string Key, IReadOnlyList<RouteParentStatus> Parents);

/// <summary>An immutable Gateway configuration: the ports to serve and every status to write.</summary>
public sealed record GatewayConfig(
    IReadOnlyList<GatewayPort> Ports,
    IReadOnlyList<GatewayClassResult> Classes,
    IReadOnlyList<GatewayResult> Gateways,
    IReadOnlyList<HttpRouteResult> Routes)
{
    public static GatewayConfig Empty { get; } = new([], [], [], []);

    public GatewayPort? PortFor(int port) => Ports.FirstOrDefault(p => p.Port == port);
}
