using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Plugins;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Tests;

/// <summary>The pure half of portmap: configuration and the rendered chains, without iptables or root.</summary>
public sealed class PortmapRulesTests
{
    private static PortmapConfig Parse(string mappings, string extra = "") =>
        PortmapConfig.Parse((JsonObject)JsonNode.Parse($$$"""
            {"cniVersion":"1.0.0","name":"pmtest","type":"portmap"{{{extra}}},
             "runtimeConfig":{"portMappings":{{{mappings}}}},
             "prevResult":{"cniVersion":"1.0.0",
               "interfaces":[{"name":"cni0"},{"name":"veth1"},{"name":"eth0","sandbox":"/run/netns/x"},{"name":"eth1","sandbox":"/run/netns/x"}],
               "ips":[{"interface":0,"address":"10.88.0.1/16"},{"interface":3,"address":"10.99.0.7/24"},{"interface":2,"address":"10.88.0.5/16"},{"interface":2,"address":"10.88.0.6/16"},
                      {"address":"fd00::5/64"}]}}
            """)!, "eth0");

    [Fact]
    public void Chain_names_are_upstreams_sha512_prefix()
    {
        Assert.Equal("CNI-DN-942bfdf5a37ddf2c8369f", ChainName.Format("pmtest", "c0ffee01", "DN-"));
        Assert.Equal(28, ChainName.Format("a", "b", "SN-").Length);
    }

    [Fact]
    public void The_container_addresses_are_the_first_of_each_family_on_the_sandbox_interface()
    {
        var config = Parse("""[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]""");
        Assert.Equal("10.88.0.5/16", config.ContainerIpv4?.ToString());
        Assert.Equal("fd00::5/64", config.ContainerIpv6?.ToString()); // no interface index: taken, as upstream
        Assert.True(config.Snat);
        Assert.Equal(13, config.MarkMasqBit);
    }

    [Fact]
    public void Entry_rules_group_ports_by_sorted_protocol_fifteen_at_a_time()
    {
        string mappings = "[" + string.Join(',', Enumerable.Range(0, 17).Select(i => $$"""{"hostPort":{{9000 + i}},"containerPort":80,"protocol":"tcp"}""")
            .Prepend("""{"hostPort":5353,"containerPort":53,"protocol":"udp"}""")) + "]";
        var config = Parse(mappings);
        var chain = PortmapRules.FillDnat(config, "c0ffee01", config.ContainerIpv4!.Value);

        var ports = chain.EntryRules.Select(r => (Protocol: r[r.ToList().IndexOf("-p") + 1], Ports: r[r.ToList().IndexOf("--destination-ports") + 1])).ToList();
        Assert.Equal(
            [("tcp", string.Join(',', Enumerable.Range(9000, 15))), ("tcp", "9015,9016"), ("udp", "5353")],
            ports);
        Assert.All(chain.EntryRules, r => Assert.Equal(["-m", "comment", "--comment", "dnat name: \"pmtest\" id: \"c0ffee01\"", "-m", "multiport"], r.Take(6)));
        Assert.Equal(["CNI-HOSTPORT-DNAT"], chain.EntryChains);
        Assert.Equal(18 * 3, chain.Rules.Count);
    }

    [Fact]
    public void Each_mapping_marks_hairpin_and_localhost_then_dnats()
    {
        var config = Parse("""[{"hostPort":8443,"containerPort":443,"protocol":"tcp","hostIP":"172.19.0.8"},{"hostPort":8444,"containerPort":443,"protocol":"tcp","hostIP":"fd00::8"}]""");
        var v4 = PortmapRules.FillDnat(config, "c0ffee01", config.ContainerIpv4!.Value);
        Assert.Equal(
            [
                "-p tcp --dport 8443 -d 172.19.0.8 -s 10.88.0.0/16 -j CNI-HOSTPORT-SETMARK",
                "-p tcp --dport 8443 -d 172.19.0.8 -s 127.0.0.1 -j CNI-HOSTPORT-SETMARK",
                "-p tcp --dport 8443 -d 172.19.0.8 -j DNAT --to-destination 10.88.0.5:443",
            ],
            v4.Rules.Select(r => string.Join(' ', r)));

        var v6 = PortmapRules.FillDnat(config, "c0ffee01", config.ContainerIpv6!.Value);
        Assert.Equal(
            [
                "-p tcp --dport 8444 -d fd00::8 -s fd00::/64 -j CNI-HOSTPORT-SETMARK",
                "-p tcp --dport 8444 -d fd00::8 -j DNAT --to-destination [fd00::5]:443",
            ],
            v6.Rules.Select(r => string.Join(' ', r)));
    }

    [Fact]
    public void Shared_chains_use_the_mark_bit()
    {
        Assert.Equal(["-m", "comment", "--comment", "CNI portfwd masquerade mark", "-j", "MARK", "--set-xmark", "0x2000/0x2000"], PortmapRules.SetMark(13).Rules[0]);
        var masq = PortmapRules.MarkMasq(31);
        Assert.Equal(["-m", "mark", "--mark", "0x80000000/0x80000000", "-j", "MASQUERADE"], masq.Rules[0]);
        Assert.True(masq.PrependEntry);
        Assert.Equal(["POSTROUTING"], masq.EntryChains);
    }

    [Theory]
    [InlineData("""[{"hostPort":0,"containerPort":80,"protocol":"tcp"}]""", "", "failed to parse config: Invalid host port number: 0")]
    [InlineData("""[{"hostPort":80,"containerPort":80,"protocol":"sctpx"}]""", "", "failed to parse config: runtimeConfig.portMappings[0].protocol: unsupported protocol \"sctpx\" (expected one of tcp, udp, sctp, udplite, dccp)")]
    [InlineData("""[{"hostPort":80,"containerPort":80,"protocol":"tcp"}]""", ""","markMasqBit":40""", "failed to parse config: MasqMarkBit must be between 0 and 31")]
    [InlineData("""[{"hostPort":80,"containerPort":80,"protocol":"tcp"}]""", ""","markMasqBit":-1""", "failed to parse config: MasqMarkBit must be between 0 and 31")]
    [InlineData("""[{"hostPort":80,"containerPort":80,"protocol":"tcp","hostIP":"300.1.1.1"}]""", "", "failed to parse config: runtimeConfig.portMappings[0].hostIP: invalid IP address \"300.1.1.1\"")]
    [InlineData("""[7]""", "", "failed to parse config: runtimeConfig.portMappings[0]: must be an object")]
    public void Bad_configuration_names_the_problem(string mappings, string extra, string message)
    {
        var error = Assert.Throws<CniException>(() => Parse(mappings, extra));
        Assert.Equal(CniErrorCode.Internal, error.Code); // upstream's code for its parse errors
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Protocols_are_accepted_without_regard_to_case_as_iptables_does()
    {
        var config = Parse("""[{"hostPort":80,"containerPort":80,"protocol":"TCP"}]""");
        Assert.Equal("TCP", config.PortMappings[0].Protocol);
        Assert.NotNull(config.ContainerIpv4);
    }
}
