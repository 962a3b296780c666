using k8s.Models;
using Strata.Controllers.Workloads;

namespace Strata.Controllers.Tests.Workloads;

public sealed class PodRankingTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static V1Pod Pod(string name, string? node = "n1", string phase = "Running", bool ready = true, double readyAgoSeconds = 3600,
        double createdAgoSeconds = 7200, int restarts = 0, int? cost = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name, Uid = name, CreationTimestamp = Now.AddSeconds(-createdAgoSeconds),
            Annotations = cost is { } c ? new Dictionary<string, string> { [PodRanking.DeletionCostAnnotation] = c.ToString() } : null,
        },
        Spec = new V1PodSpec { NodeName = node },
        Status = new V1PodStatus
        {
            Phase = phase,
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = Now.AddSeconds(-readyAgoSeconds) }],
            ContainerStatuses = [new V1ContainerStatus { Name = "c", RestartCount = restarts }],
        },
    };

    public static TheoryData<string, V1Pod, V1Pod> FirstIsDeletedFirst => new()
    {
        { "unassigned before assigned", Pod("a", node: null, phase: "Pending", ready: false), Pod("b") },
        { "pending before running", Pod("a", phase: "Pending", ready: false), Pod("b", phase: "Running", ready: false) },
        { "unknown before running", Pod("a", phase: "Unknown"), Pod("b") },
        { "not ready before ready", Pod("a", ready: false), Pod("b") },
        { "lower deletion cost first", Pod("a", cost: -5), Pod("b", cost: 10) },
        { "ready for less time first", Pod("a", readyAgoSeconds: 10), Pod("b", readyAgoSeconds: 10000) },
        { "more restarts first", Pod("a", restarts: 3), Pod("b", restarts: 0) },
        { "newer before older", Pod("a", createdAgoSeconds: 60), Pod("b", createdAgoSeconds: 100000) },
    };

    [Theory]
    [MemberData(nameof(FirstIsDeletedFirst))]
    public void Ranks_for_deletion(string why, V1Pod first, V1Pod second)
    {
        Assert.True(PodRanking.Compare(first, 0, second, 0, Now) < 0, why);
        Assert.True(PodRanking.Compare(second, 0, first, 0, Now) > 0, why);
        var picked = PodRanking.PodsToDelete([second, first], [], 1, Now);
        Assert.Equal(first.Metadata.Name, Assert.Single(picked).Metadata.Name);
    }

    [Fact]
    public void Pods_doubled_up_on_a_node_go_before_pods_alone()
    {
        var alone = Pod("alone", node: "n1");
        var doubled = Pod("doubled", node: "n2");
        var sibling = Pod("sibling", node: "n2");
        var picked = PodRanking.PodsToDelete([alone, doubled], [alone, doubled, sibling], 1, Now);
        Assert.Equal("doubled", Assert.Single(picked).Metadata.Name);
    }

    [Fact]
    public void Ages_in_the_same_power_of_two_bucket_tie_and_fall_back_to_uid()
    {
        // 1000 s and 1001 s are in the same log2 bucket of nanoseconds.
        Assert.Equal(0, PodRanking.LogarithmicRankDiff(Now.AddSeconds(-1000), Now.AddSeconds(-1001), Now));
        Assert.True(PodRanking.Compare(Pod("a", createdAgoSeconds: 1001), 0, Pod("b", createdAgoSeconds: 1000), 0, Now) < 0);
    }
}

public sealed class RolloutMathTests
{
    [Theory]
    [InlineData("25%", "25%", 3, 1, 0)]
    [InlineData("25%", "25%", 10, 3, 2)]
    [InlineData("25%", "25%", 4, 1, 1)]
    [InlineData("0", "0", 5, 0, 1)]
    [InlineData("0%", "10%", 5, 0, 1)]
    [InlineData("2", "1", 3, 2, 1)]
    [InlineData("50%", "50%", 1, 1, 0)]
    [InlineData(null, "30%", 10, 0, 3)]
    public void Surge_rounds_up_and_unavailable_rounds_down(string? surge, string? unavailable, int desired, int expectedSurge, int expectedUnavailable) =>
        Assert.Equal((expectedSurge, expectedUnavailable), RolloutMath.ResolveFenceposts(surge, unavailable, desired));

