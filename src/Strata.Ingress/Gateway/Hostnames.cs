namespace Strata.Ingress.Gateway;

/// <summary>
/// Gateway API hostnames (apis/v1 shared_types.go Hostname, httproute_types.go HTTPRouteSpec.Hostnames): a wildcard
/// <c>*.example.com</c> is a suffix match over one or more labels, so it matches <c>a.b.example.com</c> but not
/// <c>example.com</c> (unlike Ingress, where it covers exactly one label). "*" stands for no hostname: every host.
/// </summary>
public static class Hostnames
{
    public const string Any = "*";

    public static bool IsWildcard(string hostname) => hostname.StartsWith("*.", StringComparison.Ordinal);

    /// <summary>Whether a request host (already without port, lower-cased) is covered by a hostname.</summary>
    public static bool Matches(string hostname, string host)
    {
        if (hostname == Any)
        {
            return true;
        }

        if (IsWildcard(hostname))
        {
            var suffix = hostname[1..]; // ".example.com"
            return host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(hostname, host, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The hostname a listener and a route hostname both accept: the more specific of the two when one covers the
    /// other, else null. A listener without a hostname accepts the route's as it is.
    /// </summary>
    public static string? Intersect(string? listener, string route)
    {
        route = route.ToLowerInvariant();
        if (string.IsNullOrEmpty(listener))
        {
            return route;
        }

        listener = listener.ToLowerInvariant();
        if (listener == route)
        {
            return route;
        }

        var routeName = IsWildcard(route) ? route[2..] : route;
        var listenerName = IsWildcard(listener) ? listener[2..] : listener;
        if (IsWildcard(listener) && Matches(listener, routeName))
        {
            return route; // *.example.com and foo.example.com or *.foo.example.com: the route's is narrower
        }

        if (IsWildcard(route) && Matches(route, listenerName))
        {
            return listener;
        }

        return null;
    }

    /// <summary>The effective hostnames of a route on a listener; empty when none intersect (the route does not attach).</summary>
    public static IReadOnlyList<string> Effective(string? listener, IList<string>? routeHostnames)
    {
        if (routeHostnames is not { Count: > 0 })
        {
            return [string.IsNullOrEmpty(listener) ? Any : listener.ToLowerInvariant()];
        }

        return [.. routeHostnames.Select(h => Intersect(listener, h)).OfType<string>().Distinct(StringComparer.Ordinal)];
    }

    /// <summary>A sort key, lowest first: exact names, then wildcards with the longest suffix, then "*" (or null).</summary>
    public static (int, int) Specificity(string? hostname) =>
        hostname is null or Any ? (2, 0) : IsWildcard(hostname) ? (1, -hostname.Length) : (0, 0);
}
