using k8s.Models;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.Scheduling;

/// <summary>The scheduler against a real API server: where pods get bound, and what an unschedulable pod shows.</summary>
public sealed class SchedulerControllerTests
{
    private static V1Pod NewPod(string name, string? nodeName = null, IDictionary<string, string>? nodeSelector = null,
        IList<V1Toleration>? tolerations = null, string? cpu = null, V1OwnerReference? owner = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", OwnerReferences = owner is null ? null : [owner] },
        Spec = new V1PodSpec
        {
            NodeName = nodeName,
            NodeSelector = nodeSelector,
            Tolerations = tolerations,
            Containers =
            [
                new V1Container
                {
                    Name = "main", Image = "busybox",
                    Resources = cpu is null ? null : new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu) } },
                },
            ],
        },
    };

    private static async Task<V1Pod> BoundAsync(ControlPlane plane, string name) =>
        (await ControlPlane.EventuallyAsync(
            () => plane.Client.GetAsync<V1Pod>("default", name),
            p => !string.IsNullOrEmpty(p?.Spec?.NodeName),
            $"{name} to be bound"))!;

    private static async Task<IReadOnlyList<Corev1Event>> EventsAsync(ControlPlane plane, string pod, string reason) =>
        await ControlPlane.EventuallyAsync(
            async () => (await plane.ListAsync<Corev1Event>("default")).Where(e => e.InvolvedObject.Name == pod && e.Reason == reason).ToList(),
            list => list.Count > 0,
            $"a {reason} event for {pod}");

    [Fact]
    public async Task Three_replicas_land_one_per_node_and_each_gets_a_scheduled_event()
    {
        await using var plane = await ControlPlane.StartAsync("scheduler");
        foreach (var (node, ip) in new[] { ("sched-s1", "10.1.0.1"), ("sched-s2", "10.1.0.2"), ("sched-s3", "10.1.0.3") })
        {
            await plane.AddNodeAsync(node, ip);
        }

        var owner = new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "web-5d8f", Uid = Guid.NewGuid().ToString(), Controller = true };
        await Task.WhenAll(Enumerable.Range(1, 3).Select(i => plane.Client.CreateAsync(NewPod($"web-{i}", owner: owner))));

        var nodes = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            nodes.Add((await BoundAsync(plane, $"web-{i}")).Spec.NodeName);
        }

        Assert.Equal(["sched-s1", "sched-s2", "sched-s3"], nodes.Order());
        var scheduled = await EventsAsync(plane, "web-2", "Scheduled");
        Assert.Equal(("Normal", $"Successfully assigned default/web-2 to {nodes[1]}", "default-scheduler"),
            (scheduled[0].Type, scheduled[0].Message, scheduled[0].Source.Component));
        var pod = (await plane.Client.GetAsync<V1Pod>("default", "web-2"))!;
        Assert.Contains(pod.Status.Conditions, c => c.Type == "PodScheduled" && c.Status == "True");
    }

    [Fact]
    public async Task A_pod_with_a_node_name_is_left_where_it_is()
    {
        await using var plane = await ControlPlane.StartAsync("scheduler");
        await plane.AddNodeAsync("sched-n1", "10.2.0.1");
        await plane.AddNodeAsync("sched-n2", "10.2.0.2", ready: false);
        await plane.Client.CreateAsync(NewPod("pinned", nodeName: "sched-n2"));
        await plane.Client.CreateAsync(NewPod("free"));

        Assert.Equal("sched-n1", (await BoundAsync(plane, "free")).Spec.NodeName);
        await EventsAsync(plane, "free", "Scheduled");
        Assert.Equal("sched-n2", (await plane.Client.GetAsync<V1Pod>("default", "pinned"))!.Spec.NodeName);
        Assert.DoesNotContain(await plane.ListAsync<Corev1Event>("default"), e => e.InvolvedObject.Name == "pinned");
    }

    [Fact]
    public async Task Node_selector_taints_and_readiness_decide_the_node()
    {
        await using var plane = await ControlPlane.StartAsync("scheduler");
        await plane.AddNodeAsync("sched-f1", "10.3.0.1", labels: new Dictionary<string, string> { ["disk"] = "ssd" });
        await plane.AddNodeAsync("sched-f2", "10.3.0.2", taints: [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" }]);
        await plane.AddNodeAsync("sched-f3", "10.3.0.3", ready: false);

        await plane.Client.CreateAsync(NewPod("wants-ssd", nodeSelector: new Dictionary<string, string> { ["disk"] = "ssd" }));
        await plane.Client.CreateAsync(NewPod("tolerates-db", nodeSelector: new Dictionary<string, string> { ["kubernetes.io/hostname"] = "sched-f2" },
            tolerations: [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "db", Effect = "NoSchedule" }]));
        Assert.Equal("sched-f1", (await BoundAsync(plane, "wants-ssd")).Spec.NodeName);
        Assert.Equal("sched-f2", (await BoundAsync(plane, "tolerates-db")).Spec.NodeName);

        // Without the toleration only sched-f1 is open: the tainted and the NotReady node are skipped.
        for (var i = 0; i < 4; i++)
        {
            await plane.Client.CreateAsync(NewPod($"plain-{i}"));
        }

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("sched-f1", (await BoundAsync(plane, $"plain-{i}")).Spec.NodeName);
        }
    }

    [Fact]
    public async Task An_unschedulable_pod_says_why_and_is_bound_once_a_fitting_node_appears()
    {
        await using var plane = await ControlPlane.StartAsync("scheduler");
        await plane.AddNodeAsync("sched-u1", "10.4.0.1", taints: [new V1Taint { Key = "key", Value = "value", Effect = "NoSchedule" }],
            labels: new Dictionary<string, string> { ["tier"] = "web" });
        await plane.AddNodeAsync("sched-u2", "10.4.0.2");
        await plane.AddNodeAsync("sched-u3", "10.4.0.3");
        await plane.Client.CreateAsync(NewPod("web-1", nodeSelector: new Dictionary<string, string> { ["tier"] = "web" }));

        const string message = "0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 node(s) didn't match Pod's node affinity/selector. "
            + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
        // The scheduler's node cache may trail the pod's creation (separate watches), so an early attempt can count
        // fewer nodes; it tries again as the nodes arrive.
        var pod = await ControlPlane.EventuallyAsync(
            () => plane.Client.GetAsync<V1Pod>("default", "web-1"),
            p => p?.Status?.Conditions?.Any(c => c.Type == "PodScheduled" && c.Message == message) == true,
            "the PodScheduled condition naming all three nodes");
        var condition = pod!.Status.Conditions.Single(c => c.Type == "PodScheduled");
        Assert.Equal(("False", "Unschedulable"), (condition.Status, condition.Reason));
        var failed = await ControlPlane.EventuallyAsync(
            async () => (await EventsAsync(plane, "web-1", "FailedScheduling")).Where(e => e.Message == message).ToList(),
            list => list.Count > 0, "a FailedScheduling event with that message");
        Assert.Equal("Warning", failed[0].Type);

        var describe = plane.KubectlOk("describe", "pod", "web-1");
        Assert.Contains("FailedScheduling", describe);
        Assert.Contains("default-scheduler", describe);
        Assert.Contains("didn't match Pod's node affinity/selector", describe);

        await plane.AddNodeAsync("sched-u4", "10.4.0.4", labels: new Dictionary<string, string> { ["tier"] = "web" });
        var bound = await BoundAsync(plane, "web-1");
        Assert.Equal("sched-u4", bound.Spec.NodeName);
        Assert.Equal("True", Assert.Single(bound.Status.Conditions, c => c.Type == "PodScheduled").Status);
        await EventsAsync(plane, "web-1", "Scheduled");
    }

    [Fact]
    public async Task Requests_that_fit_no_node_leave_the_pod_pending_until_room_is_made()
    {
        await using var plane = await ControlPlane.StartAsync("scheduler");
        await plane.AddNodeAsync("sched-r1", "10.5.0.1");
        await plane.AddNodeAsync("sched-r2", "10.5.0.2");
        await plane.Client.CreateAsync(NewPod("big-1", cpu: "3"));
        await plane.Client.CreateAsync(NewPod("big-2", cpu: "3"));
        var first = (await BoundAsync(plane, "big-1")).Spec.NodeName;
        var second = (await BoundAsync(plane, "big-2")).Spec.NodeName;
        Assert.NotEqual(first, second);

        await plane.Client.CreateAsync(NewPod("big-3", cpu: "2"));
        var failed = await EventsAsync(plane, "big-3", "FailedScheduling");
        Assert.Equal("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
            failed[0].Message);
        await plane.Client.CreateAsync(NewPod("huge", cpu: "64"));
        Assert.Equal("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
            (await EventsAsync(plane, "huge", "FailedScheduling"))[0].Message);

        await plane.Client.DeleteAsync<V1Pod>("default", "big-1", new Strata.Controllers.Client.DeleteRequest(GracePeriodSeconds: 0));
        Assert.Equal(first, (await BoundAsync(plane, "big-3")).Spec.NodeName);
    }

    [Fact]
    public async Task Binding_over_http_assigns_the_node_once()
    {
        await using var plane = await ControlPlane.StartAsync();
        await plane.AddNodeAsync("sched-h1", "10.6.0.1");
        await plane.Client.CreateAsync(NewPod("by-hand"));
        const string binding = """{"apiVersion":"v1","kind":"Binding","metadata":{"name":"by-hand"},"target":{"apiVersion":"v1","kind":"Node","name":"sched-h1"}}""";

        using var first = await plane.Server.Http.PostAsync("/api/v1/namespaces/default/pods/by-hand/binding",
            new StringContent(binding, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, first.StatusCode);
        var pod = (await plane.Client.GetAsync<V1Pod>("default", "by-hand"))!;
        Assert.Equal("sched-h1", pod.Spec.NodeName);
        Assert.Equal("True", Assert.Single(pod.Status.Conditions, c => c.Type == "PodScheduled").Status);

        using var second = await plane.Server.Http.PostAsync("/api/v1/namespaces/default/pods/by-hand/binding",
            new StringContent(binding, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, second.StatusCode);
    }
}
