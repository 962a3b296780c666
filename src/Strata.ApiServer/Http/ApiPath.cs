namespace Strata.ApiServer.Http;

/// <summary>
/// A resource request path, as k8s.io/apiserver/pkg/endpoints/request/requestinfo.go splits it:
/// <c>/api/v1[/watch][/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]</c> and the same under <c>/apis/GROUP/VERSION</c>.
/// </summary>
public sealed record ApiPath(string Group, string Version, string Resource, string? Namespace, string? Name, string? Subresource, bool LegacyWatch)
{
    /// <summary>Parses a resource path; null for anything else (discovery, health, unknown paths).</summary>
    public static ApiPath? Parse(string path)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group;
        string version;
        int rest;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, rest) = ("", segments[1], 2);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], 3);
        }
        else
        {
            return null;
        }

        var parts = segments[rest..];
        var watch = false;
        if (parts[0] == "watch")
        {
            watch = true;
            parts = parts[1..];
        }

        string? ns = null;
        // "namespaces/NAME/status" and "namespaces/NAME/finalize" are the Namespace's own subresources.
        if (parts.Length >= 3 && parts[0] == "namespaces" && !(parts.Length == 3 && parts[2] is "status" or "finalize"))
        {
            ns = parts[1];
            parts = parts[2..];
        }

        if (parts.Length is 0 or > 3)
        {
            return null;
        }

        return new ApiPath(group, version, parts[0], ns, parts.Length > 1 ? parts[1] : null, parts.Length > 2 ? parts[2] : null, watch);
    }
}
