using k8s.Models;
using Strata.Controllers.Tests.Support;
using Strata.Controllers.Workloads;

using Strata.Controllers.Machinery;

namespace Strata.Controllers.Tests.Workloads;

public sealed class DaemonSetControllerTests
{
    private static V1DaemonSet DaemonSet(string name, string image) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "DaemonSet",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1DaemonSetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "agent", Image = image }] },
            },
        },
    };

    private static async Task<IReadOnlyList<V1Pod>> ActivePods(ControlPlane plane, string app) =>
        [.. (await plane.ListAsync<V1Pod>("default", $"app={app}")).Where(p => p.Metadata.DeletionTimestamp is null)];

    private static string[] Nodes(IEnumerable<V1Pod> pods) => [.. pods.Select(p => p.Spec.NodeName ?? "").Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Runs_one_pod_per_eligible_node_and_follows_nodes_coming_and_going()
    {
        await using var plane = await ControlPlane.StartAsync("daemonset");
        await plane.AddNodeAsync("ds-n1", "10.0.0.1");
        await plane.AddNodeAsync("ds-n2", "10.0.0.2", ready: false);
        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);
        var ds = await plane.Client.CreateAsync(DaemonSet("agent", "agent:1"));

        var pods = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "agent"), p => p.Count == 2 && p.All(x => PodConditions.IsReady(x)), "a ready pod on each node");
        Assert.Equal(["ds-n1", "ds-n2"], Nodes(pods));
        foreach (var pod in pods)
        {
            Assert.StartsWith("agent-", pod.Metadata.Name);
            var owner = Assert.Single(pod.Metadata.OwnerReferences);
            Assert.Equal(("DaemonSet", ds.Metadata.Uid, true), (owner.Kind, owner.Uid, owner.Controller));
            var field = Assert.Single(Assert.Single(pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms).MatchFields);
            Assert.Equal(("metadata.name", "In", pod.Spec.NodeName), (field.Key, field.OperatorProperty, Assert.Single(field.Values)));
            Assert.Contains(pod.Spec.Tolerations, t => t is { Key: "node.kubernetes.io/not-ready", OperatorProperty: "Exists", Effect: "NoExecute" });
            Assert.Contains(pod.Spec.Tolerations, t => t is { Key: "node.kubernetes.io/unschedulable", Effect: "NoSchedule" });
            Assert.DoesNotContain(pod.Spec.Tolerations, t => t.Key == "node.kubernetes.io/network-unavailable");
            Assert.Matches("^[456789bcdf]{1,10}$", pod.Metadata.Labels[DaemonPlacement.RevisionHashLabel]);
        }

        var status = (await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1DaemonSet>("default", "agent"), d => d!.Status?.NumberAvailable == 2, "status"))!.Status;
        Assert.Equal((2, 2, 2, 2, 2, 0, 1L), (status.DesiredNumberScheduled, status.CurrentNumberScheduled, status.NumberReady, status.NumberAvailable,
            status.UpdatedNumberScheduled ?? 0, status.NumberMisscheduled, status.ObservedGeneration ?? 0));

        // A new node gets a pod; a node tainted against it does not.
        await plane.AddNodeAsync("ds-n3", "10.0.0.3");
        await plane.AddNodeAsync("ds-tainted", "10.0.0.4", taints: [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" }]);
        pods = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "agent"), p => p.Count == 3 && p.All(x => PodConditions.IsReady(x)), "a pod on the new node");
        Assert.Equal(["ds-n1", "ds-n2", "ds-n3"], Nodes(pods));
        await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1DaemonSet>("default", "agent"),
            d => d!.Status is { DesiredNumberScheduled: 3, NumberReady: 3, NumberMisscheduled: 0 }, "three desired");

        // A node that leaves takes its pod with it.
        await plane.Client.DeleteAsync<V1Node>(null, "ds-n2");
        pods = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "agent"), p => p.Count == 2, "the departed node's pod gone");
        Assert.Equal(["ds-n1", "ds-n3"], Nodes(pods));
        await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1DaemonSet>("default", "agent"), d => d!.Status is { DesiredNumberScheduled: 2, CurrentNumberScheduled: 2 }, "two desired");
        var events = await plane.ListAsync<Corev1Event>("default");
        Assert.Contains(events, e => e.Reason == "SuccessfulCreate" && e.Message.StartsWith("Created pod: agent-", StringComparison.Ordinal) && e.Source.Component == "daemonset-controller");
        Assert.Contains(events, e => e.Reason == "SuccessfulDelete" && e.Message.StartsWith("Deleted pod: agent-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tainting_with_NoExecute_evicts_and_a_toleration_or_node_selector_decides_placement()
    {
        await using var plane = await ControlPlane.StartAsync("daemonset");
        await plane.AddNodeAsync("sel-a", "10.0.1.1", labels: new Dictionary<string, string> { ["role"] = "edge" });
        await plane.AddNodeAsync("sel-b", "10.0.1.2", taints: [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" }]);
        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);

        var tolerant = DaemonSet("tolerant", "agent:1");
        tolerant.Spec.Template.Spec.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "db", Effect = "NoSchedule" }];
        await plane.Client.CreateAsync(tolerant);
        var edge = DaemonSet("edge", "agent:1");
        edge.Spec.Template.Spec.NodeSelector = new Dictionary<string, string> { ["role"] = "edge" };
        await plane.Client.CreateAsync(edge);

        await ControlPlane.EventuallyAsync(() => ActivePods(plane, "tolerant"), p => Nodes(p).SequenceEqual(["sel-a", "sel-b"]), "tolerant on both nodes");
        await ControlPlane.EventuallyAsync(() => ActivePods(plane, "edge"), p => Nodes(p).SequenceEqual(["sel-a"]), "edge only where selected");

        // NoExecute evicts a daemon pod that does not tolerate it.
        var node = await plane.Client.GetAsync<V1Node>(null, "sel-a");
        node!.Spec.Taints = [new V1Taint { Key = "maintenance", Effect = "NoExecute" }];
        await plane.Client.UpdateAsync(node);
        await ControlPlane.EventuallyAsync(() => ActivePods(plane, "edge"), p => p.Count == 0, "edge pod evicted");
        await ControlPlane.EventuallyAsync(() => ActivePods(plane, "tolerant"), p => Nodes(p).SequenceEqual(["sel-b"]), "tolerant pod evicted from sel-a");
    }

    [KubectlFact]
    public async Task Rolling_update_replaces_pods_one_node_at_a_time()
    {
        await using var plane = await ControlPlane.StartAsync("daemonset");
        foreach (var i in Enumerable.Range(1, 3))
        {
            await plane.AddNodeAsync($"ru-{i}", $"10.0.2.{i}");
        }

        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);
        await plane.Client.CreateAsync(DaemonSet("roll", "agent:1"));
        await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1DaemonSet>("default", "roll"), d => d!.Status?.NumberAvailable == 3, "three available");

        // Hold new pods unready: with maxUnavailable 1, only one node may be replaced until it becomes ready.
        kubelet.HoldReady = p => p.Spec.Containers[0].Image == "agent:2";
        var ds = await plane.Client.GetAsync<V1DaemonSet>("default", "roll");
        ds!.Spec.Template.Spec.Containers[0].Image = "agent:2";
        await plane.Client.UpdateAsync(ds);
        var pods = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "roll"), p => p.Count(x => x.Spec.Containers[0].Image == "agent:2") == 1 && p.Count == 3, "one new pod");
        await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1DaemonSet>("default", "roll"), d => d!.Status is { UpdatedNumberScheduled: 1, NumberAvailable: 2 }, "one updated");
        Assert.Equal(2, (await ActivePods(plane, "roll")).Count(x => x.Spec.Containers[0].Image == "agent:1"));

        kubelet.HoldReady = _ => false;
        kubelet.Poke();
        pods = await ControlPlane.EventuallyAsync(() => ActivePods(plane, "roll"), p => p.Count == 3 && p.All(x => x.Spec.Containers[0].Image == "agent:2" && PodConditions.IsReady(x)), "all new");
        Assert.Single(pods.Select(p => p.Metadata.Labels[DaemonPlacement.RevisionHashLabel]).Distinct());
        await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1DaemonSet>("default", "roll"),
            d => d!.Status is { UpdatedNumberScheduled: 3, NumberAvailable: 3, ObservedGeneration: 2 }, "all updated");
        var rollout = plane.Kubectl("rollout", "status", "daemonset/roll", "--timeout=30s");
        Assert.True(rollout.ExitCode == 0, rollout.Stderr);
        Assert.Contains("daemon set \"roll\" successfully rolled out", rollout.Stdout);
    }
}
