using System.Globalization;
using k8s.Models;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Kubelet;

/// <summary>hostPath and emptyDir volumes, mounted into a real pod's mount namespace; volumes that cannot be mounted.</summary>
public sealed class KubeletVolumeTests
{
    [KubeletFact]
    public async Task HostPathAndEmptyDirVolumesAreMountedIntoThePod()
    {
        var h = await KubeletHarness.StartAsync();
        string node = Path.Combine("/var/tmp", $"strata-t-hostpath-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(Path.Combine(node, "data"));
        File.WriteAllText(Path.Combine(node, "data", "greeting"), "from the node\n");
        try
        {
            h.WriteConflist();
            h.StartKubelet();
            var writer = KubeletHarness.Container("writer", "sh", "-c", "echo shared > /tmp/shared/note; exec sleep 3600");
            var reader = KubeletHarness.Container("reader", "sleep", "3600");
            writer.VolumeMounts =
            [
                new V1VolumeMount { Name = "data", MountPath = "/run/strata-t/data", ReadOnlyProperty = true },
                new V1VolumeMount { Name = "lock", MountPath = "/run/strata-t.lock" },
                new V1VolumeMount { Name = "shared", MountPath = "/tmp/shared" },
            ];
            reader.VolumeMounts = [new V1VolumeMount { Name = "shared", MountPath = "/tmp/shared" }];
            var pod = KubeletHarness.Pod("volumes", writer, reader);
            pod.Spec.Volumes =
            [
                new V1Volume { Name = "data", HostPath = new V1HostPathVolumeSource { Path = Path.Combine(node, "data"), Type = "Directory" } },
                new V1Volume { Name = "lock", HostPath = new V1HostPathVolumeSource { Path = Path.Combine(node, "xtables.lock"), Type = "FileOrCreate" } },
                new V1Volume { Name = "shared", EmptyDir = new V1EmptyDirVolumeSource() },
            ];
            pod = await h.CreatePodAsync(pod);
            pod = await h.WaitForPodAsync("volumes", p => p.Status?.Phase == "Running", "running");

            string root = $"/proc/{h.Checkpoint(pod).Containers.Single(c => c.Name == "reader").Pid}/root";
            Assert.Equal("from the node\n", File.ReadAllText($"{root}/run/strata-t/data/greeting"));
            Assert.True(File.Exists(Path.Combine(node, "xtables.lock")), "FileOrCreate made the file on the node");
            Assert.True(File.Exists($"{root}/run/strata-t.lock"));
            await ControlPlane.EventuallyAsync(() => Task.FromResult(File.Exists($"{root}/tmp/shared/note")), "the writer's note in the shared emptyDir");
            Assert.Equal("shared\n", File.ReadAllText($"{root}/tmp/shared/note"));
            string emptyDir = Path.Combine(h.Config.RootDir, "pods", pod.Metadata.Uid, "volumes", "kubernetes.io~empty-dir", "shared");
            Assert.Equal("shared\n", File.ReadAllText(Path.Combine(emptyDir, "note")));

            // Read-only in the pod, and nothing of the pod's mounts shows on the node.
            string pid = h.Checkpoint(pod).Containers.Single(c => c.Name == "reader").Pid.ToString(CultureInfo.InvariantCulture);
            var (exit, _, stderr) = Tool.Run("nsenter", "-t", pid, "-m", "touch", "/run/strata-t/data/new");
            Assert.NotEqual(0, exit);
            Assert.Contains("Read-only file system", stderr);
            string nodeMounts = File.ReadAllText("/proc/self/mountinfo");
            Assert.DoesNotContain(node, nodeMounts);
            Assert.DoesNotContain("/run/strata-t/data", nodeMounts);
        }
        finally
        {
            await h.DisposeAsync();
            Directory.Delete(node, recursive: true);
        }
    }

    [KubeletFact]
    public async Task AVolumeThatCannotBeMountedIsAFailedMountEventAndNothingIsCreated()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        var container = KubeletHarness.Container("main", "sleep", "3600");
        container.VolumeMounts = [new V1VolumeMount { Name = "missing", MountPath = "/run/missing" }];
        var pod = KubeletHarness.Pod("badvolume", container);
        string path = $"/var/tmp/strata-t-absent-{Guid.NewGuid().ToString("N")[..8]}";
        pod.Spec.Volumes = [new V1Volume { Name = "missing", HostPath = new V1HostPathVolumeSource { Path = path, Type = "File" } }];
        await h.CreatePodAsync(pod);

        var configMap = KubeletHarness.Container("main", "sleep", "3600");
        configMap.VolumeMounts = [new V1VolumeMount { Name = "config", MountPath = "/etc/strata-t" }];
        var second = KubeletHarness.Pod("configmap", configMap);
        second.Spec.Volumes = [new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = "settings" } }];
        await h.CreatePodAsync(second);

        var events = await ControlPlane.EventuallyAsync(
            async () => (await h.Plane.Client.ListAsync<Corev1Event>(new Strata.Controllers.Client.ListRequest("default"))).Items.Where(e => e.Reason == "FailedMount").ToList(),
            l => l.Select(e => e.InvolvedObject.Name).Distinct().Count() == 2, "a FailedMount event for each pod");
        Assert.Equal($"MountVolume.SetUp failed for volume \"missing\" : hostPath type check failed: {path} is not a file",
            events.First(e => e.InvolvedObject.Name == "badvolume").Message);
        Assert.Equal("MountVolume.SetUp failed for volume \"config\" : configMap volumes are not supported by Strata's kubelet (it mounts hostPath, emptyDir and projected); read the object through the API instead",
            events.First(e => e.InvolvedObject.Name == "configmap").Message);
        Assert.All(events, e => Assert.Equal("Warning", e.Type));
        Assert.False(File.Exists(path), "a File hostPath is never created");
        var stuck = await h.GetPodAsync("badvolume");
        Assert.Equal("Pending", stuck!.Status.Phase);
        Assert.Empty(h.SandboxNetnsLeft());
        Assert.Empty(KubeletHarness.LiveHolders());
    }

    [KubeletFact]
    public async Task TheStrataExecutableUnderTmpStaysVisibleInThePod()
    {
        // A checkout under /tmp (CI clones there) puts strata where every pod has its own tmpfs.
        string directory = Path.Combine("/tmp", $"strata-t-prog-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(directory);
        File.Copy("/bin/sleep", Path.Combine(directory, "strata"));
        var h = await KubeletHarness.StartAsync();
        try
        {
            h.Config = h.Config with { StrataBinary = Path.Combine(directory, "strata") };
            h.WriteConflist();
            h.StartKubelet();
            var container = new V1Container { Name = "role", Image = "strata/test", Command = ["strata"], Args = ["3600"] };
            var pod = await h.CreatePodAsync(KubeletHarness.Pod("program", container));
            pod = await h.WaitForPodAsync("program", p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null, "running from /tmp");
            int pid = h.Checkpoint(pod).Containers.Single().Pid;
            Assert.Equal(Path.Combine(directory, "strata"), new FileInfo($"/proc/{pid}/exe").LinkTarget);
            Assert.True(File.Exists($"/proc/{pid}/root/tmp/{Path.GetFileName(directory)}/strata"), "the directory is bound into the pod's /tmp");
        }
        finally
        {
            await h.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }
}
