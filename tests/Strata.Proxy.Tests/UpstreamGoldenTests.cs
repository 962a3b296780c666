using System.Net;
using k8s.Models;
using Strata.Proxy.Iptables;
using Strata.Proxy.Model;

namespace Strata.Proxy.Tests;

/// <summary>
/// The renderer against the expected text of upstream kube-proxy's own tests (kubernetes pkg/proxy/iptables/proxier_test.go):
/// the same objects in, the same iptables-restore text out. The expected files are upstream's strings verbatim.
/// Upstream compares after sortIPTablesRules (tables by name; KUBE-NODEPORTS, KUBE-SERVICES, then the other chains
/// alphabetically; KUBE-SERVICES and KUBE-NODEPORTS rules stable-sorted by the Service name in their comment, the
/// "must be the last rule" rule kept last), because the order Services are visited in is Go map order. We render in a
/// fixed order, but compare through the same normalisation (<see cref="IptablesDump.Canonical"/>) so that the
/// expectation files can stay byte-for-byte upstream's.
/// </summary>
public sealed class UpstreamGoldenTests
{
    private const string TestNodeName = "test-node";

    /// <summary>NewFakeProxier's settings: node 192.168.0.2, the local detector on 10.0.0.0/8, mark bit 14, no --random-fully.</summary>
    private static readonly ProxySettings FakeProxier = new()
    {
        NodeName = TestNodeName,
        NodeIP = "192.168.0.2",
        ClusterCidr = "10.0.0.0/8",
        RandomFully = false,
    };

