using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Tests;

/// <summary>
/// <c>bridge</c> against Debian's reference plugin. Each side runs inside its own scratch "host"
/// namespace (the bridge is made where the plugin runs) and wires up its own scratch container
/// namespace. Both sides use the reference <c>host-local</c> for IPAM unless a test says otherwise,
/// so that what differs is the bridge plugin alone.
/// </summary>
public sealed partial class BridgeTests : IDisposable
{
    private const string DefaultOptions = "\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true";
    private const string V4Ranges = "[[{\"subnet\":\"10.22.0.0/16\"}]]";
    private const string DualStackRanges = "[[{\"subnet\":\"10.22.0.0/16\"}],[{\"subnet\":\"fd00:22::/64\"}]]";

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"strata-t-{Guid.NewGuid():N}");
    private readonly List<IDisposable> _cleanup = [];

    public BridgeTests()
    {
        // The reference IPAM plugins, ahead of ours on our side's CNI_PATH.
        Directory.CreateDirectory(ReferenceIpam);
        foreach (string plugin in new[] { "host-local", "static" })
        {
            File.CreateSymbolicLink(Path.Combine(ReferenceIpam, plugin), Path.Combine(CniPlugins.Reference.Directory, plugin));
        }
    }

    private string ReferenceIpam => Path.Combine(_root, "ipam");

    public void Dispose()
    {
        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            item.Dispose();
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private string DataDir(Side side) => Path.Combine(_root, side.Name);

    private string Config(Side side, string options = DefaultOptions, string version = "1.0.0", string ranges = V4Ranges, string? ipam = null) =>
        "{\"cniVersion\":\"" + version + "\",\"name\":\"brtest\",\"type\":\"bridge\",\"bridge\":\"cni0\",\"mtu\":1450" +
        (options.Length > 0 ? "," + options : string.Empty) +
        ",\"ipam\":" + (ipam ?? "{\"type\":\"host-local\",\"dataDir\":\"" + DataDir(side) + "\",\"ranges\":" + ranges + ",\"routes\":[{\"dst\":\"10.233.64.0/18\"}]}") + "}";

    private sealed record Side(CniPlugins Plugins, string Name, ScratchNamespace Host, ScratchNamespace Container, string? CniPath) : IDisposable
    {
        public PluginRun Run(string command, string config, string containerId = "ctr1", ScratchNamespace? container = null, string cniArgs = "", string ifName = "eth0") =>
            Plugins.Run("bridge", command, config, containerId, $"/run/netns/{(container ?? Container).Name}", ifName, cniArgs, hostNetns: Host.Name, cniPath: CniPath);

        public void Dispose()
        {
            Container.Dispose();
            Host.Dispose();
        }
    }

    private Side Reference() => Track(new Side(CniPlugins.Reference, "reference", ScratchNamespace.Create(), ScratchNamespace.Create(), null));

    /// <summary>Strata's bridge; IPAM from the reference host-local, or Strata's own with <paramref name="strataIpam"/>.</summary>
    private Side Ours(bool strataIpam = false) =>
        Track(new Side(CniPlugins.Strata, strataIpam ? "ours-strata-ipam" : "ours", ScratchNamespace.Create(), ScratchNamespace.Create(),
            strataIpam ? null : $"{ReferenceIpam}:{CniPlugins.Strata.Directory}"));

    private T Track<T>(T item)
        where T : IDisposable
    {
        _cleanup.Add(item);
        return item;
    }

    [RootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Add_check_and_del_leave_the_same_kernel_state_as_the_reference(bool strataIpam)
    {
        var reference = Reference();
        var ours = Ours(strataIpam);

        var expected = reference.Run("ADD", Config(reference));
        var actual = ours.Run("ADD", Config(ours));
        Assert.True(expected.ExitCode == 0, expected.Stdout);
        Assert.True(actual.ExitCode == 0, actual.Stdout + actual.Stderr);
        Assert.Equal(Normalise(expected.Stdout, reference), Normalise(actual.Stdout, ours));
        Assert.Contains("\"address\": \"10.22.0.2/16\"", actual.Stdout);

        AssertSameKernelState(reference, ours);
        Assert.Equal("1", ours.Host.Namespace.ReadSysctl("net.ipv4.ip_forward"));
        Assert.Contains("-A POSTROUTING -s 10.22.0.2/32 -m comment --comment \"name: \\\"brtest\\\" id: \\\"ctr1\\\"\" -j CNI-", Nat(ours.Host.Name));

        // CHECK with the ADD's result as prevResult: ours on our state and on the reference's, and the
        // reference's on ours, which must answer as it does on its own state. (v1.1.1's CHECK wants a
        // route without gw to have none in the kernel, so it fails on its own ADD here; upstream fixed that.)
        Ok(Check(ours, actual));
        Ok(Check(ours, expected, runAs: reference));
        Assert.Equal(Answer(Check(reference, expected)), Answer(Check(reference, actual, runAs: ours)));

        Assert.Equal(0, reference.Run("DEL", Config(reference)).ExitCode);
        var del = ours.Run("DEL", Config(ours));
        Assert.True(del.ExitCode == 0, del.Stdout);
        Assert.Equal(Nat(reference.Host.Name), Nat(ours.Host.Name));
        Assert.DoesNotContain("CNI-", Nat(ours.Host.Name));
        Assert.DoesNotContain(ours.Host.Netlink.GetLinks(), l => l.Kind == "veth");
        Assert.Null(ours.Container.Netlink.FindLink("eth0"));
        Assert.Empty(AllocatedAddresses(ours));

        // DEL again, and DEL without the namespace, both succeed.
        Assert.Equal(0, ours.Run("DEL", Config(ours)).ExitCode);
        Assert.Equal(0, ours.Plugins.Run("bridge", "DEL", Config(ours), "ctr1", "", "eth0", hostNetns: ours.Host.Name, cniPath: ours.CniPath).ExitCode);
    }

    [RootFact]
    public void Dual_stack_with_a_default_gateway_matches_the_reference()
    {
        var reference = Reference();
        var ours = Ours();
        const string options = "\"isDefaultGateway\":true,\"ipMasq\":true";

        var expected = reference.Run("ADD", Config(reference, options, ranges: DualStackRanges));
        var actual = ours.Run("ADD", Config(ours, options, ranges: DualStackRanges));
        Assert.True(expected.ExitCode == 0, expected.Stdout);
        Assert.True(actual.ExitCode == 0, actual.Stdout + actual.Stderr);
        Assert.Equal(Normalise(expected.Stdout, reference), Normalise(actual.Stdout, ours));
        Assert.Contains("fd00:22::2/64", actual.Stdout);

        AssertSameKernelState(reference, ours);
        Assert.Equal(Nat(reference.Host.Name, ipv6: true), Nat(ours.Host.Name, ipv6: true));
        Assert.Contains("-A POSTROUTING -s fd00:22::2/128", Nat(ours.Host.Name, ipv6: true));
        Assert.Equal("1", ours.Host.Namespace.ReadSysctl("net.ipv6.conf.all.forwarding"));
        Assert.Contains("default via fd00:22::1 dev eth0", Tool.Check("ip", "-n", ours.Container.Name, "-6", "route"));
        Ok(Check(ours, actual));
        Assert.Equal(Answer(Check(reference, expected)), Answer(Check(reference, actual, runAs: ours)));

        Assert.Equal(0, reference.Run("DEL", Config(reference, options, ranges: DualStackRanges)).ExitCode);
        Assert.Equal(0, ours.Run("DEL", Config(ours, options, ranges: DualStackRanges)).ExitCode);
        Assert.Equal(Nat(reference.Host.Name, ipv6: true), Nat(ours.Host.Name, ipv6: true));
        Assert.DoesNotContain("CNI-", Nat(ours.Host.Name, ipv6: true));
        Assert.Empty(AllocatedAddresses(ours));
    }

    [RootTheory]
    [InlineData("\"isDefaultGateway\":true,\"promiscMode\":true", "")]
    [InlineData("\"isGateway\":true,\"forceAddress\":true", "10.22.9.9/16")]
    [InlineData("\"isGateway\":true", "10.22.9.9/16")]
    [InlineData("\"isGateway\":true", "10.22.0.1/16")]
    [InlineData("\"hairpinMode\":false", "")]
    [InlineData("", "")]
    [InlineData("\"dns\":{\"nameservers\":[\"10.233.0.3\"],\"search\":[\"svc.cluster.local\"],\"unknown\":1}", "")]
    public void Other_options_match_the_reference(string options, string existingBridgeAddress)
    {
        var reference = Reference();
        var ours = Ours();
        if (existingBridgeAddress.Length > 0)
        {
            foreach (var side in new[] { ours, reference })
            {
                side.Host.Netlink.AddLink(new BridgeSpec("cni0"));
                side.Host.Netlink.AddAddress("cni0", IpPrefix.Parse(existingBridgeAddress));
            }
        }

        var expected = reference.Run("ADD", Config(reference, options));
        var actual = ours.Run("ADD", Config(ours, options));
        Assert.Equal(expected.ExitCode, actual.ExitCode);
        if (expected.ExitCode != 0)
        {
            // Without forceAddress a different gateway address on the bridge is refused; ours removes the veth and releases the IP.
            Assert.Equal(expected.Json["msg"]!.GetValue<string>(), actual.Json["msg"]!.GetValue<string>());
            Assert.DoesNotContain(ours.Host.Netlink.GetLinks(), l => l.Kind == "veth");
            Assert.Null(ours.Container.Netlink.FindLink("eth0"));
            Assert.Empty(AllocatedAddresses(ours));
            return;
        }

        Assert.Equal(Normalise(expected.Stdout, reference), Normalise(actual.Stdout, ours));
        AssertSameKernelState(reference, ours);
    }

    [RootTheory]
    [InlineData("0.3.1")]
    [InlineData("0.4.0")]
    public void Results_in_older_spec_versions_match_the_reference(string version)
    {
        var reference = Reference();
        var ours = Ours();
        const string options = "\"isDefaultGateway\":true,\"dns\":{\"nameservers\":[\"10.233.0.3\"]}";
        var expected = reference.Run("ADD", Config(reference, options, version, DualStackRanges));
        var actual = ours.Run("ADD", Config(ours, options, version, DualStackRanges));
        Assert.True(expected.ExitCode == 0, expected.Stdout);
        Assert.Equal(Normalise(expected.Stdout, reference), Normalise(actual.Stdout, ours));
        Assert.Contains("\"version\": \"6\"", actual.Stdout);
        if (version == "0.4.0")
        {
            Ok(Check(ours, actual, version));
        }
    }

    [RootTheory]
    [InlineData("IgnoreUnknown=1;K8S_POD_NAME=web;MAC=0a:58:0a:16:00:99", "", "0a:58:0a:16:00:99")]
    [InlineData("", "\"runtimeConfig\":{\"mac\":\"0a:58:0a:16:00:98\"}", "0a:58:0a:16:00:98")]
    [InlineData("IgnoreUnknown=1;MAC=0a:58:0a:16:00:97", "\"args\":{\"cni\":{\"mac\":\"0a:58:0a:16:00:96\"}}", "0a:58:0a:16:00:96")]
    [InlineData("IgnoreUnknown=1;MAC=0a:58:0a:16:00:97", "\"args\":{\"cni\":{\"mac\":\"0a:58:0a:16:00:96\"}},\"runtimeConfig\":{\"mac\":\"0a:58:0a:16:00:95\"}", "0a:58:0a:16:00:95")]
    public void The_container_mac_comes_from_runtimeConfig_args_or_CNI_ARGS_like_the_reference(string cniArgs, string options, string mac)
    {
        var reference = Reference();
        var ours = Ours();
        var expected = reference.Run("ADD", Config(reference, options), cniArgs: cniArgs);
        var actual = ours.Run("ADD", Config(ours, options), cniArgs: cniArgs);
        Assert.True(expected.ExitCode == 0, expected.Stdout);
        Assert.True(actual.ExitCode == 0, actual.Stdout);
        Assert.Equal(mac, MacAddress.Format(reference.Container.Netlink.GetLink("eth0").Address));
        Assert.Equal(mac, MacAddress.Format(ours.Container.Netlink.GetLink("eth0").Address));
        Assert.Equal(mac, actual.Json["interfaces"]![2]!["mac"]!.GetValue<string>());
        Assert.Equal(Normalise(expected.Stdout, reference), Normalise(actual.Stdout, ours));
        Ok(Check(ours, actual, cniArgs: cniArgs));
    }

    [RootFact]
    public void Two_containers_on_the_bridge_reach_each_other_and_the_gateway()
    {
        var side = Ours(strataIpam: true);
        var second = Track(ScratchNamespace.Create());
        string config = Config(side, "\"isDefaultGateway\":true");
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
        Assert.True(Tool.Ping(side.Container.Name, "10.22.0.1"));
    }

    [RootFact]
    public void Without_ipam_the_veth_is_layer_2_only_like_the_reference()
    {
        var reference = Reference();
        var ours = Ours();
        string config = "{\"cniVersion\":\"1.0.0\",\"name\":\"brtest\",\"type\":\"bridge\",\"isGateway\":true,\"ipMasq\":true}";
        var expected = reference.Run("ADD", config);
        var actual = ours.Run("ADD", config);
        Assert.True(expected.ExitCode == 0, expected.Stdout);
        Assert.True(actual.ExitCode == 0, actual.Stdout + actual.Stderr);
        Assert.Equal(Normalise(expected.Stdout, reference), Normalise(actual.Stdout, ours));
        Assert.True(ours.Container.Netlink.GetLink("eth0").IsUp);
        Assert.Empty(Addresses(ours.Container.Name, "eth0"));
        Assert.Equal(Nat(reference.Host.Name), Nat(ours.Host.Name));
        Assert.Equal(0, ours.Run("DEL", config).ExitCode);
        Assert.Null(ours.Container.Netlink.FindLink("eth0"));
    }

    [RootFact]
    public void Del_after_the_namespace_is_gone_releases_the_address_and_the_rules()
    {
        var ours = Ours();
        Assert.Equal(0, ours.Run("ADD", Config(ours)).ExitCode);
        Assert.Contains("CNI-", Nat(ours.Host.Name));
        ours.Container.Dispose(); // closes our handles too, so the kernel can dismantle the namespace and its veth

        var del = ours.Run("DEL", Config(ours));
        Assert.True(del.ExitCode == 0, del.Stdout);
        Assert.Empty(AllocatedAddresses(ours));
        Assert.DoesNotContain("CNI-", Nat(ours.Host.Name)); // upstream leaves the chain here; Strata removes it by name
        for (int i = 0; i < 40 && ours.Host.Netlink.GetLinks().Any(l => l.Kind == "veth"); i++)
        {
            Thread.Sleep(50); // the kernel removes the namespace's links asynchronously
        }

        Assert.DoesNotContain(ours.Host.Netlink.GetLinks(), l => l.Kind == "veth");
    }

    [RootFact]
    public void An_unknown_ipam_plugin_is_named_and_nothing_is_left_behind()
    {
        var reference = Reference();
        var ours = Ours();
        string expected = reference.Run("ADD", Config(reference).Replace("\"type\":\"host-local\"", "\"type\":\"nosuch-ipam\"")).Json["msg"]!.GetValue<string>();
        var run = ours.Run("ADD", Config(ours).Replace("\"type\":\"host-local\"", "\"type\":\"nosuch-ipam\""));
        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"failed to find plugin \"nosuch-ipam\" in path [{ReferenceIpam} {CniPlugins.Strata.Directory}]", run.Json["msg"]!.GetValue<string>());
        Assert.Equal("failed to find plugin \"nosuch-ipam\" in path [/usr/lib/cni]", expected);
        Assert.DoesNotContain(ours.Host.Netlink.GetLinks(), l => l.Kind == "veth"); // the reference leaves its veth for the runtime's DEL
        Assert.Null(ours.Container.Netlink.FindLink("eth0"));
    }

    [RootFact]
    public void An_ipam_error_comes_back_with_its_code_and_message()
    {
        var reference = Reference();
        var ours = Ours();
        string ranges = "[[{\"subnet\":\"10.22.0.0/30\",\"rangeStart\":\"10.22.0.2\",\"rangeEnd\":\"10.22.0.2\"}]]";
        Assert.Equal(0, reference.Run("ADD", Config(reference, ranges: ranges)).ExitCode);
        Assert.Equal(0, ours.Run("ADD", Config(ours, ranges: ranges)).ExitCode);

        // The pool is exhausted: host-local's own error, code and all, through the bridge.
        var second = Track(ScratchNamespace.Create());
        var otherRef = Track(ScratchNamespace.Create());
        var expected = reference.Run("ADD", Config(reference, ranges: ranges), "ctr2", otherRef);
        var actual = ours.Run("ADD", Config(ours, ranges: ranges), "ctr2", second);
        Assert.Equal(1, actual.ExitCode);
        Assert.Equal(expected.ErrorCode, actual.ErrorCode);
        Assert.Equal(expected.Json["msg"]!.GetValue<string>().Replace(DataDir(reference), "DATA"), actual.Json["msg"]!.GetValue<string>().Replace(DataDir(ours), "DATA"));
        Assert.Null(second.Netlink.FindLink("eth0"));
        Assert.Single(ours.Host.Netlink.GetLinks(), l => l.Kind == "veth"); // the first container's only
        Assert.Equal(new[] { "10.22.0.2" }, AllocatedAddresses(ours));
    }

    [RootFact]
    public void A_link_named_like_the_bridge_that_is_not_one_is_refused_like_the_reference()
    {
        var reference = Reference();
        var ours = Ours();
        foreach (var side in new[] { reference, ours })
        {
            side.Host.Netlink.AddLink(new VethSpec("cni0", "cni0peer"));
        }

        var expected = reference.Run("ADD", Config(reference));
        var actual = ours.Run("ADD", Config(ours));
        Assert.Equal(1, actual.ExitCode);
        Assert.Equal(expected.Json["msg"]!.GetValue<string>(), actual.Json["msg"]!.GetValue<string>());
        Assert.Equal("failed to create bridge \"cni0\": \"cni0\" already exists but is not a bridge", actual.Json["msg"]!.GetValue<string>());
        Assert.Null(ours.Container.Netlink.FindLink("eth0"));
        Assert.Equal(new[] { "cni0", "cni0peer" }, ours.Host.Netlink.GetLinks().Where(l => l.Kind == "veth").Select(l => l.Name).Order());
        Assert.Empty(AllocatedAddresses(ours));
    }

    [RootFact]
    public void An_existing_container_interface_is_refused_like_the_reference()
    {
        var reference = Reference();
        var ours = Ours();
        foreach (var side in new[] { reference, ours })
        {
            side.Container.Netlink.AddLink(new VethSpec("eth0", "eth0peer"));
        }

        var expected = reference.Run("ADD", Config(reference));
        var actual = ours.Run("ADD", Config(ours));
        Assert.Equal(1, actual.ExitCode);
        Assert.Equal(expected.Json["msg"]!.GetValue<string>(), actual.Json["msg"]!.GetValue<string>());
        Assert.Equal("container veth name provided (eth0) already exists", actual.Json["msg"]!.GetValue<string>());
        Assert.DoesNotContain(ours.Host.Netlink.GetLinks(), l => l.Kind == "veth");
        Assert.Empty(AllocatedAddresses(ours));
    }

    [RootTheory]
    [InlineData("\"hairpinMode\":true,\"promiscMode\":true", "")]
    [InlineData(DefaultOptions, "MAC=zz")]
    [InlineData(DefaultOptions, "K8S_POD_NAME=web;K8S_POD_NAMESPACE=default")]
    [InlineData(DefaultOptions + ",\"vlan\":5000", "")]
    public void Bad_input_is_refused_like_the_reference(string options, string cniArgs)
    {
        var reference = Reference();
        var ours = Ours();
        var expected = reference.Run("ADD", Config(reference, options), cniArgs: cniArgs);
        var actual = ours.Run("ADD", Config(ours, options), cniArgs: cniArgs);
        Assert.Equal(1, expected.ExitCode);
        Assert.Equal(1, actual.ExitCode);
        Assert.Equal(expected.Json["msg"]!.GetValue<string>(), actual.Json["msg"]!.GetValue<string>());
        Assert.DoesNotContain(ours.Host.Netlink.GetLinks(), l => l.Kind == "veth");
        Assert.Empty(AllocatedAddresses(ours));
    }

    [RootTheory]
    [InlineData("\"vlan\":100", "vlan and vlanTrunk")]
    [InlineData("\"macspoofchk\":true", "macspoofchk")]
    [InlineData("\"ipMasqBackend\":\"nftables\"", "nftables")]
    public void Options_strata_does_not_implement_are_refused_before_anything_is_made(string options, string named)
    {
        var ours = Ours();
        var run = ours.Run("ADD", Config(ours, options));
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(7u, run.ErrorCode);
        Assert.Contains(named, run.Json["msg"]!.GetValue<string>());
        Assert.Null(ours.Host.Netlink.FindLink("cni0"));
        Assert.Empty(AllocatedAddresses(ours));
    }

    [RootFact]
    public void A_missing_container_namespace_is_reported_and_nothing_is_made()
    {
        var ours = Ours();
        string missing = $"/run/netns/strata-t-missing-{Guid.NewGuid():N}"[..40];
        var run = ours.Plugins.Run("bridge", "ADD", Config(ours), "ctr1", missing, "eth0", hostNetns: ours.Host.Name, cniPath: ours.CniPath);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(8u, run.ErrorCode);
        Assert.StartsWith($"failed to open netns \"{missing}\"", run.Json["msg"]!.GetValue<string>());
        Assert.Null(ours.Host.Netlink.FindLink("cni0"));
        Assert.Empty(AllocatedAddresses(ours));
    }

    [RootFact]
    public void Check_finds_what_changed_like_the_reference()
    {
        var reference = Reference();
        var ours = Ours();
        var expected = reference.Run("ADD", Config(reference));
        var actual = ours.Run("ADD", Config(ours));
        Assert.Equal(0, actual.ExitCode);

        // No prevResult.
        Assert.Equal(reference.Run("CHECK", Config(reference)).Json["msg"]!.GetValue<string>(), ours.Run("CHECK", Config(ours)).Json["msg"]!.GetValue<string>());

        // A MAC that is not the bridge's.
        var wrongMac = (JsonObject)actual.Json.DeepClone();
        wrongMac["interfaces"]![0]!["mac"] = "02:00:00:00:00:01";
        var wrongMacRef = (JsonObject)expected.Json.DeepClone();
        wrongMacRef["interfaces"]![0]!["mac"] = "02:00:00:00:00:01";
        Assert.Equal(Check(reference, wrongMacRef).Json["msg"]!.GetValue<string>(), Check(ours, wrongMac).Json["msg"]!.GetValue<string>());

        // The address removed from the container.
        foreach (var side in new[] { reference, ours })
        {
            side.Container.Netlink.DeleteAddress("eth0", IpPrefix.Parse("10.22.0.2/16"));
        }

        var ourError = Check(ours, actual);
        Assert.Equal(Check(reference, expected).Json["msg"]!.GetValue<string>(), ourError.Json["msg"]!.GetValue<string>());
        Assert.Equal("Failed to match addr 10.22.0.2/16 on interface eth0", ourError.Json["msg"]!.GetValue<string>());
    }

    [RootFact]
    public void Status_asks_the_ipam_plugin()
    {
        var ours = Ours(strataIpam: true);
        Assert.Equal(0, ours.Run("STATUS", Config(ours, version: "1.1.0")).ExitCode);
        var run = ours.Run("STATUS", Config(ours, version: "1.1.0").Replace("\"type\":\"host-local\"", "\"type\":\"nosuch-ipam\""));
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("failed to find plugin \"nosuch-ipam\" in path [", run.Json["msg"]!.GetValue<string>());
    }

    /// <summary>Everything the plugin touched that <c>ip</c>, sysfs and procfs show, side by side.</summary>
    private static void AssertSameKernelState(Side reference, Side ours)
    {
        // The container: its interface's addresses (with broadcast and flags), routes in every table, MTU and sysctls.
        Assert.Equal(Addresses(reference.Container.Name, "eth0"), Addresses(ours.Container.Name, "eth0"));
        foreach (string family in new[] { "-4", "-6" })
        {
            Assert.Equal(Routes(reference.Container.Name, family), Routes(ours.Container.Name, family));
        }

        Assert.Equal(reference.Container.Netlink.GetLink("eth0").Mtu, ours.Container.Netlink.GetLink("eth0").Mtu);
        foreach (string key in new[] { "net.ipv4.conf.eth0.arp_notify", "net.ipv6.conf.eth0.accept_dad", "net.ipv6.conf.eth0.disable_ipv6" })
        {
            Assert.Equal(reference.Container.Namespace.ReadSysctl(key), ours.Container.Namespace.ReadSysctl(key));
        }

        // The host: the bridge (MTU, flags, pinned MAC, address), its port (hairpin, MTU), forwarding, masquerade rules.
        Assert.Equal(Addresses(reference.Host.Name, "cni0"), Addresses(ours.Host.Name, "cni0"));
        Assert.Equal(BridgeState(reference.Host), BridgeState(ours.Host));
        foreach (string key in new[] { "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding" })
        {
            Assert.Equal(reference.Host.Namespace.ReadSysctl(key), ours.Host.Namespace.ReadSysctl(key));
        }

        Assert.Equal(Nat(reference.Host.Name), Nat(ours.Host.Name));
        Assert.Equal(Nat(reference.Host.Name, ipv6: true), Nat(ours.Host.Name, ipv6: true));
    }

    private PluginRun Check(Side side, PluginRun add, string version = "1.0.0", Side? runAs = null, string cniArgs = "") =>
        Check(side, add.Json, version, runAs, cniArgs);

    /// <summary>CHECK by <paramref name="side"/>'s plugin, with <paramref name="prevResult"/>, against <paramref name="runAs"/>'s namespaces and IPAM data.</summary>
    private PluginRun Check(Side side, JsonObject prevResult, string version = "1.0.0", Side? runAs = null, string cniArgs = "")
    {
        var target = runAs ?? side;
        var config = (JsonObject)JsonNode.Parse(Config(target, version: version))!;
        config["prevResult"] = prevResult.DeepClone();
        return side.Plugins.Run("bridge", "CHECK", config.ToJsonString(), "ctr1", $"/run/netns/{target.Container.Name}", "eth0", cniArgs,
            hostNetns: target.Host.Name, cniPath: side.CniPath);
    }

    private static string Answer(PluginRun run) => run.ExitCode == 0 ? "ok" : run.Json["msg"]!.GetValue<string>();

    private static void Ok(PluginRun run) => Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);

    /// <summary>The addresses host-local still holds for the network.</summary>
    private IReadOnlyList<string> AllocatedAddresses(Side side)
    {
        string dir = Path.Combine(DataDir(side), "brtest");
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir).Select(Path.GetFileName).Where(f => System.Net.IPAddress.TryParse(f, out _)).Select(f => f!).Order().ToList()
            : [];
    }

    private static string Normalise(string json, Side side) =>
        VethName().Replace(MacPattern().Replace(json.Replace(side.Container.Name, "CONTAINER"), "MAC"), "vethXXXXXXXX");

    /// <summary>Global addresses with every attribute ip prints but lifetimes (and "tentative", which DAD's timing decides).</summary>
    private static List<string> Addresses(string ns, string device) =>
        Tool.IpJson(ns, "addr", "show", "dev", device)[0].GetProperty("addr_info").EnumerateArray()
            .Where(a => a.GetProperty("scope").GetString() != "link")
            .Select(a => string.Join(' ', a.EnumerateObject()
                .Where(p => p.Name is not ("valid_life_time" or "preferred_life_time" or "tentative" or "label"))
                .Select(p => $"{p.Name}={p.Value}")))
            .ToList();

    /// <summary><c>ip -d route show table all</c>, with link-local addresses (made from random MACs) masked.</summary>
    private static string Routes(string ns, string family) =>
        LinkLocal().Replace(Tool.Check("ip", "-n", ns, "-d", family, "route", "show", "table", "all"), "fe80::X");

    private static string BridgeState(ScratchNamespace host)
    {
        var links = Tool.IpJson(host.Name, "link", "show").EnumerateArray().ToList();
        var bridge = links.Single(l => l.GetProperty("ifname").GetString() == "cni0");
        var port = links.Single(l => l.TryGetProperty("master", out var m) && m.GetString() == "cni0");
        string portName = port.GetProperty("ifname").GetString()!;
        string Sys(string path) => Tool.Check("ip", "netns", "exec", host.Name, "cat", path).Trim();
        return $"mtu={bridge.GetProperty("mtu")} flags={string.Join(',', bridge.GetProperty("flags").EnumerateArray())} " +
               $"promiscuity={bridge.GetProperty("promiscuity")} addr_assign_type={Sys("/sys/class/net/cni0/addr_assign_type")} " +
               $"accept_ra={host.Namespace.ReadSysctl("net.ipv6.conf.cni0.accept_ra")} " +
               $"port-mtu={port.GetProperty("mtu")} port-flags={string.Join(',', port.GetProperty("flags").EnumerateArray())} " +
               $"hairpin={port.GetProperty("linkinfo").GetProperty("info_slave_data").GetProperty("hairpin")} " +
               $"port-accept_ra={host.Namespace.ReadSysctl($"net.ipv6.conf.{portName}.accept_ra")}";
    }

    private static string Nat(string ns, bool ipv6 = false) =>
        string.Join('\n', Tool.Check("ip", "netns", "exec", ns, ipv6 ? "ip6tables-save" : "iptables-save", "-t", "nat").Split('\n')
            .Where(l => !l.StartsWith('#')).Select(l => Regex.Replace(l, @"^(:\S+ \S+) \[\d+:\d+\]$", "$1")));

    [GeneratedRegex("([0-9a-f]{2}:){5}[0-9a-f]{2}")]
    private static partial Regex MacPattern();

    [GeneratedRegex("veth[0-9a-f]{8}")]
    private static partial Regex VethName();

    [GeneratedRegex("fe80::[0-9a-f:]+")]
    private static partial Regex LinkLocal();
}
