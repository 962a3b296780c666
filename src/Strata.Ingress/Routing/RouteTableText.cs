using System.Globalization;
using System.Text;

namespace Strata.Ingress.Routing;

/// <summary>
/// A stable text form of a route table, for golden tests and <c>strata ingress --dump</c>: one block per server, one
/// line per route, with only the settings that differ from ingress-nginx's defaults.
/// </summary>
public static class RouteTableText
{
    public static string Render(RouteTable table)
    {
        var text = new StringBuilder();
        foreach (var server in table.Hosts)
        {
            text.Append("server ").Append(server.Host.Length == 0 ? "_" : server.Host);
            if (server.Tls is { } tls)
            {
                text.Append(" tls=").Append(tls.SecretName.Length == 0 ? "fake" : tls.SecretName);
            }

            if (server.UseRegex)
            {
                text.Append(" regex");
            }

            text.Append('\n');
            foreach (var route in server.Routes)
            {
                text.Append("  ").Append(route.Kind).Append(' ').Append(route.Path);
                AppendTarget(text, route);
                if (route.Canary is { } canary)
                {
                    text.Append("\n    canary -> ").Append(canary.Backend.Name).Append(' ').Append(Endpoints(canary.Backend))
                        .Append(" weight=").Append(canary.Weight).Append('/').Append(canary.WeightTotal);
                    if (canary.Header is not null)
                    {
                        text.Append(" header=").Append(canary.Header);
                        if (canary.HeaderValue is not null)
                        {
                            text.Append(':').Append(canary.HeaderValue);
                        }
                    }

                    text.Append(" (").Append(canary.Source).Append(')');
                }

                text.Append('\n');
            }

            if (server.Fallback is { } fallback)
            {
                text.Append("  default");
                AppendTarget(text, fallback);
                text.Append('\n');
            }
        }

        text.Append("admitted:");
        foreach (var name in table.Admitted)
        {
            text.Append(' ').Append(name);
        }

        text.Append('\n');
        foreach (var problem in table.Problems)
        {
            text.Append("problem ").Append(problem.Reason).Append(": ").Append(problem.Message).Append('\n');
        }

        return text.ToString();
    }

    private static void AppendTarget(StringBuilder text, Route route)
    {
        text.Append(" -> ").Append(route.Backend.Name).Append(' ').Append(Endpoints(route.Backend));
        var settings = Settings(route.Settings);
        if (settings.Length > 0)
        {
            text.Append(' ').Append(settings);
        }

        text.Append(" (").Append(route.Source).Append(')');
    }

    private static string Endpoints(ServiceTarget target) =>
        target.Problem is { } problem && target.Endpoints.Count == 0 ? $"[{problem}]" : $"[{string.Join(' ', target.Endpoints)}]";

    private static string Settings(LocationSettings s)
    {
        var d = LocationSettings.Default;
        var parts = new List<string>();
        if (s.RewriteTarget is not null)
        {
            parts.Add($"rewrite={s.RewriteTarget}");
        }

        if (s.AppRoot is not null)
        {
            parts.Add($"app-root={s.AppRoot}");
        }

        if (s.MaxBodySize != d.MaxBodySize)
        {
            parts.Add($"body-size={(s.MaxBodySize is { } size ? size.ToString(CultureInfo.InvariantCulture) : "off")}");
        }

        if (s.SslRedirect != d.SslRedirect)
        {
            parts.Add($"ssl-redirect={s.SslRedirect.ToString().ToLowerInvariant()}");
        }

        if (s.ForceSslRedirect)
        {
            parts.Add("force-ssl-redirect");
        }

        if (s.Protocol != d.Protocol)
        {
            parts.Add($"protocol={s.Protocol.ToString().ToUpperInvariant()}");
        }

        if (s.ConnectTimeout != d.ConnectTimeout)
        {
            parts.Add($"connect-timeout={s.ConnectTimeout.TotalSeconds}s");
        }

        if (s.ReadTimeout != d.ReadTimeout)
        {
            parts.Add($"read-timeout={s.ReadTimeout.TotalSeconds}s");
        }

        if (s.Allowlist is { } allow)
        {
            parts.Add($"allow={string.Join(',', allow)}");
        }

        return string.Join(' ', parts);
    }
}
