using k8s.Models;
using Strata.Controllers.ServiceAccounts;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.ServiceAccounts;

/// <summary>The serviceaccount and root-ca-cert-publisher controllers: every namespace has the account default and the CA ConfigMap.</summary>
public sealed class ServiceAccountControllersTests
{
    [KubectlFact]
    public async Task EveryNamespaceGetsTheDefaultAccountAndTheRootCaAndKeepsThem()
    {
        await using var plane = await ControlPlane.StartAsync("serviceaccount", "root-ca-cert-publisher");
        var ca = plane.Server.Host.Credentials.CaPem;
        plane.KubectlOk("create", "namespace", "team");
        foreach (var ns in new[] { "default", "kube-system", "team" })
        {
            await ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<V1ServiceAccount>(ns, "default") is not null, $"{ns}/default");
            await ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<V1ConfigMap>(ns, "kube-root-ca.crt") is not null, $"{ns}/kube-root-ca.crt");
        }

        var published = (await plane.Client.GetAsync<V1ConfigMap>("team", "kube-root-ca.crt"))!;
        Assert.Equal(ca, published.Data["ca.crt"]);
        Assert.Equal(RootCaPublisher.Description, published.Metadata.Annotations["kubernetes.io/description"]);
        Assert.Equal("default", plane.KubectlOk("get", "serviceaccounts", "-n", "team", "-o", "jsonpath={.items[*].metadata.name}"));

        // Deleted or edited, both come back as they were.
        plane.KubectlOk("delete", "serviceaccount", "default", "-n", "team");
        plane.KubectlOk("delete", "configmap", "kube-root-ca.crt", "-n", "team");
        await ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<V1ServiceAccount>("team", "default") is not null, "team/default recreated");
        await ControlPlane.EventuallyAsync(async () => (await plane.Client.GetAsync<V1ConfigMap>("team", "kube-root-ca.crt"))?.Data?["ca.crt"] == ca, "the CA republished");
        plane.KubectlOk("patch", "configmap", "kube-root-ca.crt", "-n", "team", "--type=merge", "-p", """{"data":{"ca.crt":"tampered","extra":"x"}}""");
        await ControlPlane.EventuallyAsync(async () =>
            (await plane.Client.GetAsync<V1ConfigMap>("team", "kube-root-ca.crt"))?.Data is { Count: 1 } data && data["ca.crt"] == ca, "the CA restored after an edit");
    }
}
