using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using Strata.Ingress.Routing;

namespace Strata.Ingress.Configuration;

/// <summary>
/// Builds the route table from the cluster's objects, the way ingress-nginx's controller.go builds its servers
/// (createServers/getBackendServers): Ingresses of our class, oldest first, so that the first Ingress to claim a host
/// and path keeps it; canary Ingresses merged into the route they shadow; a problem with one Ingress (an invalid
/// annotation, a path that is not a valid regex, a missing Secret) is reported against it and everything else serves.
/// Pure: no I/O, the same objects always give the same table.
/// </summary>
public sealed class RouteTableBuilder(IngressClassIdentity identity, X509Certificate2 fakeCertificate)
{
    public RouteTable Build(ClusterState state)
    {
        var problems = new List<IngressProblem>();
        var resolver = new ServiceResolver(state);
        var ours = state.Ingresses
            .Where(i => identity.Owns(i, state.Classes))
            .OrderBy(i => i.Metadata.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(i => i.Metadata.NamespaceProperty, StringComparer.Ordinal)
            .ThenBy(i => i.Metadata.Name, StringComparer.Ordinal)
            .ToList();

        // Parse every Ingress's annotations first: an invalid one rejects that Ingress only.
        var parsed = new List<(V1Ingress Ingress, LocationSettings Settings, CanarySettings Canary)>();
        foreach (var ingress in ours)
        {
            try
            {
                parsed.Add((ingress, IngressAnnotations.ParseLocation(ingress.Metadata.Annotations), IngressAnnotations.ParseCanary(ingress.Metadata.Annotations)));
            }
            catch (AnnotationException e)
            {
                problems.Add(new IngressProblem(NameOf(ingress), "InvalidAnnotation", $"Ingress {NameOf(ingress)}: {e.Message}; the Ingress is not served"));
            }
        }

        var mains = parsed.Where(p => !p.Canary.Enabled).ToList();
        var canaries = parsed.Where(p => p.Canary.Enabled).ToList();

        // ingress-nginx enforces regex locations on every path of a host once one Ingress of that host asks for it.
        var regexHosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (ingress, _, _) in mains)
        {
            if (IngressAnnotations.WantsRegex(ingress.Metadata.Annotations))
            {
                foreach (var rule in ingress.Spec?.Rules ?? [])
                {
                    regexHosts.Add(HostOf(rule));
                }
            }
        }

        var servers = new Dictionary<string, ServerBuilder>(StringComparer.Ordinal);
        ServerBuilder Server(string host) => servers.TryGetValue(host, out var s) ? s : servers[host] = new ServerBuilder(host, regexHosts.Contains(host));

        // The catch-all's default: the oldest Ingress with a defaultBackend (ingress-nginx's default server root location).
        var catchAll = Server("");
        foreach (var (ingress, settings, _) in mains)
        {
            if (ingress.Spec?.DefaultBackend?.Service is { } fallback && catchAll.Fallback is null)
            {
                catchAll.Fallback = new Route("/", PathMatchKind.Prefix, resolver.Resolve(ingress.Metadata.NamespaceProperty, fallback), settings, NameOf(ingress));
            }
        }

        foreach (var (ingress, _, _) in mains)
        {
            if (ingress.Spec?.DefaultBackend?.Service is { } own)
            {
                ReportBackend(ingress, "defaultBackend", resolver.Resolve(ingress.Metadata.NamespaceProperty, own), problems);
            }
        }

        foreach (var (ingress, settings, _) in mains)
        {
            var ns = ingress.Metadata.NamespaceProperty;
            foreach (var rule in ingress.Spec?.Rules ?? [])
            {
                var server = Server(HostOf(rule));
                if (server.Host.Length > 0 && server.Fallback is null && ingress.Spec?.DefaultBackend?.Service is { } own && !server.FallbackClaimed)
                {
                    server.Fallback = new Route("/", PathMatchKind.Prefix, resolver.Resolve(ns, own), settings, NameOf(ingress));
                }

                server.FallbackClaimed = true;
                foreach (var path in rule.Http?.Paths ?? [])
                {
                    if (path.Backend?.Service is not { } service)
                    {
                        problems.Add(new IngressProblem(NameOf(ingress), "UnsupportedBackend", $"Ingress {NameOf(ingress)}: path {path.Path} of host {Display(server.Host)} has no Service backend; only Service backends are supported"));
                        continue;
                    }

                    var target = ReportBackend(ingress, $"host {Display(server.Host)} path {(string.IsNullOrEmpty(path.Path) ? "/" : path.Path)}", resolver.Resolve(ns, service), problems);
                    var route = MakeRoute(ingress, server, path, target, settings, problems);
                    if (route is null)
                    {
                        continue;
                    }

                    if (server.Routes.Any(r => r.Path == route.Path && r.Kind == route.Kind))
                    {
                        var owner = server.Routes.First(r => r.Path == route.Path && r.Kind == route.Kind).Source;
                        problems.Add(new IngressProblem(NameOf(ingress), "PathConflict", $"Ingress {NameOf(ingress)}: host {Display(server.Host)} path {route.Path} ({route.Kind}) is already served by the older Ingress {owner}"));
                        continue;
                    }

                    server.Routes.Add(route);
                }
            }

            var loaded = new List<TlsBinding>();
            foreach (var tls in ingress.Spec?.Tls ?? [])
            {
                var binding = LoadCertificate(ingress, tls, state.Secrets, problems);
                loaded.Add(binding);
                foreach (var host in tls.Hosts ?? [])
                {
                    var key = host.ToLowerInvariant();
                    if (servers.TryGetValue(key, out var server) && server.Tls is null)
                    {
                        server.Tls = binding;
                    }
                }
            }

            // controller.go extractTLSSecretName: a rule host no TLS section names takes a Secret whose certificate
            // covers it (SAN or CN).
            foreach (var rule in ingress.Spec?.Rules ?? [])
            {
                if (servers.TryGetValue(HostOf(rule), out var server) && server.Host.Length > 0 && server.Tls is null
                    && loaded.FirstOrDefault(b => b.SecretName.Length > 0 && Covers(b.Certificate, server.Host)) is { } covering)
                {
                    server.Tls = covering;
                }
            }
        }

        var rejected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (ingress, _, canary) in canaries)
        {
            if (!MergeCanary(ingress, canary, servers, resolver, problems))
            {
                rejected.Add(NameOf(ingress));
            }
        }

