using System.Diagnostics;
using Strata.Lab;

namespace Strata.Lab.Tests;

/// <summary>The lab for real: strata up/down/status/exec/logs through out/strata, checked with ip, ping, kubectl and /proc.</summary>
public sealed class LabTests
{
    [LabFact]
    public async Task UpBuildsTheTopologyWithoutTouchingTheHostAndDownRemovesEverything()
    {
        string before = TestLab.RootSnapshot();
        var lab = new TestLab();
        LabState state;
        using (lab)
        {
            var (code, stdout, stderr) = await lab.UpAsync(nodes: 2);
            Assert.True(code == 0, $"strata up exited {code}: {stderr}");
            Assert.Equal($"export KUBECONFIG={lab.Kubeconfig}\n", stdout);
            state = LabState.Load(lab.StateDirectory)!;

            // Namespaces and the underlay addresses.
            string node1 = lab.Names.NodeNamespace("node1"), node2 = lab.Names.NodeNamespace("node2");
            var namespaces = Tool.Check("ip", "netns", "list");
            Assert.Contains(lab.Names.UnderlayNamespace, namespaces, StringComparison.Ordinal);
            Assert.Equal(["172.19.0.8/20"], Ipv4Addresses(node1, "eth0"));
            Assert.Equal(["172.19.0.13/20"], Ipv4Addresses(node2, "eth0"));
            Assert.Equal(["172.19.0.2/20"], Ipv4Addresses(lab.Names.UnderlayNamespace, "br0"));
            Assert.True(Tool.Ping(node1, "172.19.0.13"), "node1 cannot ping node2 over the underlay");
            Assert.True(Tool.Ping(node2, "172.19.0.8"), "node2 cannot ping node1 over the underlay");

            // No route out of the lab: a node's default route points at the underlay's bridge, and the underlay has only its own subnet.
            var routes = Tool.IpJson(node1, "route").EnumerateArray().Select(r => (r.GetProperty("dst").GetString(), r.TryGetProperty("gateway", out var g) ? g.GetString() : null)).ToList();
            Assert.Equal([("default", "172.19.0.2"), ("172.19.0.0/20", null)], routes.Where(r => !r.Item1!.StartsWith("10.233.", StringComparison.Ordinal))); // and flannel's routes into the cluster network
            var underlayRoutes = Tool.IpJson(lab.Names.UnderlayNamespace, "route").EnumerateArray().Select(r => r.GetProperty("dst").GetString()).ToList();
            Assert.Equal(["172.19.0.0/20"], underlayRoutes);
            Assert.Equal("1", Tool.Check("ip", "netns", "exec", node1, "cat", "/proc/sys/net/ipv4/ip_forward").Trim());

            // The API server inside the lab, on a socket opened in the underlay, and kubectl on the host.
            Assert.Equal("ok", lab.ExecOk("node1", "curl", "-sk", "https://172.19.0.2:6443/readyz"));
            Assert.Equal("node/node1\nnode/node2\n", lab.Kubectl("get", "nodes", "-o", "name"));

            // Per-node mounts: each node sees its own CNI network (flannel's, written by its DaemonSet pod), the host sees none.
            foreach (var (node, index) in new[] { ("node1", 0), ("node2", 1) })
            {
                string podCidr = lab.Kubectl("get", "node", node, "-o", "jsonpath={.spec.podCIDR}");
                Assert.StartsWith("10.233.", podCidr, StringComparison.Ordinal);
                Assert.Equal("10-flannel.conflist\n", lab.ExecOk(node, "ls", "/etc/cni/net.d"));
                Assert.Contains("\"type\": \"flannel\"", lab.ExecOk(node, "cat", "/etc/cni/net.d/10-flannel.conflist"), StringComparison.Ordinal);
                Assert.Equal(
                    $"FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET={podCidr[..^4]}1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
                    lab.ExecOk(node, "cat", "/run/flannel/subnet.env"));
                Assert.Contains("host-local", lab.ExecOk(node, "ls", "/opt/cni/bin"), StringComparison.Ordinal);
                Assert.Equal(index == 0 ? "172.19.0.8" : "172.19.0.13", lab.ExecOk(node, "ip", "-4", "-br", "addr", "show", "dev", "eth0").Split(' ', StringSplitOptions.RemoveEmptyEntries)[2].Split('/')[0]);
            }

            Assert.False(File.Exists("/etc/cni/net.d/10-flannel.conflist"), "the host's /etc/cni/net.d got the lab's conflist");

            // exec: exit codes, the underlay, unknown nodes.
            Assert.Equal(7, lab.Exec("node1", "sh", "-c", "exit 7").ExitCode);
            Assert.Contains("br0", lab.ExecOk("underlay", "ip", "-br", "link"), StringComparison.Ordinal);
            var unknown = lab.Exec("node9", "true");
            Assert.Equal(1, unknown.ExitCode);
            Assert.Contains("has no node \"node9\" (nodes: node1, node2, or underlay)", unknown.Stderr, StringComparison.Ordinal);

            // status and logs.
            var status = lab.Strata("status");
            Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
            Assert.Contains("healthy", status.Stdout, StringComparison.Ordinal);
            Assert.Contains(lab.Names.NodeNamespace("node2"), status.Stdout, StringComparison.Ordinal);
            var logs = lab.Strata("logs", "apiserver");
            Assert.Equal(0, logs.ExitCode);
            Assert.NotEmpty(logs.Stdout);

            Assert.Equal(before, TestLab.RootSnapshot());

            // A process left inside a node (as a pod's would be) is stopped by down, found by its namespace.
            using var straggler = Process.Start("ip", ["netns", "exec", node2, "sleep", "300"]);
            await EventuallyAsync(() => Tool.Run("ip", "netns", "pids", node2).Stdout.Contains(straggler.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), "sleep did not start in node2");

            var down = lab.Strata("down");
            Assert.True(down.ExitCode == 0, down.Stderr);
            Assert.True(straggler.WaitForExit(10_000), "down left a process running inside node2");
            Assert.Equal($"lab {lab.Name} is down\n", down.Stdout);
            var again = lab.Strata("down");
            Assert.Equal(0, again.ExitCode);
            Assert.Contains("is not up", again.Stdout, StringComparison.Ordinal);
        }

        AssertNothingLeft(lab, state);
        Assert.Equal(before, TestLab.RootSnapshot());
    }

