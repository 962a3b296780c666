using Strata.Flannel.Config;
using Strata.Netlink;

namespace Strata.Flannel.Tests;

public sealed class NetConfParserTests
{
    private const string Source = "net-conf.json";

    [Fact]
    public void VxlanConfigFromTheIssueParsesWithUpstreamDefaults()
    {
        var conf = NetConfParser.Parse("""{"Network":"10.233.64.0/18","Backend":{"Type":"vxlan","VNI":1,"Port":8472,"DirectRouting":false}}""", Source);

        Assert.Equal(IpPrefix.Parse("10.233.64.0/18"), conf.Network);
        Assert.Equal(24, conf.SubnetLen);
        Assert.Equal("10.233.65.0", conf.SubnetMin.ToString());
        Assert.Equal("10.233.127.0", conf.SubnetMax.ToString());
        var vxlan = Assert.IsType<VxlanConfig>(conf.Backend);
        Assert.Equal((1, 8472, false, false), (vxlan.Vni, vxlan.EffectivePort, vxlan.DirectRouting, vxlan.Learning));
        Assert.Equal("flannel.1", vxlan.DeviceName);
    }

    [Fact]
    public void FieldNamesMatchCaseInsensitivelyAndUnknownFieldsAreIgnored()
    {
        var conf = NetConfParser.Parse("""{"network":"10.244.0.0/16","backend":{"type":"vxlan","vni":4,"directrouting":true},"Extra":1}""", Source);

        var vxlan = Assert.IsType<VxlanConfig>(conf.Backend);
        Assert.Equal(4, vxlan.Vni);
        Assert.True(vxlan.DirectRouting);
        Assert.Equal(8472, vxlan.EffectivePort);
        Assert.Equal("flannel.4", vxlan.DeviceName);
    }

    [Fact]
    public void MissingBackendMeansUdpOnPort8285AsUpstream()
    {
        var conf = NetConfParser.Parse("""{"Network":"10.244.0.0/16"}""", Source);

        Assert.Equal(new UdpConfig(8285), conf.Backend);
    }

    [Fact]
    public void HostGwAndSmallNetworkGetsSubnetLenPlusTwo()
    {
        var conf = NetConfParser.Parse("""{"Network":"10.1.0.0/24","Backend":{"Type":"host-gw"}}""", Source);

        Assert.IsType<HostGwConfig>(conf.Backend);
        Assert.Equal(26, conf.SubnetLen);
    }

    [Theory]
    [InlineData("not json", "net-conf.json: not valid JSON")]
    [InlineData("[1]", "net-conf.json: expected a JSON object, got an array")]
    [InlineData("""{"Backend":{"Type":"vxlan"}}""", "net-conf.json: Network: missing")]
    [InlineData("""{"Network":"10.233.64.0"}""", "net-conf.json: Network: \"10.233.64.0\" is not an IPv4 CIDR")]
    [InlineData("""{"Network":"10.233.64.1/18"}""", "net-conf.json: Network: \"10.233.64.1/18\" has host bits set (did you mean 10.233.64.0/18?)")]
    [InlineData("""{"Network":42}""", "net-conf.json: Network: expected a string, got the number 42")]
    [InlineData("""{"Network":"10.0.0.0/30"}""", "net-conf.json: Network: 10.0.0.0/30 is too small")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetLen":31}""", "net-conf.json: SubnetLen: 31 must be less than /31")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetLen":17}""", "net-conf.json: SubnetLen: /17 in Network 10.0.0.0/16")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetLen":"24"}""", "net-conf.json: SubnetLen: expected an integer, got the string \"24\"")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetMin":"10.1.0.0"}""", "net-conf.json: SubnetMin: 10.1.0.0 is not in the range of the Network 10.0.0.0/16")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetMax":"10.0.3.7"}""", "net-conf.json: SubnetMax: 10.0.3.7 is not on a SubnetLen (/24) boundary")]
    [InlineData("""{"Network":"10.0.0.0/16","SubnetMin":"ten"}""", "net-conf.json: SubnetMin: \"ten\" is not an IPv4 address")]
    [InlineData("""{"Network":"10.0.0.0/16","EnableIPv6":true}""", "net-conf.json: EnableIPv6: IPv6 is not supported")]
    [InlineData("""{"Network":"10.0.0.0/16","EnableNFTables":true}""", "net-conf.json: EnableNFTables:")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":"vxlan"}""", "net-conf.json: Backend: expected an object, got the string \"vxlan\"")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":{}}""", "net-conf.json: Backend.Type: missing (one of vxlan, host-gw, udp)")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":{"Type":"wireguard"}}""", "net-conf.json: Backend.Type: \"wireguard\" is not a supported backend (one of vxlan, host-gw, udp)")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":{"Type":"vxlan","VNI":16777216}}""", "net-conf.json: Backend.VNI: 16777216 is not a VXLAN network identifier")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":{"Type":"vxlan","VNI":"1"}}""", "net-conf.json: Backend.VNI: expected an integer, got the string \"1\"")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":{"Type":"vxlan","Port":70000}}""", "net-conf.json: Backend.Port: 70000 is not a UDP port")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":{"Type":"vxlan","DirectRouting":"yes"}}""", "net-conf.json: Backend.DirectRouting: expected true or false, got the string \"yes\"")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":{"Type":"vxlan","MTU":100}}""", "net-conf.json: Backend.MTU: 100 leaves no room")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":{"Type":"vxlan","GBP":true}}""", "net-conf.json: Backend.GBP:")]
    [InlineData("""{"Network":"10.0.0.0/16","Backend":{"Type":"udp","Port":-1}}""", "net-conf.json: Backend.Port: -1 is not a UDP port")]
    public void BadConfigurationNamesTheSourceAndTheField(string json, string expectedStart)
    {
        var error = Assert.Throws<NetConfException>(() => NetConfParser.Parse(json, Source));

        Assert.StartsWith(expectedStart, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorsNameTheConfigMapSource()
    {
        var error = Assert.Throws<NetConfException>(() =>
            NetConfParser.Parse("""{"Network":"10.0.0.0/16","Backend":{"Type":"bogus"}}""", "ConfigMap kube-flannel/kube-flannel-cfg key net-conf.json"));

        Assert.StartsWith("ConfigMap kube-flannel/kube-flannel-cfg key net-conf.json: Backend.Type: \"bogus\"", error.Message, StringComparison.Ordinal);
    }
}
