using Strata.Ingress.Gateway;
using static Strata.Ingress.Tests.Gateway.GatewayFixture;

namespace Strata.Ingress.Tests.Gateway;

/// <summary>
/// backendRefs, rewritten from HTTPRouteWeight, HTTPRouteCrossNamespace, HTTPRouteReferenceGrant,
/// HTTPRoutePartiallyInvalidViaInvalidReferenceGrant, HTTPRouteInvalidNonExistentBackendRef,
/// HTTPRouteInvalidBackendRefUnknownKind and HTTPRouteInvalidCrossNamespaceBackendRef: the weights, and the 500 an
/// invalid reference's share of the requests gets, with the route's ResolvedRefs reason.
/// </summary>
public sealed class GatewayBackendTests
{
    [Fact]
    public void Weights_split_the_requests_and_weight_zero_gets_none()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: weighted-backends, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - backendRefs:
                - {name: infra-backend-v1, port: 8080, weight: 70}
                - {name: infra-backend-v2, port: 8080, weight: 30}
                - {name: infra-backend-v3, port: 8080, weight: 0}
            """);
        var counts = Enumerable.Range(0, 100).Select(i => Send(config, "x", "/", random: i)).GroupBy(b => b).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["infra-backend-v1"] = 70, ["infra-backend-v2"] = 30 }, counts);
    }

    [Fact]
    public void All_weights_zero_or_no_backends_is_a_500()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: zero, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - matches: [{path: {value: /zero}}]
                backendRefs: [{name: infra-backend-v1, port: 8080, weight: 0}]
              - matches: [{path: {value: /none}}]
            """);
        Assert.Equal("500", Send(config, "x", "/zero"));
        Assert.Equal("500", Send(config, "x", "/none"));
    }

    private const string CrossNamespace = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: cross-namespace, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: same-namespace}]
          rules:
          - matches: [{path: {value: /web}}]
            backendRefs: [{name: web-backend, namespace: gateway-conformance-web-backend, port: 8080}]
          - matches: [{path: {value: /v1}}]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
        """;

    private const string Grant = """
        ---
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: reference-grant, namespace: gateway-conformance-web-backend}
        spec:
          from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: gateway-conformance-infra}]
          to: [{group: "", kind: Service, name: web-backend}]
        """;

    [Fact]
    public void A_cross_namespace_backend_needs_a_reference_grant()
    {
        var denied = Build(CrossNamespace);
        Assert.Equal("500", Send(denied, "x", "/web"));
        Assert.Equal("infra-backend-v1", Send(denied, "x", "/v1")); // the rest of the route keeps serving
        Assert.Equal(
            ["httproute gateway-conformance-infra/cross-namespace -> gateway-conformance-infra/same-namespace: Accepted=True ResolvedRefs=False(RefNotPermitted: backendRef Service gateway-conformance-web-backend/web-backend is in another namespace and no ReferenceGrant there allows it)"],
            StatusLines(denied, "httproute"));

        var granted = Build(CrossNamespace + "\n" + Grant);
        Assert.Equal("web-backend", Send(granted, "x", "/web"));
        Assert.Equal(["httproute gateway-conformance-infra/cross-namespace -> gateway-conformance-infra/same-namespace: Accepted=True ResolvedRefs=True"], StatusLines(granted, "httproute"));

        // A grant for another Service name, or from another kind, does not count.
        var wrongName = Build(CrossNamespace + "\n" + Grant.Replace("name: web-backend}", "name: other}", StringComparison.Ordinal));
        Assert.Equal("500", Send(wrongName, "x", "/web"));
        var wrongKind = Build(CrossNamespace + "\n" + Grant.Replace("kind: HTTPRoute", "kind: GRPCRoute", StringComparison.Ordinal));
        Assert.Equal("500", Send(wrongKind, "x", "/web"));
    }

    [Theory]
    [InlineData("{name: nonexistent, port: 8080}", "BackendNotFound: Service gateway-conformance-infra/nonexistent not found")]
    [InlineData("{group: unknown.example.com, kind: UnknownKind, name: infra-backend-v1, port: 8080}", "InvalidKind: backendRef unknown.example.com/UnknownKind gateway-conformance-infra/infra-backend-v1 is not a core Service")]
    [InlineData("{name: web-backend, namespace: gateway-conformance-web-backend, port: 8080}", "RefNotPermitted: backendRef Service gateway-conformance-web-backend/web-backend is in another namespace and no ReferenceGrant there allows it")]
    [InlineData("{name: infra-backend-v1, port: 9999}", "BackendNotFound: service gateway-conformance-infra/infra-backend-v1 has no port 9999")]
    public void Invalid_backend_references_are_reported_and_answered_with_500(string backendRef, string expected)
    {
        var config = Build($$"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: invalid, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules: [{backendRefs: [{{backendRef}}]}]
            """);
        Assert.Equal("500", Send(config, "x", "/"));
        var reason = expected[..expected.IndexOf(':', StringComparison.Ordinal)];
        var message = expected[(reason.Length + 2)..];
        Assert.Equal([$"httproute gateway-conformance-infra/invalid -> gateway-conformance-infra/same-namespace: Accepted=True ResolvedRefs=False({reason}: {message})"], StatusLines(config, "httproute"));
    }

    [Fact]
    public void An_invalid_backend_gets_500_for_its_weighted_share_only()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: half, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - backendRefs:
                - {name: infra-backend-v1, port: 8080, weight: 1}
                - {name: missing, port: 8080, weight: 1}
            """);
        Assert.Equal("infra-backend-v1", Send(config, "x", "/", random: 0));
        Assert.Equal("500", Send(config, "x", "/", random: 1));
    }

    [Fact]
    public void A_service_without_ready_endpoints_is_a_503()
    {
        var config = Build("""
            apiVersion: v1
            kind: Service
            metadata: {name: idle, namespace: gateway-conformance-infra}
            spec: {ports: [{port: 8080}]}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: idle, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules: [{backendRefs: [{name: idle, port: 8080}]}]
            """);
        Assert.Equal("503", Send(config, "x", "/"));
        Assert.Equal(["httproute gateway-conformance-infra/idle -> gateway-conformance-infra/same-namespace: Accepted=True ResolvedRefs=True"], StatusLines(config, "httproute"));
    }

    [Fact]
    public void Endpoints_come_from_the_services_endpoint_slices_by_service_port()
    {
        var forward = Assert.IsType<GatewayForward>(Plan(Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: plain, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules: [{backendRefs: [{name: infra-backend-v2, port: 8080}]}]
            """), "x", "/"));
        Assert.Equal([new Strata.Ingress.Routing.UpstreamEndpoint(Address(2), 3000)], forward.Backend.Endpoints);
    }
}
