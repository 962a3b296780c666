namespace Strata.Ingress.Tests.Conformance;

/// <summary>
/// ingress-controller-conformance features/default_backend.feature: an Ingress with no rules sends every request to
/// its defaultBackend. One Scenario Outline, its six Examples rows as Theory rows.
/// </summary>
public sealed class DefaultBackendFeature(DefaultBackendFeature.Background background) : IClassFixture<DefaultBackendFeature.Background>
{
    public const string Scenario = "An Ingress with no rules should send all requests to the default backend";

    [Theory]
    [InlineData(Scenario, "GET", "my-host", "")]
    [InlineData(Scenario, "GET", "my-host", "sub-path")]
    [InlineData(Scenario, "POST", "some-host", "")]
    [InlineData(Scenario, "PUT", "", "resource")]
    [InlineData(Scenario, "DELETE", "some-host", "resource")]
    [InlineData(Scenario, "PATCH", "my-host", "resource")]
    public async Task Examples(string scenario, string method, string host, string path)
    {
        Assert.Equal(Scenario, scenario);
        var (response, request) = await background.Cluster.CaptureRoundTripAsync(method, "http", host, path);
        Assert.Equal(200, response.StatusCode);
        Assert.NotNull(request);
        Assert.Equal("echo-service", request.Service);
        Assert.Equal("HTTP/1.1", response.Proto);
        foreach (var header in new[] { "Content-Length", "Content-Type", "Date", "Server" })
        {
            Assert.True(response.Headers.ContainsKey(header), $"the response has no {header} header: {string.Join(", ", response.Headers.Keys)}");
        }

        Assert.Equal(method, request.Method);
        Assert.Equal("/" + path, request.Path);
        Assert.Equal("HTTP/1.1", request.Proto);
        Assert.Equal(["Go-http-client/1.1"], request.Headers["User-Agent"]);
    }

    /// <summary>
    /// Beyond the feature (whose namespaces never coexist upstream): the rule-less Ingress's defaultBackend serves unknown
    /// hosts only, a host of another Ingress without a matching path gets the controller's 404 (ingress-nginx createServers).
    /// </summary>
    [Fact]
    public async Task UnmatchedPathsOfAnotherIngresssHostStay404()
    {
        await background.Cluster.AddIngressAsync("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: other-host}
            spec:
              rules:
                - host: "exact-path-rules"
                  http:
                    paths:
                      - {path: /foo, pathType: Exact, backend: {service: {name: foo-exact, port: {number: 8080}}}}
            """);
        var (response, request) = await background.Cluster.CaptureRoundTripAsync("GET", "http", "exact-path-rules", "/bar");
        Assert.Equal(404, response.StatusCode);
        Assert.Null(request);
        (response, request) = await background.Cluster.CaptureRoundTripAsync("GET", "http", "exact-path-rules", "/foo");
        Assert.Equal("foo-exact", request?.Service);
        (response, request) = await background.Cluster.CaptureRoundTripAsync("GET", "http", "unknown-host", "/bar");
        Assert.Equal("echo-service", request?.Service);
    }

    /// <summary>The feature's Background: a new namespace, the Ingress "default-backend", its status address.</summary>
    public sealed class Background : IAsyncLifetime
    {
        public ConformanceCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Cluster = await ConformanceCluster.StartAsync();
            await Cluster.AddIngressFromSpecAsync("default-backend", """
                defaultBackend:
                  service:
                    name: echo-service
                    port:
                      number: 8080
                """);
            Assert.NotNull(Cluster.IngressStatusAddress("default-backend"));
        }

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }
}
