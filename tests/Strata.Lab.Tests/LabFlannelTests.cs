using System.Text.Json.Nodes;

namespace Strata.Lab.Tests;

/// <summary>flannel's DaemonSet in a lab on two L2 segments: host-gw refuses the node behind the router, vxlan reaches it.</summary>
public sealed class LabFlannelTests
{
    [LabFact]
    public async Task HostGwRefusesTheNodeBehindTheRouterAndSwitchingToVxlanReachesItWithNoStaleRoutes()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(3, "--segments", "2", "--backend", "host-gw");
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        string cidr2 = lab.Kubectl("get", "node", "node2", "-o", "jsonpath={.spec.podCIDR}");
        string cidr3 = lab.Kubectl("get", "node", "node3", "-o", "jsonpath={.spec.podCIDR}");

        await TestLab.EventuallyAsync(() => Routes(lab, "node1").Contains($"{cidr2} via 172.19.0.13 dev eth0"), "node1's host-gw route to node2");
        await TestLab.EventuallyAsync(
            () => lab.Kubectl("get", "events", "--field-selector", "reason=RouteRefused,involvedObject.name=node1", "-o", "jsonpath={.items[*].message}")
                .Contains($"host-gw cannot route {cidr3} to node node3: its IP 172.19.1.15 is not on a directly connected subnet of eth0 (172.19.0.0/24)", StringComparison.Ordinal),
            "a RouteRefused event on node1");
        Assert.DoesNotContain(cidr3, Routes(lab, "node1"), StringComparison.Ordinal);

        // Switch the ConfigMap to vxlan and restart flannel (as upstream needs): vxlan crosses the router, no host-gw route stays.
        var config = JsonNode.Parse(lab.Kubectl("get", "configmap", "kube-flannel-cfg", "-n", "kube-flannel", "-o", "json"))!;
        config["data"]!["net-conf.json"] = config["data"]!["net-conf.json"]!.GetValue<string>().Replace("\"host-gw\"", "\"vxlan\"", StringComparison.Ordinal);
        string file = Path.Combine(lab.StateDirectory, "kube-flannel-cfg.json");
        File.WriteAllText(file, config.ToJsonString());
        lab.Kubectl("replace", "-f", file);
        lab.Kubectl("delete", "pods", "-n", "kube-flannel", "--all", "--wait=true");

        await TestLab.EventuallyAsync(
            () => Routes(lab, "node1").Contains($"{cidr3} via {cidr3[..^3]} dev flannel.1 onlink") && Routes(lab, "node1").Contains($"{cidr2} via {cidr2[..^3]} dev flannel.1 onlink"),
            "node1's vxlan routes to node2 and node3");
        Assert.DoesNotContain("via 172.19.0.13", Routes(lab, "node1"), StringComparison.Ordinal);
        Assert.Equal(0, lab.Exec("node1", "ping", "-c", "1", "-W", "2", cidr3[..^3]).ExitCode); // node3's flannel.1, across the router
    }

    private static string Routes(TestLab lab, string node) => string.Join('\n', lab.ExecOk(node, "ip", "route").Split('\n').Select(l => l.Trim()));
}
