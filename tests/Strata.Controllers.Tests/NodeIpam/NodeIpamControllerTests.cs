using k8s.Models;
using Strata.ApiServer;
using Strata.Controllers.Client;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.NodeIpam;

/// <summary>The node IPAM controller against a real API server: what the Nodes' spec.podCIDR become.</summary>
public sealed class NodeIpamControllerTests
{
    private static async Task<string> PodCidrAsync(ControlPlane plane, string node) =>
        (await ControlPlane.EventuallyAsync(
            () => plane.Client.GetAsync<V1Node>(null, node),
            n => !string.IsNullOrEmpty(n?.Spec?.PodCIDR),
            $"{node} to get a podCIDR"))!.Spec.PodCIDR;

    private static async Task<V1Node> CreateNodeAsync(ControlPlane plane, string name, string? podCidr = null) =>
        await plane.Client.CreateAsync(new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1NodeSpec { PodCIDR = podCidr, PodCIDRs = podCidr is null ? null : [podCidr] },
        });

    [Fact]
    public async Task Nodes_get_consecutive_slash_24s_in_creation_order_and_keep_them_across_a_restart()
    {
        await using var plane = await ControlPlane.StartAsync("nodeipam");
        foreach (var (name, ip) in new[] { ("ipam-a1", "10.0.0.1"), ("ipam-a2", "10.0.0.2"), ("ipam-a3", "10.0.0.3") })
        {
            await plane.AddNodeAsync(name, ip);
        }

        Assert.Equal(["10.233.64.0/24", "10.233.65.0/24", "10.233.66.0/24"],
            [await PodCidrAsync(plane, "ipam-a1"), await PodCidrAsync(plane, "ipam-a2"), await PodCidrAsync(plane, "ipam-a3")]);
        var node = (await plane.Client.GetAsync<V1Node>(null, "ipam-a2"))!;
        Assert.Equal(["10.233.65.0/24"], node.Spec.PodCIDRs);

        await plane.Server.RestartAsync();
        await plane.AddNodeAsync("ipam-a4", "10.0.0.4");
        Assert.Equal("10.233.67.0/24", await PodCidrAsync(plane, "ipam-a4"));
        Assert.Equal(["10.233.64.0/24", "10.233.65.0/24", "10.233.66.0/24"],
            [await PodCidrAsync(plane, "ipam-a1"), await PodCidrAsync(plane, "ipam-a2"), await PodCidrAsync(plane, "ipam-a3")]);
        Assert.Contains("10.233.67.0/24", plane.KubectlOk("get", "node", "ipam-a4", "-o", "jsonpath={.spec.podCIDR}"));
    }

    [Fact]
    public async Task A_deleted_nodes_cidr_is_given_to_a_later_node()
    {
        await using var plane = await ControlPlane.StartAsync(new ApiServerOptions { ClusterCidr = "10.20.0.0/22" }, "nodeipam");
        foreach (var name in new[] { "ipam-d1", "ipam-d2", "ipam-d3", "ipam-d4" })
        {
            await CreateNodeAsync(plane, name);
            await PodCidrAsync(plane, name);
        }

        Assert.Equal("10.20.1.0/24", await PodCidrAsync(plane, "ipam-d2"));
        await plane.Client.DeleteAsync<V1Node>(null, "ipam-d2");
        await ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<V1Node>(null, "ipam-d2") is null, "ipam-d2 to go");

        await CreateNodeAsync(plane, "ipam-d5");
        Assert.Equal("10.20.1.0/24", await PodCidrAsync(plane, "ipam-d5"));
    }

    [Fact]
    public async Task Existing_podcidrs_are_never_changed_and_one_outside_the_cluster_cidr_is_left_alone()
    {
        await using var plane = await ControlPlane.StartAsync("nodeipam");
        await CreateNodeAsync(plane, "ipam-e1", "10.233.64.0/24");
        await CreateNodeAsync(plane, "ipam-e2", "192.168.7.0/24");
        await CreateNodeAsync(plane, "ipam-e3");

        Assert.Equal("10.233.65.0/24", await PodCidrAsync(plane, "ipam-e3"));
        Assert.Equal("10.233.64.0/24", await PodCidrAsync(plane, "ipam-e1"));
        Assert.Equal("192.168.7.0/24", await PodCidrAsync(plane, "ipam-e2"));
    }

    [Fact]
    public async Task Exhaustion_is_reported_on_the_node_and_the_node_gets_a_cidr_once_one_frees_up()
    {
        await using var plane = await ControlPlane.StartAsync(new ApiServerOptions { ClusterCidr = "10.30.0.0/23" }, "nodeipam");
        await CreateNodeAsync(plane, "ipam-x1");
        await PodCidrAsync(plane, "ipam-x1");
        await CreateNodeAsync(plane, "ipam-x2");
        await PodCidrAsync(plane, "ipam-x2");
        await CreateNodeAsync(plane, "ipam-x3");

        var events = await ControlPlane.EventuallyAsync(
            () => plane.ListAsync<Corev1Event>(),
            list => list.Any(e => e.Reason == "CIDRNotAvailable" && e.InvolvedObject.Name == "ipam-x3"),
            "a CIDRNotAvailable event");
        var cidrEvent = events.Single(e => e.Reason == "CIDRNotAvailable");
        Assert.Equal(("Normal", "Node ipam-x3 status is now: CIDRNotAvailable", "Node"), (cidrEvent.Type, cidrEvent.Message, cidrEvent.InvolvedObject.Kind));
        Assert.Null((await plane.Client.GetAsync<V1Node>(null, "ipam-x3"))!.Spec?.PodCIDR);

        var describe = plane.KubectlOk("describe", "node", "ipam-x3");
        Assert.Matches(@"Normal\s+CIDRNotAvailable\s+.*Node ipam-x3 status is now: CIDRNotAvailable", describe);
        Assert.Contains("CIDRNotAvailable", plane.KubectlOk("get", "events", "--field-selector", "involvedObject.name=ipam-x3"));

        await plane.Client.DeleteAsync<V1Node>(null, "ipam-x1");
        Assert.Equal("10.30.0.0/24", await PodCidrAsync(plane, "ipam-x3"));
    }

    [Fact]
    public async Task Nodes_created_concurrently_get_different_cidrs()
    {
        await using var plane = await ControlPlane.StartAsync("nodeipam");
        var names = Enumerable.Range(0, 8).Select(i => $"ipam-c{i}").ToList();
        await Task.WhenAll(names.Select(n => Task.Run(() => CreateNodeAsync(plane, n))));

        var cidrs = new List<string>();
        foreach (var name in names)
        {
            cidrs.Add(await PodCidrAsync(plane, name));
        }

        Assert.Equal(8, cidrs.Distinct().Count());
        Assert.All(cidrs, c => Assert.Matches(@"^10\.233\.(6[4-9]|7[01])\.0/24$", c));
    }
}