    private static V1Deployment Deployment(int replicas, string strategy = "RollingUpdate", string surge = "25%", string unavailable = "25%") => new()
    {
        Metadata = new V1ObjectMeta { Name = "d" },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Strategy = new V1DeploymentStrategy
            {
                Type = strategy,
                RollingUpdate = strategy == "RollingUpdate" ? new V1RollingUpdateDeployment { MaxSurge = surge, MaxUnavailable = unavailable } : null,
            },
        },
    };

    [Theory]
    [InlineData(3, 3, 0, 1)] // room for one surge pod
    [InlineData(3, 4, 1, 1)] // at the surge limit
    [InlineData(10, 10, 0, 3)]
    [InlineData(10, 11, 2, 4)]
    [InlineData(3, 1, 1, 3)] // old ones already gone: grow to the full count only
    public void New_replica_set_grows_within_the_surge(int replicas, int allSpec, int newSpec, int expected) =>
        Assert.Equal(expected, RolloutMath.NewReplicaSetReplicas(Deployment(replicas), allSpec, newSpec));

    [Fact]
    public void Recreate_has_no_surge_or_unavailability_and_scales_new_to_full()
    {
        var d = Deployment(4, "Recreate");
        Assert.Equal(0, RolloutMath.MaxSurge(d));
        Assert.Equal(0, RolloutMath.MaxUnavailable(d));
        Assert.Equal(4, RolloutMath.NewReplicaSetReplicas(d, 4, 0));
    }

    [Fact]
    public void Max_unavailable_is_capped_by_replicas_and_zero_for_no_replicas()
    {
        Assert.Equal(2, RolloutMath.MaxUnavailable(Deployment(2, unavailable: "5")));
        Assert.Equal(0, RolloutMath.MaxUnavailable(Deployment(0)));
    }

    [Theory]
    [InlineData(4, 4, 0, 0, 1)]  // the unavailability budget (25% of 4)
    [InlineData(4, 5, 2, 0, 0)]  // the new set's unready pods use the budget up
    [InlineData(4, 5, 1, 1, 2)]
    [InlineData(3, 4, 1, 0, 0)]
    [InlineData(3, 4, 1, 1, 1)]
    public void Old_replicas_go_only_while_enough_stay_available(int replicas, int allSpec, int newSpec, int newAvailable, int expected) =>
        Assert.Equal(expected, RolloutMath.MaxScaledDown(Deployment(replicas), allSpec, newSpec, newAvailable));

    [Theory]
    [InlineData(5, 13, 15, 6, 0, 2)]   // 5 * (15+4) / 13 = 7.3 -> 7: two more
    [InlineData(5, 13, 15, 1, 0, 1)]   // capped by what is left to add
    [InlineData(5, 13, 5, -8, 0, -2)]  // scaling down: 5 * (5+2) / 13 = 2.7 -> 3: two fewer
    [InlineData(5, 13, 0, -5, 0, -5)]  // to zero: the whole set
    public void Proportional_share(int rsReplicas, int annotated, int replicas, int toAdd, int added, int expected) =>
        Assert.Equal(expected, RolloutMath.Proportion(rsReplicas, annotated, Deployment(replicas), toAdd, added));

    [Theory]
    [InlineData(2.5, 3)]
    [InlineData(2.4, 2)]
    [InlineData(-2.5, -3)]
    public void Rounds_halves_away_from_zero(double value, int expected) => Assert.Equal(expected, RolloutMath.RoundToInt(value));
}

public sealed class TemplateHashTests
{
    [Fact]
    public void Safe_encoding_maps_digits_as_upstream()
    {
        Assert.Equal("456789bcdf", TemplateHash.SafeEncode("0123456789"));
    }

    [Theory]
    [InlineData("", 0x811c9dc5u)]
    [InlineData("a", 0xe40c292cu)]
    [InlineData("foobar", 0xbf9cf968u)]
    public void Fnv32a_vectors(string input, uint expected) =>
        Assert.Equal(expected, TemplateHash.Fnv32a.Add(TemplateHash.Fnv32a.Start, System.Text.Encoding.ASCII.GetBytes(input)));

