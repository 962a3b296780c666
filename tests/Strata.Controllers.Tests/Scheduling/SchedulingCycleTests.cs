using k8s.Models;
using Strata.Controllers.Scheduling;

namespace Strata.Controllers.Tests.Scheduling;

/// <summary>The pure filter/score/message logic: pods and node snapshots in, a node or upstream's message out.</summary>
public sealed class SchedulingCycleTests
{
    private static V1Node Node(string name, bool ready = true, IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null,
        bool unschedulable = false, string cpu = "4", string memory = "8Gi", string pods = "110") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
        Spec = new V1NodeSpec { Taints = taints, Unschedulable = unschedulable },
        Status = new V1NodeStatus
        {
            Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False" }],
            Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory), ["pods"] = new(pods) },
        },
    };

    private static V1Pod Pod(string name, string? node = null, string? cpu = null, string? memory = null, string? owner = null,
        IDictionary<string, string>? nodeSelector = null, IList<V1Toleration>? tolerations = null, V1Affinity? affinity = null,
        IDictionary<string, string>? labels = null)
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        if (cpu is not null)
        {
            requests["cpu"] = new ResourceQuantity(cpu);
        }

        if (memory is not null)
        {
            requests["memory"] = new ResourceQuantity(memory);
        }

        return new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = name, NamespaceProperty = "default", Uid = "uid-" + name, Labels = labels,
                OwnerReferences = owner is null ? null : [new V1OwnerReference { Kind = "ReplicaSet", Name = owner, Uid = "uid-" + owner, Controller = true, ApiVersion = "apps/v1" }],
            },
            Spec = new V1PodSpec
            {
                NodeName = node,
                NodeSelector = nodeSelector,
                Tolerations = tolerations,
                Affinity = affinity,
                Containers = [new V1Container { Name = "c", Image = "busybox", Resources = new V1ResourceRequirements { Requests = requests } }],
            },
        };
    }

    private static V1Affinity Required(params V1NodeSelectorTerm[] terms) => new()
    {
        NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = terms } },
    };

    private static V1NodeSelectorTerm Expr(string key, string op, params string[] values) =>
        new() { MatchExpressions = [new V1NodeSelectorRequirement { Key = key, OperatorProperty = op, Values = values.Length == 0 ? null : values }] };

    private static V1NodeSelectorTerm NameField(params string[] names) =>
        new() { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = names }] };

    private static ScheduleResult Schedule(V1Pod pod, IEnumerable<V1Node> nodes, IEnumerable<V1Pod>? running = null, IReadOnlyList<V1Service>? services = null) =>
        SchedulingCycle.Schedule(pod, NodeInfo.Build(nodes, running ?? []), services ?? []);

    private static readonly Dictionary<string, string> Zone = new() { ["zone"] = "a" };

    public static TheoryData<string, V1Pod, V1Node[], string> Placements => new()
    {
        { "nodeSelector", Pod("p", nodeSelector: Zone), [Node("n1"), Node("n2", labels: Zone)], "n2" },
        { "In", Pod("p", affinity: Required(Expr("zone", "In", "b", "a"))), [Node("n1"), Node("n2", labels: Zone)], "n2" },
        { "NotIn", Pod("p", affinity: Required(Expr("zone", "NotIn", "a"))), [Node("n1", labels: Zone), Node("n2")], "n2" },
        { "Exists", Pod("p", affinity: Required(Expr("zone", "Exists"))), [Node("n1"), Node("n2", labels: Zone)], "n2" },
        { "DoesNotExist", Pod("p", affinity: Required(Expr("zone", "DoesNotExist"))), [Node("n1", labels: Zone), Node("n2")], "n2" },
        { "terms are ORed", Pod("p", affinity: Required(Expr("zone", "In", "x"), Expr("zone", "In", "a"))), [Node("n1"), Node("n2", labels: Zone)], "n2" },
        { "matchFields metadata.name", Pod("p", affinity: Required(NameField("n3"))), [Node("n1"), Node("n2"), Node("n3")], "n3" },
        { "NoSchedule taint avoided", Pod("p"), [Node("n1", taints: [new V1Taint { Key = "k", Value = "v", Effect = "NoSchedule" }]), Node("n2", cpu: "1")], "n2" },
        {
            "Equal toleration", Pod("p", tolerations: [new V1Toleration { Key = "k", OperatorProperty = "Equal", Value = "v", Effect = "NoSchedule" }]),
            [Node("n1", taints: [new V1Taint { Key = "k", Value = "v", Effect = "NoSchedule" }]), Node("n2", ready: false)], "n1"
        },
        {
            "empty key Exists tolerates everything", Pod("p", tolerations: [new V1Toleration { OperatorProperty = "Exists" }]),
            [Node("n1", taints: [new V1Taint { Key = "a", Effect = "NoExecute" }, new V1Taint { Key = "b", Value = "c", Effect = "NoSchedule" }])], "n1"
        },
        { "NotReady skipped", Pod("p"), [Node("n1", ready: false), Node("n2", cpu: "1")], "n2" },
        { "cordoned skipped", Pod("p"), [Node("n1", unschedulable: true), Node("n2", cpu: "1")], "n2" },
        {
            "cordon tolerated", Pod("p", tolerations: [new V1Toleration { Key = "node.kubernetes.io/unschedulable", OperatorProperty = "Exists", Effect = "NoSchedule" }]),
            [Node("n1", unschedulable: true)], "n1"
        },
        { "requests fit only the big node", Pod("p", cpu: "3", memory: "1Gi"), [Node("n1", cpu: "2"), Node("n2", cpu: "4")], "n2" },
        { "least allocated wins", Pod("p", cpu: "100m"), [Node("n1", cpu: "2"), Node("n2", cpu: "8", memory: "8Gi")], "n2" },
        {
            "PreferNoSchedule avoided when possible", Pod("p"),
            [Node("n1", taints: [new V1Taint { Key = "k", Effect = "PreferNoSchedule" }]), Node("n2")], "n2"
        },
    };

    [Theory]
    [MemberData(nameof(Placements))]
    public void The_pod_lands_on_the_node_that_passes_the_filters(string name, V1Pod pod, V1Node[] nodes, string expected)
    {
        var result = Schedule(pod, nodes);
        Assert.True(result.Scheduled, $"{name}: {result.FailureMessage}");
        Assert.Equal(expected, result.NodeName);
    }

    public static TheoryData<string, V1Pod, V1Node[], V1Pod[], string> Failures => new()
    {
        {
            "taint and selector (the brief's example)", Pod("p", nodeSelector: Zone),
            [Node("n1", labels: Zone, taints: [new V1Taint { Key = "key", Value = "value", Effect = "NoSchedule" }]), Node("n2"), Node("n3")], [],
            "0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        },
        {
            "not ready and cordoned", Pod("p"), [Node("n1", ready: false), Node("n2", unschedulable: true)], [],
            "0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        },
        {
            "insufficient cpu and memory, preemption finds no victims", Pod("p", cpu: "2", memory: "6Gi"), [Node("n1"), Node("n2")],
            [Pod("r1", node: "n1", cpu: "3", memory: "1Gi"), Pod("r2", node: "n2", cpu: "3", memory: "4Gi")],
            "0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
        },
        {
            "more than the whole node", Pod("p", cpu: "16"), [Node("n1"), Node("n2", taints: [new V1Taint { Key = "k", Effect = "NoExecute" }])], [],
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: }. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        },
        {
            "too many pods", Pod("p"), [Node("n1", pods: "1")], [Pod("r1", node: "n1")],
            "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
        },
        {
            "a DaemonSet pod whose node is full", Pod("p", cpu: "1", affinity: Required(NameField("n2"))), [Node("n1"), Node("n2", cpu: "1"), Node("n3")],
            [Pod("r1", node: "n2", cpu: "500m")],
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
        },
        { "no nodes", Pod("p"), [], [], "no nodes available to schedule pods" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void An_unschedulable_pod_gets_upstreams_message(string name, V1Pod pod, V1Node[] nodes, V1Pod[] running, string expected)
    {
        var result = Schedule(pod, nodes, running);
        Assert.False(result.Scheduled, name);
        Assert.Equal(expected, result.FailureMessage);
    }

    [Fact]
    public void Replicas_of_one_owner_spread_one_per_node()
    {
        var nodes = new[] { Node("n1"), Node("n2"), Node("n3") };
        var placed = new List<V1Pod>();
        for (var i = 0; i < 3; i++)
        {
            var result = Schedule(Pod($"web-{i}", owner: "web"), nodes, placed);
            placed.Add(Pod($"web-{i}", node: result.NodeName, owner: "web"));
        }

        Assert.Equal(["n1", "n2", "n3"], placed.Select(p => p.Spec.NodeName).Order());
    }

    [Fact]
    public void Pods_selected_by_one_service_spread_too()
    {
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "web" } },
        };
        var labels = new Dictionary<string, string> { ["app"] = "web" };
        var running = new[] { Pod("a", node: "n1", labels: labels), Pod("b", node: "n2", labels: labels) };
        var result = Schedule(Pod("c", labels: labels), [Node("n1"), Node("n2"), Node("n3", cpu: "2", memory: "4Gi")], running, [service]);
        Assert.Equal("n3", result.NodeName);
    }

    [Fact]
    public void Requests_count_the_largest_init_container_and_limits_stand_in_for_missing_requests()
    {
        var pod = Pod("p", cpu: "1");
        pod.Spec.InitContainers = [new V1Container { Name = "init", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2") } } }];
        pod.Spec.Containers.Add(new V1Container { Name = "c2", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("1Gi") } } });
        var requests = PodRequests.Of(pod);
        Assert.Equal(2m, requests["cpu"]);
        Assert.Equal(1024m * 1024 * 1024, requests["memory"]);
    }
}