        var hosts = servers.Values
            .Where(s => s.Host.Length > 0 || s.Routes.Count > 0 || s.Fallback is not null)
            .OrderBy(s => s.Host.Length == 0 ? 2 : s.Host.StartsWith("*.", StringComparison.Ordinal) ? 1 : 0)
            .ThenBy(s => s.Host, StringComparer.Ordinal)
            .Select(s => s.Build())
            .ToList();
        var admitted = parsed.Select(p => NameOf(p.Ingress)).Where(n => !rejected.Contains(n)).Order(StringComparer.Ordinal).ToList();
        return new RouteTable(hosts, admitted, problems);
    }

    private static Route? MakeRoute(V1Ingress ingress, ServerBuilder server, V1HTTPIngressPath path, ServiceTarget target, LocationSettings settings, List<IngressProblem> problems)
    {
        var text = string.IsNullOrEmpty(path.Path) ? "/" : path.Path;
        var kind = path.PathType switch
        {
            "Exact" => PathMatchKind.Exact,
            "Prefix" => PathMatchKind.Prefix,
            _ => PathMatchKind.StringPrefix,
        };
        if (kind != PathMatchKind.StringPrefix && !text.StartsWith('/'))
        {
            problems.Add(new IngressProblem(NameOf(ingress), "InvalidPath", $"Ingress {NameOf(ingress)}: path \"{text}\" of host {Display(server.Host)} must begin with '/'"));
            return null;
        }

        var route = new Route(text, kind, target, settings, NameOf(ingress));
        if (!server.UseRegex || kind == PathMatchKind.Exact)
        {
            return route;
        }

        try
        {
            var pattern = new Regex("^" + text, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            return route with { Kind = PathMatchKind.Regex, Pattern = pattern };
        }
        catch (ArgumentException e)
        {
            problems.Add(new IngressProblem(NameOf(ingress), "InvalidPath", $"Ingress {NameOf(ingress)}: path \"{text}\" of host {Display(server.Host)} is not a valid regular expression: {e.Message}"));
            return null;
        }
    }

    private TlsBinding LoadCertificate(V1Ingress ingress, V1IngressTLS tls, IReadOnlyList<V1Secret> secrets, List<IngressProblem> problems)
    {
        var ns = ingress.Metadata.NamespaceProperty;
        if (string.IsNullOrEmpty(tls.SecretName))
        {
            return new TlsBinding("", fakeCertificate);
        }

        var name = $"{ns}/{tls.SecretName}";
        var secret = secrets.FirstOrDefault(s => s.Metadata.NamespaceProperty == ns && s.Metadata.Name == tls.SecretName);
        string? problem = null;
        X509Certificate2? certificate = null;
        if (secret is null)
        {
            problem = $"Secret {name} not found";
        }
        else if (secret.Type != "kubernetes.io/tls")
        {
            problem = $"Secret {name} is of type {secret.Type ?? "Opaque"}, not kubernetes.io/tls";
        }
        else if (secret.Data?.TryGetValue("tls.crt", out var crt) != true || secret.Data?.TryGetValue("tls.key", out var key) != true)
        {
            problem = $"Secret {name} has no tls.crt or tls.key";
        }
        else
        {
            try
            {
                certificate = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(crt!), Encoding.UTF8.GetString(key!));
            }
            catch (CryptographicException e)
            {
                problem = $"Secret {name} does not hold a usable certificate and key: {e.Message}";
            }
        }

        if (certificate is null)
        {
            problems.Add(new IngressProblem(NameOf(ingress), "InvalidCertificate", $"Ingress {NameOf(ingress)}: {problem}; the default fake certificate is used instead"));
            return new TlsBinding("", fakeCertificate);
        }

        return new TlsBinding(name, certificate);
    }

    /// <summary>Puts a canary on the routes it shadows; false when its annotations reject it as a whole.</summary>
    private static bool MergeCanary(V1Ingress ingress, CanarySettings canary, Dictionary<string, ServerBuilder> servers, ServiceResolver resolver, List<IngressProblem> problems)
    {
        if (canary.Weight > canary.WeightTotal)
        {
            problems.Add(new IngressProblem(NameOf(ingress), "InvalidAnnotation", $"Ingress {NameOf(ingress)}: annotation {IngressAnnotations.CanaryWeight}: value \"{canary.Weight}\" is above canary-weight-total {canary.WeightTotal}; the Ingress is not served"));
            return false;
        }

        foreach (var rule in ingress.Spec?.Rules ?? [])
        {
            var host = HostOf(rule);
            foreach (var path in rule.Http?.Paths ?? [])
            {
                var text = string.IsNullOrEmpty(path.Path) ? "/" : path.Path;
                var index = servers.TryGetValue(host, out var server) ? server.Routes.FindIndex(r => r.Path == text) : -1;
                if (index < 0 || path.Backend?.Service is not { } service)
                {
                    problems.Add(new IngressProblem(NameOf(ingress), "CanaryWithoutMain", $"Ingress {NameOf(ingress)}: canary for host {Display(host)} path {text} has no main Ingress serving the same host and path"));
                    continue;
                }

                var target = ReportBackend(ingress, $"canary for host {Display(host)} path {text}", resolver.Resolve(ingress.Metadata.NamespaceProperty, service), problems);
                server!.Routes[index] = server.Routes[index] with
                {
                    Canary = new CanaryRoute(target, canary.Header, canary.HeaderValue, canary.Weight, canary.WeightTotal, NameOf(ingress)),
                };
            }
        }

        return true;
    }

    /// <summary>
    /// Go's Certificate.VerifyHostname on the SAN DNS names (the CN is not looked at): a host that is not a valid name
    /// to look up, such as the rule host <c>*.foo.com</c>, only matches a SAN equal to it.
    /// </summary>
    private static bool Covers(X509Certificate2 certificate, string host)
    {
        try
        {
            if (!host.Contains('*', StringComparison.Ordinal))
            {
                return certificate.MatchesHostname(host, allowWildcards: true, allowCommonName: false);
            }
        }
        catch (ArgumentException)
        {
        }

        return certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(e => e.EnumerateDnsNames())
            .Any(name => string.Equals(name.TrimEnd('.'), host, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// A backend Service that does not exist, lacks the port or cannot be served is a problem of its Ingress (an Event);
    /// the route stays and answers 503, as ingress-nginx's upstream without endpoints does, and every other route serves.
    /// </summary>
    private static ServiceTarget ReportBackend(V1Ingress ingress, string where, ServiceTarget target, List<IngressProblem> problems)
    {
        if (target.Problem is { } problem && target.Endpoints.Count == 0 && problem != ServiceResolver.NoReadyEndpoints)
        {
            problems.Add(new IngressProblem(NameOf(ingress), "InvalidBackend", $"Ingress {NameOf(ingress)}: {where}: {problem}; its requests get 503"));
        }

        return target;
    }

    private static string HostOf(V1IngressRule rule) => (rule.Host ?? "").ToLowerInvariant();

    private static string Display(string host) => host.Length == 0 ? "*" : host;

    internal static string NameOf(V1Ingress ingress) => $"{ingress.Metadata.NamespaceProperty}/{ingress.Metadata.Name}";

    private sealed class ServerBuilder(string host, bool useRegex)
    {
        public string Host { get; } = host;

        public bool UseRegex { get; } = useRegex;

        public List<Route> Routes { get; } = [];

        public Route? Fallback { get; set; }

        /// <summary>The first Ingress naming this host decides its fallback (ingress-nginx: "server already configured").</summary>
        public bool FallbackClaimed { get; set; }

        public TlsBinding? Tls { get; set; }

        // Longest path first: nginx tries regex locations in order, and ingress-nginx sorts them by length.
        public VirtualHost Build() => new(Host, [.. Routes.OrderByDescending(r => r.Path.Length).ThenBy(r => r.Path, StringComparer.Ordinal).ThenBy(r => r.Kind)], Fallback, Tls, UseRegex);
    }
}
