using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Strata.Ingress.Routing;

/// <summary>How a route's path is compared with the request path.</summary>
public enum PathMatchKind
{
    /// <summary>pathType Exact: the whole path, case-sensitive.</summary>
    Exact,

    /// <summary>pathType Prefix: element-wise on '/', a trailing '/' in the rule ignored (KEP 1453).</summary>
    Prefix,

    /// <summary>pathType ImplementationSpecific: a plain string prefix, as nginx's <c>location /path</c>.</summary>
    StringPrefix,

    /// <summary>use-regex or rewrite-target on the host: nginx's <c>location ~* "^path"</c>, case-insensitive.</summary>
    Regex,
}

public enum BackendProtocol
{
    Http,
    Https,
    Grpc,
    Grpcs,
}

/// <summary>One ready endpoint of a Service port, from an EndpointSlice.</summary>
public sealed record UpstreamEndpoint(IPAddress Address, int Port)
{
    private readonly string _text = new IPEndPoint(Address, Port).ToString();

    /// <summary>The forwarder's destination prefixes, made once per table rather than once per request.</summary>
    public string HttpPrefix { get; } = $"http://{new IPEndPoint(Address, Port)}";

    public string HttpsPrefix { get; } = $"https://{new IPEndPoint(Address, Port)}";

    public override string ToString() => _text;
}

/// <summary>A Service port an Ingress points at, resolved to its endpoints (none when <see cref="Problem"/> says why).</summary>
public sealed record ServiceTarget(string Namespace, string Service, string Port, IReadOnlyList<UpstreamEndpoint> Endpoints, string? Problem)
{
    /// <summary>namespace/service:port, the key of the round-robin cursor (computed once: it is read on every request).</summary>
    public string Name { get; } = $"{Namespace}/{Service}:{Port}";
}

/// <summary>The per-location settings that ingress-nginx's annotations give (with its defaults when absent).</summary>
public sealed record LocationSettings
{
    public static LocationSettings Default { get; } = new();

    public string? RewriteTarget { get; init; }

    public string? AppRoot { get; init; }

    /// <summary>client_max_body_size in bytes; null when "0" turned the limit off.</summary>
    public long? MaxBodySize { get; init; } = 1024 * 1024;

    public bool SslRedirect { get; init; } = true;

    public bool ForceSslRedirect { get; init; }

    public BackendProtocol Protocol { get; init; } = BackendProtocol.Http;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>whitelist-source-range; null lets every client in.</summary>
    public IReadOnlyList<IPNetwork>? Allowlist { get; init; }
}

/// <summary>An alternative backend for a route (a canary Ingress), chosen by header and then by weight.</summary>
public sealed record CanaryRoute(ServiceTarget Backend, string? Header, string? HeaderValue, int Weight, int WeightTotal, string Source);

/// <summary>One path of one host: where it goes and how.</summary>
public sealed record Route(string Path, PathMatchKind Kind, ServiceTarget Backend, LocationSettings Settings, string Source)
{
    /// <summary>The compiled location regex when <see cref="Kind"/> is Regex (anchored at the start, case-insensitive).</summary>
    public Regex? Pattern { get; init; }

    public CanaryRoute? Canary { get; init; }
}

/// <summary>A TLS certificate for some hosts, from a kubernetes.io/tls Secret (or the fake one when the Secret is unusable).</summary>
public sealed record TlsBinding(string SecretName, X509Certificate2 Certificate);

/// <summary>
/// An nginx server block: the routes of one host (or the catch-all, <see cref="Host"/> ""), their fallback (the
/// defaultBackend of the oldest Ingress that named this host) and TLS.
/// </summary>
public sealed record VirtualHost(string Host, IReadOnlyList<Route> Routes, Route? Fallback, TlsBinding? Tls, bool UseRegex)
{
    public bool IsWildcard => Host.StartsWith("*.", StringComparison.Ordinal);
}

/// <summary>A rejected Ingress or a problem with one of its parts; the rest of the configuration keeps serving.</summary>
public sealed record IngressProblem(string Ingress, string Reason, string Message);

/// <summary>An immutable snapshot of everything the proxy needs; a change builds a new one and swaps it in.</summary>
public sealed class RouteTable
{
    private readonly Dictionary<string, VirtualHost> _exact;
    private readonly Dictionary<string, VirtualHost> _wildcard;

    public RouteTable(IReadOnlyList<VirtualHost> hosts, IReadOnlyList<string> admitted, IReadOnlyList<IngressProblem> problems)
    {
        Hosts = hosts;
        Admitted = admitted;
        Problems = problems;
        _exact = hosts.Where(h => h.Host.Length > 0 && !h.IsWildcard).ToDictionary(h => h.Host, StringComparer.OrdinalIgnoreCase);
        _wildcard = hosts.Where(h => h.IsWildcard).ToDictionary(h => h.Host[2..], StringComparer.OrdinalIgnoreCase);
        CatchAll = hosts.FirstOrDefault(h => h.Host.Length == 0) ?? new VirtualHost("", [], null, null, false);
    }

    public static RouteTable Empty { get; } = new([], [], []);

    /// <summary>Every server block, exact hosts then wildcards then the catch-all.</summary>
    public IReadOnlyList<VirtualHost> Hosts { get; }

    public VirtualHost CatchAll { get; }

    /// <summary>The Ingresses (namespace/name) this controller serves; their status gets the load balancer address.</summary>
    public IReadOnlyList<string> Admitted { get; }

    public IReadOnlyList<IngressProblem> Problems { get; }

    /// <summary>The server block for a Host header (port stripped): exact, then a one-label wildcard, then the catch-all.</summary>
    public VirtualHost FindHost(string host)
    {
        if (host.Length > 0)
        {
            if (_exact.TryGetValue(host, out var exact))
            {
                return exact;
            }

            var dot = host.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && _wildcard.TryGetValue(host[(dot + 1)..], out var wildcard))
            {
                return wildcard;
            }
        }

        return CatchAll;
    }
}
