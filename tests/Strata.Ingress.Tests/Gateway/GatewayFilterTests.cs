using Strata.Ingress.Gateway;
using static Strata.Ingress.Tests.Gateway.GatewayFixture;

namespace Strata.Ingress.Tests.Gateway;

/// <summary>
/// The filters, rewritten from the conformance tests HTTPRouteRequestHeaderModifier, HTTPRouteRedirectHostAndStatus,
/// HTTPRouteRedirectPath, HTTPRouteRedirectPortAndScheme, HTTPRouteRewritePath and HTTPRouteRewriteHost, and the
/// ReplacePrefixMatch table of HTTPPathModifier's docs.
/// </summary>
public sealed class GatewayFilterTests
{
    private const string HeaderModifier = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: request-header-modifier, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: same-namespace}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /set}}]
            filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Header-Set, value: set-overwrites-values}]}}]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /add}}]
            filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: X-Header-Add, value: add-appends-values}]}}]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /remove}}]
            filters: [{type: RequestHeaderModifier, requestHeaderModifier: {remove: [X-Header-Remove]}}]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /multiple}}]
            filters:
            - type: RequestHeaderModifier
              requestHeaderModifier:
                set: [{name: X-Header-Set-1, value: header-set-1}, {name: X-Header-Set-2, value: header-set-2}]
                add: [{name: X-Header-Add-1, value: header-add-1}, {name: X-Header-Add-2, value: header-add-2}, {name: X-Header-Add-3, value: header-add-3}]
                remove: [X-Header-Remove-1, X-Header-Remove-2]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /case-insensitivity}}]
            filters:
            - type: RequestHeaderModifier
              requestHeaderModifier:
                set: [{name: X-Header-Set, value: header-set}]
                add: [{name: x-header-add, value: header-add}]
                remove: [X-Header-Remove]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
        """;

    public static TheoryData<string, Dictionary<string, string>, Dictionary<string, string>, string[]> HeaderCases => new()
    {
        { "/set", new() { ["Some-Other-Header"] = "val" }, new() { ["some-other-header"] = "val", ["x-header-set"] = "set-overwrites-values" }, [] },
        { "/set", new() { ["Some-Other-Header"] = "val", ["X-Header-Set"] = "some-other-value" }, new() { ["x-header-set"] = "set-overwrites-values" }, [] },
        { "/add", new() { ["Some-Other-Header"] = "val" }, new() { ["x-header-add"] = "add-appends-values" }, [] },
        { "/add", new() { ["X-Header-Add"] = "some-other-value" }, new() { ["x-header-add"] = "some-other-value,add-appends-values" }, [] },
        { "/remove", new() { ["X-Header-Remove"] = "val" }, new(), ["x-header-remove"] },
        {
            "/multiple",
            new() { ["X-Header-Set-2"] = "set-val", ["X-Header-Add-2"] = "add-val", ["X-Header-Remove-1"] = "val1", ["X-Header-Remove-2"] = "val2", ["Another-Header"] = "another-header-val" },
            new() { ["x-header-set-1"] = "header-set-1", ["x-header-set-2"] = "header-set-2", ["x-header-add-1"] = "header-add-1", ["x-header-add-2"] = "add-val,header-add-2", ["x-header-add-3"] = "header-add-3", ["another-header"] = "another-header-val" },
            ["x-header-remove-1", "x-header-remove-2"]
        },
        {
            "/case-insensitivity",
            new() { ["x-header-set"] = "original-val-set", ["x-header-add"] = "original-val-add", ["x-header-remove"] = "original-val-remove" },
            new() { ["x-header-set"] = "header-set", ["x-header-add"] = "original-val-add,header-add" },
            ["x-header-remove"]
        },
    };

    [Theory]
    [MemberData(nameof(HeaderCases))]
    public void Request_header_modifier(string path, Dictionary<string, string> sent, Dictionary<string, string> expected, string[] absent)
    {
        var forward = Assert.IsType<GatewayForward>(Plan(Build(HeaderModifier), "x", path, headers: sent));
        var seen = ForwardedHeaders(forward, sent);
        foreach (var (name, value) in expected)
        {
            Assert.Equal(value, seen.GetValueOrDefault(name));
        }

        foreach (var name in absent)
        {
            Assert.False(seen.ContainsKey(name), $"{name} should have been removed");
        }
    }

    private const string Redirects = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: redirects, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: same-namespace}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /hostname-redirect}}]
            filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]
          - matches: [{path: {type: PathPrefix, value: /host-and-status}}]
            filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, statusCode: 301}}]
          - matches: [{path: {type: PathPrefix, value: /original-prefix}}]
            filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}}]
          - matches: [{path: {type: PathPrefix, value: /full}}]
            filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /full-path-replacement}}}]
          - matches: [{path: {type: PathPrefix, value: /path-and-host}}]
            filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}}]
          - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-nil}}]
            filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]
          - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-80}}]
            filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, port: 80}}]
          - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-8080}}]
            filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, port: 8080}}]
          - matches: [{path: {type: PathPrefix, value: /scheme-https-and-port-nil}}]
            filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: example.org}}]
          - matches: [{path: {type: PathPrefix, value: /scheme-https-and-port-443}}]
            filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: example.org, port: 443}}]
          - matches: [{path: {type: PathPrefix, value: /scheme-https-and-port-8443}}]
            filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: example.org, port: 8443}}]
        """;

    [Theory]
    [InlineData("/hostname-redirect", "302 http://example.org/hostname-redirect")]
    [InlineData("/host-and-status", "301 http://example.org/host-and-status")]
    [InlineData("/original-prefix/lemon", "302 http://redirect.example/replacement-prefix/lemon")]
    [InlineData("/original-prefix", "302 http://redirect.example/replacement-prefix")]
    [InlineData("/full/path/original", "302 http://redirect.example/full-path-replacement")]
    [InlineData("/full/path/original?a=1", "302 http://redirect.example/full-path-replacement?a=1")]
    [InlineData("/path-and-host/x", "302 http://example.org/replacement-prefix/x")]
    [InlineData("/scheme-nil-and-port-nil", "302 http://example.org/scheme-nil-and-port-nil")]
    [InlineData("/scheme-nil-and-port-80", "302 http://example.org/scheme-nil-and-port-80")]
    [InlineData("/scheme-nil-and-port-8080", "302 http://example.org:8080/scheme-nil-and-port-8080")]
    [InlineData("/scheme-https-and-port-nil", "302 https://example.org/scheme-https-and-port-nil")]
    [InlineData("/scheme-https-and-port-443", "302 https://example.org/scheme-https-and-port-443")]
    [InlineData("/scheme-https-and-port-8443", "302 https://example.org:8443/scheme-https-and-port-8443")]
    public void Request_redirect(string path, string expected) =>
        Assert.Equal(expected, Send(Build(Redirects), "redirect.example:80", path));

    [Fact]
    public void A_redirect_without_scheme_or_port_keeps_the_listener_port()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: odd-port, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: strata
              listeners: [{name: http, port: 8081, protocol: HTTP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: redirect, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: odd-port}]
              rules:
              - filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]
            """);
        Assert.Equal("302 http://example.org:8081/x", Send(config, "a.example:8081", "/x", port: 8081));
    }

    private const string Rewrites = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: rewrite-path, namespace: gateway-conformance-infra}
        spec:
          parentRefs: [{name: same-namespace}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /prefix/one}}]
            filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}}]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /full/one}}]
            filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /strip-prefix}}]
            filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /host}}]
            filters: [{type: URLRewrite, urlRewrite: {hostname: one.example.org}}]
            backendRefs: [{name: infra-backend-v1, port: 8080}]
        """;

    [Theory]
    [InlineData("/prefix/one/two", "/one/two", null)]
    [InlineData("/prefix/one", "/one", null)]
    [InlineData("/full/one/two", "/one", null)]
    [InlineData("/full/one/two?q=1", "/one?q=1", null)]
    [InlineData("/strip-prefix/three", "/three", null)]
    [InlineData("/strip-prefix", "/", null)]
    [InlineData("/host/path", "/host/path", "one.example.org")]
    public void Url_rewrite(string path, string rewritten, string? host)
    {
        var forward = Assert.IsType<GatewayForward>(Plan(Build(Rewrites), "rewrite.example", path));
        Assert.Equal(rewritten, forward.PathAndQuery);
        Assert.Equal(host, forward.Host);
    }

    [Theory]
    [InlineData("/foo/bar", "/foo", "/xyz", "/xyz/bar")]
    [InlineData("/foo/bar", "/foo", "/xyz/", "/xyz/bar")]
    [InlineData("/foo/bar", "/foo/", "/xyz", "/xyz/bar")]
    [InlineData("/foo/bar", "/foo/", "/xyz/", "/xyz/bar")]
    [InlineData("/foo", "/foo", "/xyz", "/xyz")]
    [InlineData("/foo/", "/foo", "/xyz", "/xyz/")]
    [InlineData("/foo/bar", "/foo", "", "/bar")]
    [InlineData("/foo/", "/foo", "", "/")]
    [InlineData("/foo", "/foo", "", "/")]
    [InlineData("/foo/", "/foo", "/", "/")]
    [InlineData("/foo", "/foo", "/", "/")]
    public void Replace_prefix_match_table(string path, string prefix, string replacement, string expected)
    {
        var entry = new RouteEntry("ns/r", default, 0, 0, GatewayPathType.PathPrefix, prefix, null, null, [], [], [], []);
        Assert.Equal(expected, GatewayPlanner.ModifyPath(new PathModifier(false, replacement), entry, path));
    }
}
