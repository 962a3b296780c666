using k8s.Models;
using Strata.Agent.Kubelet.Pods;

namespace Strata.Agent.Tests.Kubelet;

public sealed class HostsFileTests
{
    private const string Header = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n";

    [Fact]
    public void PodLineWithItsHostname()
    {
        Assert.Equal(Header + "10.233.64.5\tnginx\n", HostsFile.ForPod(Pod("nginx"), ["10.233.64.5"], "ignored", "cluster.local"));
    }

    [Fact]
    public void SubdomainAddsTheFqdn()
    {
        var pod = Pod("web-0");
        pod.Spec.Hostname = "db";
        pod.Spec.Subdomain = "backend";
        Assert.Equal(Header + "10.233.64.5\tdb.backend.shop.svc.cluster.local\tdb\n", HostsFile.ForPod(pod, ["10.233.64.5"], "ignored", "cluster.local"));
    }

    [Fact]
    public void HostAliasesFollow()
    {
        var pod = Pod("a");
        pod.Spec.HostAliases = [new V1HostAlias { Ip = "127.0.0.1", Hostnames = ["foo.local", "bar.local"] }, new V1HostAlias { Ip = "10.1.2.3", Hostnames = ["foo.remote"] }];
        Assert.Equal(Header + "10.233.64.5\ta\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n",
            HostsFile.ForPod(pod, ["10.233.64.5"], "ignored", "cluster.local"));
    }

    [Fact]
    public void HostNetworkPodsGetTheNodesFile()
    {
        var pod = Pod("flannel");
        pod.Spec.HostNetwork = true;
        Assert.Equal("127.0.0.1 localhost\n", HostsFile.ForPod(pod, ["172.19.0.8"], "127.0.0.1 localhost\n", "cluster.local"));
    }

    [Theory]
    [InlineData("short", null, "short")]
    [InlineData("pod", "given", "given")]
    [InlineData("a-very-long-pod-name-that-goes-on-and-on-past-the-sixty-three-character-limit", null, "a-very-long-pod-name-that-goes-on-and-on-past-the-sixty-three-c")]
    public void Hostname(string name, string? hostname, string expected)
    {
        var pod = Pod(name);
        pod.Spec.Hostname = hostname;
        Assert.Equal(expected, HostsFile.Hostname(pod));
    }

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "shop" },
        Spec = new V1PodSpec { Containers = [] },
    };
}
