namespace Strata.Ingress.Tests.Conformance;

/// <summary>
/// ingress-controller-conformance features/path_rules.feature: Exact, Prefix, mixed and trailing-slash path rules on
/// four hosts of one Ingress. Its sixteen scenarios as Theory rows (the feature lists "prefix /foo matches request
/// /foo/" twice; the row number keeps both): the URL sent, the expected status and, for a 200, the Service.
/// </summary>
public sealed class PathRulesFeature(PathRulesFeature.Background background) : IClassFixture<PathRulesFeature.Background>
{
    [Theory]
    [InlineData(1, "An Ingress with exact path rules should send traffic to the matching backend service (exact /foo matches request /foo)", "http://exact-path-rules/foo", 200, "foo-exact")]
    [InlineData(2, "An Ingress with exact path rules should not match requests with trailing slash (exact /foo does not match request /foo/)", "http://exact-path-rules/foo/", 404, null)]
    [InlineData(3, "An Ingress with exact path rules should be case sensitive (exact /foo does not match request /FOO)", "http://exact-path-rules/FOO", 404, null)]
    [InlineData(4, "An Ingress with exact path rules should not match any other label (exact /foo does not match request /bar)", "http://exact-path-rules/bar", 404, null)]
    [InlineData(5, "An Ingress with prefix path rules should send traffic to the matching backend service (prefix /foo matches request /foo)", "http://prefix-path-rules/foo", 200, "foo-prefix")]
    [InlineData(6, "An Ingress with prefix path rules should ignore the request trailing slash and send traffic to the matching backend service (prefix /foo matches request /foo/)", "http://prefix-path-rules/foo/", 200, "foo-prefix")]
    [InlineData(7, "An Ingress with prefix path rules should be case sensitive (prefix /foo does not match request /FOO)", "http://prefix-path-rules/FOO", 404, null)]
    [InlineData(8, "An Ingress with prefix path rules should match multiple labels, match the longest path, and send traffic to the matching backend service (prefix /aaa/bbb matches request /aaa/bbb)", "http://prefix-path-rules/aaa/bbb", 200, "aaa-slash-bbb-prefix")]
    [InlineData(9, "An Ingress with prefix path rules should match multiple labels, match the longest path, and subpaths and send traffic to the matching backend service (prefix /aaa/bbb matches request /aaa/bbb/ccc)", "http://prefix-path-rules/aaa/bbb/ccc", 200, "aaa-slash-bbb-prefix")]
    [InlineData(10, "An Ingress with prefix path rules should and send traffic to the matching backend service (prefix /aaa matches request /aaa/ccc)", "http://prefix-path-rules/aaa/ccc", 200, "aaa-prefix")]
    [InlineData(11, "An Ingress with prefix path rules should match each labels string prefix (prefix /aaa does not match request /aaaccc)", "http://prefix-path-rules/aaaccc", 404, null)]
    [InlineData(12, "An Ingress with prefix path rules should ignore the request trailing slash and send traffic to the matching backend service (prefix /foo matches request /foo/)", "http://prefix-path-rules/foo/", 200, "foo-prefix")]
    [InlineData(13, "An Ingress with mixed path rules should send traffic to the matching backend service where Exact is preferred (exact /foo matches request /foo)", "http://mixed-path-rules/foo", 200, "foo-exact")]
    [InlineData(14, "An Ingress with a trailing slashes in a prefix path rule should ignore the trailing slash and send traffic to the matching backend service (prefix /aaa/bbb/ matches request /aaa/bbb)", "http://trailing-slash-path-rules/aaa/bbb", 200, "aaa-slash-bbb-slash-prefix")]
    [InlineData(15, "An Ingress with a trailing slashes in a prefix path rule should ignore the trailing slash and send traffic to the matching backend service (prefix /aaa/bbb/ matches request /aaa/bbb/)", "http://trailing-slash-path-rules/aaa/bbb/", 200, "aaa-slash-bbb-slash-prefix")]
    [InlineData(16, "An Ingress with a trailing slashes in an exact path rule should not match requests without a trailing slash (exact /foo/ does not match request /foo)", "http://trailing-slash-path-rules/foo", 404, null)]
    public async Task Scenario(int number, string scenario, string url, int status, string? service)
    {
        Assert.InRange(number, 1, 16);
        Assert.NotEmpty(scenario);
        var uri = new Uri(url);
        var (response, request) = await background.Cluster.CaptureRoundTripAsync("GET", uri.Scheme, uri.Host, uri.AbsolutePath);
        Assert.Equal(status, response.StatusCode);
        if (service is null)
        {
            Assert.Null(request);
        }
        else
        {
            Assert.NotNull(request);
            Assert.Equal(service, request.Service);
            Assert.Equal(uri.AbsolutePath, request.Path);
        }
    }

    /// <summary>The Background: the Ingress "path-rules" in a new namespace, and its status address.</summary>
    public sealed class Background : IAsyncLifetime
    {
        public ConformanceCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Cluster = await ConformanceCluster.StartAsync();
            await Cluster.AddIngressAsync("""
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: path-rules
                spec:
                  rules:
                    - host: "exact-path-rules"
                      http:
                        paths:
                          - path: /foo
                            pathType: Exact
                            backend:
                              service:
                                name: foo-exact
                                port:
                                  number: 8080

                    - host: "prefix-path-rules"
                      http:
                        paths:
                          - path: /foo
                            pathType: Prefix
                            backend:
                              service:
                                name: foo-prefix
                                port:
                                  number: 8080

                          - path: /aaa/bbb
                            pathType: Prefix
                            backend:
                              service:
                                name: aaa-slash-bbb-prefix
                                port:
                                  number: 8080

                          - path: /aaa
                            pathType: Prefix
                            backend:
                              service:
                                name: aaa-prefix
                                port:
                                  number: 8080

                    - host: "mixed-path-rules"
                      http:
                        paths:
                          - path: /foo
                            pathType: Prefix
                            backend:
                              service:
                                name: foo-prefix
                                port:
                                  number: 8080

                          - path: /foo
                            pathType: Exact
                            backend:
                              service:
                                name: foo-exact
                                port:
                                  number: 8080

                    - host: "trailing-slash-path-rules"
                      http:
                        paths:
                          - path: /aaa/bbb/
                            pathType: Prefix
                            backend:
                              service:
                                name: aaa-slash-bbb-slash-prefix
                                port:
                                  number: 8080

                          - path: /foo/
                            pathType: Exact
                            backend:
                              service:
                                name: foo-slash-exact
                                port:
                                  number: 8080
                """);
            Assert.NotNull(Cluster.IngressStatusAddress("path-rules"));
        }

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }
}
