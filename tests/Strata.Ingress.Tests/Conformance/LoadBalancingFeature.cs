namespace Strata.Ingress.Tests.Conformance;

/// <summary>
/// ingress-controller-conformance features/load_balancing.feature: a defaultBackend Service scaled to 10 pods; 100
/// requests all answer 200 and reach all 10 pods.
/// </summary>
public sealed class LoadBalancingFeature
{
    [Theory]
    [InlineData("An Ingress with no rules should send all requests to the default backend and")]
    public async Task Scenario(string scenario)
    {
        Assert.StartsWith("An Ingress with no rules", scenario, StringComparison.Ordinal);
        await using var cluster = await ConformanceCluster.StartAsync();
        await cluster.AddIngressFromSpecAsync("load-balancing", """
            defaultBackend:
              service:
                name: echo-service
                port:
                  number: 8080
            """);
        Assert.NotNull(cluster.IngressStatusAddress("load-balancing"));
        await cluster.ScaleAsync("load-balancing", "echo-service", 10);

        var pods = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 100; i++)
        {
            var (response, request) = await cluster.CaptureRoundTripAsync("GET", "http", "load-balancing", "");
            Assert.Equal(200, response.StatusCode);
            pods.Add(request!.Pod);
        }

        Assert.Equal(10, pods.Count);
    }
}
