using k8s.Models;
using Strata.Controllers.Tests.Support;
using Strata.Controllers.Workloads;

using Strata.Controllers.Machinery;

namespace Strata.Controllers.Tests.Workloads;

public sealed class ReplicaSetControllerTests
{
    internal static V1ReplicaSet ReplicaSet(string name, int replicas, string app) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "ReplicaSet",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1ReplicaSetSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = app } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = app, ["tier"] = "web" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "nginx", Image = "nginx:1.27" }] },
            },
        },
    };

    private static async Task<IReadOnlyList<V1Pod>> ActivePods(ControlPlane plane, string app) =>
        [.. (await plane.ListAsync<V1Pod>("default", $"app={app}")).Where(p => p.Metadata.DeletionTimestamp is null)];

    [Fact]
    public async Task Creates_owned_pods_from_the_template_and_reports_them_ready()
    {
        await using var plane = await ControlPlane.StartAsync("replicaset");
        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);
        var rs = await plane.Client.CreateAsync(ReplicaSet("web", 3, "web"));

        var pods = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "web"), p => p.Count == 3, "three pods");
        foreach (var pod in pods)
        {
            Assert.StartsWith("web-", pod.Metadata.Name);
            Assert.Equal("web", pod.Metadata.Labels["tier"]);
            var owner = Assert.Single(pod.Metadata.OwnerReferences);
            Assert.Equal(("apps/v1", "ReplicaSet", "web", rs.Metadata.Uid, true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        }

        var status = (await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1ReplicaSet>("default", "web"),
            r => r!.Status?.AvailableReplicas == 3, "three available"))!.Status;
        Assert.Equal((3, 3, 3, 3, 1L), (status.Replicas, status.FullyLabeledReplicas, status.ReadyReplicas, status.AvailableReplicas, status.ObservedGeneration!.Value));

        var events = await ControlPlane.EventuallyAsync(() => plane.ListAsync<Corev1Event>("default"), e => e.Count(x => x.Reason == "SuccessfulCreate") == 3, "three events");
        Assert.Equal(pods.Select(p => $"Created pod: {p.Metadata.Name}").Order(), events.Where(e => e.Reason == "SuccessfulCreate").Select(e => e.Message).Order());
        Assert.All(events, e => Assert.Equal("replicaset-controller", e.Source.Component));
    }

    [Fact]
    public async Task Adopts_a_matching_orphan_and_releases_a_pod_that_stops_matching()
    {
        await using var plane = await ControlPlane.StartAsync("replicaset");
        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);
        await plane.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "orphan", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "adopt" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        });
        var rs = await plane.Client.CreateAsync(ReplicaSet("adopter", 2, "adopt"));

        var pods = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "adopt"),
            p => p.Count == 2 && p.All(x => x.Metadata.OwnerReferences?.SingleOrDefault()?.Uid == rs.Metadata.Uid), "orphan adopted plus one created");
        Assert.Contains(pods, p => p.Metadata.Name == "orphan");

        // A pod relabelled out of the selector is released and replaced.
        var orphan = await plane.Client.GetAsync<V1Pod>("default", "orphan");
        orphan!.Metadata.Labels["app"] = "elsewhere";
        await plane.Client.UpdateAsync(orphan);
        await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1Pod>("default", "orphan"), p => (p!.Metadata.OwnerReferences?.Count ?? 0) == 0, "orphan released");
        await ControlPlane.EventuallyAsync(() => ActivePods(plane, "adopt"), p => p.Count == 2 && p.All(x => x.Metadata.Name != "orphan"), "replacement created");
    }

    [Fact]
    public async Task A_deleted_pod_is_replaced_and_scaling_down_removes_unready_pods_first()
    {
        await using var plane = await ControlPlane.StartAsync("replicaset");
        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);
        await plane.Client.CreateAsync(ReplicaSet("heal", 3, "heal"));
        var pods = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "heal"), p => p.Count == 3 && p.All(PodConditions.IsReady), "three ready pods");

        var victim = pods[0].Metadata.Name;
        await plane.Client.DeleteAsync<V1Pod>("default", victim);
        pods = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "heal"), p => p.Count == 3 && p.All(x => x.Metadata.Name != victim) && p.All(PodConditions.IsReady), "a replacement");

        // Two more pods that never become ready: scaling back to three removes exactly those.
        kubelet.HoldReady = p => !pods.Any(x => x.Metadata.Name == p.Metadata.Name);
        var rs = await plane.Client.GetAsync<V1ReplicaSet>("default", "heal");
        rs!.Spec.Replicas = 5;
        await plane.Client.UpdateAsync(rs);
        await ControlPlane.EventuallyAsync(() => ActivePods(plane, "heal"), p => p.Count == 5 && p.Count(x => x.Status?.Phase == "Running") == 5, "five running pods");
        rs = await plane.Client.GetAsync<V1ReplicaSet>("default", "heal");
        rs!.Spec.Replicas = 3;
        await plane.Client.UpdateAsync(rs);
        var left = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "heal"), p => p.Count == 3, "three pods again");
        Assert.Equal(pods.Select(p => p.Metadata.Name).Order(), left.Select(p => p.Metadata.Name).Order());
        var events = await ControlPlane.EventuallyAsync(() => plane.ListAsync<Corev1Event>("default"), e => e.Count(x => x.Reason == "SuccessfulDelete") == 2, "two delete events");
        Assert.All(events.Where(e => e.Reason == "SuccessfulDelete"), e => Assert.StartsWith("Deleted pod: heal-", e.Message));
    }
}
