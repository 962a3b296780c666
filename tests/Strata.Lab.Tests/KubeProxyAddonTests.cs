using k8s.Models;

namespace Strata.Lab.Tests;

/// <summary>The built-in kube-proxy addon, rendered with the lab's settings.</summary>
public sealed class KubeProxyAddonTests
{
    [Fact]
    public void KubeProxyIsAHostNetworkDaemonSetRunningTheProxyRole()
    {
        var manifest = Assert.Single(LabAddons.BuiltIn, a => a.File == "kube-proxy.yaml");
        var spec = new LabSpec { Nodes = [], StateDirectory = "/var/lib/strata/lab/t" };
        var objects = LabAddons.Parse(manifest.File, LabAddons.Render(manifest, LabAddons.Tokens(spec)));
        var daemonSet = Assert.IsType<V1DaemonSet>(Assert.Single(objects, o => o.Kind == "DaemonSet"));
        Assert.Equal(("kube-system", "kube-proxy"), (daemonSet.Metadata.NamespaceProperty, daemonSet.Metadata.Name));

        var pod = daemonSet.Spec.Template.Spec;
        Assert.True(pod.HostNetwork);
        var container = Assert.Single(pod.Containers);
        Assert.Equal("strata/proxy", container.Image);
        Assert.Equal(["strata"], container.Command);
        Assert.Contains($"--cluster-cidr={spec.ClusterCidr}", container.Args);
        Assert.Contains("--proxy-mode=iptables", container.Args);
        Assert.Contains("--kubeconfig=/var/lib/kubelet/kubeconfig", container.Args);
        Assert.Equal(
            [("/run/xtables.lock", "/run/xtables.lock", "FileOrCreate"), ("/var/lib/kubelet/kubeconfig", "/var/lib/kubelet/kubeconfig", "File")],
            container.VolumeMounts.Select(m => (m.MountPath, pod.Volumes.Single(v => v.Name == m.Name).HostPath.Path, pod.Volumes.Single(v => v.Name == m.Name).HostPath.Type)));
    }
}
