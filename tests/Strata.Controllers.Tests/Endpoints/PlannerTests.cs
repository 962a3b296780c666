using k8s.Models;
using Strata.Controllers.Endpoints;

namespace Strata.Controllers.Tests.Endpoints;

/// <summary>The pure parts: Service + pods (+ existing objects) → desired EndpointSlices and Endpoints.</summary>
public sealed class PlannerTests
{
    private static readonly V1Node Node = new() { Metadata = new V1ObjectMeta { Name = "n1", Labels = new Dictionary<string, string> { ["topology.kubernetes.io/zone"] = "z1" } } };

    private static V1Service Service(string? clusterIP = "10.96.0.10", bool publish = false, string targetPort = "80", IList<string>? families = null, string? portName = "") => new()
    {
        Metadata = new V1ObjectMeta { Name = "svc", NamespaceProperty = "ns", Uid = "svc-uid", Labels = new Dictionary<string, string> { ["team"] = "a" } },
        Spec = new V1ServiceSpec
        {
            Selector = new Dictionary<string, string> { ["app"] = "x" },
            ClusterIP = clusterIP,
            IpFamilies = families,
            PublishNotReadyAddresses = publish,
            Ports = [new V1ServicePort { Name = portName, Port = 80, TargetPort = (IntOrString)targetPort, Protocol = "TCP" }],
        },
    };