    private static V1PodTemplateSpec Template(string image, Dictionary<string, string> labels) => new()
    {
        Metadata = new V1ObjectMeta { Labels = labels },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "nginx", Image = image }] },
    };

    [Fact]
    public void Hash_is_stable_depends_on_template_and_collision_count_and_looks_like_upstream()
    {
        var a = TemplateHash.Compute(Template("nginx:1.27", new() { ["app"] = "x", ["tier"] = "web" }), null);
        var b = TemplateHash.Compute(Template("nginx:1.27", new() { ["tier"] = "web", ["app"] = "x" }), null);
        Assert.Equal(a, b);
        Assert.NotEqual(a, TemplateHash.Compute(Template("nginx:1.28", new() { ["app"] = "x", ["tier"] = "web" }), null));
        Assert.NotEqual(a, TemplateHash.Compute(Template("nginx:1.27", new() { ["app"] = "x", ["tier"] = "web" }), 1));
        Assert.Matches("^[456789bcdf]{1,10}$", a);
    }

    [Fact]
    public void Templates_equal_ignoring_the_hash_label()
    {
        var plain = Template("nginx:1.27", new() { ["app"] = "x" });
        var hashed = Template("nginx:1.27", new() { ["app"] = "x", [DeploymentUtil.PodTemplateHashLabel] = "abc" });
        Assert.True(DeploymentUtil.EqualIgnoreHash(plain, hashed));
        Assert.False(DeploymentUtil.EqualIgnoreHash(plain, Template("nginx:1.28", new() { ["app"] = "x" })));
        // kubectl rollout undo sends Go's empty structs (resources: {}); they are no difference, as in Semantic.DeepEqual.
        var fromKubectl = Template("nginx:1.27", new() { ["app"] = "x" });
        fromKubectl.Spec.Containers[0].Resources = new V1ResourceRequirements();
        fromKubectl.Spec.HostNetwork = false;
        Assert.True(DeploymentUtil.EqualIgnoreHash(plain, fromKubectl));
        Assert.Equal(TemplateHash.Compute(plain, null), TemplateHash.Compute(fromKubectl, null));
    }

    [Fact]
    public void Rolling_back_to_a_replica_set_raises_its_revision_and_remembers_the_old_one()
    {
        var d = new V1Deployment { Metadata = new V1ObjectMeta { Name = "d", Annotations = new Dictionary<string, string> { ["team"] = "a" } }, Spec = new V1DeploymentSpec { Replicas = 3 } };
        var rs = new V1ReplicaSet { Metadata = new V1ObjectMeta { Name = "d-1", Annotations = new Dictionary<string, string> { [DeploymentUtil.RevisionAnnotation] = "1" } } };
        Assert.True(DeploymentUtil.SetNewReplicaSetAnnotations(d, rs, 3, true));
        Assert.Equal("3", rs.Metadata.Annotations[DeploymentUtil.RevisionAnnotation]);
        Assert.Equal("1", rs.Metadata.Annotations[DeploymentUtil.RevisionHistoryAnnotation]);
        Assert.Equal("a", rs.Metadata.Annotations["team"]);
        Assert.False(DeploymentUtil.SetNewReplicaSetAnnotations(d, rs, 3, true));
    }
}

