using Strata.Ingress.Gateway;

namespace Strata.Ingress.Tests.Gateway;

/// <summary>Gateway API hostnames: multi-label wildcards and the listener/route intersection (HTTPRouteSpec.Hostnames docs).</summary>
public sealed class HostnamesTests
{
    [Theory]
    [InlineData("*.example.com", "foo.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com", true)] // several labels, unlike Ingress
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "fooexample.com", false)]
    [InlineData("foo.example.com", "FOO.example.com", true)]
    [InlineData("foo.example.com", "bar.example.com", false)]
    [InlineData("*", "anything.at.all", true)]
    public void Wildcards_match_one_or_more_labels(string hostname, string host, bool matches) =>
        Assert.Equal(matches, Hostnames.Matches(hostname, host));

    [Theory]
    [InlineData(null, "foo.example.com", "foo.example.com")]
    [InlineData("very.specific.com", "very.specific.com", "very.specific.com")]
    [InlineData("very.specific.com", "*.specific.com", "very.specific.com")]
    [InlineData("*.wildcard.io", "foo.wildcard.io", "foo.wildcard.io")]
    [InlineData("*.wildcard.io", "*.foo.wildcard.io", "*.foo.wildcard.io")]
    [InlineData("*.foo.wildcard.io", "*.wildcard.io", "*.foo.wildcard.io")]
    [InlineData("*.wildcard.io", "wildcard.io", null)]
    [InlineData("very.specific.com", "non.matching.com", null)]
    [InlineData("*.anotherwildcard.io", "*.wildcard.io", null)]
    [InlineData("*.specific.com", "*.nonmatchingwildcard.io", null)]
    public void Listener_and_route_hostnames_intersect_to_the_narrower(string? listener, string route, string? expected) =>
        Assert.Equal(expected, Hostnames.Intersect(listener, route));

    [Fact]
    public void A_route_without_hostnames_takes_the_listeners_and_neither_means_any()
    {
        Assert.Equal(["*.example.com"], Hostnames.Effective("*.example.com", null));
        Assert.Equal(["*"], Hostnames.Effective(null, []));
        Assert.Empty(Hostnames.Effective("bar.com", ["foo.com"]));
        Assert.Equal(["a.bar.com", "*.x.bar.com"], Hostnames.Effective("*.bar.com", ["a.bar.com", "bar.com", "*.x.bar.com", "other.com"]));
    }
}
