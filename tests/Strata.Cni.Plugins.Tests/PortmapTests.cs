using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Strata.Cni.Plugins.Iptables;
using Strata.Cni.Plugins.Plugins;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Tests;

/// <summary><c>portmap</c> against Debian's reference plugin: each runs in its own scratch host namespace.</summary>
public sealed class PortmapTests
{
    private const string ContainerId = "c0ffee01";

    private const string PrevResult = """
        {"cniVersion":"1.0.0",
         "interfaces":[{"name":"cni0","mac":"0a:58:0a:58:00:01"},{"name":"veth1234","mac":"0a:58:0a:58:00:02"},{"name":"eth0","mac":"0a:58:0a:58:00:05","sandbox":"/run/netns/x"}],
         "ips":[{"interface":2,"address":"10.88.0.5/16","gateway":"10.88.0.1"}],
         "routes":[{"dst":"0.0.0.0/0"}],"dns":{}}
        """;

    private static string Config(string mappings, string extra = "") => $$"""
        {"cniVersion":"1.0.0","name":"pmtest","type":"portmap","capabilities":{"portMappings":true}{{extra}},
         "runtimeConfig":{"portMappings":{{mappings}}},
         "prevResult":{{PrevResult}}}
        """;

    private static readonly string Mappings = "[" + string.Join(',', new[]
    {
        """{"hostPort":8080,"containerPort":80,"protocol":"tcp"}""",
        """{"hostPort":5353,"containerPort":53,"protocol":"udp"}""",
        """{"hostPort":8443,"containerPort":443,"protocol":"tcp","hostIP":"172.19.0.8"}""",
    }.Concat(Enumerable.Range(0, 16).Select(i => $$"""{"hostPort":{{9000 + i}},"containerPort":{{9000 + i}},"protocol":"tcp"}"""))) + "]";

    [RootFact]
    public void Rules_match_the_reference_plugin_after_add_and_del()
    {
        using var ours = HostNamespace();
        using var reference = HostNamespace();
        string config = Config(Mappings);

        var expected = CniPlugins.Reference.Run("portmap", "ADD", config, ContainerId, "/run/netns/x", hostNetns: reference.Name);
        var actual = CniPlugins.Strata.Run("portmap", "ADD", config, ContainerId, "/run/netns/x", hostNetns: ours.Name);
        Assert.True(expected.ExitCode == 0, expected.Stdout + expected.Stderr);
        Assert.True(actual.ExitCode == 0, actual.Stdout + actual.Stderr);
        Assert.Equal(expected.Json.ToJsonString(), actual.Json.ToJsonString());
        Assert.Equal(Nat(reference.Name), Nat(ours.Name));
        Assert.Contains($"-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment \"dnat name: \\\"pmtest\\\" id: \\\"{ContainerId}\\\"\" -m multiport --dports 8080,8443,9000", Nat(ours.Name));
        Assert.Equal(ours.Namespace.ReadSysctl("net/ipv4/conf/cni0/route_localnet"), reference.Namespace.ReadSysctl("net/ipv4/conf/cni0/route_localnet"));
        Assert.Equal("1", ours.Namespace.ReadSysctl("net/ipv4/conf/cni0/route_localnet"));

        Assert.Equal(0, CniPlugins.Strata.Run("portmap", "CHECK", config, ContainerId, "/run/netns/x", hostNetns: ours.Name).ExitCode);

        Assert.Equal(0, CniPlugins.Reference.Run("portmap", "DEL", config, ContainerId, "/run/netns/x", hostNetns: reference.Name).ExitCode);
        Assert.Equal(0, CniPlugins.Strata.Run("portmap", "DEL", config, ContainerId, "/run/netns/x", hostNetns: ours.Name).ExitCode);
        Assert.Equal(Nat(reference.Name), Nat(ours.Name));
        Assert.DoesNotContain(ChainName.Format("pmtest", ContainerId, "DN-"), Nat(ours.Name));
        Assert.Equal(0, CniPlugins.Strata.Run("portmap", "DEL", config, ContainerId, "/run/netns/x", hostNetns: ours.Name).ExitCode);
    }

