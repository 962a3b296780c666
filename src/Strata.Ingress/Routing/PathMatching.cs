namespace Strata.Ingress.Routing;

/// <summary>
/// The Ingress v1 path rules of KEP 1453 (kubernetes/enhancements keps/sig-network/1453-ingress-api, and the table in
/// the Ingress concept page): Exact compares the whole path case-sensitively; Prefix compares element by element on
/// '/', so <c>/aaa/bb</c> does not match <c>/aaa/bbb</c>, and a trailing '/' in either is ignored.
/// </summary>
public static class PathMatching
{
    public static bool MatchesExact(string rule, string path) => string.Equals(rule, path, StringComparison.Ordinal);

    public static bool MatchesPrefix(string rule, string path)
    {
        var prefix = rule.TrimEnd('/');
        if (prefix.Length == 0)
        {
            return true; // "/" matches every path
        }

        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        // The element boundary: the path ends there, or the next character starts a new element.
        return path.Length == prefix.Length || path[prefix.Length] == '/';
    }

    /// <summary>The length a Prefix rule is ranked by: its path without the trailing '/'.</summary>
    public static int PrefixLength(string rule) => rule.TrimEnd('/').Length;
}
