using k8s.Models;
using Strata.Agent.Runtime;

namespace Strata.Agent.Tests.Kubelet;

public sealed class PodVolumesTests
{
    private static readonly PodPaths Paths = new("/var/lib/kubelet", "/var/log/pods");

    private static V1Pod Pod(V1Volume[] volumes, params V1Container[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", Uid = "uid-1" },
        Spec = new V1PodSpec { Volumes = volumes, Containers = containers },
    };

    private static V1Container Container(string name, params V1VolumeMount[] mounts) => new() { Name = name, Image = "busybox", VolumeMounts = mounts };

    private static V1Volume HostPath(string name, string path) => new() { Name = name, HostPath = new V1HostPathVolumeSource { Path = path } };

    [Fact]
    public void MountsOfEveryContainerAreMadeOnceParentsFirst()
    {
        var pod = Pod(
            [HostPath("run", "/run/flannel"), HostPath("cni", "/etc/cni/net.d"), new V1Volume { Name = "cache", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory" } }],
            Container("a", new V1VolumeMount { Name = "cni", MountPath = "/etc/cni/net.d/" }, new V1VolumeMount { Name = "cache", MountPath = "/etc/cni/net.d/cache" }),
            Container("b", new V1VolumeMount { Name = "cni", MountPath = "/etc/cni/net.d" }, new V1VolumeMount { Name = "run", MountPath = "/run/flannel", ReadOnlyProperty = true }));

        Assert.Equal(
            [
                new VolumeBind("run", "/run/flannel", "/run/flannel", ReadOnly: true),
                new VolumeBind("cni", "/etc/cni/net.d", "/etc/cni/net.d", ReadOnly: false),
                new VolumeBind("cache", "/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache", "/etc/cni/net.d/cache", ReadOnly: false, Tmpfs: true),
            ],
            PodVolumes.Plan(pod, Paths));
    }

    [Theory]
    [InlineData("undeclared", "/x", null, "MountVolume.SetUp failed for volume \"undeclared\" : container \"a\" mounts a volume the pod does not declare")]
    [InlineData("v", "relative/x", null, "MountVolume.SetUp failed for volume \"v\" : container \"a\": mountPath \"relative/x\" is not absolute")]
    [InlineData("v", "/x", "sub", "MountVolume.SetUp failed for volume \"v\" : container \"a\": subPath is not supported by Strata's kubelet")]
    public void BadMountsNameTheVolumeAndTheContainer(string volume, string mountPath, string? subPath, string message)
    {
        var pod = Pod([HostPath("v", "/srv")], Container("a", new V1VolumeMount { Name = volume, MountPath = mountPath, SubPath = subPath }));
        Assert.Equal(message, Assert.Throws<VolumeMountException>(() => PodVolumes.Plan(pod, Paths)).Message);
    }

    [Fact]
    public void TwoVolumesOnOnePathAreRefused()
    {
        var pod = Pod([HostPath("one", "/srv/1"), HostPath("two", "/srv/2")],
            Container("a", new V1VolumeMount { Name = "one", MountPath = "/data" }),
            Container("b", new V1VolumeMount { Name = "two", MountPath = "/data" }));
        Assert.Equal(
            "MountVolume.SetUp failed for volume \"two\" : containers \"a\" and \"b\" mount different volumes (or modes) on /data; Strata's containers share their pod's mount namespace",
            Assert.Throws<VolumeMountException>(() => PodVolumes.Plan(pod, Paths)).Message);
    }

    [Fact]
    public void UnsupportedSourcesAreNamed()
    {
        var pod = Pod([new V1Volume { Name = "token", Secret = new V1SecretVolumeSource { SecretName = "s" } }],
            Container("a", new V1VolumeMount { Name = "token", MountPath = "/var/run/secrets" }));
        Assert.StartsWith("MountVolume.SetUp failed for volume \"token\" : secret volumes are not supported by Strata's kubelet",
            Assert.Throws<VolumeMountException>(() => PodVolumes.Plan(pod, Paths)).Message);
    }

    [Fact]
    public void AVolumeNoContainerMountsIsNotPlanned()
    {
        var pod = Pod([new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "c" } }], Container("a"));
        Assert.Empty(PodVolumes.Plan(pod, Paths));
    }
}
