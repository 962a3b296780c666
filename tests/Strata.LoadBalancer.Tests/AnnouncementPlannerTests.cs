using System.Net;
using k8s.Models;
using Strata.LoadBalancer;

namespace Strata.LoadBalancer.Tests;

public sealed class AnnouncementPlannerTests
{
    private static readonly string[] Nodes = ["node-a", "node-b", "node-c"];

    private static V1Node Node(string name, bool ready = true, bool excluded = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = excluded ? new Dictionary<string, string> { [AnnouncementPlanner.ExcludeLabel] = "" } : null },
        Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False" }] },
    };

    private static V1Service Service(string name, string ip, string policy = "Cluster", string type = "LoadBalancer", string? lbClass = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1ServiceSpec { Type = type, ExternalTrafficPolicy = policy, LoadBalancerClass = lbClass },
        Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus { Ingress = [new V1LoadBalancerIngress { Ip = ip, IpMode = "VIP" }] } },
    };

    private static V1EndpointSlice Slice(string service, params (string Node, bool Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta { Name = service + "-x", NamespaceProperty = "default", Labels = new Dictionary<string, string> { [Strata.Controllers.Endpoints.EndpointSlicePlanner.ServiceNameLabel] = service } },
        Endpoints = [.. endpoints.Select((e, i) => new V1Endpoint { Addresses = [$"10.233.64.{i + 2}"], NodeName = e.Node, Conditions = new V1EndpointConditions { Ready = e.Ready } })],
    };

    private static string? Announcer(V1Service service, V1EndpointSlice slice, IEnumerable<V1Node> nodes) =>
        Nodes.SingleOrDefault(n => AnnouncementPlanner.Plan(n, [service], [slice], nodes).Count > 0);

    [Fact]
    public void Exactly_one_node_announces_each_address_the_first_by_sha256_of_node_and_ip()
    {
        var nodes = Nodes.Select(n => Node(n)).ToList();
        var owners = new HashSet<string>();
        for (var i = 200; i < 240; i++)
        {
            var ip = $"172.19.0.{i}";
            var service = Service($"svc-{i}", ip);
            var announcers = Nodes.Where(n => AnnouncementPlanner.Plan(n, [service], [Slice($"svc-{i}", ("node-a", true))], nodes).Count > 0).ToList();
            Assert.Single(announcers);
            Assert.Equal(AnnouncementPlanner.Owner(Nodes, IPAddress.Parse(ip)), announcers[0]);
            owners.Add(announcers[0]);
        }

        // The hash spreads the addresses over the nodes.
        Assert.Equal(3, owners.Count);
        Assert.Equal(AnnouncementPlanner.Owner(Nodes, IPAddress.Parse("172.19.0.200")), AnnouncementPlanner.Owner(Nodes.Reverse(), IPAddress.Parse("172.19.0.200")));
    }

    [Fact]
    public void Owner_matches_metallbs_ordering()
    {
        // sha256("node-a#172.19.0.200") etc., compared bytewise as MetalLB's sort does.
        var hashes = Nodes.ToDictionary(n => n, n => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{n}#172.19.0.200"))));
        Assert.Equal(hashes.MinBy(h => h.Value, StringComparer.Ordinal).Key, AnnouncementPlanner.Owner(Nodes, IPAddress.Parse("172.19.0.200")));
    }

    [Fact]
    public void No_serving_endpoint_means_no_announcement()
    {
        var nodes = Nodes.Select(n => Node(n)).ToList();
        Assert.Null(Announcer(Service("web", "172.19.0.200"), Slice("web", ("node-a", false)), nodes));
        Assert.Null(Announcer(Service("web", "172.19.0.200"), Slice("other", ("node-a", true)), nodes));
    }

    [Fact]
    public void External_traffic_policy_local_announces_from_a_node_with_a_ready_endpoint()
    {
        var nodes = Nodes.Select(n => Node(n)).ToList();
        for (var i = 200; i < 220; i++)
        {
            var service = Service("web", $"172.19.0.{i}", policy: "Local");
            Assert.Equal("node-c", Announcer(service, Slice("web", ("node-c", true), ("node-b", false)), nodes));
            Assert.Contains(Announcer(service, Slice("web", ("node-a", true), ("node-b", true)), nodes), new[] { "node-a", "node-b" });
        }
    }

    [Fact]
    public void Nodes_not_ready_or_excluded_do_not_announce_and_other_classes_and_types_are_ignored()
    {
        var ip = "172.19.0.200";
        var first = AnnouncementPlanner.Owner(Nodes, IPAddress.Parse(ip))!;
        var withoutFirst = Nodes.Select(n => Node(n, ready: n != first)).ToList();
        Assert.Equal(AnnouncementPlanner.Owner(Nodes.Where(n => n != first), IPAddress.Parse(ip)), Announcer(Service("web", ip), Slice("web", ("node-a", true)), withoutFirst));
        var excluded = Nodes.Select(n => Node(n, excluded: n != "node-b")).ToList();
        Assert.Equal("node-b", Announcer(Service("web", ip), Slice("web", ("node-a", true)), excluded));

        var nodes = Nodes.Select(n => Node(n)).ToList();
        Assert.Null(Announcer(Service("web", ip, lbClass: "example.com/other"), Slice("web", ("node-a", true)), nodes));
        Assert.Null(Announcer(Service("web", ip, type: "NodePort"), Slice("web", ("node-a", true)), nodes));
    }
}
