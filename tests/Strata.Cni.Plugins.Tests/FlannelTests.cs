using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Strata.Cni.Plugins.Plugins;

namespace Strata.Cni.Plugins.Tests;

/// <summary>
/// The seed's 10-flannel.conflist entry through Strata's flannel meta-plugin, delegating once to
/// Strata's bridge + host-local and once to Debian's reference ones: the results must agree.
/// </summary>
public sealed partial class FlannelTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"strata-t-{Guid.NewGuid():N}");

    public FlannelTests()
    {
        Directory.CreateDirectory(_root);
        File.WriteAllText(SubnetFile, "FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET=10.233.64.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
    }

    private string SubnetFile => Path.Combine(_root, "subnet.env");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Config(string side) => $$"""
        {"cniVersion":"0.3.1","name":"container-cni-list","type":"flannel",
         "subnetFile":"{{SubnetFile}}","dataDir":"{{_root}}/{{side}}/flannel",
         "ipam":{"dataDir":"{{_root}}/{{side}}/networks"},
         "delegate":{"isDefaultGateway":true,"hairpinMode":true,"ipMasq":true,"kubeconfig":"/etc/cni/net.d/flannel-kubeconfig"}
        }
        """;

    private PluginRun Run(string command, string side, ScratchNamespace host, ScratchNamespace container, string delegates) =>
        CniPlugins.Strata.Run("flannel", command, Config(side), "pod1", $"/run/netns/{container.Name}", "eth0", hostNetns: host.Name,
            extraEnvironment: new Dictionary<string, string> { ["CNI_PATH"] = delegates });

    [RootFact]
    public void The_seeds_conflist_works_with_our_delegates_and_with_the_reference_ones()
    {
        using var host = ScratchNamespace.Create();
        using var container = ScratchNamespace.Create();
        using var refHost = ScratchNamespace.Create();
        using var refContainer = ScratchNamespace.Create();

        var ours = Run("ADD", "ours", host, container, CniPlugins.Strata.Directory);
        var reference = Run("ADD", "reference", refHost, refContainer, CniPlugins.Reference.Directory);
        Assert.True(ours.ExitCode == 0, ours.Stdout + ours.Stderr);
        Assert.True(reference.ExitCode == 0, reference.Stdout + reference.Stderr);
        Assert.Equal(Normalise(reference.Stdout, refContainer.Name), Normalise(ours.Stdout, container.Name));

        var result = ours.Json;
        Assert.Equal("0.3.1", result["cniVersion"]!.GetValue<string>());
        Assert.Equal("10.233.64.2/24", result["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Contains("10.233.64.0/18 via 10.233.64.1 dev eth0", Tool.Check("ip", "-n", container.Name, "route"));
        Assert.Contains("default via 10.233.64.1 dev eth0", Tool.Check("ip", "-n", container.Name, "route"));
        Assert.Equal(1450, host.Netlink.GetLink("cni0").Mtu);
        Assert.True(Tool.Ping(container.Name, "10.233.64.1"));

        // What flannel saved for DEL: the delegate, exactly as built from subnet.env.
        string saved = File.ReadAllText(Path.Combine(_root, "ours", "flannel", "pod1"));
        Assert.Equal(FlannelDelegate.Serialize(FlannelDelegate.Build((JsonObject)JsonNode.Parse(Config("ours"))!,
            FlannelSubnetEnv.Parse(File.ReadAllText(SubnetFile), SubnetFile))), saved);
        Assert.Contains("\"ipMasq\":true", saved);

        Assert.Equal(0, Run("DEL", "ours", host, container, CniPlugins.Strata.Directory).ExitCode);
        Assert.False(File.Exists(Path.Combine(_root, "ours", "flannel", "pod1")));
        Assert.Null(container.Netlink.FindLink("eth0"));
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(_root, "ours", "networks", "container-cni-list")), f => f.Contains("10.233.64."));
        Assert.Equal(0, Run("DEL", "ours", host, container, CniPlugins.Strata.Directory).ExitCode);
        Assert.Equal(0, Run("DEL", "reference", refHost, refContainer, CniPlugins.Reference.Directory).ExitCode);
    }

    [RootFact]
    public void A_missing_subnet_env_says_where_to_look()
    {
        using var host = ScratchNamespace.Create();
        using var container = ScratchNamespace.Create();
        File.Delete(SubnetFile);
        var run = Run("ADD", "ours", host, container, CniPlugins.Strata.Directory);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"failed to load flannel 'subnet.env' file: open {SubnetFile}: no such file or directory. Check the flannel pod log for this node.", run.Json["msg"]!.GetValue<string>());
        Assert.Null(container.Netlink.FindLink("eth0"));
    }

    private static string Normalise(string json, string container) =>
        Regex.Replace(Regex.Replace(json.Replace(container, "CONTAINER"), "([0-9a-f]{2}:){5}[0-9a-f]{2}", "MAC"), "veth[0-9a-f]{8}", "vethX");
}
