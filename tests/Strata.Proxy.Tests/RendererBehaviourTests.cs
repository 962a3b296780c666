using k8s.Models;
using Strata.Proxy.Iptables;
using Strata.Proxy.Model;

namespace Strata.Proxy.Tests;

/// <summary>Single behaviours of the renderer and the model, each as upstream's proxier implements it.</summary>
public sealed class RendererBehaviourTests
{
    private static readonly ProxySettings Settings = new() { NodeName = "node1", NodeIP = "192.168.0.2", ClusterCidr = "10.0.0.0/8" };

    private static string Render(ProxySettings settings, params object[] objects) => ProxyRender.Render(
        new ObjectFile([.. objects.OfType<V1Service>()], [.. objects.OfType<V1EndpointSlice>()]), settings);

    private static string[] Lines(string text, string prefix) =>
        [.. text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];

    [Fact]
    public void ThreeEndpointsSplitWithOneThirdThenOneHalfThenTheRest()
    {
        var text = Render(Settings,
            UpstreamGoldenTests.ClusterIPService("default", "web", "10.233.0.10", "http", 80),
            UpstreamGoldenTests.Slice("default", "web", "http", 8080, "10.233.64.2", "10.233.65.2", "10.233.66.2"));
        var svc = ChainNames.ClusterPolicy("default/web:http", "tcp");
        var rules = Lines(text, $"-A {svc} -m comment --comment \"default/web:http ->");
        Assert.Equal(3, rules.Length);
        Assert.Contains("--probability 0.3333333333 -j KUBE-SEP-", rules[0], StringComparison.Ordinal);
        Assert.Contains("--probability 0.5000000000 -j KUBE-SEP-", rules[1], StringComparison.Ordinal);
        Assert.DoesNotContain("statistic", rules[2], StringComparison.Ordinal);
        Assert.EndsWith(ChainNames.Endpoint("default/web:http", "tcp", "10.233.66.2:8080"), rules[2], StringComparison.Ordinal);
    }

    [Fact]
    public void MasqueradeAllMarksEveryClusterIPPacket()
    {
        var text = Render(Settings with { MasqueradeAll = true },
            UpstreamGoldenTests.ClusterIPService("default", "web", "10.233.0.10", "http", 80),
            UpstreamGoldenTests.Slice("default", "web", "http", 8080, "10.233.64.2"));
        var svc = ChainNames.ClusterPolicy("default/web:http", "tcp");
        Assert.Contains(
            $"-A {svc} -m comment --comment \"default/web:http cluster IP\" -m tcp -p tcp -d 10.233.0.10 --dport 80 -j KUBE-MARK-MASQ\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void InternalTrafficPolicyLocalWithoutLocalEndpointsDropsInTheFilterTable()
    {
        var service = UpstreamGoldenTests.ClusterIPService("default", "web", "10.233.0.10", "http", 80);
        service.Spec.InternalTrafficPolicy = "Local";
        var slice = UpstreamGoldenTests.Slice("default", "web", "http", 8080, "10.233.65.2");
        slice.Endpoints[0].NodeName = "node2";
        var text = Render(Settings, service, slice);
        Assert.Contains(
            "-A KUBE-SERVICES -m comment --comment \"default/web:http has no local endpoints\" -m tcp -p tcp -d 10.233.0.10 --dport 80 -j DROP\n",
            text, StringComparison.Ordinal);
        Assert.DoesNotContain("KUBE-SEP-", text, StringComparison.Ordinal);

        slice.Endpoints[0].NodeName = "node1";
        text = Render(Settings, service, slice);
        var svl = ChainNames.LocalPolicy("default/web:http", "tcp");
        Assert.Contains($"-A KUBE-SERVICES -m comment --comment \"default/web:http cluster IP\" -m tcp -p tcp -d 10.233.0.10 --dport 80 -j {svl}\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ServingTerminatingEndpointsAreUsedOnlyWhenNoneIsReady()
    {
        var service = UpstreamGoldenTests.ClusterIPService("default", "web", "10.233.0.10", "http", 80);
        var slice = UpstreamGoldenTests.Slice("default", "web", "http", 8080, "10.233.64.2", "10.233.64.3");
        slice.Endpoints[0].Conditions = new V1EndpointConditions { Ready = false, Serving = true, Terminating = true };
        slice.Endpoints[1].Conditions = new V1EndpointConditions { Ready = true, Serving = true, Terminating = false };
        var text = Render(Settings, service, slice);
        Assert.Contains("--to-destination 10.233.64.3:8080", text, StringComparison.Ordinal);
        Assert.DoesNotContain("--to-destination 10.233.64.2:8080", text, StringComparison.Ordinal);

        slice.Endpoints[1].Conditions = new V1EndpointConditions { Ready = false, Serving = true, Terminating = true };
        text = Render(Settings, service, slice);
        Assert.Contains("--to-destination 10.233.64.2:8080", text, StringComparison.Ordinal);
        Assert.Contains("--to-destination 10.233.64.3:8080", text, StringComparison.Ordinal);

        // Terminating and not serving: gone, and the Service is rejected.
        slice.Endpoints[0].Conditions = slice.Endpoints[1].Conditions = new V1EndpointConditions { Ready = false, Serving = false, Terminating = true };
        text = Render(Settings, service, slice);
        Assert.Contains("\"default/web:http has no endpoints\" -m tcp -p tcp -d 10.233.0.10 --dport 80 -j REJECT", text, StringComparison.Ordinal);
    }

    [Fact]
    public void NodePortsOnChosenAddressesOnly()
    {
        var service = UpstreamGoldenTests.ClusterIPService("default", "web", "10.233.0.10", "http", 80);
        service.Spec.Type = "NodePort";
        service.Spec.Ports[0].NodePort = 30080;
        var text = Render(Settings with { NodePortAddresses = ["192.168.0.0/24"] }, service,
            UpstreamGoldenTests.Slice("default", "web", "http", 8080, "10.233.64.2"));
        Assert.Contains(
            "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -d 192.168.0.2 -j KUBE-NODEPORTS\n",
            text, StringComparison.Ordinal);
        Assert.DoesNotContain("--dst-type LOCAL -j KUBE-NODEPORTS", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectFileErrorsNameTheDocument()
    {
        var error = Assert.Throws<FormatException>(() => ObjectFile.Parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "objects.yaml"));
        Assert.Contains("objects.yaml", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<FormatException>(() => ObjectFile.Parse(
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s}\naddressType: IPv4\n", "objects.yaml"));
        Assert.Contains("document 1: EndpointSlice s has no kubernetes.io/service-name label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnimplementedModesAreRefusedByName()
    {
        var error = Assert.Throws<ArgumentException>(() => Render(Settings with { Mode = "ipvs" }));
        Assert.Contains("--mode ipvs", error.Message, StringComparison.Ordinal);
    }
}
