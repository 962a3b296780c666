using System.Net;
using System.Text;
using Strata.Ingress.Routing;

namespace Strata.Ingress.Proxy;

/// <summary>What the proxy learnt from one request before deciding (the parts of nginx's variables it looks at).</summary>
public sealed record IncomingRequest(
    string Scheme,
    string Host,
    string Path,
    string Query,
    IPAddress Client,
    long? ContentLength,
    Func<string, string?> Header);

/// <summary>The decision for one request: answer it here, or forward it.</summary>
public abstract record RequestPlan;

/// <summary>An answer from the controller itself (404, 503, 403, 413, a redirect).</summary>
public sealed record LocalResponse(int Status, string? Location) : RequestPlan
{
    /// <summary>nginx's built-in error page for the status, which is what ingress-nginx's default server answers with.</summary>
    public string Body => NginxPages.For(Status);
}

/// <summary>Forward to one of <see cref="Backend"/>'s endpoints, with the request path (after rewrite-target) and query.</summary>
public sealed record ForwardPlan(Route Route, ServiceTarget Backend, string PathAndQuery) : RequestPlan;

/// <summary>
/// The per-request logic of an ingress-nginx location, in nginx's phase order: client_max_body_size (find-config
/// phase, 413), app-root (302 for "/" only), rewrite-target, the ssl-redirect of lua_ingress.rewrite (308), the
/// allow/deny of whitelist-source-range (403), then the canary choice of balancer.lua and the upstream (503 without
/// endpoints). Pure: the random source is passed in.
/// </summary>
public static class RequestPlanner
{
    /// <summary>ingress-nginx's <c>http-redirect-code</c> default.</summary>
    public const int SslRedirectStatus = 308;

    public static RequestPlan Plan(RouteTable table, IncomingRequest request, int httpsPort, Func<int, int> random)
    {
        var match = RouteMatcher.Match(table, request.Host, request.Path);
        if (match.Route is not { } route)
        {
            return new LocalResponse(404, null);
        }

        var settings = route.Settings;
        if (settings.MaxBodySize is { } max && request.ContentLength > max)
        {
            return new LocalResponse(413, null);
        }

        if (settings.AppRoot is { } appRoot && request.Path == "/")
        {
            return new LocalResponse(302, $"{request.Scheme}://{request.Host}{appRoot}");
        }

        var path = request.Path;
        if (settings.RewriteTarget is { } target && match.RegexMatch is { } regex)
        {
            path = Expand(target, regex);
        }

        var hasTls = match.Host.Tls is not null;
        if (request.Scheme == "http" && (settings.ForceSslRedirect || (settings.SslRedirect && hasTls)))
        {
            var host = RouteMatcher.NormalizeHost(request.Host);
            var port = httpsPort == 443 ? "" : $":{httpsPort}";
            return new LocalResponse(SslRedirectStatus, $"https://{host}{port}{request.Path}{request.Query}");
        }

        if (settings.Allowlist is { } allow && !allow.Any(n => n.Contains(Unmapped(request.Client))))
        {
            return new LocalResponse(403, null);
        }

        var backend = route.Canary is { } canary && UseCanary(canary, request, random) ? canary.Backend : route.Backend;
        if (backend.Endpoints.Count == 0)
        {
            return new LocalResponse(503, null);
        }

        return new ForwardPlan(route, backend, path + request.Query);
    }

    /// <summary>balancer.lua's route_to_alternative_balancer: the header (its value, or always/never), then the weight.</summary>
    public static bool UseCanary(CanaryRoute canary, IncomingRequest request, Func<int, int> random)
    {
        if (canary.Header is { } name && request.Header(name) is { } value)
        {
            if (canary.HeaderValue is { Length: > 0 } wanted)
            {
                if (value == wanted)
                {
                    return true;
                }
            }
            else if (value == "always")
            {
                return true;
            }
            else if (value == "never")
            {
                return false;
            }
        }

        // math.random(total) <= weight, with math.random(n) uniform in 1..n.
        return canary.Weight > 0 && random(canary.WeightTotal) + 1 <= canary.Weight;
    }

    /// <summary>nginx's rewrite replacement: <c>$1</c>..<c>$9</c> are the location regex's captures.</summary>
    public static string Expand(string target, System.Text.RegularExpressions.Match match)
    {
        var text = new StringBuilder(target.Length + 16);
        for (var i = 0; i < target.Length; i++)
        {
            if (target[i] == '$' && i + 1 < target.Length && char.IsAsciiDigit(target[i + 1]))
            {
                var group = target[i + 1] - '0';
                if (group < match.Groups.Count)
                {
                    text.Append(match.Groups[group].Value);
                }

                i++;
                continue;
            }

            text.Append(target[i]);
        }

        return text.Length == 0 || text[0] != '/' ? "/" + text : text.ToString();
    }

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>The error pages nginx writes itself (ngx_http_special_response.c), ending in the "nginx" signature.</summary>
public static class NginxPages
{
    public static string Title(int status) => status switch
    {
        302 => "302 Found",
        308 => "308 Permanent Redirect",
        403 => "403 Forbidden",
        404 => "404 Not Found",
        413 => "413 Request Entity Too Large",
        502 => "502 Bad Gateway",
        503 => "503 Service Temporarily Unavailable",
        504 => "504 Gateway Time-out",
        _ => $"{status}",
    };

    public static string For(int status) =>
        $"<html>\r\n<head><title>{Title(status)}</title></head>\r\n<body>\r\n<center><h1>{Title(status)}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
}
