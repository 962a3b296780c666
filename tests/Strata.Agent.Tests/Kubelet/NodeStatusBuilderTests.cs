using k8s.Models;
using Strata.Agent.Kubelet.Node;

namespace Strata.Agent.Tests.Kubelet;

public sealed class NodeStatusBuilderTests
{
    private static readonly NodeFacts Facts = new(2, 24683784, 1000, "6.1.0", "Debian GNU/Linux 12 (bookworm)", "m", "b", "1.2.3");
    private static readonly DateTime Now = new(2026, 12, 6, 1, 2, 3, DateTimeKind.Utc);

    [Theory]
    [InlineData(true, "True", "KubeletReady", "kubelet is posting ready status")]
    [InlineData(false, "False", "KubeletNotReady", "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized")]
    public void ReadyFollowsTheNetwork(bool networkReady, string status, string reason, string message)
    {
        var built = NodeStatusBuilder.Build(null, Facts, "node1", "172.19.0.8", 10250, networkReady, Now);
        var ready = built.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal((status, reason, message), (ready.Status, ready.Reason, ready.Message));
        Assert.Equal(["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"], built.Conditions.Select(c => c.Type));
        Assert.All(built.Conditions.Where(c => c.Type != "Ready"), c => Assert.Equal("False", c.Status));
        Assert.Equal("24683784Ki", built.Capacity["memory"].ToString());
        Assert.Equal("2", built.Allocatable["cpu"].ToString());
        Assert.Equal("strata://1.2.3", built.NodeInfo.ContainerRuntimeVersion);
        Assert.Equal([("InternalIP", "172.19.0.8"), ("Hostname", "node1")], built.Addresses.Select(a => (a.Type, a.Address)));
    }

    [Fact]
    public void HeartbeatsDoNotCountAsChangesAndTransitionsKeepTheirTime()
    {
        var first = NodeStatusBuilder.Build(null, Facts, "node1", "172.19.0.8", 10250, true, Now);
        var later = NodeStatusBuilder.Build(first, Facts, "node1", "172.19.0.8", 10250, true, Now.AddSeconds(10));
        Assert.False(NodeStatusBuilder.Differs(first, later));
        Assert.Equal(Now, later.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);
        Assert.Equal(Now.AddSeconds(10), later.Conditions.Single(c => c.Type == "Ready").LastHeartbeatTime);
        Assert.True(NodeStatusBuilder.Differs(first, NodeStatusBuilder.Build(first, Facts, "node1", "172.19.0.8", 10250, false, Now)));
    }

    [Fact]
    public void AdoptingANodeAddsTheKubeletsLabelsOnce()
    {
        var node = new V1Node { Metadata = new V1ObjectMeta { Name = "node1", Labels = new Dictionary<string, string> { ["team"] = "a" } } };
        Assert.True(NodeStatusBuilder.AdoptLabels(node));
        Assert.Equal(("a", "node1", "linux"), (node.Metadata.Labels["team"], node.Metadata.Labels["kubernetes.io/hostname"], node.Metadata.Labels["kubernetes.io/os"]));
        Assert.False(NodeStatusBuilder.AdoptLabels(node));
    }

    [Theory]
    [InlineData("MemTotal:       24683784 kB\nMemFree: 1 kB\n", 24683784)]
    [InlineData("", 0)]
    public void MemoryFromMeminfo(string meminfo, long expected) => Assert.Equal(expected, NodeFacts.ParseMemoryKi(meminfo));

    [Fact]
    public void OsImageFromOsRelease() =>
        Assert.Equal("Debian GNU/Linux 12 (bookworm)", NodeFacts.ParseOsImage("NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"));
}
