namespace Strata.Ingress.Tests.Conformance;

/// <summary>
/// ingress-controller-conformance features/ingress_class.feature: an Ingress naming an IngressClass that does not exist
/// is not ours: no status address (and, beyond the feature, its host is not routed).
/// </summary>
public sealed class IngressClassFeature
{
    [Theory]
    [InlineData("An Ingress with an invalid ingress class should not send traffic to the matching backend service")]
    public async Task Scenario(string scenario)
    {
        Assert.StartsWith("An Ingress with an invalid ingress class", scenario, StringComparison.Ordinal);
        await using var cluster = await ConformanceCluster.StartAsync();
        await cluster.AddIngressAsync("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: test-ingress-class
            spec:
              ingressClassName: some-invalid-class-name
              rules:
                - host: "ingress-class"
                  http:
                    paths:
                      - path: /
                        pathType: Prefix
                        backend:
                          service:
                            name: ingress-class-prefix
                            port:
                              number: 8080
            """);
        Assert.Null(cluster.IngressStatusAddress("test-ingress-class"));
        var (response, request) = await cluster.CaptureRoundTripAsync("GET", "http", "ingress-class", "");
        Assert.Equal(404, response.StatusCode);
        Assert.Null(request);
    }
}
