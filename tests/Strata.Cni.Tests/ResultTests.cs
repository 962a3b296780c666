using System.Text;

namespace Strata.Cni.Tests;

/// <summary>Results read, rewritten and converted as libcni's 020, 040 and 100 types do.</summary>
public sealed class ResultTests
{
    private static CniResult Output(string json, string configVersion = "1.0.0") => CniResult.FromPluginOutput(Encoding.UTF8.GetBytes(json), configVersion);

    [Fact]
    public void A_1_x_result_keeps_the_specs_fields_sorted_and_drops_an_empty_dns()
    {
        var result = Output("""
            {"cniVersion":"1.1.0","vendor":"x","interfaces":[{"name":"eth0","mac":"AA:BB:CC:00:00:01","mtu":1450,"sandbox":"/run/netns/p","extra":1,"pciID":""}],
             "ips":[{"address":"2001:DB8:0:0:0:0:0:1/64","gateway":"2001:db8::fffe","interface":0}],
             "routes":[{"dst":"::/0","gw":"2001:db8::fffe","priority":0,"table":0,"scope":253}],"dns":{"search":[]}}
            """);
        Assert.Equal(
            """{"cniVersion":"1.1.0","interfaces":[{"mac":"AA:BB:CC:00:00:01","mtu":1450,"name":"eth0","sandbox":"/run/netns/p"}],"ips":[{"address":"2001:db8::1/64","gateway":"2001:db8::fffe","interface":0}],"routes":[{"dst":"::/0","gw":"2001:db8::fffe","scope":253,"table":0}]}""",
            result.ToString());
    }

    [Fact]
    public void A_0_4_0_result_is_written_in_struct_order_with_dns_always_present()
    {
        var result = Output("""{"cniVersion":"0.4.0","ips":[{"address":"10.0.0.5/24","version":"4","gateway":"10.0.0.1"}],"interfaces":[{"sandbox":"/x","name":"eth0"}]}""", "0.4.0");
        Assert.Equal("""{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"/x"}],"ips":[{"version":"4","address":"10.0.0.5/24","gateway":"10.0.0.1"}],"dns":{}}""", result.ToString());
    }

    [Fact]
    public void A_result_without_cniVersion_takes_the_configurations()
    {
        Assert.Equal("0.3.1", Output("""{"ips":[{"version":"4","address":"10.0.0.5/24"}]}""", "0.3.1").Version);
        Assert.Equal("""{"cniVersion":"1.0.0"}""", Output("null").ToString());
        Assert.Equal("""{"cniVersion":"0.2.0","ip4":{"ip":"127.0.0.1/8"},"dns":{}}""", Output("""{"cniVersion":"0.2.0","ip4":{"ip":"127.0.0.1/8"},"dns":{}}""").ToString());
    }

    [Fact]
    public void Results_convert_between_versions_as_libcnis_converters_do()
    {
        var v100 = Output("""{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mtu":1400,"socketPath":"/s"}],"ips":[{"address":"10.0.0.5/24","gateway":"10.0.0.1","interface":0},{"address":"fd00::5/64"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1","mtu":1400},{"dst":"::/0"}]}""");

        var v040 = v100.ConvertTo("0.4.0");
        Assert.Equal("""{"cniVersion":"0.4.0","interfaces":[{"name":"eth0"}],"ips":[{"version":"4","interface":0,"address":"10.0.0.5/24","gateway":"10.0.0.1"},{"version":"6","address":"fd00::5/64"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1","mtu":1400},{"dst":"::/0"}],"dns":{}}""", v040.ToString());
        Assert.Equal("""{"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.5/24","gateway":"10.0.0.1","routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1"}]},"ip6":{"ip":"fd00::5/64","routes":[{"dst":"::/0"}]},"dns":{}}""", v100.ConvertTo("0.2.0").ToString());
        Assert.Equal("""{"cniVersion":"1.1.0","interfaces":[{"name":"eth0"}],"ips":[{"address":"10.0.0.5/24","gateway":"10.0.0.1","interface":0},{"address":"fd00::5/64"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.0.0.1","mtu":1400},{"dst":"::/0"}]}""", v040.ConvertTo("1.1.0").ToString());

        var v020 = Output("""{"cniVersion":"0.2.0","ip4":{"ip":"10.1.0.5/16","gateway":"10.1.0.1","routes":[{"dst":"0.0.0.0/0"}]},"dns":{"nameservers":["10.1.0.1"]}}""");
        Assert.Equal("""{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.0.5/16","gateway":"10.1.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.1.0.1"]}}""", v020.ConvertTo("0.3.1").ToString());
        Assert.Equal("0.1.0", v020.ConvertTo("").Version);

        var noAddress = Output("""{"cniVersion":"0.4.0","interfaces":[{"name":"lo"}]}""", "0.4.0");
        Assert.Equal("cannot convert: no valid IP addresses", Assert.Throws<CniResultException>(() => noAddress.ConvertTo("0.2.0")).Message);
    }

    [Theory]
    [InlineData("""{"cniVersion":"9.9.9"}""", "unsupported CNI result version \"9.9.9\"")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5"}]}""", "result.ips[0].address: invalid CIDR address: \"10.0.0.5\"")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.05/24"}]}""", "invalid CIDR address")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/33"}]}""", "invalid CIDR address")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/24","gateway":"10.0.0"}]}""", "result.ips[0].gateway: invalid IP address: \"10.0.0\"")]
    [InlineData("""{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mtu":"big"}]}""", "result.interfaces[0].mtu: cannot unmarshal string into an int")]
    [InlineData("""{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mtu":1.5}]}""", "cannot unmarshal number 1.5 into an int")]
    [InlineData("""{"cniVersion":"1.0.0","ips":{}}""", "result.ips: cannot unmarshal object into an array")]
    [InlineData("[1]", "failed to unmarshal raw result")]
    [InlineData("not json", "failed to unmarshal raw result")]
    public void Malformed_results_are_refused_saying_where(string output, string problem) =>
        Assert.Contains(problem, Assert.Throws<CniResultException>(() => Output(output)).Message);
}
