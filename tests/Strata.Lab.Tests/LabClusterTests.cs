using System.Text.Json;

namespace Strata.Lab.Tests;

/// <summary>Pods for real in a lab with its agents, driven by the real kubectl: the seed's workloads, probes, logs, exec, churn.</summary>
public sealed class LabClusterTests
{
    private const string Workloads = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: nginx-deployment}
        spec:
          replicas: 2
          selector: {matchLabels: {app: nginx}}
          template:
            metadata: {labels: {app: nginx}}
            spec:
              containers: [{name: nginx, image: "nginx:latest", ports: [{containerPort: 80}]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client}
        spec:
          containers: [{name: client, image: curlimages/curl, command: [sleep, infinity]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: gated, labels: {app: gated}}
        spec:
          containers:
          - name: app
            image: busybox
            command: [sleep, infinity]
            readinessProbe:
              exec: {command: [test, -f, /tmp/ready]}
              periodSeconds: 1
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: gated}
        spec:
          selector: {app: gated}
          ports: [{port: 80}]
        """;

    [LabFact]
    public async Task PodsRunOnTheNodesAndServeLogsExecAndProbesThenLeaveNothing()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        string manifest = Path.Combine(lab.StateDirectory, "workloads.yaml");
        File.WriteAllText(manifest, Workloads);
        lab.Kubectl("apply", "-f", manifest);
        lab.Kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=90s");
        lab.Kubectl("wait", "--for=condition=Ready", "pod/client", "--timeout=90s");

        // Pod IPs come from their node's podCIDR; the client reaches the nginx on its own node, and nginx logs it.
        var pods = JsonDocument.Parse(lab.Kubectl("get", "pods", "-o", "json")).RootElement.GetProperty("items").EnumerateArray().ToList();
        var nodes = JsonDocument.Parse(lab.Kubectl("get", "nodes", "-o", "json")).RootElement.GetProperty("items").EnumerateArray()
            .ToDictionary(n => n.GetProperty("metadata").GetProperty("name").GetString()!, n => n.GetProperty("spec").GetProperty("podCIDR").GetString()!);
        foreach (var pod in pods.Where(p => p.GetProperty("status").TryGetProperty("podIP", out _)))
        {
            string ip = pod.GetProperty("status").GetProperty("podIP").GetString()!;
            string cidr = nodes[pod.GetProperty("spec").GetProperty("nodeName").GetString()!];
            Assert.StartsWith(cidr[..cidr.LastIndexOf('.')], ip, StringComparison.Ordinal);
        }

        string clientNode = pods.Single(p => Name(p) == "client").GetProperty("spec").GetProperty("nodeName").GetString()!;
        var neighbour = pods.First(p => Name(p).StartsWith("nginx-deployment-", StringComparison.Ordinal) && p.GetProperty("spec").GetProperty("nodeName").GetString() == clientNode);
        string neighbourIp = neighbour.GetProperty("status").GetProperty("podIP").GetString()!;
        Assert.Contains("Welcome to nginx!", lab.Kubectl("exec", "client", "--", "curl", "-sS", "--max-time", "5", $"http://{neighbourIp}/"), StringComparison.Ordinal);
        Assert.Contains("\"GET / HTTP/1.1\" 200", lab.Kubectl("logs", Name(neighbour)), StringComparison.Ordinal);
        Assert.Equal("client\n", lab.Kubectl("exec", "client", "--", "hostname"));

        // Every nginx answers the client, the one on the other node through flannel (vxlan).
        foreach (var nginx in pods.Where(p => Name(p).StartsWith("nginx-deployment-", StringComparison.Ordinal)))
        {
            string ip = nginx.GetProperty("status").GetProperty("podIP").GetString()!;
            Assert.Contains("Welcome to nginx!", lab.Kubectl("exec", "client", "--", "curl", "-sS", "--max-time", "5", $"http://{ip}/"), StringComparison.Ordinal);
        }

        // A readiness probe gates the Service's endpoints until the file it tests exists.
        Assert.Equal("", lab.Kubectl("get", "endpoints", "gated", "-o", "jsonpath={.subsets[*].addresses[*].ip}"));
        lab.Kubectl("exec", "gated", "--", "touch", "/tmp/ready");
        string gatedIp = lab.Kubectl("get", "pod", "gated", "-o", "jsonpath={.status.podIP}");
        await TestLab.EventuallyAsync(() => lab.Kubectl("get", "endpoints", "gated", "-o", "jsonpath={.subsets[*].addresses[*].ip}") == gatedIp, "the gated pod to become a ready endpoint");

        // Deleting everything leaves no pod namespace, IP reservation, pod directory or holder process on any node.
        lab.Kubectl("delete", "-f", manifest, "--wait=true", "--timeout=90s");
        await TestLab.EventuallyAsync(() => lab.Kubectl("get", "pods", "-o", "name") == "", "every pod to be deleted");
        AssertNodesClean(lab);
    }

    [LabFact]
    public async Task ChurnOfPodsThreeTimesLeavesNothingBehind()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        for (int round = 0; round < 3; round++)
        {
            lab.Kubectl("create", "deployment", "churn", "--image=busybox", "--replicas=100", "--", "sleep", "3600");
            lab.Kubectl("rollout", "status", "deployment/churn", "--timeout=300s");
            lab.Kubectl("delete", "deployment", "churn", "--wait=true");
            await TestLab.EventuallyAsync(() => lab.Kubectl("get", "pods", "-o", "name") == "", $"round {round}'s pods to be deleted");
            AssertNodesClean(lab);
        }
    }

    [LabFact]
    public async Task AnAgentKilledInTheMiddleOfChurnIsRestartedAndTheNodeConverges()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        var agent = LabState.Load(lab.StateDirectory)!.Processes.Single(p => p.Role == "node1");

        lab.Kubectl("create", "deployment", "churn", "--image=busybox", "--replicas=30", "--", "sleep", "3600");
        await TestLab.EventuallyAsync(() => lab.Kubectl("get", "pods", "--field-selector=spec.nodeName=node1,status.phase=Running", "-o", "name") != "", "the first pods on node1 to run");
        Tool.Check("kill", "-9", agent.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Restarted as its supervisor would, inside the node's namespaces; `down` stops it with the lab.
        var layout = new NodeLayout(lab.StateDirectory, "node1");
        var restart = new System.Diagnostics.ProcessStartInfo(TestLab.StrataPath) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["exec", "node1", .. lab.Location, "--", TestLab.StrataPath, "agent", "--roles", "kubelet", "--node-name", "node1",
            "--node-ip", "172.19.0.8", "--kubeconfig", layout.Kubeconfig, "--cluster-dns", "10.233.0.3"])
        {
            restart.ArgumentList.Add(arg);
        }

        using var restarted = System.Diagnostics.Process.Start(restart)!;
        _ = restarted.StandardOutput.ReadToEndAsync();
        _ = restarted.StandardError.ReadToEndAsync();
        lab.Kubectl("rollout", "status", "deployment/churn", "--timeout=120s");

        lab.Kubectl("delete", "deployment", "churn", "--wait=true");
        await TestLab.EventuallyAsync(() => lab.Kubectl("get", "pods", "-o", "name") == "", "the churn's pods to be deleted");
        AssertNodesClean(lab);
    }

    /// <summary>
    /// Only the system pods (the addons' DaemonSet and Deployment pods, in their own namespaces) are left on each node:
    /// no other pod directory, and exactly one netns, pod veth and IP reservation per system pod that has a network.
    /// </summary>
    private static void AssertNodesClean(TestLab lab)
    {
        foreach (string node in new[] { "node1", "node2" })
        {
            var system = JsonDocument.Parse(lab.Kubectl("get", "pods", "-A", "--field-selector", $"spec.nodeName={node}", "-o", "json")).RootElement
                .GetProperty("items").EnumerateArray().ToList();
            int networked = system.Count(p => !(p.GetProperty("spec").TryGetProperty("hostNetwork", out var h) && h.GetBoolean()));
            Assert.DoesNotContain(system, p => p.GetProperty("metadata").GetProperty("namespace").GetString() == "default");

            Assert.Equal(networked, lab.ExecOk(node, "ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Equal(
                system.Select(p => p.GetProperty("metadata").GetProperty("uid").GetString()!).Order(StringComparer.Ordinal),
                lab.ExecOk(node, "ls", "/var/lib/kubelet/pods").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            Assert.Equal(1 + networked, lab.ExecOk(node, "ip", "-o", "link", "show", "type", "veth").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // eth0 and the system pods'
            var reserved = lab.ExecOk(node, "ls", "/var/lib/cni/networks/cbr0").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(f => f != "lock" && !f.StartsWith("last_reserved_ip", StringComparison.Ordinal));
            Assert.Equal(networked, reserved.Count());
        }
    }

    private static string Name(JsonElement pod) => pod.GetProperty("metadata").GetProperty("name").GetString()!;
}