    [LabFact]
    public async Task UpAfterACrashRemovesTheLeftoversAndWorks()
    {
        var lab = new TestLab();
        LabState second;
        using (lab)
        {
            var first = await lab.UpAsync(nodes: 1);
            Assert.True(first.ExitCode == 0, first.Stderr);
            var crashed = LabState.Load(lab.StateDirectory)!;
            Assert.NotEmpty(crashed.Processes);
            foreach (var p in crashed.Processes)
            {
                using var process = Process.GetProcessById(p.Pid);
                process.Kill();
            }

            foreach (var p in crashed.Processes)
            {
                await EventuallyAsync(() => !ProcessIdentity.IsAlive(p.Pid, p.StartTime), $"{p.Role} (pid {p.Pid}) still alive after kill -9");
            }

            var status = lab.Strata("status");
            Assert.Equal(1, status.ExitCode);
            Assert.Contains("dead", status.Stdout, StringComparison.Ordinal);

            var up = await lab.UpAsync(nodes: 1);
            Assert.True(up.ExitCode == 0, up.Stderr);
            Assert.Contains("removing the leftovers of a crashed lab", up.Stderr, StringComparison.Ordinal);
            second = LabState.Load(lab.StateDirectory)!;
            Assert.All(second.Processes, p => Assert.True(ProcessIdentity.IsAlive(p.Pid, p.StartTime)));
            Assert.Equal("node/node1\n", lab.Kubectl("get", "nodes", "-o", "name"));
            Assert.Equal(["172.19.0.8/20"], Ipv4Addresses(lab.Names.NodeNamespace("node1"), "eth0"));

            var busy = Tool.Run(TestLab.StrataPath, ["up", "--nodes", "1", "--api-port", lab.ApiPort.ToString(System.Globalization.CultureInfo.InvariantCulture), .. lab.Location]);
            Assert.Equal(1, busy.ExitCode);
            Assert.Contains($"lab {lab.Name} is already up", busy.Stderr, StringComparison.Ordinal);
        }

        AssertNothingLeft(lab, second);
    }

