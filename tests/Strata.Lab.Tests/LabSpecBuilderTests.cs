using System.Net;
using Strata.Lab;

namespace Strata.Lab.Tests;

public sealed class LabSpecBuilderTests
{
    private static LabSpec Build(LabFlags? flags = null, string? yaml = null) =>
        LabSpecBuilder.Build(flags ?? new LabFlags(), yaml is null ? null : "lab.yaml", yaml);

    private static string Error(LabFlags? flags = null, string? yaml = null) =>
        Assert.Throws<LabException>(() => Build(flags, yaml)).Message;

    [Fact]
    public void DefaultsAreTheSeedsTopology()
    {
        var spec = Build();
        Assert.Equal("strata", spec.Name);
        Assert.Equal(["node1 172.19.0.8", "node2 172.19.0.13", "node3 172.19.0.15"], spec.Nodes.Select(n => $"{n.Name} {n.Address}"));
        Assert.Equal("172.19.0.0/20", spec.Underlay.ToString());
        Assert.Equal(IPAddress.Parse("172.19.0.2"), spec.ApiAddress);
        Assert.Equal(6443, spec.ApiPort);
        Assert.Equal("vxlan", spec.Backend);
        Assert.Equal("iptables", spec.ProxyMode);
        Assert.Equal("10.233.64.0/18", spec.ClusterCidr.ToString());
        Assert.Equal("10.233.0.0/18", spec.ServiceCidr.ToString());
        Assert.Equal(IPAddress.Parse("10.233.0.3"), spec.ClusterDns);
        Assert.Equal("/var/lib/strata/lab/strata", spec.StateDirectory);
    }

