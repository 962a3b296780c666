using System.Net;
using Microsoft.AspNetCore.Http;
using Strata.Ingress.Gateway;

namespace Strata.Ingress.Tests.Gateway;

/// <summary>
/// The conformance suite's infrastructure (gateway-api conformance/base/manifests.yaml), rewritten: the GatewayClass,
/// the namespaces, the infra-backend-v1..v3 Services in gateway-conformance-infra and web-backend in
/// gateway-conformance-web-backend (each with one endpoint, 10.0.0.N:3000), and the Gateway same-namespace (HTTP port
/// 80, routes from its own namespace). Cases add their Gateways and routes; requests go through the pure planner.
/// </summary>
internal static class GatewayFixture
{
    public const string Controller = GatewayConfigBuilder.DefaultControllerName;

    public const string Infra = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: strata}
        spec: {controllerName: strata.dev/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: other}
        spec: {controllerName: example.com/other-controller}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: gateway-conformance-infra, labels: {gateway-conformance: infra}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: gateway-conformance-web-backend, labels: {gateway-conformance: web-backend}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: gateway-conformance-app-backend, labels: {gateway-conformance: backend}}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: same-namespace, namespace: gateway-conformance-infra}
        spec:
          gatewayClassName: strata
          listeners:
          - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}
        """;

    private static readonly (string Namespace, string Name, int Address)[] Backends =
    [
        ("gateway-conformance-infra", "infra-backend-v1", 1),
        ("gateway-conformance-infra", "infra-backend-v2", 2),
        ("gateway-conformance-infra", "infra-backend-v3", 3),
        ("gateway-conformance-web-backend", "web-backend", 4),
        ("gateway-conformance-app-backend", "app-backend-v1", 5),
    ];

    /// <summary>Services and EndpointSlices for the backends, as YAML.</summary>
    public static string BackendYaml() => string.Join('\n', Backends.Select(b => $$$"""
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: {{{b.Name}}}, namespace: {{{b.Namespace}}}}
        spec: {ports: [{port: 8080, targetPort: 3000}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: {{{b.Name}}}-1, namespace: {{{b.Namespace}}}, labels: {kubernetes.io/service-name: {{{b.Name}}}}}
        addressType: IPv4
        ports: [{port: 3000}]
        endpoints: [{addresses: [10.0.0.{{{b.Address}}}]}]
        """));

    public static GatewayConfig Build(string yaml, params string[] addresses) =>
        new GatewayConfigBuilder(Controller, addresses.Length > 0 ? addresses : ["192.0.2.10"]).Build(GatewayManifest.Parse(Infra + "\n" + BackendYaml() + "\n---\n" + yaml));

    /// <summary>The backend a request reaches ("infra-backend-v1"), or the proxy's own answer ("404", "302 http://...").</summary>
    public static string Send(GatewayConfig config, string host, string path, string method = "GET", IDictionary<string, string>? headers = null, int port = 80, string scheme = "http", int random = 0)
    {
        var plan = Plan(config, host, path, method, headers, port, scheme, random);
        return plan switch
        {
            GatewayLocalResponse { Location: { } location } local => $"{local.Status} {location}",
            GatewayLocalResponse local => local.Status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            GatewayForward forward => forward.Backend.Service,
            _ => throw new InvalidOperationException(plan.ToString()),
        };
    }

    public static GatewayPlan Plan(GatewayConfig config, string host, string path, string method = "GET", IDictionary<string, string>? headers = null, int port = 80, string scheme = "http", int random = 0)
    {
        var question = path.IndexOf('?', StringComparison.Ordinal);
        var query = question >= 0 ? path[question..] : "";
        var parsed = GatewayPlanner.ParseQuery(query);
        var bare = question >= 0 ? path[..question] : path;
        var lookup = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        var request = new GatewayRequest(port, scheme, method, host, bare, query,
            name => lookup.TryGetValue(name, out var v) ? v : null,
            name => parsed.GetValueOrDefault(name));
        return GatewayPlanner.Plan(config, request, _ => random);
    }

    /// <summary>The lines of the status part of the dump that start with <paramref name="prefix"/>.</summary>
    public static string[] StatusLines(GatewayConfig config, string prefix) =>
        [.. GatewayConfigText.Render(config).Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];

    /// <summary>The listener lines of one Gateway's status.</summary>
    public static string[] ListenerLines(GatewayConfig config, string gateway) =>
        StatusLines(config with { Ports = [], Classes = [], Routes = [], Gateways = [config.Gateways.Single(g => g.Key == gateway)] }, "  listener ");

    /// <summary>The request headers a forward would send, after the filters: applied to <paramref name="headers"/>.</summary>
    public static Dictionary<string, string> ForwardedHeaders(GatewayForward forward, IDictionary<string, string> headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary[name] = value;
        }

        foreach (var modifier in forward.RequestHeaders)
        {
            GatewayProxy.Apply(modifier, dictionary);
        }

        return dictionary.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
    }

    public static IPAddress Address(int n) => IPAddress.Parse($"10.0.0.{n}");
}