    [LabFact]
    public async Task TwoSegmentsAreJoinedByARouterAndNothingRoutesOutOfTheLab()
    {
        var lab = new TestLab();
        LabState state;
        var before = TestLab.RootSnapshot();
        using (lab)
        {
            var up = await lab.UpAsync(3, "--segments", "2");
            Assert.True(up.ExitCode == 0, up.Stderr);
            state = LabState.Load(lab.StateDirectory)!;
            Assert.Contains(lab.Names.RouterNamespace, state.Namespaces);
            Assert.Equal(["172.19.1.15/24"], Ipv4Addresses(lab.Names.NodeNamespace("node3"), "eth0"));
            Assert.Equal("default via 172.19.0.1 \n172.19.0.0/24 proto kernel scope link src 172.19.0.8 \n",
                lab.ExecOk("node1", "ip", "route", "show", "dev", "eth0"));
            Assert.Equal("172.19.0.0/24 dev eth0 proto kernel scope link src 172.19.0.1 \n172.19.1.0/24 dev eth1 proto kernel scope link src 172.19.1.1 \n",
                lab.ExecOk("router", "ip", "route"));

            // One router hop to the other segment (TTL 63), none on the same segment (64); node3 reached the API server through it.
            Assert.Contains("ttl=63", lab.ExecOk("node1", "ping", "-c", "1", "-W", "2", "172.19.1.15"), StringComparison.Ordinal);
            Assert.Contains("ttl=64", lab.ExecOk("node1", "ping", "-c", "1", "-W", "2", "172.19.0.13"), StringComparison.Ordinal);
            Assert.Contains("node3   Ready", lab.Kubectl("get", "nodes"), StringComparison.Ordinal);
        }

        AssertNothingLeft(lab, state);
        Assert.Equal(before, TestLab.RootSnapshot());
    }

    [LabFact]
    public void UpRefusesBadInputBeforeCreatingAnything()
    {
        using var lab = new TestLab();
        string config = Path.Combine(Path.GetTempPath(), $"strata-t-{lab.Name}.yaml");
        File.WriteAllText(config, "nodes:\n  - name: a\n  - name: b\n    address: 172.20.0.9\n");
        try
        {
            var bad = Tool.Run(TestLab.StrataPath, ["up", "--config", config, .. lab.Location]);
            Assert.Equal(1, bad.ExitCode);
            Assert.Equal($"strata: {config}: nodes[1].address: 172.20.0.9 is outside the underlay 172.19.0.0/20\n", bad.Stderr);
        }
        finally
        {
            File.Delete(config);
        }

        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, lab.ApiPort);
        taken.Start();
        var clash = Tool.Run(TestLab.StrataPath, ["up", "--api-port", lab.ApiPort.ToString(System.Globalization.CultureInfo.InvariantCulture), .. lab.Location]);
        Assert.Equal(1, clash.ExitCode);
        Assert.Contains($"--api-port: 127.0.0.1:{lab.ApiPort} is not free", clash.Stderr, StringComparison.Ordinal);

        Assert.False(Directory.Exists(lab.StateDirectory) && Directory.EnumerateFileSystemEntries(lab.StateDirectory).Any());
        Assert.DoesNotContain(lab.Names.Prefix, Tool.Check("ip", "netns", "list"), StringComparison.Ordinal);
    }

    private static void AssertNothingLeft(TestLab lab, LabState state)
    {
        Assert.DoesNotContain(lab.Names.Prefix, Tool.Check("ip", "netns", "list"), StringComparison.Ordinal);
        Assert.False(Directory.Exists(lab.StateDirectory), $"{lab.StateDirectory} is still there");
        Assert.DoesNotContain(lab.StateDirectory, File.ReadAllText("/proc/self/mountinfo"), StringComparison.Ordinal);
        Assert.All(state.Processes, p => Assert.False(ProcessIdentity.IsAlive(p.Pid, p.StartTime), $"{p.Role} (pid {p.Pid}) survived down"));
        bool otherLabs = File.ReadLines("/proc/self/mountinfo").Any(l => l.Contains(" mnt:[", StringComparison.Ordinal) && l.Contains(" nsfs ", StringComparison.Ordinal));
        if (!otherLabs)
        {
            Assert.All(state.HostPaths, p => Assert.False(Path.Exists(p.Path), $"{p.Path}, created by the lab, survived down"));
        }
    }

    private static List<string> Ipv4Addresses(string ns, string device) =>
        [.. Tool.IpJson(ns, "-4", "addr", "show", "dev", device).EnumerateArray()
            .SelectMany(l => l.GetProperty("addr_info").EnumerateArray())
            .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}")];

    private static async Task EventuallyAsync(Func<bool> condition, string message)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message);
            await Task.Delay(50);
        }
    }
}
