namespace Strata.Agent.Tests.Kubelet;

public sealed class AgentOptionsTests
{
    [Theory]
    [InlineData("dns", "--roles: unknown role \"dns\" (known: kubelet, flannel, proxy, lb-speaker)")]
    public void RolesNotHereNameTheirIssue(string role, string expected)
    {
        var options = Valid();
        options.Roles = ["kubelet", role];
        Assert.Equal([expected], options.Validate(requireKubeconfig: false));
    }

    [Fact]
    public void TheProxyRoleChecksItsFlags()
    {
        var options = Valid();
        options.Roles = ["proxy"];
        Assert.Empty(options.Validate(requireKubeconfig: false));
        options.ProxyMode = "ipvs";
        options.ClusterCidr = "10.233.64.0/99";
        Assert.Equal(
        [
            "--proxy-mode: \"ipvs\" is not implemented (iptables)",
            "--cluster-cidr: \"10.233.64.0/99\" is not an IPv4 CIDR",
        ], options.Validate(requireKubeconfig: false));
    }

    [Fact]
    public void TheFlannelRoleAloneNeedsNoNodeIp()
    {
        var options = Valid();
        options.Roles = ["flannel"];
        options.NodeIp = "";
        Assert.Empty(options.Validate(requireKubeconfig: false));
        options.Roles = ["kubelet", "flannel"];
        Assert.Equal(["--node-ip: \"\" is not an IPv4 address"], options.Validate(requireKubeconfig: false));
    }

    [Fact]
    public void EveryBadFlagIsNamed()
    {
        var options = new AgentOptions { NodeName = "Node_1", NodeIp = "fe80::1", Port = 70000, ClusterDns = "dns", RootDir = "relative" };
        Assert.Equal(
        [
            "--node-name: \"Node_1\" is not a valid node name (a lowercase RFC 1123 subdomain)",
            "--node-ip: \"fe80::1\" is not an IPv4 address",
            "--kubeconfig is required",
            "--port: 70000 is not a port (1-65535)",
            "--cluster-dns: \"dns\" is not an IP address",
            "--root-dir: \"relative\" is not an absolute path",
        ], options.Validate());
    }

    [Theory]
    [InlineData("/tmp/kubelet")]
    [InlineData("/run")]
    public void RootDirMayNotBeHiddenFromPods(string rootDir)
    {
        var options = Valid();
        options.RootDir = rootDir;
        Assert.Equal([$"--root-dir: \"{rootDir}\" is under /tmp or /run, which every pod gets a tmpfs of its own over: its files there would be hidden from it"], options.Validate(requireKubeconfig: false));
    }

    [Fact]
    public void DefaultsAreTheKubeletsAndTheLabs()
    {
        Assert.Empty(Valid().Validate(requireKubeconfig: false));
        var config = Strata.Agent.Kubelet.KubeletConfig.From(Valid());
        Assert.Equal(("/var/lib/kubelet", "/var/log/pods", "/etc/cni/net.d", "/opt/cni/bin", "/var/lib/cni", 10250, "10.233.0.3", "cluster.local"),
            (config.RootDir, config.PodLogsDir, config.CniConfDir, config.CniBinDir, config.CniCacheDir, config.Port, config.ClusterDns, config.ClusterDomain));
    }

    private static AgentOptions Valid() => new() { NodeName = "node1", NodeIp = "172.19.0.8" };
}
