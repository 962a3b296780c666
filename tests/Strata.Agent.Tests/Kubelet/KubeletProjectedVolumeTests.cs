using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using k8s.Models;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Kubelet;

/// <summary>
/// Projected volumes as the ServiceAccount admission adds them (kube-api-access): a bound token from TokenRequest, the
/// CA from kube-root-ca.crt and the namespace, read-only at /var/run/secrets/kubernetes.io/serviceaccount in a real pod.
/// </summary>
public sealed class KubeletProjectedVolumeTests
{
    private const string MountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    private static V1Volume KubeApiAccess(string name, string configMap = "kube-root-ca.crt") => new()
    {
        Name = name,
        Projected = new V1ProjectedVolumeSource
        {
            DefaultMode = 420,
            Sources =
            [
                new V1VolumeProjection { ServiceAccountToken = new V1ServiceAccountTokenProjection { Path = "token", ExpirationSeconds = 3607 } },
                new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = configMap, Items = [new V1KeyToPath { Key = "ca.crt", Path = "ca.crt" }] } },
                new V1VolumeProjection { DownwardAPI = new V1DownwardAPIProjection { Items = [new V1DownwardAPIVolumeFile { Path = "namespace", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.namespace" } }] } },
            ],
        },
    };

    [KubeletFact]
    public async Task TheServiceAccountVolumeHoldsAWorkingTokenTheCaAndTheNamespace()
    {
        await using var h = await KubeletHarness.StartAsync("serviceaccount", "root-ca-cert-publisher");
        h.WriteConflist();
        h.StartKubelet();
        await ControlPlane.EventuallyAsync(async () => await h.Plane.Client.GetAsync<V1ConfigMap>("default", "kube-root-ca.crt") is not null &&
            await h.Plane.Client.GetAsync<V1ServiceAccount>("default", "default") is not null, "default/kube-root-ca.crt and the account default");

        var container = KubeletHarness.Container("main", "sleep", "3600");
        container.VolumeMounts = [new V1VolumeMount { Name = "kube-api-access-t2x4z", MountPath = MountPath, ReadOnlyProperty = true }];
        var pod = KubeletHarness.Pod("client", container);
        pod.Spec.ServiceAccountName = "default";
        pod.Spec.Volumes = [KubeApiAccess("kube-api-access-t2x4z")];
        pod = await h.CreatePodAsync(pod);
        pod = await h.WaitForPodAsync("client", p => p.Status?.Phase == "Running", "running");

        int pid = h.Checkpoint(pod).Containers.Single().Pid;
        // /var/run is an absolute link to /run, which /proc/PID/root would resolve in the node's view: go to /run directly.
        string dir = $"/proc/{pid}/root/run/secrets/kubernetes.io/serviceaccount";
        var host = h.Plane.Server.Host;
        Assert.Equal(host.Credentials.CaPem, File.ReadAllText($"{dir}/ca.crt"));
        Assert.Equal("default", File.ReadAllText($"{dir}/namespace"));
        var token = File.ReadAllText($"{dir}/token");
        var claims = host.TokenSigner.Validate(token).Claims!;
        Assert.Equal("system:serviceaccount:default:default", claims.Username);
        Assert.Equal(pod.Metadata.Uid, claims.Pod!.Uid);
        Assert.Equal("644", Tool.Run("stat", "-c", "%a", $"{dir}/token").Stdout.Trim());

        // The token is what an in-cluster client authenticates with.
        using (var http = Strata.ApiServer.Hosting.AdminHttpClient.Create(host))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.GetAsync("/api/v1/namespaces/default/pods/client");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var (exit, _, stderr) = Tool.Run("nsenter", "-t", pid.ToString(CultureInfo.InvariantCulture), "-m", "touch", $"{MountPath}/new");
        Assert.NotEqual(0, exit);
        Assert.Contains("Read-only file system", stderr);
        Assert.DoesNotContain("kubernetes.io/serviceaccount", File.ReadAllText("/proc/self/mountinfo"));

        // A source that does not exist is a FailedMount, as upstream words it, and the pod waits.
        var waiting = KubeletHarness.Container("main", "sleep", "3600");
        waiting.VolumeMounts = [new V1VolumeMount { Name = "kube-api-access-b5r7k", MountPath = MountPath, ReadOnlyProperty = true }];
        var second = KubeletHarness.Pod("nocert", waiting);
        second.Spec.Volumes = [KubeApiAccess("kube-api-access-b5r7k", configMap: "absent")];
        await h.CreatePodAsync(second);
        var failed = await ControlPlane.EventuallyAsync(
            async () => (await h.Plane.Client.ListAsync<Corev1Event>(new Strata.Controllers.Client.ListRequest("default"))).Items.FirstOrDefault(e => e.Reason == "FailedMount"),
            e => e is not null, "a FailedMount event");
        Assert.Equal("MountVolume.SetUp failed for volume \"kube-api-access-b5r7k\" : configmap \"absent\" not found", failed!.Message);
        Assert.Equal("Pending", (await h.GetPodAsync("nocert"))!.Status.Phase);
    }
}
