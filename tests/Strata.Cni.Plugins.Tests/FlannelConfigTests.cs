using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Plugins;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins.Tests;

/// <summary>The flannel meta-plugin's pure parts: subnet.env and the delegate it builds (flannel-io/cni-plugin).</summary>
public sealed class FlannelConfigTests
{
    private const string SubnetEnv = "FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET=10.233.64.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n";

    /// <summary>The seed's 10-flannel.conflist plugin entry, as libcni hands it over (name and cniVersion injected).</summary>
    private const string SeedPlugin = """
        {
          "cniVersion": "0.3.1",
          "name": "container-cni-list",
          "type": "flannel",
          "delegate": {
            "isDefaultGateway": true,
            "hairpinMode": true,
            "ipMasq": true,
            "kubeconfig": "/etc/cni/net.d/flannel-kubeconfig"
          }
        }
        """;

    [Fact]
    public void The_seeds_conflist_delegates_to_bridge_on_the_nodes_subnet()
    {
        var env = FlannelSubnetEnv.Parse(SubnetEnv, "/run/flannel/subnet.env");
        var built = FlannelDelegate.Build((JsonObject)JsonNode.Parse(SeedPlugin)!, env);
        Assert.Equal(
            """{"cniVersion":"0.3.1","hairpinMode":true,"ipMasq":true,"ipam":{"ranges":[[{"subnet":"10.233.64.0/24"}]],"routes":[{"dst":"10.233.64.0/18"}],"type":"host-local"},"isDefaultGateway":true,"isGateway":true,"kubeconfig":"/etc/cni/net.d/flannel-kubeconfig","mtu":1450,"name":"container-cni-list","type":"bridge"}""",
            FlannelDelegate.Serialize(built));
    }

    [Fact]
    public void Without_a_delegate_ipMasq_is_the_opposite_of_flannels_and_ipam_routes_are_kept()
    {
        var env = FlannelSubnetEnv.Parse("FLANNEL_NETWORK=10.233.64.0/18,10.233.64.0/18\nFLANNEL_SUBNET=10.233.65.1/24\nFLANNEL_IPV6_NETWORK=fd00::/56\nFLANNEL_IPV6_SUBNET=fd00:0:0:1::1/64\nFLANNEL_MTU=1400\nFLANNEL_IPMASQ=false\n", "f");
        var config = (JsonObject)JsonNode.Parse("""{"cniVersion":"1.0.0","name":"cbr0","type":"flannel","ipam":{"routes":[{"dst":"192.168.0.0/16"}]},"runtimeConfig":{"portMappings":[]}}""")!;
        var built = FlannelDelegate.Build(config, env);
        Assert.Equal(
            """{"cniVersion":"1.0.0","ipMasq":true,"ipam":{"ranges":[[{"subnet":"10.233.65.0/24"}],[{"subnet":"fd00:0:0:1::/64"}]],"routes":[{"dst":"192.168.0.0/16"},{"dst":"10.233.64.0/18"},{"dst":"fd00::/56"}],"type":"host-local"},"isGateway":true,"mtu":1400,"name":"cbr0","runtimeConfig":{"portMappings":[]},"type":"bridge"}""",
            FlannelDelegate.Serialize(built));
    }

    [Theory]
    [InlineData("FLANNEL_SUBNET=10.233.64.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", "is missing FLANNEL_NETWORK, FLANNEL_IPV6_NETWORK")]
    [InlineData("FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_IPMASQ=true\n", "is missing FLANNEL_SUBNET, FLANNEL_IPV6_SUBNET, FLANNEL_MTU")]
    [InlineData("FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET=10.233.64.1/24\nFLANNEL_MTU=1450\n", "is missing FLANNEL_IPMASQ")]
    [InlineData("FLANNEL_NETWORK=10.233.640.0/18\nFLANNEL_SUBNET=10.233.64.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", "FLANNEL_NETWORK=10.233.640.0/18 is not valid")]
    [InlineData("FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET=10.233.64.1/24\nFLANNEL_MTU=big\nFLANNEL_IPMASQ=true\n", "FLANNEL_MTU=big is not valid")]
    public void A_bad_subnet_env_names_what_is_wrong(string text, string expected)
    {
        var error = Assert.Throws<CniException>(() => FlannelSubnetEnv.Parse(text, "/run/flannel/subnet.env"));
        Assert.Contains("/run/flannel/subnet.env", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("""{"name":"x"}""", "'delegate' dictionary must not have 'name' field, it'll be set by flannel")]
    [InlineData("""{"ipam":{}}""", "'delegate' dictionary must not have 'ipam' field, it'll be set by flannel")]
    [InlineData("""{"type":7}""", "'delegate' dictionary, if present, must have (string) 'type' field")]
    public void Delegates_that_flannel_would_overwrite_are_refused(string @delegate, string expected)
    {
        var env = FlannelSubnetEnv.Parse(SubnetEnv, "f");
        var config = (JsonObject)JsonNode.Parse($$"""{"cniVersion":"1.0.0","name":"cbr0","type":"flannel","delegate":{{@delegate}}}""")!;
        var error = Assert.Throws<CniException>(() => FlannelDelegate.Build(config, env));
        Assert.Equal(expected, error.Message);
    }
}
