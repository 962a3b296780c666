using System.Globalization;
using k8s.Models;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Kubelet;

/// <summary>Probes over HTTP, host-network pods and graceful termination, for real.</summary>
public sealed class KubeletLifecycleTests
{
    [KubeletFact]
    public async Task HttpStartupProbeGatesReadiness()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        // The server comes up after 2 s; the startup probe lets readiness run only once it answers.
        var container = KubeletHarness.Container("web", "sh", "-c", "sleep 2; exec python3 -m http.server 8080 --bind 0.0.0.0");
        container.Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }];
        container.StartupProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Port = "http", Path = "/" }, PeriodSeconds = 1, FailureThreshold = 30 };
        container.ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Port = 8080, Path = "/" }, PeriodSeconds = 1 };
        await h.CreatePodAsync(KubeletHarness.Pod("http", container));

        var pod = await h.WaitForPodAsync("http", p => p.Status?.Phase == "Running", "running");
        var status = pod.Status.ContainerStatuses.Single();
        Assert.False(status.Ready);
        pod = await h.WaitForPodAsync("http", p => p.Status.ContainerStatuses.Single().Ready, "ready once the server answers");
        Assert.True(pod.Status.ContainerStatuses.Single().Started);
        Assert.Equal("True", pod.Status.Conditions.Single(c => c.Type == "ContainersReady").Status);
    }

    [KubeletFact]
    public async Task NginxImageServesOnItsPortAndLogsToTheContainerLog()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        var container = new V1Container { Name = "nginx", Image = "nginx:1.27", Ports = [new V1ContainerPort { ContainerPort = 80 }] };
        container.ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Port = 80, Path = "/" }, PeriodSeconds = 1 };
        await h.CreatePodAsync(KubeletHarness.Pod("nginx", container));
        var pod = await h.WaitForPodAsync("nginx", p => p.Status?.ContainerStatuses?.Single().Ready == true, "nginx ready");

        var (code, body, stderr) = Tool.Run("ip", "netns", "exec", h.Node.Name, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", $"http://{pod.Status.PodIP}/");
        Assert.True(code == 0, stderr);
        Assert.Equal("200", body);
        var log = Path.Combine(h.Config.PodLogsDir, $"default_nginx_{pod.Metadata.Uid}", "nginx", "0.log");
        await ControlPlane.EventuallyAsync(() => Task.FromResult(File.ReadAllText(log).Contains("kube-probe/", StringComparison.Ordinal)), "the probe's request in nginx's access log");
    }

    [KubeletFact]
    public async Task InitContainersRunFirstInThePodsNamespaces()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        var pod = KubeletHarness.Pod("init", KubeletHarness.Container("main", "sh", "-c", "cat /tmp/setup; exec sleep 3600"));
        pod.Spec.InitContainers =
        [
            KubeletHarness.Container("first", "sh", "-c", "echo one > /tmp/setup"),
            KubeletHarness.Container("second", "sh", "-c", "echo two >> /tmp/setup"),
        ];
        await h.CreatePodAsync(pod);
        pod = await h.WaitForPodAsync("init", p => p.Status?.Phase == "Running", "running after its init containers");
        Assert.Equal("True", pod.Status.Conditions.Single(c => c.Type == "Initialized").Status);
        Assert.All(pod.Status.InitContainerStatuses, s => Assert.Equal((0, "Completed"), (s.State.Terminated.ExitCode, s.State.Terminated.Reason)));
        var log = Path.Combine(h.Config.PodLogsDir, $"default_init_{pod.Metadata.Uid}", "main", "0.log");
        await ControlPlane.EventuallyAsync(() => Task.FromResult(File.Exists(log) && File.ReadAllText(log) == "one\ntwo\n"), "main read what the init containers wrote in the pod's /tmp");
    }

    [KubeletFact]
    public async Task HostNetworkPodRunsInTheNodesNetns()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.StartKubelet(); // no conflist: host-network pods need no CNI
        var pod = KubeletHarness.Pod("hostnet", KubeletHarness.Container("main", "sleep", "3600"));
        pod.Spec.HostNetwork = true;
        pod.Spec.NodeName = h.NodeName; // pinned to the node, which is not Ready (no CNI config)
        await h.CreatePodAsync(pod);

        pod = await h.WaitForPodAsync("hostnet", p => p.Status?.Phase == "Running", "running");
        Assert.Equal((KubeletHarness.NodeIp, KubeletHarness.NodeIp), (pod.Status.PodIP, pod.Status.HostIP));
        var checkpoint = h.Checkpoint(pod);
        Assert.Null(checkpoint.Netns);
        int pid = checkpoint.Containers.Single().Pid;
        Assert.Equal(Inode($"/run/netns/{h.Node.Name}"), Inode($"/proc/{pid}/ns/net"));
        Assert.Equal(Inode("/proc/self/ns/uts"), Inode($"/proc/{pid}/ns/uts"));
        Assert.NotEqual(Inode("/proc/self/ns/mnt"), Inode($"/proc/{pid}/ns/mnt"));
    }

    [KubeletFact]
    public async Task DeleteStopsTheWholeContainerAndKillsAfterTheGracePeriod()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        // The shell ignores SIGTERM, its child does not: SIGKILL ends the shell after the 2 s grace period.
        await h.CreatePodAsync(KubeletHarness.Pod("stubborn", KubeletHarness.Container("main", "sh", "-c", "trap '' TERM; sleep 3600 & wait; sleep 3600")));
        var pod = await h.WaitForPodAsync("stubborn", p => p.Status?.Phase == "Running", "running");
        int pid = h.Checkpoint(pod).Containers.Single().Pid;
        var children = await ControlPlane.EventuallyAsync(() => Task.FromResult(Children(pid)), c => c.Count > 0, "the shell's child");

        h.Plane.KubectlOk("delete", "pod", "stubborn", "--wait=false");
        await ControlPlane.EventuallyAsync(async () => await h.GetPodAsync("stubborn") is null, $"the pod deleted\n{h.Log}");
        // Killed processes are reaped by init, a moment later: a zombie counts as gone.
        await ControlPlane.EventuallyAsync(() => Task.FromResult(!Alive(pid) && !children.Any(Alive)), "the shell and its child gone");
        Assert.Contains("signal 9", h.Log);
    }

    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static IReadOnlyList<int> Children(int pid)
    {
        string path = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(path)
            ? [.. File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))]
            : [];
    }

    private static ulong Inode(string path) =>
        ulong.Parse(Tool.Check("stat", "-L", "-c", "%i", path).Trim(), CultureInfo.InvariantCulture);
}
