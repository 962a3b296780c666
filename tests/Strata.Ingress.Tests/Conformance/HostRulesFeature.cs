namespace Strata.Ingress.Tests.Conformance;

/// <summary>
/// ingress-controller-conformance features/host_rules.feature: an exact host with TLS from a self-signed Secret, and a
/// one-label wildcard. Its six scenarios as Theory rows: the scenario, the URL sent, then the expected status and, for a
/// 200, the Service that must answer (the request host must be the URL's host).
/// </summary>
public sealed class HostRulesFeature(HostRulesFeature.Background background) : IClassFixture<HostRulesFeature.Background>
{
    [Theory]
    [InlineData("An Ingress with a host rule should send TLS traffic to the matching backend service (host foo.bar.com matches request foo.bar.com)", "https://foo.bar.com", 200, "foo-bar-com")]
    [InlineData("An Ingress with a host rule should send traffic to the matching backend service (host foo.bar.com matches request foo.bar.com)", "http://foo.bar.com", 200, "foo-bar-com")]
    [InlineData("An Ingress with a host rule should not route traffic when hostname does not match (host foo.bar.com does not match request subdomain.bar.com)", "http://subdomain.bar.com", 404, null)]
    [InlineData("An Ingress with a wildcard host rule should send traffic to the matching backend service (Matches based on shared suffix)", "http://bar.foo.com", 200, "wildcard-foo-com")]
    [InlineData("An Ingress with a wildcard host rule should not route traffic matching on more than a single dns label (No match, wildcard only covers a single DNS label)", "http://baz.bar.foo.com", 404, null)]
    [InlineData("An Ingress with a wildcard host rule should not route traffic matching no dns label (No match, wildcard only covers a single DNS label)", "http://foo.com", 404, null)]
    public async Task Scenario(string scenario, string url, int status, string? service)
    {
        Assert.NotEmpty(scenario);
        var uri = new Uri(url);
        var (response, request) = await background.Cluster.CaptureRoundTripAsync("GET", uri.Scheme, uri.Host, uri.AbsolutePath);
        if (uri.Scheme == "https")
        {
            // "the secure connection must verify the foo.bar.com hostname": the Secret's certificate, not the fake one.
            Assert.NotNull(response.Certificate);
            Assert.True(response.Certificate.MatchesHostname(uri.Host), $"certificate {response.Certificate.Subject} does not cover {uri.Host}");
            Assert.Equal(uri.Host, response.TlsHostname);
        }

        Assert.Equal(status, response.StatusCode);
        if (service is not null)
        {
            Assert.NotNull(request);
            Assert.Equal(service, request.Service);
            Assert.Equal(uri.Host, request.Host);
        }
    }

    /// <summary>A plain-HTTP request to the TLS host is redirected (ssl-redirect, 308) and followed, as the conformance client does.</summary>
    [Fact]
    public async Task PlainHttpToTheTlsHostArrivesOverHttps()
    {
        var (response, request) = await background.Cluster.CaptureRoundTripAsync("GET", "http", "foo.bar.com", "/x");
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("https", request!.Headers["X-Forwarded-Proto"].Single());
        Assert.Equal("/x", request.Path);
    }

    /// <summary>The Background: a new namespace, the Secret "conformance-tls" for foo.bar.com, the Ingress "host-rules".</summary>
    public sealed class Background : IAsyncLifetime
    {
        public ConformanceCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Cluster = await ConformanceCluster.StartAsync();
            Cluster.AddSelfSignedTlsSecret("conformance-tls", "foo.bar.com");
            await Cluster.AddIngressAsync("""
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: host-rules
                spec:
                  tls:
                    - hosts:
                        - foo.bar.com
                      secretName: conformance-tls
                  rules:
                    - host: "*.foo.com"
                      http:
                        paths:
                          - path: /
                            pathType: Prefix
                            backend:
                              service:
                                name: wildcard-foo-com
                                port:
                                  number: 8080

                    - host: foo.bar.com
                      http:
                        paths:
                          - path: /
                            pathType: Prefix
                            backend:
                              service:
                                name: foo-bar-com
                                port:
                                  name: http
                """);
            Assert.NotNull(Cluster.IngressStatusAddress("host-rules"));
        }

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }
}