    private static string TestData(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", name));

    [Fact]
    public void OverallIPTablesRules()
    {
        // The current upstream test runs with the nfacct counters present.
        var objects = ObjectFile.Parse(TestData("overall.yaml"), "overall.yaml");
        var rendered = ProxyRender.Render(objects, FakeProxier with { NfacctCounters = true });
        Assert.Equal(TestData("overall.expected"), IptablesDump.Canonical(rendered));
    }

    [Fact]
    public void SyncProxyRulesRepeated_PartialSyncsRewriteOnlyChangedServicesAndDeleteStaleChains()
    {
        var harness = new SyncHarness(FakeProxier);
        harness.Tracker.UpsertService(ClusterIPService("ns1", "svc1", "172.30.0.41", "p80", 80));
        var svc2 = ClusterIPService("ns2", "svc2", "172.30.0.42", "p8080", 8080);
        harness.Tracker.UpsertService(svc2);
        harness.Tracker.UpsertEndpointSlice(Slice("ns1", "svc1", "p80", 80, "10.0.1.1"));
        harness.Tracker.UpsertEndpointSlice(Slice("ns2", "svc2", "p8080", 8080, "10.0.2.1"));
        Assert.Equal(TestData("repeated-1.expected"), IptablesDump.Canonical(harness.Sync(full: true)));

        // A new Service and its endpoints: only its SVC and SEP chains are written.
        harness.Tracker.UpsertService(ClusterIPService("ns3", "svc3", "172.30.0.43", "p80", 80));
        harness.Tracker.UpsertEndpointSlice(Slice("ns3", "svc3", "p80", 80, "10.0.3.1"));
        Assert.Equal(TestData("repeated-2.expected"), IptablesDump.Canonical(harness.Sync(full: false)));

        // A deleted Service: its chains are flushed and deleted.
        harness.Tracker.DeleteService(svc2);
        Assert.Equal(TestData("repeated-3.expected"), IptablesDump.Canonical(harness.Sync(full: false)));

        // A Service without endpoints is rejected in the filter table; no nat chain for it.
        harness.Tracker.UpsertService(ClusterIPService("ns4", "svc4", "172.30.0.44", "p80", 80));
        Assert.Equal(TestData("repeated-4.expected"), IptablesDump.Canonical(harness.Sync(full: false)));

        harness.Tracker.UpsertEndpointSlice(Slice("ns4", "svc4", "p80", 80, "10.0.4.1"));
        Assert.Equal(TestData("repeated-5.expected"), IptablesDump.Canonical(harness.Sync(full: false)));
    }

    [Theory]
    [InlineData("ns1/svc1:p80", "tcp", "XPGD46QRK7WJZT7O")]
    [InlineData("ns2/svc2:p80", "tcp", "GNZBNJ2PO5MGZ6GT")]
    [InlineData("ns5/svc5:p80", "tcp", "NUKIZ6OKUXPJNT4C")]
    [InlineData("ns2/svc2:p8080", "tcp", "2VJB64SDSIJUP5T6")]
    public void ServiceChainHashesAreUpstreams(string servicePortName, string protocol, string hash)
    {
        Assert.Equal("KUBE-SVC-" + hash, ChainNames.ClusterPolicy(servicePortName, protocol));
        Assert.Equal("KUBE-EXT-" + hash, ChainNames.External(servicePortName, protocol));
        Assert.Equal("KUBE-FW-" + hash, ChainNames.Firewall(servicePortName, protocol));
        Assert.Equal("KUBE-SVL-" + hash, ChainNames.LocalPolicy(servicePortName, protocol));
    }

    [Theory]
    [InlineData("ns1/svc1:p80", "tcp", "10.180.0.1:80", "KUBE-SEP-SXIVWICOYRO3J4NJ")]
    [InlineData("ns5/svc5:p80", "tcp", "10.180.0.3:80", "KUBE-SEP-I77PXRDZVX7PMWMN")]
    [InlineData("ns3/svc3:p80", "tcp", "10.180.0.3:80", "KUBE-SEP-OYPFS5VJICHGATKP")]
    public void EndpointChainHashesAreUpstreams(string servicePortName, string protocol, string endpoint, string chain) =>
        Assert.Equal(chain, ChainNames.Endpoint(servicePortName, protocol, endpoint));

    [Fact]
    public void ProbabilitiesAreGoTenDecimalFormat()
    {
        Assert.Equal("0.3333333333", IptablesRenderer.Probability(3));
        Assert.Equal("0.5000000000", IptablesRenderer.Probability(2));
        Assert.Equal("0.1000000000", IptablesRenderer.Probability(10));
    }

    internal static V1Service ClusterIPService(string ns, string name, string clusterIP, string portName, int port, string protocol = "TCP") => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { NamespaceProperty = ns, Name = name },
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            ClusterIP = clusterIP,
            Ports = [new V1ServicePort { Name = portName, Port = port, Protocol = protocol }],
        },
    };

    internal static V1EndpointSlice Slice(string ns, string service, string portName, int port, params string[] addresses) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta
        {
            NamespaceProperty = ns,
            Name = service + "-1",
            Labels = new Dictionary<string, string> { [EndpointSliceConversion.ServiceNameLabel] = service },
        },
        AddressType = "IPv4",
        Endpoints = [.. addresses.Select(a => new V1Endpoint { Addresses = [a] })],
        Ports = [new Discoveryv1EndpointPort { Name = portName, Port = port, Protocol = "TCP" }],
    };

    /// <summary>
    /// What the proxier does around the renderer, without a kernel: the nat chains "in the kernel" are those every
    /// applied payload declared and did not delete (what iptables-save would list), as upstream's fake iptables keeps them.
    /// </summary>
    private sealed class SyncHarness(ProxySettings settings)
    {
        private readonly HashSet<string> _kernelNatChains = new(StringComparer.Ordinal);

        public ProxyChangeTracker Tracker { get; } = new(settings.NodeName);

        public string Sync(bool full)
        {
            var snapshot = Tracker.Checkout();
            var payload = IptablesRenderer.Render(
                ProxyModel.Build(snapshot), settings.ToIptablesOptions(), full ? null : snapshot.ChangedServices, _kernelNatChains);
            var nat = IptablesDump.Parse(payload.Text).Tables.Single(t => t.Name == "nat");
            foreach (var chain in nat.Chains)
            {
                _kernelNatChains.Add(chain.Name);
            }

            foreach (var deletion in nat.Deletions)
            {
                _kernelNatChains.Remove(deletion["-X ".Length..]);
            }

            return payload.Text;
        }
    }
}
