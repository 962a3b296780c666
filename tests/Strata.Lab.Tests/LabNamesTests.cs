using Strata.Lab;

namespace Strata.Lab.Tests;

public sealed class LabNamesTests
{
    [Theory]
    [InlineData("strata", "node1", "strata-underlay", "strata-node1")]
    [InlineData("demo", "node1", "strata-demo-underlay", "strata-demo-node1")]
    [InlineData("t-1a2b3c", "worker-7", "strata-t-1a2b3c-underlay", "strata-t-1a2b3c-worker-7")]
    public void NamespacesCarryTheLabsName(string lab, string node, string underlay, string nodeNamespace)
    {
        var names = new LabNames(lab);
        Assert.Equal(underlay, names.UnderlayNamespace);
        Assert.Equal(nodeNamespace, names.NodeNamespace(node));
    }

    [Theory]
    [InlineData("node1", 1, "veth-node1")]
    [InlineData("node123456", 7, "veth-node123456")]
    [InlineData("a-very-long-node-name", 12, "veth12")]
    public void UnderlayVethNamesFitFifteenBytes(string node, int index, string expected)
    {
        string name = LabNames.UnderlayVeth(node, index);
        Assert.Equal(expected, name);
        Assert.Null(Strata.Netlink.InterfaceName.Validate(name));
    }

    [Fact]
    public void NodeLayoutCoversTheStandardPaths()
    {
        var layout = new NodeLayout("/var/lib/strata/lab/strata", "node2");
        Assert.Equal("/var/lib/strata/lab/strata/ns/node2.mnt", layout.MountNamespace);
        Assert.Equal("/var/lib/strata/lab/strata/logs/node2.log", layout.Log);
        Assert.Equal(
            ["/etc/cni/net.d", "/opt/cni/bin", "/var/lib/cni", "/run/flannel", "/run/xtables.lock", "/var/lib/kubelet", "/var/log/pods", "/run/netns"],
            layout.Mounts.Select(m => m.Target));
        Assert.All(layout.Mounts, m => Assert.StartsWith("/var/lib/strata/lab/strata/nodes/node2/", m.Source, StringComparison.Ordinal));
        Assert.Equal([false, false, false, false, true, false, false, false], layout.Mounts.Select(m => m.IsFile));
    }
}
