using System.Net;
using k8s.Models;
using Strata.Agent.Kubelet.Node;
using Strata.Agent.Runtime;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Kubelet;

/// <summary>The kubelet role against a real API server, in a scratch node netns, running real processes.</summary>
public sealed class KubeletEndToEndTests
{
    [KubeletFact]
    public async Task NodeRegistersNotReadyThenReadyWhenTheConflistAppears()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.StartKubelet();
        var node = await ControlPlane.EventuallyAsync(() => h.Plane.Client.GetAsync<V1Node>(null, h.NodeName),
            n => n?.Status?.Conditions?.Any(c => c.Type == "Ready") == true, "the node registered with a Ready condition");
        var ready = node!.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "KubeletNotReady", NodeStatusBuilder.NetworkNotReadyMessage), (ready.Status, ready.Reason, ready.Message));
        Assert.Equal("linux", node.Metadata.Labels["kubernetes.io/os"]);
        Assert.Equal(h.NodeName, node.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.Contains(node.Status.Addresses, a => a.Type == "InternalIP" && a.Address == KubeletHarness.NodeIp);
        Assert.Equal(10250, node.Status.DaemonEndpoints.KubeletEndpoint.Port);
        Assert.StartsWith("strata://", node.Status.NodeInfo.ContainerRuntimeVersion);
        Assert.Equal("110", node.Status.Capacity["pods"].ToString());
        Assert.Equal(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), node.Status.Capacity["cpu"].ToString());

        h.WriteConflist();
        node = await ControlPlane.EventuallyAsync(() => h.Plane.Client.GetAsync<V1Node>(null, h.NodeName),
            n => n!.Status.Conditions.Single(c => c.Type == "Ready").Status == "True", "the node turned Ready");
        Assert.Equal("KubeletReady", node!.Status.Conditions.Single(c => c.Type == "Ready").Reason);

        var lease = await ControlPlane.EventuallyAsync(() => h.Plane.Client.GetAsync<V1Lease>("kube-node-lease", h.NodeName), l => l is not null, "the node lease");
        Assert.Equal((h.NodeName, 40), (lease!.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds!.Value));
        var firstRenew = lease.Spec.RenewTime;
        await ControlPlane.EventuallyAsync(() => h.Plane.Client.GetAsync<V1Lease>("kube-node-lease", h.NodeName),
            l => l!.Spec.RenewTime > firstRenew, "the lease renewed");
    }

    [KubeletFact]
    public async Task PodRunsInItsSandboxBecomesReadyAndIsCleanedUpOnDelete()
    {
        await using var h = await KubeletHarness.StartAsync("endpoints");
        h.WriteConflist();
        h.StartKubelet();
        var container = KubeletHarness.Container("main", "sleep", "3600");
        container.Env = [new V1EnvVar { Name = "POD_IP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } } }, new V1EnvVar { Name = "GREETING", Value = "hello $(POD_IP)" }];
        container.ReadinessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["test", "-f", "/tmp/ready"] }, PeriodSeconds = 1 };
        var pod = KubeletHarness.Pod("web", container);
        pod = await h.CreatePodAsync(pod);
        await h.Plane.Client.CreateAsync(new V1Service
        {
            ApiVersion = "v1", Kind = "Service",
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "web" }, Ports = [new V1ServicePort { Port = 80 }] },
        });

        pod = await h.WaitForPodAsync("web", p => p.Status?.Phase == "Running" && p.Status.PodIP is not null, "running with an IP");
        Assert.StartsWith("10.250.7.", pod.Status.PodIP);
        Assert.Equal(KubeletHarness.NodeIp, pod.Status.HostIP);
        Assert.False(pod.Status.ContainerStatuses.Single().Ready);
        Assert.Equal("False", pod.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.StartsWith("strata://", pod.Status.ContainerStatuses.Single().ContainerID);

        var checkpoint = h.Checkpoint(pod);
        int pid = checkpoint.Containers.Single().Pid;
        string netns = Path.Combine("/run/netns", checkpoint.Netns!);
        Assert.Equal(Inode(netns), Inode($"/proc/{pid}/ns/net"));
        Assert.Contains("UP", Tool.Check("ip", "-n", checkpoint.Netns!, "-br", "link", "show", "lo"));
        Assert.Equal(
            "nameserver 10.233.0.3\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
            File.ReadAllText($"/proc/{pid}/root/etc/resolv.conf"));
        Assert.Contains($"{pod.Status.PodIP}\tweb\n", File.ReadAllText($"/proc/{pid}/root/etc/hosts"));
        Assert.Equal("web", Tool.Check("nsenter", "-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", "hostname").Trim());
        var environ = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
        Assert.Contains($"POD_IP={pod.Status.PodIP}", environ);
        Assert.Contains($"GREETING=hello {pod.Status.PodIP}", environ);

        // Not ready: the Endpoints hold it as not ready; the probe's file appears in the pod's own /tmp, and it turns Ready.
        await ControlPlane.EventuallyAsync(() => h.Plane.Client.GetAsync<V1Endpoints>("default", "web"),
            e => e?.Subsets?.SingleOrDefault()?.NotReadyAddresses?.SingleOrDefault()?.Ip == pod.Status.PodIP, "the endpoints list the pod as not ready");
        Tool.Check("nsenter", "-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "touch", "/tmp/ready");
        Assert.False(File.Exists("/tmp/ready") && new FileInfo("/tmp/ready").CreationTimeUtc > DateTime.UtcNow.AddSeconds(-30), "the pod's /tmp is its own");
        pod = await h.WaitForPodAsync("web", p => p.Status.Conditions.Single(c => c.Type == "Ready").Status == "True", "ready");
        Assert.True(pod.Status.ContainerStatuses.Single().Ready);
        await ControlPlane.EventuallyAsync(() => h.Plane.Client.GetAsync<V1Endpoints>("default", "web"),
            e => e?.Subsets?.SingleOrDefault()?.Addresses?.SingleOrDefault()?.Ip == pod.Status.PodIP, "the endpoints list the pod as ready");

        // The pod answers from its netns: the node (bridge gateway) reaches it.
        Assert.True(Tool.Ping(h.Node.Name, pod.Status.PodIP), "the node pings the pod");

        // Delete: SIGTERM ends sleep, then everything goes.
        string ipFile = Path.Combine(h.IpamDirectory, "strata-t", pod.Status.PodIP);
        Assert.True(File.Exists(ipFile));
        var holder = h.Holder(pod);
        Assert.True(KubeletHarness.IsAlive(holder), "the pod's namespaces are held");
        h.Plane.KubectlOk("delete", "pod", "web", "--wait=false");
        await ControlPlane.EventuallyAsync(async () => await h.GetPodAsync("web") is null, $"the pod deleted\n{h.Log}");
        Assert.False(File.Exists(netns), "the netns is removed");
        Assert.False(File.Exists(ipFile), "the IP is released");
        Assert.False(Directory.Exists($"/proc/{pid}"), "the process is gone");
        Assert.False(KubeletHarness.IsAlive(holder), "the namespace holder is gone");
        Assert.False(Directory.Exists(Path.Combine(h.Config.RootDir, "pods", pod.Metadata.Uid)));
    }

    [KubeletFact]
    public async Task CrashingContainerRestartsWithBackOffAndFinishedPodsReleaseTheirNetwork()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        await h.CreatePodAsync(KubeletHarness.Pod("crash", KubeletHarness.Container("main", "sh", "-c", "echo boom; exit 3")));
        var once = KubeletHarness.Pod("once", KubeletHarness.Container("main", "sh", "-c", "echo done"));
        once.Spec.RestartPolicy = "Never";
        await h.CreatePodAsync(once);

        var crash = await h.WaitForPodAsync("crash", p => p.Status?.ContainerStatuses?.Single().RestartCount >= 2, "restarted twice");
        var status = crash.Status.ContainerStatuses.Single();
        Assert.Equal((3, "Error"), (status.LastState.Terminated.ExitCode, status.LastState.Terminated.Reason));
        Assert.Equal("Running", crash.Status.Phase);
        crash = await h.WaitForPodAsync("crash", p => p.Status.ContainerStatuses.Single().State.Waiting?.Reason == "CrashLoopBackOff", "in CrashLoopBackOff");
        Assert.Matches(@"^back-off \d+s restarting failed container=main pod=crash_default\(", crash.Status.ContainerStatuses.Single().State.Waiting.Message);
        var logs = Path.Combine(h.Config.PodLogsDir, $"default_crash_{crash.Metadata.Uid}", "main");
        Assert.Equal("boom\n", File.ReadAllText(Path.Combine(logs, "0.log")));
        Assert.True(File.Exists(Path.Combine(logs, "1.log")));

        var done = await h.WaitForPodAsync("once", p => p.Status?.Phase == "Succeeded", "succeeded");
        var terminated = done.Status.ContainerStatuses.Single().State.Terminated;
        Assert.Equal((0, "Completed"), (terminated.ExitCode, terminated.Reason));
        Assert.NotNull(done.Status.PodIP);
        var checkpoint = h.Checkpoint(done);
        await ControlPlane.EventuallyAsync(() => Task.FromResult(!File.Exists(Path.Combine("/run/netns", checkpoint.Netns!))), "the finished pod's netns released");
        Assert.False(File.Exists(Path.Combine(h.IpamDirectory, "strata-t", done.Status.PodIP)), "the finished pod's IP is released");
    }

    [KubeletFact]
    public async Task CniFailureShowsTheEventAndLeavesNothingBehind()
    {
        await using var h = await KubeletHarness.StartAsync();
        var netnsBefore = SandboxNetns();
        h.WriteConflist(pluginType: "strata-t-missing");
        h.StartKubelet();
        var pod = await h.CreatePodAsync(KubeletHarness.Pod("nonet", KubeletHarness.Container("main", "sleep", "3600")));
        var warning = await ControlPlane.EventuallyAsync(
            async () => (await h.Plane.Client.ListAsync<Corev1Event>(new Strata.Controllers.Client.ListRequest("default"))).Items.FirstOrDefault(e => e.Reason == "FailedCreatePodSandBox"),
            e => e is not null, "a FailedCreatePodSandBox event");
        Assert.Equal("Warning", warning!.Type);
        Assert.Matches(
            "^Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox \"[0-9a-f]{64}\": plugin type=\"strata-t-missing\" failed \\(add\\): failed to find plugin \"strata-t-missing\" in path",
            warning.Message);
        pod = await h.WaitForPodAsync("nonet", p => p.Status?.ContainerStatuses?.Single().State.Waiting?.Reason == "ContainerCreating", "waiting in ContainerCreating");
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.Equal("False", pod.Status.Conditions.Single(c => c.Type == "PodReadyToStartContainers").Status);
        Assert.Empty(h.SandboxNetnsLeft());
        await ControlPlane.EventuallyAsync(() => h.Plane.Client.ListAsync<Corev1Event>(new Strata.Controllers.Client.ListRequest("default")),
            l => l.Items.Where(e => e.Reason == "FailedCreatePodSandBox").Sum(e => e.Count ?? 1) >= 2, "a second failed attempt");
        Assert.Empty(SandboxNetns().Except(netnsBefore));
        Assert.False(Directory.Exists(Path.Combine(h.Config.RootDir, "pods", pod.Metadata.Uid)), "no sandbox left from the failed attempt");
        Assert.Empty(KubeletHarness.LiveHolders());

        // Fixed conflist: the retry succeeds.
        h.WriteConflist();
        await h.WaitForPodAsync("nonet", p => p.Status.Phase == "Running", "running once the network works");
    }

    [KubeletFact]
    public async Task ContainersGetTheVariablesOfTheServicesOfTheirNamespace()
    {
        await using var h = await KubeletHarness.StartAsync();
        var service = await h.Plane.Client.CreateAsync(new V1Service
        {
            ApiVersion = "v1", Kind = "Service",
            Metadata = new V1ObjectMeta { Name = "redis-master", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 6379 }] },
        });
        h.WriteConflist();
        h.StartKubelet();
        var pod = await h.CreatePodAsync(KubeletHarness.Pod("env", KubeletHarness.Container("main", "sleep", "3600")));
        pod = await h.WaitForPodAsync("env", p => p.Status?.Phase == "Running", "running");
        var environ = File.ReadAllText($"/proc/{h.Checkpoint(pod).Containers.Single().Pid}/environ").Split('\0');
        Assert.Contains($"REDIS_MASTER_SERVICE_HOST={service.Spec.ClusterIP}", environ);
        Assert.Contains($"REDIS_MASTER_PORT=tcp://{service.Spec.ClusterIP}:6379", environ);
    }

    [KubeletFact]
    public async Task UnknownImageWaitsWithErrImageNeverPull()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        await h.CreatePodAsync(KubeletHarness.Pod("noimage", new V1Container { Name = "main", Image = "example.com/strata-t/unknown:1" }));
        var pod = await h.WaitForPodAsync("noimage", p => p.Status?.ContainerStatuses?.Single().State.Waiting?.Reason == "ErrImageNeverPull", "ErrImageNeverPull");
        Assert.Equal("Container image \"example.com/strata-t/unknown:1\" is not present with pull policy of Never", pod.Status.ContainerStatuses.Single().State.Waiting.Message);
        Assert.Null(pod.Status.ContainerStatuses.Single().ContainerID);
    }

    [KubeletFact]
    public async Task LivenessFailureKillsAndRestartsTheContainer()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        var container = KubeletHarness.Container("main", "sleep", "3600");
        container.LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 }, PeriodSeconds = 1, FailureThreshold = 2 };
        await h.CreatePodAsync(KubeletHarness.Pod("dead", container));
        var pod = await h.WaitForPodAsync("dead", p => p.Status?.ContainerStatuses?.Single().RestartCount >= 1, "restarted by its liveness probe");
        var events = (await h.Plane.Client.ListAsync<Corev1Event>(new Strata.Controllers.Client.ListRequest("default"))).Items;
        Assert.Contains(events, e => e.Reason == "Unhealthy" && e.Message == $"Liveness probe failed: dial tcp {pod.Status.PodIP}:8080: connect: connection refused");
        Assert.Contains(events, e => e.Reason == "Killing" && e.Message == "Container main failed liveness probe, will be restarted");
    }

    [KubeletFact]
    public async Task RestartAdoptsRunningPodsAndRemovesOrphans()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        await h.CreatePodAsync(KubeletHarness.Pod("keep", KubeletHarness.Container("main", "sleep", "3600")));
        await h.CreatePodAsync(KubeletHarness.Pod("orphan", KubeletHarness.Container("main", "sleep", "3600")));
        var keep = await h.WaitForPodAsync("keep", p => p.Status?.Phase == "Running", "running");
        var orphan = await h.WaitForPodAsync("orphan", p => p.Status?.Phase == "Running", "running");
        var keepCheckpoint = h.Checkpoint(keep);
        var orphanCheckpoint = h.Checkpoint(orphan);
        var orphanHolder = h.Holder(orphan);

        await h.StopKubeletAsync();
        await h.Plane.Client.DeleteAsync<V1Pod>("default", "orphan", new Strata.Controllers.Client.DeleteRequest(GracePeriodSeconds: 0));
        Assert.True(Directory.Exists($"/proc/{orphanCheckpoint.Containers.Single().Pid}"), "the orphan still runs while no agent does");

        h.StartKubelet();
        // The pod directory goes last (after the processes, the namespace holder, CNI DEL and the netns).
        await ControlPlane.EventuallyAsync(() => Task.FromResult(!Directory.Exists(Path.Combine(h.Config.RootDir, "pods", orphan.Metadata.Uid))), "the orphan's sandbox removed");
        Assert.False(File.Exists(Path.Combine("/run/netns", orphanCheckpoint.Netns!)), "the orphan's netns removed");
        Assert.NotEqual(orphanCheckpoint.Containers.Single().StartTime, SpawnedProcess.ReadStartTime(orphanCheckpoint.Containers.Single().Pid));
        Assert.False(File.Exists(Path.Combine(h.IpamDirectory, "strata-t", orphan.Status.PodIP)), "the orphan's IP released");
        Assert.False(KubeletHarness.IsAlive(orphanHolder), "the orphan's namespace holder stopped");

        var adopted = h.Checkpoint(keep).Containers.Single();
        Assert.Equal((keepCheckpoint.Containers.Single().Pid, 0), (adopted.Pid, adopted.RestartCount));
        Assert.Equal(SpawnedProcess.ReadStartTime(adopted.Pid), adopted.StartTime);
        keep = (await h.GetPodAsync("keep"))!;
        Assert.Equal(0, keep.Status.ContainerStatuses.Single().RestartCount);

        // The adopted pod still stops on delete.
        h.Plane.KubectlOk("delete", "pod", "keep", "--wait=false");
        await ControlPlane.EventuallyAsync(async () => await h.GetPodAsync("keep") is null, $"the adopted pod deleted\n{h.Log}");
        Assert.False(Directory.Exists($"/proc/{adopted.Pid}"));
    }

    [KubeletFact]
    public async Task SandboxLeftHalfMadeByACrashIsRemovedAtStart()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        // As if the agent died between creating the netns and the pod's namespaces: a checkpoint, a netns, no namespace holder.
        string uid = Guid.NewGuid().ToString();
        string netns = $"cni-{Guid.NewGuid()}";
        new SandboxCheckpoint { PodUid = uid, PodNamespace = "default", PodName = "crashed", SandboxId = new string('a', 64), Netns = netns }
            .Write(Path.Combine(h.Config.RootDir, "pods", uid));
        Tool.Check("ip", "netns", "add", netns);
        try
        {
            h.StartKubelet();
            await ControlPlane.EventuallyAsync(() => Task.FromResult(!Directory.Exists(Path.Combine(h.Config.RootDir, "pods", uid))), $"the half-made sandbox removed\n{h.Log}");
            Assert.False(File.Exists(Path.Combine("/run/netns", netns)), "its netns removed");
        }
        finally
        {
            if (File.Exists(Path.Combine("/run/netns", netns)))
            {
                Tool.Run("ip", "netns", "del", netns);
            }
        }
    }

    private static IReadOnlyList<string> SandboxNetns() =>
        [.. Strata.Netlink.NetworkNamespace.List().Where(n => n.StartsWith("cni-", StringComparison.Ordinal))];

    private static ulong Inode(string path)
    {
        var (_, stdout, _) = Tool.Run("stat", "-L", "-c", "%i", path);
        return ulong.Parse(stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
