using Strata.Ingress.Routing;

namespace Strata.Ingress.Gateway;

/// <summary>What the Gateway proxy looks at in a request: the listener port it came in on and its parts.</summary>
public sealed record GatewayRequest(
    int ListenerPort,
    string Scheme,
    string Method,
    string Host,
    string Path,
    string Query,
    Func<string, string?> Header,
    Func<string, string?> QueryParam);

public abstract record GatewayPlan;

/// <summary>An answer from the proxy itself: 404 (no route), 500 (an invalid backend's share), 503 (no endpoints), a redirect.</summary>
public sealed record GatewayLocalResponse(int Status, string? Location, string Reason) : GatewayPlan;

/// <summary>Forward to an endpoint of <see cref="Backend"/> with the rewritten path and Host and the header changes of the filters.</summary>
public sealed record GatewayForward(
    RouteEntry Entry,
    ServiceTarget Backend,
    string PathAndQuery,
    string? Host,
    IReadOnlyList<HeaderModifier> RequestHeaders,
    IReadOnlyList<HeaderModifier> ResponseHeaders) : GatewayPlan;

/// <summary>
/// Route selection and the filters of the Gateway API (pure; the random source is passed in). The Host picks the
/// virtual hosts that cover it, most specific first; in each, entries are in precedence order and the first whose
/// path, method, headers and query parameters all match wins. Its filters run in order (RequestRedirect answers at
/// once), then a backendRef is drawn by weight.
/// </summary>
public static class GatewayPlanner
{
    public static (GatewayVirtualHost Host, RouteEntry Entry)? Match(GatewayPort port, GatewayRequest request)
    {
        var host = RouteMatcher.NormalizeHost(request.Host);
        foreach (var virtualHost in port.HostsFor(host))
        {
            foreach (var entry in virtualHost.Entries)
            {
                if (Matches(entry, request))
                {
                    return (virtualHost, entry);
                }
            }
        }

        return null;
    }

    public static bool Matches(RouteEntry entry, GatewayRequest request)
    {
        var pathMatches = entry.PathType switch
        {
            GatewayPathType.Exact => string.Equals(entry.PathValue, request.Path, StringComparison.Ordinal),
            GatewayPathType.PathPrefix => PathMatching.MatchesPrefix(entry.PathValue, request.Path),
            _ => entry.PathPattern?.IsMatch(request.Path) == true,
        };
        return pathMatches
            && (entry.Method is null || string.Equals(entry.Method, request.Method, StringComparison.Ordinal))
            && entry.Headers.All(h => h.Matches(request.Header(h.Name)))
            && entry.QueryParams.All(q => q.Matches(request.QueryParam(q.Name)));
    }

    public static GatewayPlan Plan(GatewayConfig config, GatewayRequest request, Func<int, int> random)
    {
        if (config.PortFor(request.ListenerPort) is not { } port || Match(port, request) is not { } found)
        {
            return new GatewayLocalResponse(404, null, "no route matches");
        }

        var entry = found.Entry;
        var requestHeaders = new List<HeaderModifier>();
        var responseHeaders = new List<HeaderModifier>();
        string? host = null;
        var path = request.Path;
        // A rule's filters, then the chosen backendRef's; a redirect answers only from the rule's.
        RedirectFilter? Apply(IReadOnlyList<RouteFilter> filters, bool redirects)
        {
            foreach (var filter in filters)
            {
                switch (filter)
                {
                    case RedirectFilter redirect when redirects:
                        return redirect;
                    case RequestHeaderFilter h:
                        requestHeaders.Add(h.Modifier);
                        break;
                    case ResponseHeaderFilter h:
                        responseHeaders.Add(h.Modifier);
                        break;
                    case RewriteFilter rewrite:
                        host = rewrite.Hostname ?? host;
                        path = rewrite.Path is { } modifier ? ModifyPath(modifier, entry, path) : path;
                        break;
                }
            }

            return null;
        }

        if (Apply(entry.Filters, redirects: true) is { } redirect)
        {
            return new GatewayLocalResponse(redirect.StatusCode, RedirectLocation(redirect, entry, request), "redirect");
        }

        var total = entry.Backends.Sum(b => Math.Max(0, b.Weight));
        if (total == 0)
        {
            return new GatewayLocalResponse(500, null, entry.Backends.Count == 0 ? "the rule has no backendRefs" : "every backendRef has weight 0");
        }

        var draw = random(total);
        var chosen = entry.Backends.First(b =>
        {
            draw -= Math.Max(0, b.Weight);
            return draw < 0;
        });
        if (chosen.Invalid is { } invalid || chosen.Target is null)
        {
            return new GatewayLocalResponse(500, null, chosen.Invalid ?? "invalid backend");
        }

        Apply(chosen.Filters, redirects: false);

        if (chosen.Target.Endpoints.Count == 0)
        {
            return new GatewayLocalResponse(503, null, $"{chosen.Name}: {chosen.Target.Problem ?? "no endpoints"}");
        }

        return new GatewayForward(entry, chosen.Target, path + request.Query, host, requestHeaders, responseHeaders);
    }

    /// <summary>
    /// The query parameters of a query string ("?a=1&amp;b=2"), names compared case-sensitively (HTTPQueryParamMatch:
    /// an exact string match); a repeated parameter keeps its first value.
    /// </summary>
    public static Dictionary<string, string> ParseQuery(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((equals >= 0 ? pair[..equals] : pair).Replace('+', ' '));
            var value = equals >= 0 ? Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' ')) : "";
            result.TryAdd(name, value);
        }

        return result;
    }

    /// <summary>
    /// The Location of a RequestRedirect (HTTPRequestRedirectFilter docs): scheme and hostname default to the request's;
    /// the port to the scheme's well-known port when a scheme is given, else to the listener's; 80 for http and 443 for
    /// https are left out. The query is kept.
    /// </summary>
    public static string RedirectLocation(RedirectFilter redirect, RouteEntry entry, GatewayRequest request)
    {
        var scheme = redirect.Scheme ?? request.Scheme;
        var host = redirect.Hostname ?? RouteMatcher.NormalizeHost(request.Host);
        var port = redirect.Port ?? (redirect.Scheme switch
        {
            "http" => 80,
            "https" => 443,
            _ => request.ListenerPort,
        });
        var showPort = !((scheme == "http" && port == 80) || (scheme == "https" && port == 443));
        var path = redirect.Path is { } modifier ? ModifyPath(modifier, entry, request.Path) : request.Path;
        return $"{scheme}://{host}{(showPort ? $":{port}" : "")}{path}{request.Query}";
    }

    /// <summary>
    /// ReplaceFullPath, or ReplacePrefixMatch: the part of the path the PathPrefix matched (element-wise, its trailing '/'
    /// ignored) becomes the replacement, so <c>/foo/bar</c> with prefix <c>/foo</c> and <c>/xyz/</c> gives <c>/xyz/bar</c>
    /// and with <c>/</c> gives <c>/bar</c> (the table in httproute_types.go HTTPPathModifier).
    /// </summary>
    public static string ModifyPath(PathModifier modifier, RouteEntry entry, string path)
    {
        if (modifier.FullPath)
        {
            return modifier.Value;
        }

        var prefix = entry.PathType == GatewayPathType.PathPrefix ? entry.PathValue.TrimEnd('/') : "";
        var rest = path.Length >= prefix.Length ? path[prefix.Length..] : "";
        var result = modifier.Value.TrimEnd('/') + rest;
        return result.Length == 0 ? "/" : result[0] == '/' ? result : "/" + result;
    }
}