    [RootFact]
    public void Check_fails_once_a_rule_is_removed_by_hand()
    {
        using var ns = HostNamespace();
        string config = Config("""[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]""");
        Assert.Equal(0, CniPlugins.Strata.Run("portmap", "ADD", config, ContainerId, "/run/netns/x", hostNetns: ns.Name).ExitCode);
        string chain = ChainName.Format("pmtest", ContainerId, "DN-");
        Tool.Check("ip", "netns", "exec", ns.Name, "iptables", "-t", "nat", "-D", chain, "-p", "tcp", "--dport", "8080", "-j", "DNAT", "--to-destination", "10.88.0.5:80");
        var check = CniPlugins.Strata.Run("portmap", "CHECK", config, ContainerId, "/run/netns/x", hostNetns: ns.Name);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"in chain {chain} not found in table nat", check.Json["msg"]!.GetValue<string>());
    }

    [RootTheory]
    [InlineData("""[{"hostPort":0,"containerPort":80,"protocol":"tcp"}]""", "", "failed to parse config: Invalid host port number: 0")]
    [InlineData("""[{"hostPort":80,"containerPort":-1,"protocol":"tcp"}]""", "", "failed to parse config: Invalid container port number: -1")]
    [InlineData("""[{"hostPort":80,"containerPort":80,"protocol":"tcp"}]""", ""","markMasqBit":40""", "failed to parse config: MasqMarkBit must be between 0 and 31")]
    [InlineData("""[{"hostPort":80,"containerPort":80,"protocol":"tcp"}]""", ""","markMasqBit":3,"externalSetMarkChain":"X" """, "failed to parse config: Cannot specify externalSetMarkChain and markMasqBit")]
    public void Bad_configuration_is_refused_like_the_reference_and_creates_no_rules(string mappings, string extra, string message)
    {
        using var ours = HostNamespace();
        using var reference = HostNamespace();
        string before = Nat(ours.Name);
        var actual = CniPlugins.Strata.Run("portmap", "ADD", Config(mappings, extra), ContainerId, "/run/netns/x", hostNetns: ours.Name);
        var expected = CniPlugins.Reference.Run("portmap", "ADD", Config(mappings, extra), ContainerId, "/run/netns/x", hostNetns: reference.Name);
        Assert.Equal(expected.ErrorCode, actual.ErrorCode);
        Assert.Equal(expected.Json["msg"]!.GetValue<string>(), actual.Json["msg"]!.GetValue<string>());
        Assert.Equal(message, actual.Json["msg"]!.GetValue<string>());
        Assert.Equal(before, Nat(ours.Name));
    }

    [RootFact]
    public void Without_prevResult_add_is_refused()
    {
        using var ns = HostNamespace();
        string config = """{"cniVersion":"1.0.0","name":"pmtest","type":"portmap","runtimeConfig":{"portMappings":[{"hostPort":80,"containerPort":80,"protocol":"tcp"}]}}""";
        var run = CniPlugins.Strata.Run("portmap", "ADD", config, ContainerId, "/run/netns/x", hostNetns: ns.Name);
        Assert.Equal("must be called as chained plugin", run.Json["msg"]!.GetValue<string>());
        Assert.DoesNotContain("CNI-", Nat(ns.Name));
    }

    /// <summary>A real connection: client → host 172.19.0.8:8080 → DNAT → container 10.88.0.5:80.</summary>
    [RootFact]
    public void A_connection_to_the_host_port_reaches_the_container()
    {
        using var host = HostNamespace();
        using var container = ScratchNamespace.Create();
        using var client = ScratchNamespace.Create();
        var nl = host.Netlink;
        nl.AddLink(new VethSpec("veth1234", "eth0") { PeerNamespace = container.Namespace, Master = "cni0", Up = true });
        container.Netlink.AddAddress("eth0", IpPrefix.Parse("10.88.0.5/16"));
        container.Netlink.SetLinkUp("eth0");
        container.Netlink.SetLinkUp("lo");
        container.Netlink.AddRoute(new Route(IpPrefix.Parse("0.0.0.0/0")) { Gateway = IPAddress.Parse("10.88.0.1") });
        nl.AddLink(new VethSpec("uplink", "eth0") { PeerNamespace = client.Namespace, Up = true });
        nl.AddAddress("uplink", IpPrefix.Parse("172.19.0.8/20"));
        client.Netlink.AddAddress("eth0", IpPrefix.Parse("172.19.0.100/20"));
        client.Netlink.SetLinkUp("eth0");
        host.Namespace.WriteSysctl("net.ipv4.ip_forward", "1");

        var run = CniPlugins.Strata.Run("portmap", "ADD", Config("""[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]"""), ContainerId, "/run/netns/x", hostNetns: host.Name);
        Assert.True(run.ExitCode == 0, run.Stdout);

        var accepted = container.Namespace.Run(() =>
        {
            using var listener = new TcpListener(IPAddress.Any, 80);
            listener.Start();
            var accept = listener.AcceptTcpClientAsync();
            client.Namespace.Run(() =>
            {
                using var tcp = new TcpClient();
                tcp.Connect(IPAddress.Parse("172.19.0.8"), 8080);
            });
            if (!accept.Wait(5000))
            {
                return null;
            }

            using var connection = accept.Result;
            return connection.Client.RemoteEndPoint?.ToString();
        });

        // The container saw the client's own address: DNAT only, no masquerade for outside clients.
        Assert.StartsWith("172.19.0.100:", accepted);
    }

    private static ScratchNamespace HostNamespace()
    {
        var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new BridgeSpec("cni0") { Up = true });
        ns.Netlink.AddAddress("cni0", IpPrefix.Parse("10.88.0.1/16"));
        return ns;
    }

    private static string Nat(string ns) =>
        Regex.Replace(Tool.Check("ip", "netns", "exec", ns, "iptables-save", "-t", "nat"), @"^(#.*|:\S+ \S+) .*$", "$1", RegexOptions.Multiline)
            .Replace("\n# ", "\n#").Split('\n').Where(l => !l.StartsWith('#')).Aggregate(string.Empty, (a, l) => a + l + "\n");
}