public sealed class DaemonPlacementTests
{
    private static V1Node Node(string name, Dictionary<string, string>? labels = null, params V1Taint[] taints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new() { ["kubernetes.io/hostname"] = name } },
        Spec = new V1NodeSpec { Taints = taints },
    };

    private static V1Taint Taint(string key, string effect, string? value = null) => new() { Key = key, Effect = effect, Value = value };

    public static TheoryData<string, V1PodSpec, V1Node, bool, bool> Cases => new()
    {
        { "plain node", new V1PodSpec(), Node("n"), true, true },
        { "nodeSelector matches", new V1PodSpec { NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" } }, Node("n", new() { ["disk"] = "ssd" }), true, true },
        { "nodeSelector does not match", new V1PodSpec { NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" } }, Node("n"), false, false },
        { "other nodeName", new V1PodSpec { NodeName = "m" }, Node("n"), false, false },
        { "untolerated NoSchedule keeps a running pod", new V1PodSpec(), Node("n", null, Taint("dedicated", "NoSchedule", "db")), false, true },
        { "untolerated NoExecute evicts", new V1PodSpec(), Node("n", null, Taint("dedicated", "NoExecute", "db")), false, false },
        { "PreferNoSchedule is ignored", new V1PodSpec(), Node("n", null, Taint("dedicated", "PreferNoSchedule")), true, true },
        {
            "tolerated by Equal", new V1PodSpec { Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "db", Effect = "NoSchedule" }] },
            Node("n", null, Taint("dedicated", "NoSchedule", "db")), true, true
        },
        { "tolerate everything", new V1PodSpec { Tolerations = [new V1Toleration { OperatorProperty = "Exists" }] }, Node("n", null, Taint("x", "NoExecute")), true, true },
        { "default: unschedulable", new V1PodSpec(), Node("n", null, Taint("node.kubernetes.io/unschedulable", "NoSchedule")), true, true },
        { "default: not-ready", new V1PodSpec(), Node("n", null, Taint("node.kubernetes.io/not-ready", "NoExecute")), true, true },
        { "default: memory-pressure", new V1PodSpec(), Node("n", null, Taint("node.kubernetes.io/memory-pressure", "NoSchedule")), true, true },
        { "network-unavailable without hostNetwork", new V1PodSpec(), Node("n", null, Taint("node.kubernetes.io/network-unavailable", "NoSchedule")), false, true },
        { "network-unavailable with hostNetwork", new V1PodSpec { HostNetwork = true }, Node("n", null, Taint("node.kubernetes.io/network-unavailable", "NoSchedule")), true, true },
        {
            "required affinity matches", new V1PodSpec
            {
                Affinity = new V1Affinity { NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a", "b"] }] }],
                } } },
            },
            Node("n", new() { ["zone"] = "b" }), true, true
        },
        {
            "required affinity does not match", new V1PodSpec
            {
                Affinity = new V1Affinity { NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "NotIn", Values = ["b"] }] }],
                } } },
            },
            Node("n", new() { ["zone"] = "b" }), false, false
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Which_nodes_run_the_daemon(string why, V1PodSpec template, V1Node node, bool shouldRun, bool shouldContinue) =>
        Assert.True(new DaemonFit(shouldRun, shouldContinue) == DaemonPlacement.Fit(template, node), why);

    [Fact]
    public void Pinning_replaces_required_terms_with_the_node_name_field()
    {
        var affinity = DaemonPlacement.PinToNode(new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [] }] } },
        }, "node-7");
        var term = Assert.Single(affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms);
        var field = Assert.Single(term.MatchFields);
        Assert.Equal(("metadata.name", "In", "node-7"), (field.Key, field.OperatorProperty, Assert.Single(field.Values)));
        Assert.Equal("node-7", DaemonPlacement.TargetNode(new V1Pod { Metadata = new V1ObjectMeta(), Spec = new V1PodSpec { Affinity = affinity } }));
        Assert.Equal("bound", DaemonPlacement.TargetNode(new V1Pod { Metadata = new V1ObjectMeta(), Spec = new V1PodSpec { NodeName = "bound", Affinity = affinity } }));
    }

    [Fact]
    public void Default_tolerations_are_added_once()
    {
        var once = DaemonPlacement.WithDefaultTolerations(null, false);
        Assert.Equal(6, once.Count);
        Assert.Equal(6, DaemonPlacement.WithDefaultTolerations(once, false).Count);
        Assert.Equal(7, DaemonPlacement.WithDefaultTolerations(null, true).Count);
    }

    private static readonly DateTime Now = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static V1Pod DaemonPod(string name, string hash, bool ready) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [DaemonPlacement.RevisionHashLabel] = hash } },
        Spec = new V1PodSpec(),
        Status = new V1PodStatus { Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = Now.AddMinutes(-5) }] },
    };

    [Theory]
    [InlineData(1, new[] { "old", "old", "old" }, 1)]
    [InlineData(2, new[] { "old", "old", "old" }, 2)]
    [InlineData(1, new[] { "new-unready", "old", "old" }, 0)]
    [InlineData(1, new[] { "new", "old", "old" }, 1)]
    [InlineData(1, new[] { "none", "old", "old" }, 0)]
    [InlineData(1, new[] { "old-unready", "old-unready", "new-unready" }, 2)]
    [InlineData(1, new[] { "absent", "old", "old" }, 0)]
    [InlineData(2, new[] { "absent", "old", "old" }, 1)]
    public void Rolling_update_keeps_within_max_unavailable(int maxUnavailable, string[] nodes, int expectedDeletions)
    {
        var byNode = new Dictionary<string, IReadOnlyList<V1Pod>>();
        for (var i = 0; i < nodes.Length; i++)
        {
            if (nodes[i] == "absent")
            {
                continue;
            }

            byNode[$"n{i}"] = nodes[i] switch
            {
                "old" => [DaemonPod($"p{i}", "h1", true)],
                "old-unready" => [DaemonPod($"p{i}", "h1", false)],
                "new" => [DaemonPod($"p{i}", "h2", true)],
                "new-unready" => [DaemonPod($"p{i}", "h2", false)],
                _ => [],
            };
        }

        Assert.Equal(expectedDeletions, DaemonPlacement.OldPodsToDelete(byNode, nodes.Select((_, i) => $"n{i}"), "h2", maxUnavailable, 0, Now).Count);
    }
}
