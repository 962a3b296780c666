using System.Net;
using Strata.Ingress.Proxy;
using Strata.Ingress.Routing;

namespace Strata.Ingress.Tests.Proxy;

public sealed class RequestPlannerTests
{
    private static readonly ServiceTarget Main = new("default", "main", "80", [new UpstreamEndpoint(IPAddress.Loopback, 1)], null);
    private static readonly ServiceTarget Next = new("default", "next", "80", [new UpstreamEndpoint(IPAddress.Loopback, 2)], null);

    [Theory]
    [InlineData(null, 19, "next")] // math.random(100) = 20 <= weight 20
    [InlineData(null, 20, "main")] // 21 > 20
    [InlineData("always", 99, "next")]
    [InlineData("never", 0, "main")]
    [InlineData("other", 0, "next")] // an unknown header value falls through to the weight
    public void CanaryByHeaderThenWeight(string? header, int roll, string expected)
    {
        var table = Table(new CanaryRoute(Next, "X-Canary", null, 20, 100, "default/canary"));
        var plan = RequestPlanner.Plan(table, Request(header), 443, _ => roll);
        Assert.Equal(expected, Assert.IsType<ForwardPlan>(plan).Backend.Service);
    }

    [Theory]
    [InlineData("v2", "next")]
    [InlineData("always", "main")] // with canary-by-header-value only that value counts; weight 0 never picks the canary
    public void CanaryByHeaderValue(string header, string expected)
    {
        var table = Table(new CanaryRoute(Next, "X-Canary", "v2", 0, 100, "default/canary"));
        var plan = RequestPlanner.Plan(table, Request(header), 443, _ => 0);
        Assert.Equal(expected, Assert.IsType<ForwardPlan>(plan).Backend.Service);
    }

    [Fact]
    public void SslRedirectLeavesPort443OutAndKeepsTheQuery()
    {
        var table = new RouteTable([new VirtualHost("a.test", [new Route("/", PathMatchKind.Prefix, Main, LocationSettings.Default, "default/a")], null,
            new TlsBinding("", Tls.FakeCertificate.Create()), false)], ["default/a"], []);
        var plan = RequestPlanner.Plan(table, Request(null) with { Host = "a.test:80", Path = "/p", Query = "?x=1" }, 443, _ => 0);
        Assert.Equal(new LocalResponse(308, "https://a.test/p?x=1"), plan);
    }

    [Fact]
    public void ForceSslRedirectAppliesWithoutTls()
    {
        var settings = LocationSettings.Default with { ForceSslRedirect = true };
        var table = new RouteTable([new VirtualHost("a.test", [new Route("/", PathMatchKind.Prefix, Main, settings, "default/a")], null, null, false)], ["default/a"], []);
        Assert.Equal(new LocalResponse(308, "https://a.test:8443/"), RequestPlanner.Plan(table, Request(null), 8443, _ => 0));
        Assert.IsType<ForwardPlan>(RequestPlanner.Plan(table, Request(null) with { Scheme = "https" }, 8443, _ => 0));
    }

    private static RouteTable Table(CanaryRoute canary) =>
        new([new VirtualHost("a.test", [new Route("/", PathMatchKind.Prefix, Main, LocationSettings.Default, "default/a") { Canary = canary }], null, null, false)], ["default/a"], []);

    private static IncomingRequest Request(string? canaryHeader) =>
        new("http", "a.test", "/", "", IPAddress.Loopback, null, name => name == "X-Canary" ? canaryHeader : null);
}
