using k8s.Models;
using Strata.Controllers.Namespaces;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.Namespaces;

public sealed class NamespaceControllerTests
{
    private static string Content(string ns) => $$"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, namespace: {{ns}} }
        data: {k: v}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: {{ns}} }
        spec:
          selector: {app: web}
          ports: [{port: 80}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1, namespace: {{ns}}, labels: {app: web} }
        spec:
          containers: [{name: c, image: busybox}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: {{ns}} }
        spec:
          selector: {matchLabels: {app: web} }
          template:
            metadata: {labels: {app: web} }
            spec:
              containers: [{name: c, image: busybox}]
        """;

    [Fact]
    public async Task Kubectl_delete_namespace_empties_it_and_the_namespace_goes()
    {
        await using var plane = await ControlPlane.StartAsync("namespace");
        plane.KubectlOk("create", "namespace", "doomed");
        var (code, _, stderr) = plane.KubectlStdin(Content("doomed"), "apply", "-f", "-");
        Assert.True(code == 0, stderr);

        plane.KubectlOk("delete", "namespace", "doomed", "--timeout=60s");

        await ControlPlane.EventuallyAsync(() => Task.FromResult(plane.Kubectl("get", "namespace", "doomed").Stderr.Contains("NotFound")), "the namespace to be NotFound");
        Assert.Empty(await plane.ListAsync<V1Pod>("doomed"));
        Assert.Empty(await plane.ListAsync<V1Service>("doomed"));
        Assert.Empty(await plane.ListAsync<V1ConfigMap>("doomed"));
        Assert.Empty(await plane.ListAsync<V1Deployment>("doomed"));
    }

    [Fact]
    public async Task Content_held_by_a_finalizer_keeps_the_namespace_terminating_and_says_why()
    {
        await using var plane = await ControlPlane.StartAsync("namespace");
        await plane.Client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "held" } });
        await plane.Client.CreateAsync(new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = "kept", NamespaceProperty = "held", Finalizers = ["example.com/hold"] },
        });
        await plane.Client.CreateAsync(new V1Secret { ApiVersion = "v1", Kind = "Secret", Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = "held" } });

        await plane.Client.DeleteAsync<V1Namespace>(null, "held");

        var terminating = await ControlPlane.EventuallyAsync(
            () => plane.Client.GetAsync<V1Namespace>(null, "held"),
            n => n?.Status?.Conditions?.Any(c => c.Type == NamespaceConditions.FinalizersRemaining && c.Status == "True") == true,
            "the namespace to report the remaining finalizer");
        Assert.Equal("Terminating", terminating!.Status.Phase);
        Assert.Equal(["kubernetes"], terminating.Spec.Finalizers);
        var conditions = terminating.Status.Conditions.ToDictionary(c => c.Type);
        Assert.Equal("Some resources are remaining: configmaps. has 1 resource instances", conditions[NamespaceConditions.ContentRemaining].Message);
        Assert.Equal("Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances", conditions[NamespaceConditions.FinalizersRemaining].Message);
        Assert.Equal("False", conditions[NamespaceConditions.ContentFailure].Status);
        Assert.Equal("False", conditions[NamespaceConditions.DiscoveryFailure].Status);
        Assert.Null(await plane.Client.GetAsync<V1Secret>("held", "s"));

        var kept = await plane.Client.GetAsync<V1ConfigMap>("held", "kept");
        Assert.NotNull(kept!.Metadata.DeletionTimestamp);
        kept.Metadata.Finalizers = null;
        await plane.Client.UpdateAsync(kept);

        await ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<V1Namespace>(null, "held") is null, "the namespace to be deleted");
    }
}
