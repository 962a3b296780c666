using System.Net;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Controllers.Client;
using Strata.Flannel.Config;
using Strata.Flannel.Subnet;
using Strata.Flannel.Tests.Support;
using Strata.Netlink;

namespace Strata.Flannel.Tests.Kernel;

/// <summary>
/// The whole role against a real API server: one role per node namespace, each reading the ConfigMap, publishing its
/// annotations, writing subnet.env, the CNI configuration and the iptables rules, and following the node list.
/// </summary>
public sealed class FlannelRoleKernelTests
{
    private const string CniConf = """{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{"hairpinMode":true,"isDefaultGateway":true}},{"type":"portmap","capabilities":{"portMappings":true}}]}""";

    [RootFact]
    public async Task VxlanRolesPublishLeasesProgramTheNodesAndFollowNodesJoiningAndLeaving()
    {
        using var topology = new Topology();
        await using var server = await TestApiServer.StartAsync();
        using var client = RemoteKubeClient.FromKubeconfig(server.Host.KubeconfigPath);
        await CreateConfigAsync(client, """{"Network":"10.233.64.0/18","Backend":{"Type":"vxlan"}}""");
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        var node3 = topology.AddNode(3, segment: 1);
        foreach (var node in topology.Nodes)
        {
            await CreateNodeAsync(client, node);
        }

        await using var roles = new RoleRunner(client);
        var role1 = roles.Start(node1);
        _ = roles.Start(node2);

        await Eventually(() => ReconcilerKernelTests.FlannelRoutes(node1).SequenceEqual(["10.233.66.0/24 via 10.233.66.0 dev flannel.1 onlink"]), "node1's route to node2");
        Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "pod1 -> pod2");

        var published = (await client.GetAsync<V1Node>(null, "node1"))!.Metadata.Annotations;
        Assert.Equal("vxlan", published[NodeAnnotations.BackendType]);
        Assert.Equal("true", published[NodeAnnotations.KubeSubnetManager]);
        Assert.Equal("192.168.50.11", published[NodeAnnotations.PublicIp]);
        Assert.Equal($$"""{"VNI":1,"VtepMAC":"{{ReconcilerKernelTests.Mac(node1)}}"}""", published[NodeAnnotations.BackendData]);

        Assert.Equal("FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET=10.233.65.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", File.ReadAllText(roles.SubnetFile(node1)));
        Assert.Equal(CniConf, File.ReadAllText(Path.Combine(roles.CniConfDir(node1), "10-flannel.conflist")));
        string nat = Tool.Check("ip", "netns", "exec", node1.Namespace, "iptables-save", "-t", "nat");
        Assert.Contains("-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG", nat, StringComparison.Ordinal);
        Assert.Contains("-A FLANNEL-POSTRTG -s 10.233.65.0/24 -d 10.233.64.0/18 -m comment --comment \"flanneld masq\" -j RETURN", nat, StringComparison.Ordinal);
        Assert.Contains("-A FLANNEL-POSTRTG -s 10.233.64.0/18 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully", nat, StringComparison.Ordinal);

        // A route deleted by hand comes back from the netlink event, long before the periodic resync.
        Tool.Ip(node1.Namespace, "route", "del", "10.233.66.0/24");
        await Eventually(() => ReconcilerKernelTests.FlannelRoutes(node1).Length == 1, "the deleted route restored", seconds: 5);

