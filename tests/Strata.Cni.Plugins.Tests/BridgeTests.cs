using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Tests;

/// <summary>
/// <c>bridge</c> (with <c>host-local</c>) against Debian's reference plugins. Each side runs in
/// its own scratch "host" namespace and wires up its own scratch container namespace.
/// </summary>
public sealed partial class BridgeTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"strata-t-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private string Config(string side, string options = "\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true") =>
        "{\"cniVersion\":\"1.0.0\",\"name\":\"brtest\",\"type\":\"bridge\",\"bridge\":\"cni0\",\"mtu\":1450," + options +
        ",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + Path.Combine(_root, side) + "\",\"ranges\":[[{\"subnet\":\"10.22.0.0/16\"}]],\"routes\":[{\"dst\":\"10.233.64.0/18\"}]}}";

    private sealed record Side(CniPlugins Plugins, string Name, ScratchNamespace Host, ScratchNamespace Container) : IDisposable
    {
        public PluginRun Run(string command, string config, string containerId = "ctr1", ScratchNamespace? container = null) =>
            Plugins.Run("bridge", command, config, containerId, $"/run/netns/{(container ?? Container).Name}", "eth0", hostNetns: Host.Name);

        public void Dispose()
        {
            Container.Dispose();
            Host.Dispose();
        }
    }

    private static Side Make(CniPlugins plugins, string name) => new(plugins, name, ScratchNamespace.Create(), ScratchNamespace.Create());

    [RootFact]
    public void Add_check_and_del_leave_the_same_kernel_state_as_the_reference()
    {
        using var ours = Make(CniPlugins.Strata, "ours");
        using var reference = Make(CniPlugins.Reference, "reference");

        var expected = reference.Run("ADD", Config(reference.Name));
        var actual = ours.Run("ADD", Config(ours.Name));
        Assert.True(expected.ExitCode == 0, expected.Stdout);
        Assert.True(actual.ExitCode == 0, actual.Stdout + actual.Stderr);
        Assert.Equal(Normalise(expected.Stdout, reference), Normalise(actual.Stdout, ours));

        // The container: addresses and routes, as ip prints them.
        Assert.Equal(Addresses(reference.Container.Name, "eth0"), Addresses(ours.Container.Name, "eth0"));
        Assert.Equal(Tool.Check("ip", "-n", reference.Container.Name, "route"), Tool.Check("ip", "-n", ours.Container.Name, "route"));
        Assert.Equal(ours.Container.Netlink.GetLink("eth0").Mtu, reference.Container.Netlink.GetLink("eth0").Mtu);

        // The host: bridge address and MTU, the port's hairpin mode, forwarding, masquerade rules.
        Assert.Equal(Addresses(reference.Host.Name, "cni0"), Addresses(ours.Host.Name, "cni0"));
        Assert.Equal(Bridge(reference.Host.Name), Bridge(ours.Host.Name));
        Assert.Equal("1", ours.Host.Namespace.ReadSysctl("net.ipv4.ip_forward"));
        Assert.Equal(Nat(reference.Host.Name), Nat(ours.Host.Name));
        Assert.Contains("-A POSTROUTING -s 10.22.0.2/32 -m comment --comment \"name: \\\"brtest\\\" id: \\\"ctr1\\\"\" -j CNI-", Nat(ours.Host.Name));

        // CHECK gets the ADD result as prevResult.
        var withPrev = (JsonObject)JsonNode.Parse(Config(ours.Name))!;
        withPrev["prevResult"] = actual.Json;
        Assert.Equal(0, ours.Run("CHECK", withPrev.ToJsonString()).ExitCode);

        Assert.Equal(0, reference.Run("DEL", Config(reference.Name)).ExitCode);
        Assert.Equal(0, ours.Run("DEL", Config(ours.Name)).ExitCode);
        Assert.Equal(Nat(reference.Host.Name), Nat(ours.Host.Name));
        Assert.DoesNotContain(ours.Host.Netlink.GetLinks(), l => l.Kind == "veth");
        Assert.Null(ours.Container.Netlink.FindLink("eth0"));
        Assert.Equal(0, ours.Run("DEL", Config(ours.Name)).ExitCode);
        Assert.Equal(0, ours.Run("DEL", Config(ours.Name), container: null).ExitCode);
    }

    [RootTheory]
    [InlineData("\"isDefaultGateway\":true,\"promiscMode\":true", "")]
    [InlineData("\"isGateway\":true,\"forceAddress\":true", "10.22.9.9/16")]
    [InlineData("\"isGateway\":true", "10.22.9.9/16")]
    [InlineData("\"hairpinMode\":false", "")]
    public void Other_options_match_the_reference(string options, string existingBridgeAddress)
    {
        using var ours = Make(CniPlugins.Strata, "ours");
        using var reference = Make(CniPlugins.Reference, "reference");
        if (existingBridgeAddress.Length > 0)
        {
            foreach (var side in new[] { ours, reference })
            {
                side.Host.Netlink.AddLink(new BridgeSpec("cni0"));
                side.Host.Netlink.AddAddress("cni0", IpPrefix.Parse(existingBridgeAddress));
            }
        }

        var expected = reference.Run("ADD", Config(reference.Name, options));
        var actual = ours.Run("ADD", Config(ours.Name, options));
        Assert.Equal(expected.ExitCode, actual.ExitCode);
        if (expected.ExitCode != 0)
        {
            // Without forceAddress a different gateway address on the bridge is refused, and the veth is removed.
            Assert.Equal(expected.Json["msg"]!.GetValue<string>(), actual.Json["msg"]!.GetValue<string>());
            Assert.DoesNotContain(ours.Host.Netlink.GetLinks(), l => l.Kind == "veth");
            return;
        }

        Assert.Equal(Normalise(expected.Stdout, reference), Normalise(actual.Stdout, ours));
        Assert.Equal(Tool.Check("ip", "-n", reference.Container.Name, "route"), Tool.Check("ip", "-n", ours.Container.Name, "route"));
        Assert.Equal(Addresses(reference.Host.Name, "cni0"), Addresses(ours.Host.Name, "cni0"));
        Assert.Equal(Bridge(reference.Host.Name), Bridge(ours.Host.Name));
        Assert.Equal(Nat(reference.Host.Name), Nat(ours.Host.Name));
    }

    [RootFact]
    public void Two_containers_on_the_bridge_reach_each_other_and_the_gateway()
    {
        using var side = Make(CniPlugins.Strata, "ours");
        using var second = ScratchNamespace.Create();
        string config = Config(side.Name, "\"isDefaultGateway\":true");
        Assert.Equal(0, side.Run("ADD", config).ExitCode);
        var run = side.Run("ADD", config, "ctr2", second);
        Assert.True(run.ExitCode == 0, run.Stdout);
        Assert.Equal("10.22.0.3/16", run.Json["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Contains("default via 10.22.0.1 dev eth0", Tool.Check("ip", "-n", second.Name, "route"));

        Assert.True(Tool.Ping(second.Name, "10.22.0.2"));
        Assert.True(Tool.Ping(side.Container.Name, "10.22.0.3"));
        Assert.True(Tool.Ping(side.Container.Name, "10.22.0.1"));
        Assert.Equal(0, side.Run("DEL", config, "ctr2", second).ExitCode);
        Assert.False(Tool.Ping(side.Container.Name, "10.22.0.3"));
    }

    [RootFact]
    public void An_unknown_ipam_plugin_is_named_and_nothing_is_left_behind()
    {
        using var side = Make(CniPlugins.Strata, "ours");
        string config = Config(side.Name).Replace("\"type\":\"host-local\"", "\"type\":\"nosuch-ipam\"");
        var run = side.Run("ADD", config);
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("failed to find plugin \"nosuch-ipam\" in path [", run.Json["msg"]!.GetValue<string>());
        Assert.DoesNotContain(side.Host.Netlink.GetLinks(), l => l.Kind == "veth");
        Assert.Null(side.Container.Netlink.FindLink("eth0"));
    }

    [RootFact]
    public void A_link_named_like_the_bridge_that_is_not_one_is_refused()
    {
        using var side = Make(CniPlugins.Strata, "ours");
        side.Host.Netlink.AddLink(new VethSpec("cni0", "cni0peer"));
        var run = side.Run("ADD", Config(side.Name));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("\"cni0\" already exists but is not a bridge", run.Json["msg"]!.GetValue<string>());
        Assert.Null(side.Container.Netlink.FindLink("eth0"));
        Assert.False(Directory.Exists(Path.Combine(_root, side.Name, "brtest")) && Directory.EnumerateFiles(Path.Combine(_root, side.Name, "brtest")).Any(f => f.Contains("10.22.")));
    }

    [RootFact]
    public void Hairpin_and_promiscuous_mode_together_are_refused_like_the_reference()
    {
        using var ours = Make(CniPlugins.Strata, "ours");
        using var reference = Make(CniPlugins.Reference, "reference");
        const string options = "\"hairpinMode\":true,\"promiscMode\":true";
        var actual = ours.Run("ADD", Config(ours.Name, options));
        var expected = reference.Run("ADD", Config(reference.Name, options));
        Assert.Equal(expected.Json["msg"]!.GetValue<string>(), actual.Json["msg"]!.GetValue<string>());
        Assert.Equal(expected.ErrorCode, actual.ErrorCode);
    }

    private static string Normalise(string json, Side side) =>
        VethName().Replace(MacPattern().Replace(json.Replace(side.Container.Name, "CONTAINER"), "MAC"), "vethXXXXXXXX");

    private static string Addresses(string ns, string device) =>
        string.Join(',', Tool.IpJson(ns, "addr", "show", "dev", device)[0].GetProperty("addr_info").EnumerateArray()
            .Where(a => a.GetProperty("scope").GetString() != "link")
            .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}"));

    private static string Bridge(string ns)
    {
        var links = Tool.IpJson(ns, "link", "show").EnumerateArray().ToList();
        var bridge = links.Single(l => l.GetProperty("ifname").GetString() == "cni0");
        var port = links.Single(l => l.TryGetProperty("master", out var m) && m.GetString() == "cni0");
        return $"mtu={bridge.GetProperty("mtu")} flags={string.Join(',', bridge.GetProperty("flags").EnumerateArray())} " +
               $"port-mtu={port.GetProperty("mtu")} hairpin={port.GetProperty("linkinfo").GetProperty("info_slave_data").GetProperty("hairpin")}";
    }

    private static string Nat(string ns) =>
        string.Join('\n', Tool.Check("ip", "netns", "exec", ns, "iptables-save", "-t", "nat").Split('\n')
            .Where(l => !l.StartsWith('#')).Select(l => Regex.Replace(l, @"^(:\S+ \S+) \[\d+:\d+\]$", "$1")));

    [GeneratedRegex("([0-9a-f]{2}:){5}[0-9a-f]{2}")]
    private static partial Regex MacPattern();

    [GeneratedRegex("veth[0-9a-f]{8}")]
    private static partial Regex VethName();
}
