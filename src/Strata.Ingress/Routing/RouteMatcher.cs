using System.Text.RegularExpressions;

namespace Strata.Ingress.Routing;

/// <summary>What a request matched: the server block and the route (null when the controller's 404 answers).</summary>
public sealed record RouteMatch(VirtualHost Host, Route? Route, Match? RegexMatch);

/// <summary>
/// Ingress route selection. The host picks one server block (exact, one-label wildcard, catch-all), as nginx's
/// server_name does; within it, the longest matching path wins and Exact beats Prefix on a tie; then the block's
/// defaultBackend (for the catch-all block, the rule-less Ingress's), then nothing (404). A block in regex mode (use-regex or
/// rewrite-target on any of its Ingresses) keeps nginx's order instead: Exact paths, then the regexes, longest
/// first, the first that matches winning.
/// </summary>
public static class RouteMatcher
{
    public static RouteMatch Match(RouteTable table, string host, string path)
    {
        var server = table.FindHost(NormalizeHost(host));
        var (route, match) = server.UseRegex ? MatchRegexMode(server, path) : (MatchPaths(server, path), null);
        // A host's block falls back to its own Ingress's defaultBackend only: like ingress-nginx (createServers), the
        // defaultBackend of a rule-less Ingress configures the catch-all server "_", not the other hosts' root location.
        route ??= server.Fallback;
        return new RouteMatch(server, route, match);
    }

    /// <summary>The Host header without its port and without a trailing dot, lower-cased.</summary>
    public static string NormalizeHost(string host)
    {
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? host[..(end + 1)] : host;
        }

        var colon = host.LastIndexOf(':');
        if (colon >= 0)
        {
            host = host[..colon];
        }

        return host.TrimEnd('.').ToLowerInvariant();
    }

    private static Route? MatchPaths(VirtualHost server, string path)
    {
        Route? best = null;
        var bestLength = -1;
        foreach (var route in server.Routes)
        {
            int length;
            switch (route.Kind)
            {
                case PathMatchKind.Exact when PathMatching.MatchesExact(route.Path, path):
                    length = route.Path.Length;
                    break;
                case PathMatchKind.Prefix when PathMatching.MatchesPrefix(route.Path, path):
                    length = PathMatching.PrefixLength(route.Path);
                    break;
                case PathMatchKind.StringPrefix when path.StartsWith(route.Path, StringComparison.Ordinal):
                    length = route.Path.Length;
                    break;
                default:
                    continue;
            }

            if (length > bestLength || (length == bestLength && route.Kind == PathMatchKind.Exact && best!.Kind != PathMatchKind.Exact))
            {
                best = route;
                bestLength = length;
            }
        }

        return best;
    }

    private static (Route?, Match?) MatchRegexMode(VirtualHost server, string path)
    {
        foreach (var route in server.Routes)
        {
            if (route.Kind == PathMatchKind.Exact && PathMatching.MatchesExact(route.Path, path))
            {
                return (route, null);
            }
        }

        // Routes are kept longest path first, as ingress-nginx orders its locations.
        foreach (var route in server.Routes)
        {
            if (route.Pattern is { } pattern && pattern.Match(path) is { Success: true } match)
            {
                return (route, match);
            }
        }

        return (null, null);
    }
}