        // node3 joins (behind the router: vxlan works), then leaves.
        _ = roles.Start(node3);
        await Eventually(() => ReconcilerKernelTests.FlannelRoutes(node1).Contains("10.233.67.0/24 via 10.233.67.0 dev flannel.1 onlink"), "node1's route to node3");
        await Eventually(() => Tool.Ping(node3.Pod, node1.PodIp), "pod3 -> pod1");
        await roles.StopAsync(node3);
        await client.DeleteAsync<V1Node>(null, "node3");
        await Eventually(() => ReconcilerKernelTests.FlannelRoutes(node1).Length == 1 && ReconcilerKernelTests.FlannelRoutes(node2).Length == 1, "node3's routes removed");
        Assert.DoesNotContain("10.233.67.0", Tool.Check("ip", "-n", node1.Namespace, "neigh", "show", "dev", "flannel.1"), StringComparison.Ordinal);
        Assert.Equal(1, Topology.Lines(Tool.Check("ip", "netns", "exec", node1.Namespace, "bridge", "fdb", "show", "dev", "flannel.1")).Count(l => l.Contains(" dst ", StringComparison.Ordinal)));
        Assert.False(role1.IsCompleted, "the role keeps running");
    }

    [RootFact]
    public async Task HostGwRoleRefusesANodeBehindARouterWithAnEventOnTheNode()
    {
        using var topology = new Topology();
        await using var server = await TestApiServer.StartAsync();
        using var client = RemoteKubeClient.FromKubeconfig(server.Host.KubeconfigPath);
        await CreateConfigAsync(client, """{"Network":"10.233.64.0/18","Backend":{"Type":"host-gw"}}""");
        var node1 = topology.AddNode(1);
        var node2 = topology.AddNode(2);
        var node3 = topology.AddNode(3, segment: 1);
        foreach (var node in topology.Nodes)
        {
            await CreateNodeAsync(client, node);
        }

        await using var roles = new RoleRunner(client);
        foreach (var node in topology.Nodes)
        {
            _ = roles.Start(node);
        }

        await Eventually(() => ReconcilerKernelTests.FlannelRoutes(node1).SequenceEqual(["10.233.66.0/24 via 192.168.50.12 dev eth0"]), "node1's host-gw route to node2");
        Assert.True(Topology.Ping(node1.Pod, node2.PodIp), "pod1 -> pod2");
        Corev1Event? refused = null;
        await Eventually(async () =>
        {
            var events = await client.ListAsync<Corev1Event>(new ListRequest("default"));
            refused = events.Items.FirstOrDefault(e => e.InvolvedObject.Name == "node1" && e.Reason == "RouteRefused");
            return refused is not null;
        }, "a RouteRefused event on node1");
        Assert.Equal("Warning", refused!.Type);
        Assert.Equal("Node", refused.InvolvedObject.Kind);
        Assert.Equal(
            "host-gw cannot route 10.233.67.0/24 to node node3: its IP 192.168.60.13 is not on a directly connected subnet of eth0 (192.168.50.0/24); " +
            "host-gw needs every node on one L2 network (use vxlan across routers)",
            refused.Message);
        Assert.Equal(["10.233.65.0/24 via 192.168.50.11 dev eth0"], ReconcilerKernelTests.FlannelRoutes(node2));
        Assert.Empty(ReconcilerKernelTests.FlannelRoutes(node3));
    }

    [RootFact]
    public async Task BadNetConfStopsTheRoleNamingTheFieldAndKeepsTheNodesRoutes()
    {
        using var topology = new Topology();
        await using var server = await TestApiServer.StartAsync();
        using var client = RemoteKubeClient.FromKubeconfig(server.Host.KubeconfigPath);
        await CreateConfigAsync(client, """{"Network":"10.233.64.0/18","Backend":{"Type":"vxlan","VNI":"one"}}""");
        var node1 = topology.AddNode(1);
        await CreateNodeAsync(client, node1);
        Tool.Ip(node1.Namespace, "route", "add", "10.233.66.0/24", "via", "192.168.50.12", "dev", "eth0");

        await using var roles = new RoleRunner(client);
        var error = await Assert.ThrowsAsync<NetConfException>(() => roles.Start(node1));

        Assert.Equal("ConfigMap kube-flannel/kube-flannel-cfg key net-conf.json: Backend.VNI: expected an integer, got the string \"one\"", error.Message);
        Assert.Equal(["10.233.66.0/24 via 192.168.50.12 dev eth0"], ReconcilerKernelTests.FlannelRoutes(node1));
        Assert.False(File.Exists(roles.SubnetFile(node1)));
    }

    private static async Task CreateConfigAsync(IKubeClient client, string netConf)
    {
        await client.CreateAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = NetConf.DefaultConfigMapNamespace } });
        await client.CreateAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = NetConf.DefaultConfigMapName, NamespaceProperty = NetConf.DefaultConfigMapNamespace },
            Data = new Dictionary<string, string> { [NetConf.ConfigMapKey] = netConf, ["cni-conf.json"] = CniConf },
        });
    }

    private static Task CreateNodeAsync(IKubeClient client, TestNode node) => client.CreateAsync(new V1Node
    {
        Metadata = new V1ObjectMeta { Name = node.Name },
        Spec = new V1NodeSpec { PodCIDR = node.PodCidr.ToString(), PodCIDRs = [node.PodCidr.ToString()] },
    });

    private static Task Eventually(Func<bool> condition, string what, int seconds = 20) => Eventually(() => Task.FromResult(condition()), what, seconds);

    private static async Task Eventually(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {seconds} s: {what}");
            await Task.Delay(200);
        }
    }

    /// <summary>Runs one role per node, each with its own files under a scratch directory; stops them all on dispose.</summary>
    private sealed class RoleRunner(IKubeClient client) : IAsyncDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("strata-t-flannel-").FullName;
        private readonly Dictionary<string, (CancellationTokenSource Stop, Task Run, NetworkNamespace Ns)> _running = [];

        public string SubnetFile(TestNode node) => Path.Combine(_directory, node.Name, "subnet.env");

        public string CniConfDir(TestNode node) => Path.Combine(_directory, node.Name, "net.d");

        public Task Start(TestNode node)
        {
            var ns = NetworkNamespace.Open(node.Namespace);
            var role = new FlannelRole(client, new FlannelOptions
            {
                NodeName = node.Name,
                NodeIp = node.Ip,
                Namespace = ns,
                NamespaceName = node.Namespace,
                SubnetFile = SubnetFile(node),
                CniConfDir = CniConfDir(node),
                Resync = TimeSpan.FromSeconds(30),
            }, NullLoggerFactory.Instance);
            var stop = new CancellationTokenSource();
            var run = Task.Run(() => role.RunAsync(stop.Token));
            _running[node.Name] = (stop, run, ns);
            return run;
        }

        public async Task StopAsync(TestNode node)
        {
            var (stop, run, ns) = _running[node.Name];
            _running.Remove(node.Name);
            await stop.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
            }

            stop.Dispose();
            ns.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var name in _running.Keys.ToList())
            {
                try
                {
                    await StopAsync(new TestNode(name, "", "", IPAddress.None, default!, ""));
                }
                catch (Exception e) when (e is NetConfException or InvalidOperationException or NetlinkException)
                {
                }
            }

            Directory.Delete(_directory, recursive: true);
        }
    }
}
