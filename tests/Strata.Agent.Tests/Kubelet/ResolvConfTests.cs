using k8s.Models;
using Strata.Agent.Kubelet.Pods;

namespace Strata.Agent.Tests.Kubelet;

public sealed class ResolvConfTests
{
    private static readonly DnsSettings NodeDns = ResolvConf.Parse("# node\nnameserver 10.255.255.53\nnameserver 1.1.1.1\nsearch corp.example\noptions edns0\n");

    public static TheoryData<string, string> Cases => new()
    {
        { "ClusterFirst", "nameserver 10.233.0.3\nsearch web.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n" },
        { "Default", "nameserver 10.255.255.53\nnameserver 1.1.1.1\nsearch corp.example\noptions edns0\n" },
        { "None", string.Empty },
        { "ClusterFirstWithHostNet", "nameserver 10.233.0.3\nsearch web.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void PolicyPicksTheResolver(string policy, string expected)
    {
        var pod = Pod(policy);
        Assert.Equal(expected, ResolvConf.Render(ResolvConf.ForPod(pod, NodeDns, "10.233.0.3", "cluster.local")));
    }

    [Fact]
    public void HostNetworkClusterFirstUsesTheNodesResolver()
    {
        var pod = Pod("ClusterFirst");
        pod.Spec.HostNetwork = true;
        Assert.Equal(NodeDns, ResolvConf.ForPod(pod, NodeDns, "10.233.0.3", "cluster.local"), new SettingsComparer());
    }

    [Fact]
    public void DnsConfigIsMergedAsUpstream()
    {
        var pod = Pod("ClusterFirst");
        pod.Spec.DnsConfig = new V1PodDNSConfig
        {
            Nameservers = ["10.233.0.3", "192.0.2.53"],
            Searches = ["extra.example", "svc.cluster.local"],
            Options = [new V1PodDNSConfigOption { Name = "ndots", Value = "2" }, new V1PodDNSConfigOption { Name = "single-request-reopen" }],
        };
        Assert.Equal(
            "nameserver 10.233.0.3\nnameserver 192.0.2.53\nsearch web.svc.cluster.local svc.cluster.local cluster.local corp.example extra.example\noptions ndots:2 single-request-reopen\n",
            ResolvConf.Render(ResolvConf.ForPod(pod, NodeDns, "10.233.0.3", "cluster.local")));
    }

    [Fact]
    public void NoneTakesOnlyDnsConfigAndLimitsNameserversToThree()
    {
        var pod = Pod("None");
        pod.Spec.DnsConfig = new V1PodDNSConfig { Nameservers = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"], Searches = ["a.example"] };
        Assert.Equal("nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nsearch a.example\n",
            ResolvConf.Render(ResolvConf.ForPod(pod, NodeDns, "10.233.0.3", "cluster.local")));
    }

    [Fact]
    public void WithoutClusterDnsClusterFirstFallsBackToTheNode()
    {
        Assert.Equal("nameserver 10.255.255.53\nnameserver 1.1.1.1\nsearch corp.example\noptions edns0\n",
            ResolvConf.Render(ResolvConf.ForPod(Pod("ClusterFirst"), NodeDns, null, "cluster.local")));
    }

    [Theory]
    [InlineData("nameserver 9.9.9.9\ndomain a.example\n", "9.9.9.9", "a.example")]
    [InlineData("search a.example b.example\nsearch c.example\n", "", "c.example")]
    [InlineData("nameserver 9.9.9.9 ; comment\n#nameserver 8.8.8.8\n", "9.9.9.9", "")]
    public void ParsesTheLastSearchLineAndSkipsComments(string text, string nameservers, string searches)
    {
        var settings = ResolvConf.Parse(text);
        Assert.Equal(nameservers, string.Join(' ', settings.Nameservers));
        Assert.Equal(searches, string.Join(' ', settings.Searches));
    }

    private static V1Pod Pod(string policy) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "web" },
        Spec = new V1PodSpec { DnsPolicy = policy, Containers = [] },
    };

    private sealed class SettingsComparer : IEqualityComparer<DnsSettings>
    {
        public bool Equals(DnsSettings? x, DnsSettings? y) => ResolvConf.Render(x!) == ResolvConf.Render(y!);

        public int GetHashCode(DnsSettings obj) => ResolvConf.Render(obj).GetHashCode(StringComparison.Ordinal);
    }
}