    [Theory]
    [InlineData(1, "172.19.0.8")]
    [InlineData(2, "172.19.0.8,172.19.0.13")]
    [InlineData(5, "172.19.0.8,172.19.0.13,172.19.0.15,172.19.0.16,172.19.0.17")]
    public void FurtherNodesTakeFreeAddressesFrom16Up(int nodes, string expected)
    {
        var spec = Build(new LabFlags { Nodes = nodes });
        Assert.Equal(expected, string.Join(',', spec.Nodes.Select(n => n.Address)));
        Assert.Equal(Enumerable.Range(1, nodes).Select(i => $"node{i}"), spec.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void DefaultsSkipAddressesGivenInTheConfig()
    {
        var spec = Build(new LabFlags { Nodes = 4 }, """
            nodes:
              - name: alpha
                address: 172.19.0.13
              - name: beta
            """);
        Assert.Equal(["alpha 172.19.0.13", "beta 172.19.0.8", "node3 172.19.0.15", "node4 172.19.0.16"], spec.Nodes.Select(n => $"{n.Name} {n.Address}"));
    }

    [Fact]
    public void ConfigFileSetsEverythingAndFlagsWin()
    {
        var spec = Build(new LabFlags { Backend = "udp", ApiPort = 16443 }, """
            name: demo
            nodes: 2
            underlay: 10.99.0.0/24
            apiPort: 7443
            backend: host-gw
            clusterCidr: 10.50.0.0/16
            serviceCidr: 10.51.0.0/16
            stateDir: /tmp/demo-lab
            """);
        Assert.Equal("demo", spec.Name);
        Assert.Equal(["10.99.0.8", "10.99.0.13"], spec.Nodes.Select(n => n.Address.ToString()));
        Assert.Equal(IPAddress.Parse("10.99.0.2"), spec.ApiAddress);
        Assert.Equal(16443, spec.ApiPort);
        Assert.Equal("udp", spec.Backend);
        Assert.Equal(IPAddress.Parse("10.51.0.3"), spec.ClusterDns);
        Assert.Equal("/tmp/demo-lab", spec.StateDirectory);
        Assert.Equal("strata-demo-underlay", spec.Names.UnderlayNamespace);
    }

    [Theory]
    [InlineData("nodes:\n  - name: a\n  - name: b\n    address: 172.20.0.9\n", "lab.yaml: nodes[1].address: 172.20.0.9 is outside the underlay 172.19.0.0/20")]
    [InlineData("nodes:\n  - address: 172.19.0.2\n", "lab.yaml: nodes[0].address: 172.19.0.2 is the API server's address")]
    [InlineData("nodes:\n  - address: 172.19.0.9\n  - address: 172.19.0.9\n", "lab.yaml: nodes[1].address: 172.19.0.9 is already used by another node")]
    [InlineData("nodes:\n  - address: 172.19.15.255\n", "lab.yaml: nodes[0].address: 172.19.15.255 is the underlay's broadcast address")]
    [InlineData("nodes:\n  - address: nine\n", "lab.yaml: nodes[0].address: \"nine\" is not an IPv4 address")]
    [InlineData("nodes:\n  - name: Node_1\n", "lab.yaml: nodes[0].name: \"Node_1\" must be a DNS label")]
    [InlineData("nodes:\n  - name: underlay\n", "lab.yaml: nodes[0].name: \"underlay\" is reserved")]
    [InlineData("nodes:\n  - name: a\n  - name: a\n", "lab.yaml: nodes[1].name: node name \"a\" is used twice")]
    [InlineData("nodes:\n  - name: a\n    color: red\n", "lab.yaml: nodes[0]: unknown field \"color\" at line 3")]
    [InlineData("nodes: many\n", "lab.yaml: nodes: \"many\" is not a number")]
    [InlineData("nodes: 0\n", "lab.yaml: nodes: 0 nodes: a lab has 1 to 250 nodes")]
    [InlineData("underlay: 172.19.0.0\n", "lab.yaml: underlay: \"172.19.0.0\" needs a prefix length")]
    [InlineData("underlay: 172.19.0.0/40\n", "lab.yaml: underlay: invalid CIDR \"172.19.0.0/40\"")]
    [InlineData("underlay: fd00::/64\n", "lab.yaml: underlay: fd00::/64 is not an IPv4 prefix")]
    [InlineData("apiAddress: 10.0.0.1\n", "lab.yaml: apiAddress: 10.0.0.1 is outside the underlay 172.19.0.0/20")]
    [InlineData("apiPort: 70000\n", "lab.yaml: apiPort: 70000 is not a port")]
    [InlineData("backend: geneve\n", "lab.yaml: backend: \"geneve\" is not a backend (known: vxlan, host-gw, udp)")]
    [InlineData("proxyMode: ipvs\n", "lab.yaml: proxyMode: \"ipvs\" is not a proxy mode (known: iptables)")]
    [InlineData("serviceCidr: 10.233.64.0/20\n", "lab.yaml: clusterCidr 10.233.64.0/18 overlaps serviceCidr 10.233.64.0/20")]
    [InlineData("clusterCidr: 172.19.0.0/16\n", "lab.yaml: clusterCidr 172.19.0.0/16 overlaps the underlay 172.19.0.0/20")]
    [InlineData("name: Big_Lab\n", "lab.yaml: name: \"Big_Lab\" must be 1-32 lowercase letters")]
    [InlineData("colour: blue\n", "lab.yaml: unknown field \"colour\" at line 1")]
    [InlineData("nodes: [\n", "lab.yaml: invalid YAML at line")]
    [InlineData("- a\n- b\n", "lab.yaml: the document must be a mapping")]
    [InlineData("underlay: 10.0.0.0/28\nnodes: 13\n", "lab.yaml: nodes: the underlay 10.0.0.0/28 has no free address left for node node13")]
    public void BadConfigNamesTheField(string yaml, string expected)
    {
        Assert.StartsWith(expected, Error(yaml: yaml));
    }

    [Theory]
    [InlineData(0, null, null, "--nodes: 0 nodes")]
    [InlineData(3, "geneve", null, "--backend: \"geneve\" is not a backend")]
    [InlineData(3, null, 0, "--api-port: 0 is not a port")]
    public void BadFlagsNameTheFlag(int nodes, string? backend, int? port, string expected)
    {
        Assert.StartsWith(expected, Error(new LabFlags { Nodes = nodes, Backend = backend, ApiPort = port }));
    }

    [Fact]
    public void SmallUnderlaysUseTheAddressesBelowSixteenToo()
    {
        var spec = Build(yaml: "underlay: 10.0.0.0/28\nnodes: 12\n");
        Assert.Equal("10.0.0.8,10.0.0.13,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,10.0.0.7,10.0.0.9,10.0.0.10,10.0.0.11,10.0.0.12,10.0.0.14", string.Join(',', spec.Nodes.Select(n => n.Address)));
    }

    [Fact]
    public void TheLoadBalancerPoolIsTheTopOfTheFirstSegment()
    {
        Assert.Equal("172.19.15.200-172.19.15.250", Build().LoadBalancerPoolText);
        Assert.Equal("172.19.0.200-172.19.0.250", Build(new LabFlags { Segments = 2 }).LoadBalancerPoolText);
        Assert.Equal("10.7.0.200-10.7.0.250", Build(yaml: "underlay: 10.7.0.0/24\n").LoadBalancerPoolText);
        Assert.Null(Build(yaml: "underlay: 10.0.0.0/28\n").LoadBalancerPool);
        Assert.Equal("lab.yaml: node node1's address 172.19.15.210 is in the LoadBalancer pool 172.19.15.200-172.19.15.250: choose an address below it",
            Error(yaml: "nodes:\n  - address: 172.19.15.210\n"));
    }

    [Fact]
    public void EmptyConfigMeansDefaults()
    {
        Assert.Equal(3, Build(yaml: "").Nodes.Count);
    }

    [Fact]
    public void UnreadableConfigIsAClearError()
    {
        var e = Assert.Throws<LabException>(() => LabSpecBuilder.Build(new LabFlags(), "/nonexistent/lab.yaml"));
        Assert.StartsWith("/nonexistent/lab.yaml: cannot read the lab configuration", e.Message);
    }

    [Fact]
    public void TwoSegmentsPutNode3AcrossTheRouterKeepingItsLastOctet()
    {
        var spec = Build(new LabFlags { Segments = 2 });
        Assert.Equal(["node1 172.19.0.8 0", "node2 172.19.0.13 0", "node3 172.19.1.15 1"], spec.Nodes.Select(n => $"{n.Name} {n.Address} {n.Segment}"));
        Assert.Equal(("172.19.0.0/24", "172.19.1.0/24"), (spec.Segment(0).ToString(), spec.Segment(1).ToString()));
        Assert.Equal((IPAddress.Parse("172.19.0.1"), IPAddress.Parse("172.19.1.1")), (spec.RouterAddress(0), spec.RouterAddress(1)));
        Assert.Equal(24, spec.LinkPrefixLength);
        Assert.Equal(20, Build().LinkPrefixLength);
    }

    [Fact]
    public void ASegmentComesFromAnExplicitAddress()
    {
        var spec = Build(yaml: "segments: 3\nnodes:\n  - address: 172.19.2.20\n  - name: b\n");
        Assert.Equal(["node1 172.19.2.20 2", "b 172.19.1.8 1"], spec.Nodes.Select(n => $"{n.Name} {n.Address} {n.Segment}"));
    }

    [Theory]
    [InlineData("segments: 0\n", "lab.yaml: segments: 0 segments: a lab has 1 to 16")]
    [InlineData("segments: 2\nunderlay: 172.19.0.0/24\n", "lab.yaml: segments: 2 segments of a /24 do not fit in the underlay 172.19.0.0/24")]
    [InlineData("segments: 2\napiAddress: 172.19.1.2\n", "lab.yaml: apiAddress: 172.19.1.2 is not on the first segment 172.19.0.0/24")]
    [InlineData("segments: 2\nnodes:\n  - address: 172.19.2.8\n", "lab.yaml: nodes[0].address: 172.19.2.8 is on no segment (the lab has 2 /24s from 172.19.0.0)")]
    [InlineData("segments: 2\nnodes:\n  - address: 172.19.1.1\n", "lab.yaml: nodes[0].address: 172.19.1.1 is its segment's router address")]
    [InlineData("nodes:\n  - name: router\n", "lab.yaml: nodes[0].name: \"router\" is reserved for the lab's router")]
    public void BadSegmentsAreNamed(string yaml, string message) => Assert.Equal(message, Error(yaml: yaml));
}
