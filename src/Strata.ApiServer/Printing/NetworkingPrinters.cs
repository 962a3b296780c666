using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// Ingresses, IngressClasses and NetworkPolicies: <c>printIngress</c>, <c>printIngressClass</c> and
/// <c>printNetworkPolicy</c> in pkg/printers/internalversion/printers.go.
/// </summary>
internal static class NetworkingPrinters
{
    private const int ShownHosts = 3;

    public static TablePrinter Ingress() => new(
        [
            Col.Name,
            Col.String("Class", "The name of the IngressClass resource that should be used for additional configuration"),
            Col.String("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
            Col.String("Address", "Address is a list containing ingress points for the load-balancer"),
            Col.String("Ports", "Ports of TLS configurations that open"),
            Col.Age,
        ],
        (obj, now) =>
        [
            Cell.Of(obj.Name()),
            Cell.Of(obj.OptionalStr("spec", "ingressClassName") ?? "<none>"),
            Cell.Of(Hosts(obj.Objects("spec", "rules"))),
            Cell.Of(ServicePrinter.LoadBalancerStatus(obj.Objects("status", "loadBalancer", "ingress"), wide: true)),
            Cell.Of(obj.Objects("spec", "tls").Count != 0 ? "80, 443" : "80"),
            Cell.Of(obj.Age(now)),
        ]);

    public static TablePrinter IngressClass() => new(
        [
            Col.Name,
            Col.String("Controller", "Controller that is responsible for handling this class"),
            Col.String("Parameters", "A reference to a resource with additional parameters"),
            Col.Age,
        ],
        (obj, now) => [Cell.Of(obj.Name()), Cell.Of(obj.Str("spec", "controller")), Cell.Of(Parameters(obj)), Cell.Of(obj.Age(now))]);

    public static TablePrinter NetworkPolicy() => new(
        [Col.Name, Col.String("Pod-Selector", SwaggerDocs.NetworkPolicySpecPodSelector), Col.Age],
        (obj, now) =>
        [
            Cell.Of(obj.Name()),
            // podSelector is a struct upstream, never nil: an absent one selects everything, shown as <none>.
            Cell.Of(LabelFormatting.FormatLabelSelector(obj.Obj("spec", "podSelector") ?? [])),
            Cell.Of(obj.Age(now)),
        ]);

    /// <summary>
    /// <c>formatHosts</c>: the first three non-empty hosts, " + N more..." counting every rule past the third
    /// (hostless rules included), or <c>*</c> when no rule has a host.
    /// </summary>
    private static string Hosts(IReadOnlyList<JsonObject> rules)
    {
        var hosts = new List<string>();
        var more = false;
        foreach (var rule in rules)
        {
            if (hosts.Count == ShownHosts)
            {
                more = true;
            }

            if (!more && rule.Str("host") is { Length: > 0 } host)
            {
                hosts.Add(host);
            }
        }

        if (hosts.Count == 0)
        {
            return "*";
        }

        var text = string.Join(",", hosts);
        return more ? $"{text} + {rules.Count - ShownHosts} more..." : text;
    }

    /// <summary><c>Kind[.apiGroup]/name</c> of spec.parameters, or <c>&lt;none&gt;</c>.</summary>
    private static string Parameters(JsonObject ingressClass)
    {
        if (ingressClass.Obj("spec", "parameters") is not { } parameters)
        {
            return "<none>";
        }

        var text = parameters.Str("kind");
        if (parameters.OptionalStr("apiGroup") is { } group)
        {
            text += "." + group;
        }

        return text + "/" + parameters.Str("name");
    }
}
