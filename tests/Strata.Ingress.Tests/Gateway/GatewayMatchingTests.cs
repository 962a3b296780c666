using static Strata.Ingress.Tests.Gateway.GatewayFixture;

namespace Strata.Ingress.Tests.Gateway;

/// <summary>
/// Route selection, rewritten from the core conformance tests HTTPRouteMatching, HTTPRouteHeaderMatching,
/// HTTPRouteQueryParamMatching, HTTPRouteMethodMatching, HTTPRouteMatchingAcrossRoutes, HTTPRoutePathMatchOrder,
/// HTTPRouteHostnameIntersection and HTTPRouteListenerHostnameMatching, and the precedence of the HTTPRouteRule docs.
/// </summary>
public sealed class GatewayMatchingTests
{
    private const string Matching = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: matching, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: same-namespace}]
          rules:
          - matches:
            - path: {type: PathPrefix, value: /}
            - headers: [{name: version, value: one}]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
          - matches:
            - path: {type: PathPrefix, value: /v2}
            - headers: [{name: version, value: two}]
            backendRefs: [{name: infra-backend-v2, port: 8080}]
        """;

    [Theory]
    [InlineData("/", null, "infra-backend-v1")]
    [InlineData("/example", null, "infra-backend-v1")]
    [InlineData("/", "one", "infra-backend-v1")]
    [InlineData("/v2", null, "infra-backend-v2")]
    [InlineData("/v2/example", null, "infra-backend-v2")]
    [InlineData("/v2example", null, "infra-backend-v1")] // PathPrefix is element-wise
    [InlineData("/", "two", "infra-backend-v2")]
    [InlineData("/V2", null, "infra-backend-v1")] // and case-sensitive
    public void Path_and_header_matches_of_one_route(string path, string? version, string backend)
    {
        var config = Build(Matching);
        var headers = version is null ? null : new Dictionary<string, string> { ["Version"] = version };
        Assert.Equal(backend, Send(config, "example.com", path, headers: headers));
    }

    [Fact]
    public void Headers_query_parameters_and_methods_must_all_match()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: conditions, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - matches: [{headers: [{name: version, value: one}, {name: color, value: orange}]}]
                backendRefs: [{name: infra-backend-v1, port: 8080}]
              - matches: [{queryParams: [{name: animal, value: whale}]}]
                backendRefs: [{name: infra-backend-v2, port: 8080}]
              - matches: [{method: POST, path: {type: Exact, value: /method}}]
                backendRefs: [{name: infra-backend-v3, port: 8080}]
              - matches: [{headers: [{name: id, type: RegularExpression, value: "[0-9]+"}], path: {value: /re}}]
                backendRefs: [{name: infra-backend-v3, port: 8080}]
            """);
        Assert.Equal("infra-backend-v1", Send(config, "x", "/", headers: new Dictionary<string, string> { ["Version"] = "one", ["Color"] = "orange" }));
        Assert.Equal("404", Send(config, "x", "/", headers: new Dictionary<string, string> { ["Version"] = "one" }));
        Assert.Equal("404", Send(config, "x", "/", headers: new Dictionary<string, string> { ["Version"] = "one", ["Color"] = "ORANGE" }));
        Assert.Equal("infra-backend-v2", Send(config, "x", "/?animal=whale"));
        Assert.Equal("infra-backend-v2", Send(config, "x", "/some/path?animal=whale&other=x"));
        Assert.Equal("404", Send(config, "x", "/?animal=dolphin"));
        Assert.Equal("404", Send(config, "x", "/?ANIMAL=whale"));
        Assert.Equal("infra-backend-v3", Send(config, "x", "/method", "POST"));
        Assert.Equal("404", Send(config, "x", "/method", "GET"));
        Assert.Equal("infra-backend-v3", Send(config, "x", "/re", headers: new Dictionary<string, string> { ["id"] = "42" }));
        Assert.Equal("404", Send(config, "x", "/re", headers: new Dictionary<string, string> { ["id"] = "42a" }));
    }

    [Fact]
    public void Precedence_exact_then_longest_prefix_then_method_then_headers_then_query_params()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: order, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /match}, queryParams: [{name: q, value: "1"}]}]
                backendRefs: [{name: infra-backend-v1, port: 8080}]
              - matches: [{path: {type: PathPrefix, value: /match}, headers: [{name: h, value: "1"}]}]
                backendRefs: [{name: infra-backend-v2, port: 8080}]
              - matches: [{path: {type: PathPrefix, value: /match}, method: GET}]
                backendRefs: [{name: infra-backend-v3, port: 8080}]
              - matches: [{path: {type: PathPrefix, value: /match/longer}}]
                backendRefs: [{name: web-backend, namespace: gateway-conformance-web-backend, port: 8080}]
              - matches: [{path: {type: Exact, value: /match}}]
                backendRefs: [{name: infra-backend-v1, port: 8080}]
              - matches: [{path: {type: PathPrefix, value: /match}, headers: [{name: h, value: "1"}, {name: h2, value: "1"}]}]
                backendRefs: [{name: infra-backend-v1, port: 8080}]
            """);
        var h = new Dictionary<string, string> { ["h"] = "1" };
        var h2 = new Dictionary<string, string> { ["h"] = "1", ["h2"] = "1" };
        Assert.Equal("infra-backend-v1", Send(config, "x", "/match", "POST", h2)); // exact beats everything
        Assert.Equal("500", Send(config, "x", "/match/longer/x", "GET", h2)); // longest prefix (cross-namespace, no grant: 500)
        Assert.Equal("infra-backend-v3", Send(config, "x", "/match/x?q=1", "GET", h2)); // method beats headers
        Assert.Equal("infra-backend-v1", Send(config, "x", "/match/x?q=1", "POST", h2)); // two headers beat one
        Assert.Equal("infra-backend-v2", Send(config, "x", "/match/x?q=1", "POST", h)); // a header beats a query parameter
        Assert.Equal("infra-backend-v1", Send(config, "x", "/match/x?q=1", "POST"));
        Assert.Equal("404", Send(config, "x", "/match/x", "POST"));
    }

    [Theory]
    [InlineData("/match/exact/one", "infra-backend-v1")]
    [InlineData("/match/exact", "infra-backend-v2")]
    [InlineData("/match/exact/", "infra-backend-v3")] // Exact is the whole path: the trailing '/' falls to the prefix /match
    [InlineData("/match/exact/one/extra", "infra-backend-v3")]
    [InlineData("/match/prefix/one/extra", "infra-backend-v1")]
    [InlineData("/match/prefix/one", "infra-backend-v1")]
    [InlineData("/match/prefix/extra", "infra-backend-v2")]
    [InlineData("/match/prefixextra", "infra-backend-v3")]
    [InlineData("/match", "infra-backend-v3")]
    [InlineData("/other", "404")]
    public void Path_match_order_exact_then_longest_prefix(string path, string expected)
    {
        // Rules listed shortest first, so list order alone would pick the wrong one (HTTPRoutePathMatchOrder).
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: path-matching-order, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /match}}]
                backendRefs: [{name: infra-backend-v3, port: 8080}]
              - matches: [{path: {type: PathPrefix, value: /match/prefix}}]
                backendRefs: [{name: infra-backend-v2, port: 8080}]
              - matches: [{path: {type: PathPrefix, value: /match/prefix/one}}]
                backendRefs: [{name: infra-backend-v1, port: 8080}]
              - matches: [{path: {type: Exact, value: /match/exact}}]
                backendRefs: [{name: infra-backend-v2, port: 8080}]
              - matches: [{path: {type: Exact, value: /match/exact/one}}]
                backendRefs: [{name: infra-backend-v1, port: 8080}]
            """);
        Assert.Equal(expected, Send(config, "x", path));
    }

    [Fact]
    public void Across_routes_the_oldest_then_the_alphabetically_first_wins_a_tie()
    {
        // Parse ages objects in document order: zebra is created before alpha.
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: zebra, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules: [{matches: [{path: {value: /old}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: alpha, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules: [{matches: [{path: {value: /old}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: same-b, namespace: gateway-conformance-infra, creationTimestamp: "2025-01-01T00:00:00Z"}
            spec:
              parentRefs: [{name: same-namespace}]
              rules: [{matches: [{path: {value: /tie}}], backendRefs: [{name: infra-backend-v3, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: same-a, namespace: gateway-conformance-infra, creationTimestamp: "2025-01-01T00:00:00Z"}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - {matches: [{path: {value: /tie}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}
              - {matches: [{path: {value: /tie}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}
            """);
        Assert.Equal("infra-backend-v1", Send(config, "x", "/old"));
        Assert.Equal("infra-backend-v1", Send(config, "x", "/tie")); // same-a before same-b, its first rule
    }

    private const string Intersection = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: httproute-hostname-intersection, namespace: gateway-conformance-infra}
        spec:
          gatewayClassName: strata
          listeners:
          - {name: listener-1, hostname: very.specific.com, port: 80, protocol: HTTP}
          - {name: listener-2, hostname: "*.wildcard.io", port: 80, protocol: HTTP}
          - {name: listener-3, hostname: "*.anotherwildcard.io", port: 80, protocol: HTTP}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: specific-host-matches-listener-specific-host, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: httproute-hostname-intersection}]
          hostnames: [non.matching.com, "*.nonmatchingwildcard.io", very.specific.com]
          rules: [{matches: [{path: {value: /s1}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: specific-host-matches-listener-wildcard-host, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: httproute-hostname-intersection}]
          hostnames: [non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, "*.wildcard.io"]
          rules: [{matches: [{path: {value: /s2}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: wildcard-host-matches-listener-specific-host, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: httproute-hostname-intersection}]
          hostnames: [non.matching.com, "*.specific.com"]
          rules: [{matches: [{path: {value: /s3}}], backendRefs: [{name: infra-backend-v3, port: 8080}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: wildcard-host-matches-listener-wildcard-host, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: httproute-hostname-intersection}]
          hostnames: ["*.anotherwildcard.io"]
          rules: [{matches: [{path: {value: /s4}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: no-intersecting-hosts, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: httproute-hostname-intersection}]
          hostnames: [specific.but.wrong.com, wildcard.io]
          rules: [{matches: [{path: {value: /s5}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}]
        """;

    [Theory]
    [InlineData("very.specific.com", "/s1", "infra-backend-v1")]
    [InlineData("very.specific.com:1234", "/s1", "infra-backend-v1")]
    [InlineData("non.matching.com", "/s1", "404")]
    [InlineData("foo.nonmatchingwildcard.io", "/s1", "404")]
    [InlineData("foo.wildcard.io", "/s1", "404")]
    [InlineData("very.specific.com", "/non-matching-prefix", "404")]
    [InlineData("foo.wildcard.io", "/s2", "infra-backend-v2")]
    [InlineData("bar.wildcard.io", "/s2", "infra-backend-v2")]
    [InlineData("foo.bar.wildcard.io", "/s2", "infra-backend-v2")]
    [InlineData("non.matching.com", "/s2", "404")]
    [InlineData("wildcard.io", "/s2", "404")]
    [InlineData("very.specific.com", "/s2", "404")]
    [InlineData("very.specific.com", "/s3", "infra-backend-v3")]
    [InlineData("non.matching.com", "/s3", "404")]
    [InlineData("foo.specific.com", "/s3", "404")]
    [InlineData("foo.wildcard.io", "/s3", "404")]
    [InlineData("foo.anotherwildcard.io", "/s4", "infra-backend-v1")]
    [InlineData("bar.anotherwildcard.io", "/s4", "infra-backend-v1")]
    [InlineData("foo.bar.anotherwildcard.io", "/s4", "infra-backend-v1")]
    [InlineData("anotherwildcard.io", "/s4", "404")]
    [InlineData("very.specific.com", "/s4", "404")]
    [InlineData("specific.but.wrong.com", "/s5", "404")]
    [InlineData("wildcard.io", "/s5", "404")]
    public void Hostname_intersection(string host, string path, string expected) =>
        Assert.Equal(expected, Send(Build(Intersection), host, path));

    [Fact]
    public void Hostname_intersection_statuses_and_attached_routes()
    {
        var config = Build(Intersection);
        Assert.Equal(
            [
                "  listener listener-1: attached=2 kinds=HTTPRoute Accepted=True Programmed=True ResolvedRefs=True Conflicted=False(NoConflicts: no conflicts)",
                "  listener listener-2: attached=1 kinds=HTTPRoute Accepted=True Programmed=True ResolvedRefs=True Conflicted=False(NoConflicts: no conflicts)",
                "  listener listener-3: attached=1 kinds=HTTPRoute Accepted=True Programmed=True ResolvedRefs=True Conflicted=False(NoConflicts: no conflicts)",
            ],
            StatusLines(config, "  listener listener-"));
        Assert.Equal(
            ["httproute gateway-conformance-infra/no-intersecting-hosts -> gateway-conformance-infra/httproute-hostname-intersection: Accepted=False(NoMatchingListenerHostname: no listener of Gateway gateway-conformance-infra/httproute-hostname-intersection has a hostname that intersects specific.but.wrong.com, wildcard.io) ResolvedRefs=True"],
            StatusLines(config, "httproute gateway-conformance-infra/no-intersecting-hosts"));
    }

    [Theory]
    [InlineData("bar.com", "infra-backend-v1")]
    [InlineData("foo.bar.com", "infra-backend-v2")]
    [InlineData("baz.bar.com", "infra-backend-v3")]
    [InlineData("boo.bar.com", "infra-backend-v3")]
    [InlineData("multiple.prefixes.bar.com", "infra-backend-v3")]
    [InlineData("multiple.prefixes.foo.com", "infra-backend-v3")]
    [InlineData("foo.com", "404")]
    [InlineData("no.matching.host", "404")]
    public void Listener_hostname_matching(string host, string expected)
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: httproute-listener-hostname-matching, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: listener-1, hostname: bar.com, port: 80, protocol: HTTP}
              - {name: listener-2, hostname: foo.bar.com, port: 80, protocol: HTTP}
              - {name: listener-3, hostname: "*.bar.com", port: 80, protocol: HTTP}
              - {name: listener-4, hostname: "*.foo.com", port: 80, protocol: HTTP}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: backend-v1, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: httproute-listener-hostname-matching, sectionName: listener-1}]
              rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: backend-v2, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: httproute-listener-hostname-matching, sectionName: listener-2}]
              rules: [{backendRefs: [{name: infra-backend-v2, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: backend-v3, namespace: gateway-conformance-infra}
            spec:
              parentRefs:
              - {name: httproute-listener-hostname-matching, sectionName: listener-3}
              - {name: httproute-listener-hostname-matching, sectionName: listener-4}
              rules: [{backendRefs: [{name: infra-backend-v3, port: 8080}]}]
            """);
        Assert.Equal(expected, Send(config, host, "/"));
    }

    [Fact]
    public void A_more_specific_hostname_is_tried_first_and_a_miss_falls_through_to_wildcards()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: wild, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              hostnames: ["*.example.com"]
              rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: exact, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              hostnames: [a.example.com]
              rules: [{matches: [{path: {value: /api}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}]
            """);
        Assert.Equal("infra-backend-v2", Send(config, "a.example.com", "/api"));
        Assert.Equal("infra-backend-v1", Send(config, "a.example.com", "/other"));
        Assert.Equal("infra-backend-v1", Send(config, "b.c.example.com", "/api"));
        Assert.Equal("404", Send(config, "example.com", "/api"));
    }
}
