using System.Text;
using k8s.Models;

namespace Strata.Ingress.Gateway;

/// <summary>A stable text form of a Gateway configuration and its statuses, for tests and <c>strata ingress --gateway --dump</c>.</summary>
public static class GatewayConfigText
{
    public static string Render(GatewayConfig config)
    {
        var text = new StringBuilder();
        foreach (var port in config.Ports)
        {
            text.Append("port ").Append(port.Port).Append(port.Https ? " HTTPS" : " HTTP");
            foreach (var certificate in port.Certificates)
            {
                text.Append(" cert[").Append(certificate.Hostname ?? "*").Append("]=").Append(certificate.SecretName);
            }

            text.Append('\n');
            foreach (var host in port.Hosts)
            {
                text.Append("  host ").Append(host.Hostname).Append('\n');
                foreach (var entry in host.Entries)
                {
                    text.Append("    ").Append(Describe(entry)).Append('\n');
                }
            }
        }

        foreach (var gatewayClass in config.Classes)
        {
            text.Append("gatewayclass ").Append(gatewayClass.Name).Append(": ").Append(Conditions(gatewayClass.Conditions)).Append('\n');
        }

        foreach (var gateway in config.Gateways)
        {
            text.Append("gateway ").Append(gateway.Key).Append(": ").Append(Conditions(gateway.Conditions)).Append('\n');
            foreach (var listener in gateway.Listeners)
            {
                text.Append("  listener ").Append(listener.Name).Append(": attached=").Append(listener.AttachedRoutes)
                    .Append(" kinds=").Append(string.Join(',', listener.SupportedKinds.Select(k => k.Kind)))
                    .Append(' ').Append(Conditions(listener.Conditions)).Append('\n');
            }
        }

        foreach (var route in config.Routes)
        {
            foreach (var parent in route.Parents)
            {
                var p = parent.ParentRef;
                text.Append("httproute ").Append(route.Key).Append(" -> ").Append(p.Namespace).Append('/').Append(p.Name);
                if (p.SectionName is { } section)
                {
                    text.Append('/').Append(section);
                }

                if (p.Port is { } number)
                {
                    text.Append(':').Append(number);
                }

                text.Append(": ").Append(Conditions(parent.Conditions)).Append('\n');
            }
        }

        return text.ToString();
    }

    public static string Describe(RouteEntry entry)
    {
        var text = new StringBuilder();
        text.Append(entry.PathType).Append(' ').Append(entry.PathValue);
        if (entry.Method is { } method)
        {
            text.Append(" method=").Append(method);
        }

        foreach (var header in entry.Headers)
        {
            text.Append(" header ").Append(header.Name).Append(header.Pattern is null ? "=" : "~").Append(header.Value);
        }

        foreach (var query in entry.QueryParams)
        {
            text.Append(" query ").Append(query.Name).Append(query.Pattern is null ? "=" : "~").Append(query.Value);
        }

        foreach (var filter in entry.Filters)
        {
            text.Append(' ').Append(filter switch
            {
                RedirectFilter r => $"redirect({r.StatusCode}{(r.Scheme is null ? "" : " " + r.Scheme)}{(r.Hostname is null ? "" : " " + r.Hostname)}{(r.Port is null ? "" : $" :{r.Port}")}{Path(r.Path)})",
                RewriteFilter w => $"rewrite({w.Hostname}{Path(w.Path)})".Replace("( ", "(", StringComparison.Ordinal),
                RequestHeaderFilter => "request-headers",
                ResponseHeaderFilter => "response-headers",
                _ => filter.GetType().Name,
            });
        }

        if (entry.Backends.Count > 0)
        {
            text.Append(" ->");
            foreach (var backend in entry.Backends)
            {
                text.Append(' ').Append(backend.Name).Append(" w=").Append(backend.Weight).Append(' ');
                text.Append(backend.Invalid is { } invalid ? $"[500: {invalid}]"
                    : backend.Target!.Endpoints.Count == 0 ? $"[{backend.Target.Problem}]"
                    : $"[{string.Join(' ', backend.Target.Endpoints)}]");
            }
        }

        return text.Append(" (").Append(entry.Source).Append(')').ToString();
    }

    public static string Conditions(IEnumerable<V1Condition> conditions) =>
        string.Join(' ', conditions.Select(c => c.Status == "True" && c.Reason == c.Type ? $"{c.Type}=True" : $"{c.Type}={c.Status}({c.Reason}: {c.Message})"));

    private static string Path(PathModifier? path) => path is null ? "" : path.FullPath ? $" path={path.Value}" : $" prefix={path.Value}";
}