    private static V1Pod Pod(string name, string? ip, bool ready = true, string phase = "Running", bool terminating = false, int containerPort = 80, string? node = "n1", string? hostname = null, string? subdomain = null, string? ip6 = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name, NamespaceProperty = "ns", Uid = name + "-uid", Labels = new Dictionary<string, string> { ["app"] = "x" },
            DeletionTimestamp = terminating ? new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc) : null,
        },
        Spec = new V1PodSpec
        {
            NodeName = node, Hostname = hostname, Subdomain = subdomain,
            Containers = [new V1Container { Name = "c", Ports = [new V1ContainerPort { Name = "http", ContainerPort = containerPort, Protocol = "TCP" }] }],
        },
        Status = new V1PodStatus
        {
            Phase = phase,
            PodIP = ip,
            PodIPs = ip is null ? null : [new V1PodIP { Ip = ip }, .. ip6 is null ? Array.Empty<V1PodIP>() : [new V1PodIP { Ip = ip6 }]],
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        },
    };

    private static SlicePlan Plan(V1Service service, IEnumerable<V1Pod> pods, IEnumerable<V1EndpointSlice>? existing = null, int max = 100) =>
        new EndpointSlicePlanner(maxEndpointsPerSlice: max).Plan(service, pods, n => n == "n1" ? Node : null, existing ?? [], null);

    public static TheoryData<string, V1Pod, bool, string> Conditions => new()
    {
        // case, pod, publishNotReadyAddresses, expected "ready/serving/terminating" or "absent"
        { "ready", Pod("p", "10.0.0.1"), false, "True/True/False" },
        { "unready", Pod("p", "10.0.0.1", ready: false), false, "False/False/False" },
        { "unready published", Pod("p", "10.0.0.1", ready: false), true, "True/False/False" },
        { "terminating ready", Pod("p", "10.0.0.1", terminating: true), false, "False/True/True" },
        { "terminating published", Pod("p", "10.0.0.1", terminating: true), true, "True/True/True" },
        { "succeeded", Pod("p", "10.0.0.1", phase: "Succeeded"), false, "absent" },
        { "failed", Pod("p", "10.0.0.1", phase: "Failed"), true, "absent" },
        { "no IP", Pod("p", null), false, "absent" },
        { "missing node", Pod("p", "10.0.0.1", node: "gone"), false, "absent" },
        { "missing node published", Pod("p", "10.0.0.1", node: "gone"), true, "True/True/False" },
    };

    [Theory]
    [MemberData(nameof(Conditions))]
    public void Endpoint_conditions_follow_upstream(string name, V1Pod pod, bool publish, string expected)
    {
        var plan = Plan(Service(publish: publish), [pod]);
        var slice = Assert.Single(plan.Create);
        var endpoint = slice.Endpoints.SingleOrDefault();
        var actual = endpoint is null ? "absent" : $"{endpoint.Conditions.Ready}/{endpoint.Conditions.Serving}/{endpoint.Conditions.Terminating}";
        Assert.True(expected == actual, $"{name}: expected {expected}, got {actual}");
        Assert.Equal(name == "missing node", plan.Errors.Count == 1);
    }

    public static TheoryData<string, V1Service, string> AddressTypes => new()
    {
        { "ipFamilies", Service(families: ["IPv6", "IPv4"]), "IPv6,IPv4" },
        { "clusterIP v4", Service(), "IPv4" },
        { "clusterIP v6", Service(clusterIP: "fd00::10"), "IPv6" },
        { "headless without families", Service(clusterIP: "None"), "IPv4,IPv6" },
    };

    [Theory]
    [MemberData(nameof(AddressTypes))]
    public void Address_types_follow_the_service(string name, V1Service service, string expected)
    {
        Assert.True(string.Join(",", EndpointSlicePlanner.AddressTypes(service)) == expected, name);
    }

    [Fact]
    public void Dual_stack_service_gets_a_slice_per_family_with_that_family_s_address()
    {
        var plan = Plan(Service(families: ["IPv4", "IPv6"]), [Pod("p", "10.0.0.1", ip6: "fd00::1")]);
        Assert.Equal(["IPv4:10.0.0.1", "IPv6:fd00::1"], plan.Create.Select(s => $"{s.AddressType}:{Assert.Single(s.Endpoints).Addresses[0]}").Order());
    }

    [Fact]
    public void New_slice_has_labels_owner_ports_zone_and_hostname()
    {
        var service = Service(clusterIP: "None");
        var slice = Assert.Single(Plan(service, [Pod("p", "10.0.0.1", hostname: "h", subdomain: "svc")]).Create, s => s.AddressType == "IPv4");
        Assert.Equal("svc-", slice.Metadata.GenerateName);
        Assert.Equal(new Dictionary<string, string>
        {
            ["team"] = "a", ["service.kubernetes.io/headless"] = "", ["kubernetes.io/service-name"] = "svc",
            ["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io",
        }, slice.Metadata.Labels);
        var owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal(("v1", "Service", "svc", "svc-uid", true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        var endpoint = Assert.Single(slice.Endpoints);
        Assert.Equal(("h", "z1", "n1", "p", "p-uid"), (endpoint.Hostname, endpoint.Zone, endpoint.NodeName, endpoint.TargetRef.Name, endpoint.TargetRef.Uid));
        var port = Assert.Single(slice.Ports);
        Assert.Equal(("", 80, "TCP"), (port.Name, port.Port, port.Protocol));
    }

    [Fact]
    public void Named_target_port_groups_pods_by_resolved_port_and_skips_pods_without_it()
    {
        var pods = new[] { Pod("a", "10.0.0.1", containerPort: 8080), Pod("b", "10.0.0.2", containerPort: 9090), Pod("c", "10.0.0.3", containerPort: 8080) };
        var plan = Plan(Service(targetPort: "http"), pods);
        Assert.Equal(["8080:10.0.0.1,10.0.0.3", "9090:10.0.0.2"],
            plan.Create.Select(s => $"{Assert.Single(s.Ports).Port}:{string.Join(",", s.Endpoints.Select(e => e.Addresses[0]))}").Order());

        var none = Plan(Service(targetPort: "grpc"), [Pod("a", "10.0.0.1")]);
        Assert.Empty(Assert.Single(none.Create).Ports);
    }

    [Fact]
    public void No_pods_makes_one_placeholder_which_is_then_kept()
    {
        var plan = Plan(Service(), []);
        var placeholder = Assert.Single(plan.Create);
        Assert.Empty(placeholder.Endpoints);
        Assert.Empty(placeholder.Ports);

        placeholder.Metadata.Name = "svc-abc";
        Assert.True(Plan(Service(), [], [placeholder]).IsEmpty);
    }

    [Fact]
    public void Unchanged_slices_are_not_written()
    {
        var pods = Enumerable.Range(1, 5).Select(i => Pod($"p{i}", $"10.0.0.{i}")).ToList();
        var slice = Assert.Single(Plan(Service(), pods).Create);
        slice.Metadata.Name = "svc-1";
        Assert.True(Plan(Service(), pods, [slice]).IsEmpty);
    }

    [Fact]
    public void Packing_keeps_existing_slices_and_fills_updated_ones_before_creating()
    {
        const int max = 10;
        var pods = Enumerable.Range(1, 25).Select(i => Pod($"p{i:D2}", $"10.0.0.{i}")).ToList();
        var first = Plan(Service(), pods, max: max);
        Assert.Equal([10, 10, 5], first.Create.Select(s => s.Endpoints.Count));
        var existing = first.Create.Select((s, i) => { s.Metadata.Name = $"svc-{i}"; return s; }).ToList();

        // One pod gone from the first slice and three new ones: the first slice (being updated) takes one, the
        // five-endpoint slice (unchanged, the tightest fit for the other two) takes the rest; nothing is created.
        var next = pods.Where(p => p.Metadata.Name != "p01").Concat(Enumerable.Range(26, 3).Select(i => Pod($"p{i}", $"10.0.0.{i}"))).ToList();
        var plan = Plan(Service(), next, existing, max);
        Assert.Empty(plan.Create);
        Assert.Empty(plan.Delete);
        Assert.Equal(["svc-0:10", "svc-2:7"], plan.Update.Select(s => $"{s.Metadata.Name}:{s.Endpoints.Count}").Order());

        // All pods gone from one slice: it is deleted, the others untouched.
        var fewer = pods.Where(p => string.CompareOrdinal(p.Metadata.Name, "p21") < 0).ToList();
        var shrink = Plan(Service(), fewer, existing, max);
        Assert.Equal(["svc-2"], shrink.Delete.Select(s => s.Metadata.Name));
        Assert.Empty(shrink.Update);
        Assert.Empty(shrink.Create);
    }

    [Fact]
    public void Changed_endpoint_rewrites_only_its_slice_and_new_service_labels_reach_every_slice()
    {
        var pods = Enumerable.Range(1, 4).Select(i => Pod($"p{i}", $"10.0.0.{i}")).ToList();
        var existing = Plan(Service(), pods, max: 2).Create.Select((s, i) => { s.Metadata.Name = $"svc-{i}"; return s; }).ToList();
        pods[3] = Pod("p4", "10.0.0.4", ready: false);
        var plan = Plan(Service(), pods, existing, 2);
        var updated = Assert.Single(plan.Update);
        Assert.Equal("svc-1", updated.Metadata.Name);
        Assert.False(updated.Endpoints.Single(e => e.TargetRef.Name == "p4").Conditions.Ready);

        var relabelled = Service();
        relabelled.Metadata.Labels["team"] = "b";
        Assert.All(Plan(relabelled, pods, existing, 2).Update, s => Assert.Equal("b", s.Metadata.Labels["team"]));
        Assert.Equal(2, Plan(relabelled, pods, existing, 2).Update.Count);
    }

    [Fact]
    public void Slices_of_another_owner_or_family_are_replaced_by_reusing_their_names()
    {
        var stale = Plan(Service(), [Pod("p", "10.0.0.1")]).Create[0];
        stale.Metadata.Name = "svc-old";
        stale.Metadata.OwnerReferences[0].Uid = "previous-service-uid";
        var plan = Plan(Service(), [Pod("p", "10.0.0.1")], [stale]);
        // Not owned by this Service: deleted, and a new slice created (only owned slices are reused).
        Assert.Equal(["svc-old"], plan.Delete.Select(s => s.Metadata.Name));
        Assert.Single(plan.Create);

        var v6 = Plan(Service(), [Pod("p", "10.0.0.1")]).Create[0];
        v6.Metadata.Name = "svc-v6";
        v6.AddressType = "IPv6";
        Assert.Equal(["svc-v6"], Plan(Service(), [Pod("p", "10.0.0.1")], [v6]).Delete.Select(s => s.Metadata.Name));
    }

    [Fact]
    public void Trigger_time_is_the_earliest_unseen_change_and_first_sync_is_service_creation()
    {
        var created = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var service = Service();
        service.Metadata.CreationTimestamp = created;
        var tracker = new TriggerTimeTracker();
        var pod = Pod("p", "10.0.0.1");
        pod.Status.Conditions[0].LastTransitionTime = created.AddMinutes(1);
        Assert.Equal(created, tracker.Compute(service, [pod]));
        Assert.Null(tracker.Compute(service, [pod]));
        var flipped = Pod("p", "10.0.0.1", ready: false);
        flipped.Status.Conditions[0].LastTransitionTime = created.AddMinutes(2);
        var other = Pod("q", "10.0.0.2");
        other.Status.Conditions[0].LastTransitionTime = created.AddMinutes(3);
        Assert.Equal(created.AddMinutes(2), tracker.Compute(service, [flipped, other]));
        Assert.Equal("2025-01-01T00:02:00.5Z", TriggerTimeTracker.Format(created.AddMinutes(2).AddMilliseconds(500)));
    }

    public static TheoryData<string, V1Service, V1Pod[], string> EndpointsCases => new()
    {
        // case, service, pods, expected subsets as "ready|notReady|ports" per subset
        { "ready and unready", Service(), [Pod("a", "10.0.0.2"), Pod("b", "10.0.0.1", ready: false), Pod("c", "10.0.0.10")], "10.0.0.10,10.0.0.2|10.0.0.1|:80" },
        { "published", Service(publish: true), [Pod("a", "10.0.0.2"), Pod("b", "10.0.0.1", ready: false)], "10.0.0.1,10.0.0.2||:80" },
        { "terminating left out", Service(), [Pod("a", "10.0.0.2"), Pod("b", "10.0.0.1", terminating: true)], "10.0.0.2||:80" },
        { "terminating published", Service(publish: true), [Pod("b", "10.0.0.1", terminating: true)], "10.0.0.1||:80" },
        { "terminal left out", Service(publish: true), [Pod("b", "10.0.0.1", phase: "Succeeded")], "" },
        { "named port per pod", Service(targetPort: "http", portName: "web"), [Pod("a", "10.0.0.1", containerPort: 8080), Pod("b", "10.0.0.2", containerPort: 9090)], "10.0.0.1||web:8080 / 10.0.0.2||web:9090" },
        { "no pods", Service(), [], "" },
    };

    [Theory]
    [MemberData(nameof(EndpointsCases))]
    public void Endpoints_subsets_are_repacked_as_upstream(string name, V1Service service, V1Pod[] pods, string expected)
    {
        var subsets = EndpointsPlanner.Subsets(service, pods);
        var actual = string.Join(" / ", subsets.Select(s =>
            $"{string.Join(",", (s.Addresses ?? []).Select(a => a.Ip))}|{string.Join(",", (s.NotReadyAddresses ?? []).Select(a => a.Ip))}|{string.Join(",", (s.Ports ?? []).Select(p => $"{p.Name}:{p.Port}"))}"));
        Assert.True(expected == actual, $"{name}: expected {expected}, got {actual}");
    }

    [Fact]
    public void Repack_merges_ports_offered_by_the_same_addresses()
    {
        var a = new V1EndpointAddress { Ip = "10.0.0.1", TargetRef = new V1ObjectReference { Uid = "a" } };
        var b = new V1EndpointAddress { Ip = "10.0.0.2", TargetRef = new V1ObjectReference { Uid = "b" } };
        var subsets = EndpointsPlanner.Repack(
        [
            new V1EndpointSubset { Addresses = [a], Ports = [new Corev1EndpointPort { Name = "http", Port = 80 }] },
            new V1EndpointSubset { Addresses = [a], Ports = [new Corev1EndpointPort { Name = "https", Port = 443 }] },
            new V1EndpointSubset { NotReadyAddresses = [b], Ports = [new Corev1EndpointPort { Name = "http", Port = 80 }] },
            new V1EndpointSubset { NotReadyAddresses = [b], Ports = [new Corev1EndpointPort { Name = "https", Port = 443 }] },
        ]);
        var subset = Assert.Single(subsets);
        Assert.Equal("10.0.0.1", Assert.Single(subset.Addresses).Ip);
        Assert.Equal("10.0.0.2", Assert.Single(subset.NotReadyAddresses).Ip);
        Assert.Equal(["http", "https"], subset.Ports.Select(p => p.Name));
    }

    [Fact]
    public void Endpoints_are_unchanged_when_equal_and_carry_labels_and_annotations()
    {
        var service = Service(clusterIP: "None");
        var pods = new[] { Pod("a", "10.0.0.1", hostname: "a", subdomain: "svc") };
        var first = EndpointsPlanner.Desired(service, pods, null, new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc))!;
        Assert.Equal("a", first.Subsets[0].Addresses[0].Hostname);
        Assert.Equal("n1", first.Subsets[0].Addresses[0].NodeName);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "a", ["service.kubernetes.io/headless"] = "" }, first.Metadata.Labels);
        Assert.Equal("2025-01-01T00:00:00Z", first.Metadata.Annotations[PodEndpoints.LastChangeTriggerTime]);
        first.Metadata.ResourceVersion = "5";
        Assert.Null(EndpointsPlanner.Desired(service, pods, first, null));

        var update = EndpointsPlanner.Desired(service, [.. pods, Pod("b", "10.0.0.2")], first, null)!;
        Assert.Equal("5", update.Metadata.ResourceVersion);
        Assert.False(update.Metadata.Annotations.ContainsKey(PodEndpoints.LastChangeTriggerTime));
    }

    [Fact]
    public void Over_a_thousand_addresses_are_truncated_ready_first_and_annotated()
    {
        var pods = Enumerable.Range(0, 1100).Select(i => Pod($"r{i}", $"10.1.{i / 250}.{i % 250}"))
            .Concat(Enumerable.Range(0, 50).Select(i => Pod($"u{i}", $"10.2.0.{i}", ready: false))).ToArray();
        var endpoints = EndpointsPlanner.Desired(Service(), pods, null, null)!;
        var subset = Assert.Single(endpoints.Subsets);
        Assert.Equal(1000, subset.Addresses.Count);
        Assert.Empty(subset.NotReadyAddresses ?? []);
        Assert.Equal("truncated", endpoints.Metadata.Annotations["endpoints.kubernetes.io/over-capacity"]);

        var notReadyCut = Enumerable.Range(0, 990).Select(i => Pod($"r{i}", $"10.1.{i / 250}.{i % 250}"))
            .Concat(Enumerable.Range(0, 50).Select(i => Pod($"u{i}", $"10.2.0.{i}", ready: false))).ToArray();
        var cut = Assert.Single(EndpointsPlanner.Desired(Service(), notReadyCut, null, null)!.Subsets);
        Assert.Equal((990, 10), (cut.Addresses.Count, cut.NotReadyAddresses.Count));
    }
}
