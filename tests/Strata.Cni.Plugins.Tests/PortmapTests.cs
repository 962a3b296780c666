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

    private const string DualStackPrevResult = """
        {"cniVersion":"1.0.0",
         "interfaces":[{"name":"cni0","mac":"0a:58:0a:58:00:01"},{"name":"veth1234","mac":"0a:58:0a:58:00:02"},{"name":"eth0","mac":"0a:58:0a:58:00:05","sandbox":"/run/netns/x"}],
         "ips":[{"interface":0,"address":"10.88.0.1/16"},{"interface":2,"address":"10.88.0.5/16","gateway":"10.88.0.1"},{"interface":2,"address":"fd00:88::5/64","gateway":"fd00:88::1"}],
         "dns":{}}
        """;

    private static string Config(string mappings, string extra = "", string prevResult = PrevResult) => $$"""
        {"cniVersion":"1.0.0","name":"pmtest","type":"portmap","capabilities":{"portMappings":true}{{extra}},
         "runtimeConfig":{"portMappings":{{mappings}}},
         "prevResult":{{prevResult}}}
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

    /// <summary>The options that change the rules, each run through both plugins (v4 and, for the dual-stack case, v6).</summary>
    [RootTheory]
    [InlineData("snat-off", ""","snat":false""", false)]
    [InlineData("masqAll", ""","masqAll":true""", false)]
    [InlineData("markMasqBit", ""","markMasqBit":5""", false)]
    [InlineData("conditionsV4", ""","conditionsV4":["!","-s","192.0.2.0/24"]""", false)]
    [InlineData("externalSetMarkChain", ""","externalSetMarkChain":"KUBE-MARK-MASQ" """, false)]
    [InlineData("dual-stack", ""","conditionsV6":["!","-s","2001:db8::/32"]""", true)]
    public void Options_render_the_same_rules_as_the_reference(string name, string extra, bool dualStack)
    {
        using var ours = HostNamespace();
        using var reference = HostNamespace();
        foreach (var ns in new[] { ours, reference })
        {
            Tool.Check("ip", "netns", "exec", ns.Name, "iptables", "-w", "-t", "nat", "-N", "KUBE-MARK-MASQ");
            Tool.Check("ip", "netns", "exec", ns.Name, "ip6tables", "-w", "-t", "nat", "-N", "KUBE-MARK-MASQ");
        }

        string mappings = """
            [{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":5353,"containerPort":53,"protocol":"udp"},
             {"hostPort":8443,"containerPort":443,"protocol":"tcp","hostIP":"172.19.0.8"},{"hostPort":8444,"containerPort":443,"protocol":"tcp","hostIP":"fd00:19::8"},
             {"hostPort":8445,"containerPort":443,"protocol":"tcp","hostIP":"::"}]
            """;
        string config = Config(mappings, extra, dualStack ? DualStackPrevResult : PrevResult);
        var expected = CniPlugins.Reference.Run("portmap", "ADD", config, ContainerId, "/run/netns/x", hostNetns: reference.Name);
        var actual = CniPlugins.Strata.Run("portmap", "ADD", config, ContainerId, "/run/netns/x", hostNetns: ours.Name);
        Assert.True(expected.ExitCode == 0, $"{name}: reference: {expected.Stdout}");
        Assert.True(actual.ExitCode == 0, $"{name}: ours: {actual.Stdout}");
        string expectedNat = Nat(reference.Name);
        if (name == "masqAll")
        {
            // Debian's reference is 1.1.1 and masqAll came in v1.2.0: upstream since then marks every
            // source (-s 0.0.0.0/0, which iptables-save omits) and drops the separate localhost rule.
            Assert.Contains("-s 127.0.0.1/32", expectedNat);
            expectedNat = string.Join('\n', expectedNat.Split('\n')
                .Where(line => !line.Contains("-s 127.0.0.1/32", StringComparison.Ordinal))
                .Select(line => line.Replace("-s 10.88.0.0/16 ", string.Empty, StringComparison.Ordinal)));
        }

        Assert.Equal(expectedNat, Nat(ours.Name));
        Assert.Equal(Nat(reference.Name, "ip6tables-save"), Nat(ours.Name, "ip6tables-save"));
        Assert.Equal(reference.Namespace.ReadSysctl("net/ipv4/conf/cni0/route_localnet"), ours.Namespace.ReadSysctl("net/ipv4/conf/cni0/route_localnet"));
        if (dualStack)
        {
            Assert.Contains("--to-destination [fd00:88::5]:80", Nat(ours.Name, "ip6tables-save"));
        }

        Assert.Equal(0, CniPlugins.Strata.Run("portmap", "CHECK", config, ContainerId, "/run/netns/x", hostNetns: ours.Name).ExitCode);
        Assert.Equal(0, CniPlugins.Reference.Run("portmap", "DEL", config, ContainerId, "/run/netns/x", hostNetns: reference.Name).ExitCode);
        Assert.Equal(0, CniPlugins.Strata.Run("portmap", "DEL", config, ContainerId, "/run/netns/x", hostNetns: ours.Name).ExitCode);
        Assert.Equal(Nat(reference.Name), Nat(ours.Name));
        Assert.Equal(Nat(reference.Name, "ip6tables-save"), Nat(ours.Name, "ip6tables-save"));
    }

    /// <summary>
    /// Input the reference only notices when iptables refuses a rule, after it has made the shared
    /// chains and an empty CNI-DN- chain: Strata refuses it before touching anything.
    /// </summary>
    [RootTheory]
    [InlineData("""[{"hostPort":8080,"containerPort":80,"protocol":"sctpx"}]""", "runtimeConfig.portMappings[0].protocol: unsupported protocol \"sctpx\"")]
    [InlineData("""[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":8081,"containerPort":80}]""", "runtimeConfig.portMappings[1].protocol: unsupported protocol \"\"")]
    [InlineData("""[{"hostPort":70000,"containerPort":80,"protocol":"udp"}]""", "Invalid host port number: 70000")]
    [InlineData("""[{"hostPort":8080,"containerPort":65536,"protocol":"tcp"}]""", "Invalid container port number: 65536")]
    public void Input_the_reference_fails_on_late_is_refused_before_any_rule(string mappings, string message)
    {
        using var ours = HostNamespace();
        using var reference = HostNamespace();
        string before = Nat(ours.Name);
        var actual = CniPlugins.Strata.Run("portmap", "ADD", Config(mappings), ContainerId, "/run/netns/x", hostNetns: ours.Name);
        var expected = CniPlugins.Reference.Run("portmap", "ADD", Config(mappings), ContainerId, "/run/netns/x", hostNetns: reference.Name);
        Assert.Equal(999u, expected.ErrorCode);
        Assert.Equal(999u, actual.ErrorCode);
        Assert.StartsWith("failed to parse config: " + message, actual.Json["msg"]!.GetValue<string>());
        Assert.Equal(before, Nat(ours.Name));
        Assert.NotEqual(before, Nat(reference.Name)); // what the reference leaves behind

        // The runtime's DEL after the failed ADD succeeds, as the reference's does.
        Assert.Equal(0, CniPlugins.Reference.Run("portmap", "DEL", Config(mappings), ContainerId, "/run/netns/x", hostNetns: reference.Name).ExitCode);
        Assert.Equal(0, CniPlugins.Strata.Run("portmap", "DEL", Config(mappings), ContainerId, "/run/netns/x", hostNetns: ours.Name).ExitCode);
    }

    [RootFact]
    public void Nftables_conditions_and_backend_are_refused_with_the_reason()
    {
        using var ns = HostNamespace();
        string before = Nat(ns.Name);
        string mappings = """[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]""";
        var conditions = CniPlugins.Strata.Run("portmap", "ADD", Config(mappings, ""","conditionsV4":["ip saddr 192.0.2.0/24"]"""), ContainerId, "/run/netns/x", hostNetns: ns.Name);
        Assert.Equal("failed to parse config: iptables backend was requested but configuration contains nftables-specific options [conditionsV4]", conditions.Json["msg"]!.GetValue<string>());
        var backend = CniPlugins.Strata.Run("portmap", "ADD", Config(mappings, ""","backend":"nftables" """), ContainerId, "/run/netns/x", hostNetns: ns.Name);
        Assert.Contains("nftables backend is not implemented", backend.Json["msg"]!.GetValue<string>());
        Assert.Equal(before, Nat(ns.Name));
    }

    /// <summary>DEL finds the chain by name and removes every jump to it: it needs no prevResult, as upstream.</summary>
    [RootFact]
    public void Del_without_prevResult_removes_the_container_chain_and_keeps_the_shared_ones()
    {
        using var ours = HostNamespace();
        using var reference = HostNamespace();
        string mappings = Mappings;
        string del = $$$"""{"cniVersion":"1.0.0","name":"pmtest","type":"portmap","runtimeConfig":{"portMappings":{{{mappings}}}}}""";
        foreach (var (plugins, ns) in new[] { (CniPlugins.Reference, reference), (CniPlugins.Strata, ours) })
        {
            Assert.Equal(0, plugins.Run("portmap", "ADD", Config(mappings), ContainerId, "/run/netns/x", hostNetns: ns.Name).ExitCode);
            Assert.Equal(0, plugins.Run("portmap", "ADD", Config(mappings), "other", "/run/netns/y", hostNetns: ns.Name).ExitCode);
            var run = plugins.Run("portmap", "DEL", del, ContainerId, hostNetns: ns.Name);
            Assert.True(run.ExitCode == 0, $"{plugins}: {run.Stdout}");
        }

        string nat = Nat(ours.Name);
        Assert.Equal(Nat(reference.Name), nat);
        Assert.DoesNotContain(ChainName.Format("pmtest", ContainerId, "DN-"), nat);
        Assert.Contains(ChainName.Format("pmtest", "other", "DN-"), nat);
        Assert.Contains(":CNI-HOSTPORT-MASQ", nat);
        Assert.Contains(":CNI-HOSTPORT-SETMARK", nat);
        Assert.Equal(0, CniPlugins.Strata.Run("portmap", "DEL", del, ContainerId, hostNetns: ours.Name).ExitCode);
    }

    [RootFact]
    public void Check_without_prevResult_fails_like_the_reference()
    {
        using var ns = HostNamespace();
        string config = """{"cniVersion":"1.0.0","name":"pmtest","type":"portmap","runtimeConfig":{"portMappings":[{"hostPort":80,"containerPort":80,"protocol":"tcp"}]}}""";
        var actual = CniPlugins.Strata.Run("portmap", "CHECK", config, ContainerId, "/run/netns/x", hostNetns: ns.Name);
        var expected = CniPlugins.Reference.Run("portmap", "CHECK", config, ContainerId, "/run/netns/x", hostNetns: ns.Name);
        Assert.Equal(expected.ErrorCode, actual.ErrorCode);
        Assert.Equal(expected.Json["msg"]!.GetValue<string>(), actual.Json["msg"]!.GetValue<string>());
    }

    /// <summary>A UDP flow to the host port from before the mapping would keep bypassing the DNAT: ADD deletes it (and only it).</summary>
    [RootFact]
    public void Add_forgets_stale_udp_conntrack_entries_for_the_host_port()
    {
        using var ns = HostNamespace();
        Tool.Check("ip", "netns", "exec", ns.Name, "iptables", "-w", "-A", "OUTPUT", "-m", "conntrack", "--ctstate", "NEW", "-j", "ACCEPT"); // makes this netns track
        ns.Namespace.Run(() =>
        {
            foreach (int port in new[] { 5353, 5354 })
            {
                using var udp = new UdpClient();
                udp.Send([1], 1, new IPEndPoint(IPAddress.Parse("10.88.0.1"), port));
            }
        });
        Assert.Contains("dport=5353 ", Conntrack(ns.Name));

        var run = CniPlugins.Strata.Run("portmap", "ADD", Config("""[{"hostPort":5353,"containerPort":53,"protocol":"udp"}]"""), ContainerId, "/run/netns/x", hostNetns: ns.Name);
        Assert.True(run.ExitCode == 0, run.Stdout);
        string after = Conntrack(ns.Name);
        Assert.DoesNotContain("dport=5353 ", after);
        Assert.Contains("dport=5354 ", after);
    }

    private static string Conntrack(string ns) => Tool.Check("ip", "netns", "exec", ns, "conntrack", "-L", "-p", "udp");

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

        // From the host itself to 127.0.0.1:8080: OUTPUT DNAT, route_localnet on cni0, and the
        // SETMARK/MASQ pair rewriting the source to cni0's address.
        var local = container.Namespace.Run(() =>
        {
            using var listener = new TcpListener(IPAddress.Any, 80);
            listener.Start();
            var accept = listener.AcceptTcpClientAsync();
            host.Namespace.Run(() =>
            {
                using var tcp = new TcpClient();
                tcp.Connect(IPAddress.Loopback, 8080);
            });
            if (!accept.Wait(5000))
            {
                return null;
            }

            using var connection = accept.Result;
            return connection.Client.RemoteEndPoint?.ToString();
        });
        Assert.StartsWith("10.88.0.1:", local);
    }

    private static ScratchNamespace HostNamespace()
    {
        var ns = ScratchNamespace.Create();
        ns.Netlink.SetLinkUp("lo");
        ns.Netlink.AddLink(new BridgeSpec("cni0") { Up = true });
        ns.Netlink.AddAddress("cni0", IpPrefix.Parse("10.88.0.1/16"));
        return ns;
    }

    private static string Nat(string ns, string save = "iptables-save") =>
        Regex.Replace(Tool.Check("ip", "netns", "exec", ns, save, "-t", "nat"), @"^(#.*|:\S+ \S+) .*$", "$1", RegexOptions.Multiline)
            .Replace("\n# ", "\n#").Split('\n').Where(l => !l.StartsWith('#')).Aggregate(string.Empty, (a, l) => a + l + "\n");
}
