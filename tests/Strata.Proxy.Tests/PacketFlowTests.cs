using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Netfilter;
using Strata.Proxy.Sync;


namespace Strata.Proxy.Tests;

/// <summary>
/// The proxier against the kernel with real traffic. A "node" namespace routes between a client namespace on its
/// underlay (192.168.50.0/24) and two "pod" namespaces on its bridge (10.244.0.0/24), each pod answering TCP with its
/// own name; the proxier programs the node namespace, and the client connects to cluster IPs and the NodePort.
/// Everything lives in namespaces this test creates and deletes.
/// </summary>
public sealed class PacketFlowTests : IDisposable
{
    private const string NodeIP = "192.168.50.1";
    private const int PodPort = 8080;

    private readonly ScratchNamespace _node = ScratchNamespace.Create();
    private readonly ScratchNamespace _client = ScratchNamespace.Create();
    private readonly ScratchNamespace _pod1 = ScratchNamespace.Create();
    private readonly ScratchNamespace _pod2 = ScratchNamespace.Create();
    private readonly List<TcpListener> _servers = [];
    private readonly CancellationTokenSource _stop = new();

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var server in _servers)
        {
            server.Stop();
        }

        _stop.Dispose();
        foreach (var ns in new[] { _pod2, _pod1, _client, _node })
        {
            ns.Dispose();
        }
    }

    [RootFact]
    public void ClusterIPAndNodePortReachABackendAndAServiceWithoutEndpointsIsRefused()
    {
        BuildTopology();
        using var proxier = NewProxier();
        proxier.Setup();
        Assert.Equal("1", _node.Namespace.ReadSysctl("net/ipv4/conf/all/route_localnet"));

        var web = Service("web", "10.96.0.10", nodePort: 30080);
        proxier.Tracker.UpsertService(web);
        proxier.Tracker.UpsertService(Service("empty", "10.96.0.11"));
        proxier.Tracker.UpsertEndpointSlice(Slice("web", "10.244.0.2", "10.244.0.3"));
        var first = proxier.SyncOnce();
        Assert.True(first.Success, first.Error);
        Assert.True(first.Full);

        // The jumps from the built-in chains are there, as kube-proxy puts them.
        var nat = new Netfilter.Iptables(NetnsPath(_node)).Save("nat");
        Assert.Contains("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", nat, StringComparison.Ordinal);
        Assert.Contains("-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING", nat, StringComparison.Ordinal);

        var answers = Enumerable.Range(0, 24).Select(_ => Ask("10.96.0.10", 80)).ToHashSet();
        Assert.Equal(["pod1", "pod2"], answers.Order());
        Assert.Contains(Ask(NodeIP, 30080), (string[])["pod1", "pod2"]);

        var refused = Assert.Throws<SocketException>(() => Ask("10.96.0.11", 80));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        // Scale down to pod1: a partial sync, and no connection goes to pod2 any more.
        proxier.Tracker.UpsertEndpointSlice(Slice("web", "10.244.0.2"));
        var second = proxier.SyncOnce();
        Assert.True(second.Success, second.Error);
        Assert.False(second.Full);
        Assert.All(Enumerable.Range(0, 12).Select(_ => Ask("10.96.0.10", 80)), answer => Assert.Equal("pod1", answer));
        Assert.Equal("pod1", Ask(NodeIP, 30080));
    }

    [RootFact]
    public void RepeatedFullSyncsKeepOneOfEachJumpAheadOfTheBuiltInChainsOtherRules()
    {
        BuildTopology();
        var iptables = new Netfilter.Iptables(NetnsPath(_node));
        Tool.Run("ip", "netns", "exec", _node.Name, "iptables", "-w", "-t", "nat", "-A", "PREROUTING", "-s", "10.9.9.9/32", "-j", "RETURN");
        using var proxier = new IptablesProxier(
            new ProxySettings { NodeName = "node1", NodeIP = NodeIP, ClusterCidr = "10.244.0.0/16" },
            iptables,
            new Conntrack(NetnsPath(_node)),
            new NamespaceSysctl(_node.Namespace),
            NullLogger.Instance,
            new ProxierTiming { FullSyncPeriod = TimeSpan.Zero });
        proxier.Tracker.UpsertService(Service("web", "10.96.0.10"));
        proxier.Tracker.UpsertEndpointSlice(Slice("web", "10.244.0.2"));
        for (var i = 0; i < 3; i++)
        {
            var outcome = proxier.SyncOnce();
            Assert.True(outcome.Success, outcome.Error);
            Assert.True(outcome.Full);
        }

        Assert.Equal(
            ["-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", "-A PREROUTING -s 10.9.9.9/32 -j RETURN"],
            Netfilter.IptablesSaveReader.Rules(iptables.Save("nat"), "nat", "PREROUTING"));
        Assert.Equal(
            [
                "-A INPUT -j KUBE-FIREWALL",
                "-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL",
                "-A INPUT -m comment --comment \"kubernetes health check service ports\" -j KUBE-NODEPORTS",
                "-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES",
            ],
            Netfilter.IptablesSaveReader.Rules(iptables.Save("filter"), "filter", "INPUT"));
        foreach (var table in new[] { "filter", "nat", "mangle" })
        {
            Assert.True(iptables.ChainExists(table, IptablesProxier.CanaryChain), $"the canary in {table}");
        }

        Assert.Equal("pod1", Ask("10.96.0.10", 80));
    }

    [RootFact]
    public void AFailedRestoreNamesTheLineKeepsTheRulesAndTheNextSyncIsFull()
    {
        BuildTopology();
        using var proxier = NewProxier();
        proxier.Setup();
        proxier.Tracker.UpsertService(Service("web", "10.96.0.10"));
        proxier.Tracker.UpsertEndpointSlice(Slice("web", "10.244.0.2"));
        Assert.True(proxier.SyncOnce().Success);

        // A ClientIP timeout of 0 (which API validation would refuse) gives "--seconds 0", which the recent match rejects.
        var sticky = Service("sticky", "10.96.0.12");
        sticky.Spec.SessionAffinity = "ClientIP";
        sticky.Spec.SessionAffinityConfig = new V1SessionAffinityConfig { ClientIP = new V1ClientIPConfig { TimeoutSeconds = 0 } };
        proxier.Tracker.UpsertService(sticky);
        proxier.Tracker.UpsertEndpointSlice(Slice("sticky", "10.244.0.3"));
        var failed = proxier.SyncOnce();
        Assert.False(failed.Success);
        Assert.Contains("iptables-restore failed at line", failed.Error, StringComparison.Ordinal);
        Assert.Contains("--seconds 0 --reap", failed.Error, StringComparison.Ordinal);

        // Nothing of the failed payload was applied, and what was there still works.
        Assert.Equal("pod1", Ask("10.96.0.10", 80));
        var nat = new Netfilter.Iptables(NetnsPath(_node)).Save("nat");
        Assert.Contains("default/web:http cluster IP", nat, StringComparison.Ordinal);
        Assert.DoesNotContain("default/sticky", nat, StringComparison.Ordinal);

        sticky.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds = 10800;
        proxier.Tracker.UpsertService(sticky);
        var retried = proxier.SyncOnce();
        Assert.True(retried.Success, retried.Error);
        Assert.True(retried.Full);
        Assert.Equal("pod2", Ask("10.96.0.12", 80));
        Assert.All(Enumerable.Range(0, 5).Select(_ => Ask("10.96.0.12", 80)), answer => Assert.Equal("pod2", answer));
    }

    [RootFact]
    public async Task TheProxyRoleFollowsServicesAndEndpointSlicesFromTheApiServer()
    {
        BuildTopology();
        await using var server = await Strata.ApiServer.Tests.Support.TestApiServer.StartAsync();
        using var client = Strata.Controllers.Client.RemoteKubeClient.FromKubeconfig(server.Host.KubeconfigPath);
        await client.CreateAsync(Service("web", "10.233.0.10", nodePort: 30080));
        await client.CreateAsync(Slice("web", "10.244.0.2", "10.244.0.3"));

        using var stop = new CancellationTokenSource();
        var role = new ProxyRole(
            client,
            new ProxySettings { NodeName = "node1", NodeIP = NodeIP, ClusterCidr = "10.244.0.0/16" },
            NullLoggerFactory.Instance,
            new ProxierTiming { MinSyncPeriod = TimeSpan.FromMilliseconds(100), SyncPeriod = TimeSpan.FromSeconds(2) },
            NetnsPath(_node));
        var running = role.RunAsync(stop.Token);
        try
        {
            var proxier = await role.Started.WaitAsync(TimeSpan.FromSeconds(30));
            await EventuallyAsync(() => proxier.LastPayload?.Text.Contains("default/web:http cluster IP", StringComparison.Ordinal) == true, "the first sync");
            Assert.Equal(["pod1", "pod2"], Enumerable.Range(0, 24).Select(_ => Ask("10.233.0.10", 80)).ToHashSet().Order());
            Assert.Contains(Ask(NodeIP, 30080), (string[])["pod1", "pod2"]);

            // The EndpointSlice goes: the Service is rejected.
            await client.DeleteAsync<V1EndpointSlice>("default", "web-1");
            await EventuallyAsync(() => proxier.LastPayload?.Text.Contains("default/web:http has no endpoints", StringComparison.Ordinal) == true, "the REJECT rule");
            Assert.Equal(SocketError.ConnectionRefused, Assert.Throws<SocketException>(() => Ask("10.233.0.10", 80)).SocketErrorCode);

            // kube-proxy's /healthz on 0.0.0.0:10256 of the node, once the informer has seen the node's own Node object.
            using var http = HealthTests.InNamespace(_client);
            await client.CreateAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node1" } });
            await EventuallyAsync(() => Get(http, $"http://{NodeIP}:10256/healthz").Status == HttpStatusCode.OK, "/healthz to answer 200");
            var healthz = Get(http, $"http://{NodeIP}:10256/healthz").Body;
            Assert.Contains("\"nodeEligible\":true,\"healthy\":true,\"status\":{\"IPv4\":{\"lastUpdated\":", healthz, StringComparison.Ordinal);

            // An ETP Local load balancer: its health check node port answers 200 while node1 has a ready endpoint, 503
            // once its only endpoint is on another node, and closes with the Service.
            var lb = Service("lb", "10.233.0.20", nodePort: 30081);
            lb.Spec.Type = "LoadBalancer";
            lb.Spec.ExternalTrafficPolicy = "Local";
            lb.Spec.HealthCheckNodePort = 32000;
            await client.CreateAsync(lb);
            var lbSlice = Slice("lb", "10.244.0.3");
            lbSlice.Endpoints[0].NodeName = "node1";
            await client.CreateAsync(lbSlice);
            await EventuallyAsync(() => Get(http, $"http://{NodeIP}:32000/").Status == HttpStatusCode.OK, "the health check node port to answer 200");
            Assert.Equal(
                "{\n\t\"service\": {\n\t\t\"namespace\": \"default\",\n\t\t\"name\": \"lb\"\n\t},\n\t\"localEndpoints\": 1,\n\t\"serviceProxyHealthy\": true\n}",
                Get(http, $"http://{NodeIP}:32000/").Body);
            Assert.Equal("pod2", Ask(NodeIP, 30081));

            var moved = await client.GetAsync<V1EndpointSlice>("default", "lb-1");
            moved!.Endpoints[0].NodeName = "node2";
            await client.UpdateAsync(moved);
            await EventuallyAsync(() => Get(http, $"http://{NodeIP}:32000/").Status == HttpStatusCode.ServiceUnavailable, "the health check to answer 503");
            Assert.Contains("\"localEndpoints\": 0,", Get(http, $"http://{NodeIP}:32000/").Body, StringComparison.Ordinal);

            await client.DeleteAsync<V1Service>("default", "lb");
            await EventuallyAsync(() => Get(http, $"http://{NodeIP}:32000/").Status is null, "the health check port to close");

            // The Service goes: its chains are deleted from the kernel.
            await client.DeleteAsync<V1Service>("default", "web");
            await EventuallyAsync(
                () => !new Netfilter.Iptables(NetnsPath(_node)).Save("nat").Contains("KUBE-SVC-", StringComparison.Ordinal)
                    && !new Netfilter.Iptables(NetnsPath(_node)).Save("filter").Contains("default/web", StringComparison.Ordinal),
                "the Service's rules to go");
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A GET's status and body; a null status when the connection is refused.</summary>
    private static (HttpStatusCode? Status, string Body) Get(HttpClient http, string url)
    {
        try
        {
            using var response = http.GetAsync(new Uri(url)).GetAwaiter().GetResult();
            return (response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return (null, "");
        }
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    private static string NetnsPath(ScratchNamespace ns) => $"{NetworkNamespace.RunDirectory}/{ns.Name}";

    private IptablesProxier NewProxier() => new(
        new ProxySettings { NodeName = "node1", NodeIP = NodeIP, ClusterCidr = "10.244.0.0/16" },
        new Netfilter.Iptables(NetnsPath(_node)),
        new Conntrack(NetnsPath(_node)),
        new NamespaceSysctl(_node.Namespace),
        NullLogger.Instance);

    private void BuildTopology()
    {
        var node = _node.Name;
        Tool.Ip(node, "link", "set", "lo", "up");
        Tool.Ip(node, "link", "add", "br0", "type", "bridge");
        Tool.Ip(node, "addr", "add", "10.244.0.1/24", "dev", "br0");
        Tool.Ip(node, "link", "set", "br0", "up");
        Tool.Ip(node, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", _client.Name);
        Tool.Ip(node, "addr", "add", $"{NodeIP}/24", "dev", "eth0");
        Tool.Ip(node, "link", "set", "eth0", "up");

        // Like any node, a default route (here through the client as its upstream router): without one, a packet to a
        // cluster IP with no endpoints would be refused by routing (network unreachable) before the REJECT rule sees it.
        Tool.Ip(node, "route", "add", "default", "via", "192.168.50.2");
        _node.Namespace.WriteSysctl("net/ipv4/ip_forward", "1");

        // REJECT answers with an ICMP error, which the kernel rate-limits per destination (icmp_ratelimit, 1 s); measured
        // here, a fresh namespace let the first connect time out (5 s) and refused the next only after a 1 s retransmit.
        // With the limit off, every REJECT is answered and "connection refused" is immediate.
        _node.Namespace.WriteSysctl("net/ipv4/icmp_ratelimit", "0");
        Tool.Ip(_client.Name, "link", "set", "lo", "up");
        Tool.Ip(_client.Name, "addr", "add", "192.168.50.2/24", "dev", "eth0");
        Tool.Ip(_client.Name, "link", "set", "eth0", "up");
        Tool.Ip(_client.Name, "route", "add", "default", "via", NodeIP);

        foreach (var (pod, name, ip) in new[] { (_pod1, "pod1", "10.244.0.2"), (_pod2, "pod2", "10.244.0.3") })
        {
            Tool.Ip(node, "link", "add", $"veth-{name}", "type", "veth", "peer", "name", "eth0", "netns", pod.Name);
            Tool.Ip(node, "link", "set", $"veth-{name}", "master", "br0");
            Tool.Ip(node, "link", "set", $"veth-{name}", "up");
            Tool.Ip(pod.Name, "link", "set", "lo", "up");
            Tool.Ip(pod.Name, "addr", "add", $"{ip}/24", "dev", "eth0");
            Tool.Ip(pod.Name, "link", "set", "eth0", "up");
            Tool.Ip(pod.Name, "route", "add", "default", "via", "10.244.0.1");
            Serve(pod, name);
        }
    }

    /// <summary>A TCP server in the pod's namespace (the socket keeps the namespace it was made in) that answers with its name.</summary>
    private void Serve(ScratchNamespace pod, string name)
    {
        var listener = pod.Namespace.Run(() =>
        {
            var l = new TcpListener(IPAddress.Any, PodPort);
            l.Start();
            return l;
        });
        _servers.Add(listener);
        var token = _stop.Token;
        _ = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested)
            {
                try
                {
                    using var connection = await listener.AcceptTcpClientAsync(token);
                    await connection.GetStream().WriteAsync(Encoding.ASCII.GetBytes(name + "\n"), token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }
            }
        }, token);
    }

    /// <summary>Connects from the client namespace and reads the answer's first line.</summary>
    private string Ask(string address, int port)
    {
        using var socket = _client.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        socket.ReceiveTimeout = 5000;
        using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        socket.ConnectAsync(IPAddress.Parse(address), port, connect.Token).AsTask().GetAwaiter().GetResult();
        var buffer = new byte[64];
        var read = socket.Receive(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read).Trim();
    }

    private static V1Service Service(string name, string clusterIP, int nodePort = 0)
    {
        var service = UpstreamGoldenTests.ClusterIPService("default", name, clusterIP, "http", 80);
        if (nodePort != 0)
        {
            service.Spec.Type = "NodePort";
            service.Spec.Ports[0].NodePort = nodePort;
        }

        return service;
    }

    private static V1EndpointSlice Slice(string service, params string[] addresses) =>
        UpstreamGoldenTests.Slice("default", service, "http", PodPort, addresses);
}
