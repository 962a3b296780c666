using System.Text.Json.Nodes;
using Strata.Netlink;

namespace Strata.Cni.Tests;

/// <summary>
/// The runtime end to end: a bridge + host-local + portmap list, run inside a scratch "host"
/// namespace for a scratch container namespace, with Debian's reference plugins and with Strata's.
/// </summary>
public sealed class RuntimeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ScratchNamespace _host = ScratchNamespace.Create();
    private readonly ScratchNamespace _container = ScratchNamespace.Create();

    public void Dispose()
    {
        _container.Dispose();
        _host.Dispose();
        _dir.Dispose();
    }

    public static TheoryData<string> PluginDirectories => new() { "/usr/lib/cni", Repository.Plugins };

    private NetworkConfigList List(string version = "1.0.0") => NetworkConfigList.LoadFile(_dir.Write("net.d/10-test.conflist", $$"""
        {"cniVersion":"{{version}}","name":"testnet","plugins":[
          {"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,
           "ipam":{"type":"host-local","dataDir":"{{_dir.Path}}/ipam","ranges":[[{"subnet":"10.88.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}]}
          },
          {"type":"portmap","capabilities":{"portMappings":true} }
        ]}
        """));

    private RuntimeConf Conf(string id = "abc") => new()
    {
        ContainerId = id,
        NetNs = $"/run/netns/{_container.Name}",
        CapabilityArgs = new Dictionary<string, JsonNode> { ["portMappings"] = JsonNode.Parse("""[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]""")! },
    };

    private CniRuntime Runtime(string plugins) => new(new PluginInvoker([plugins], _host.Name, TimeSpan.FromSeconds(30)), new ResultCache(Path.Combine(_dir.Path, "cache")));

    [RootTheory]
    [MemberData(nameof(PluginDirectories))]
    public void Add_check_del_chain_the_plugins_and_keep_the_cache(string plugins)
    {
        var runtime = Runtime(plugins);
        var list = List();
        var result = runtime.Add(list, Conf())!;

        Assert.Equal("10.88.0.2/16", result["ips"]![0]!["address"]!.GetValue<string>());
        Assert.True(Tool.Ping(_container.Name, "10.88.0.1"));
        string cacheFile = Path.Combine(_dir.Path, "cache", "results", "testnet-abc-eth0");
        Assert.True(File.Exists(cacheFile));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "ipam", "testnet", "10.88.0.2")));
        string nat = Tool.Check("ip", "netns", "exec", _host.Name, "iptables-save", "-t", "nat");
        Assert.Contains("--to-destination 10.88.0.2:80", nat); // portmap saw bridge's result as prevResult

        if (plugins == "/usr/lib/cni")
        {
            // Debian's portmap (plugins 1.1.1) also checks ip6tables for an IPv4-only container and
            // fails; upstream fixed checkPorts later. Strata's portmap checks only the family in use.
            var known = Assert.Throws<CniPluginException>(() => runtime.Check(list, Conf()));
            Assert.Contains("could not check ipv6 dnat", known.Message);
        }
        else
        {
            runtime.Check(list, Conf());
        }

        // DEL without the capability data, as after a restart: the cache supplies it.
        runtime.Delete(list, Conf() with { CapabilityArgs = new Dictionary<string, JsonNode>() });
        Assert.False(File.Exists(cacheFile));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "ipam", "testnet", "10.88.0.2")));
        Assert.Null(_container.Netlink.FindLink("eth0"));
        Assert.DoesNotContain(_host.Netlink.GetLinks(), l => l.Kind == "veth");
        Assert.DoesNotContain("10.88.0.2:80", Tool.Check("ip", "netns", "exec", _host.Name, "iptables-save", "-t", "nat"));
        runtime.Delete(list, Conf()); // twice
    }

    [RootFact]
    public void Gc_deletes_the_attachments_that_are_no_longer_valid()
    {
        var runtime = Runtime(Repository.Plugins);
        var list = List("1.1.0");
        using var second = ScratchNamespace.Create();
        runtime.Add(list, Conf("keep"));
        runtime.Add(list, Conf("stale") with { NetNs = $"/run/netns/{second.Name}" });

        runtime.GarbageCollect(list, [("keep", "eth0")]);
        Assert.NotNull(_container.Netlink.FindLink("eth0"));
        Assert.Null(second.Netlink.FindLink("eth0"));
        Assert.Equal(["10.88.0.2"], Directory.EnumerateFiles(Path.Combine(_dir.Path, "ipam", "testnet")).Select(Path.GetFileName).Where(f => f!.StartsWith("10.")));
        Assert.Equal(["testnet-keep-eth0"], Directory.EnumerateFiles(Path.Combine(_dir.Path, "cache", "results")).Select(Path.GetFileName));
        runtime.Delete(list, Conf("keep"));
    }

    /// <summary>The bridge plugin dies (SIGKILL) after it made the veth and IPAM reserved an IP: DEL still removes everything.</summary>
    [RootFact]
    public void A_plugin_killed_in_the_middle_of_add_leaves_nothing_del_does_not_remove()
    {
        string bin = Path.Combine(_dir.Path, "bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "bridge"), Path.Combine(Repository.Plugins, "strata-cni"));
        _dir.Write("bin/host-local", $"""
            #!/bin/sh
            out=$({Repository.Plugins}/host-local)
            status=$?
            [ "$CNI_COMMAND" = ADD ] && kill -9 $PPID
            printf '%s' "$out"
            exit $status
            """);
        Tool.Check("chmod", "+x", Path.Combine(bin, "host-local"));
        var list = NetworkConfigList.LoadFile(_dir.Write("net.d/k.conflist", $$"""
            {"cniVersion":"1.0.0","name":"killnet","plugins":[{"type":"bridge","isGateway":true,
              "ipam":{"type":"host-local","dataDir":"{{_dir.Path}}/ipam","ranges":[[{"subnet":"10.89.0.0/24"}]]} }]}
            """));
        var runtime = new CniRuntime(new PluginInvoker([bin], _host.Name), new ResultCache(Path.Combine(_dir.Path, "cache")));

        var error = Assert.Throws<CniPluginException>(() => runtime.Add(list, Conf()));
        Assert.Contains("exited with status 137", error.Message);
        Assert.Contains(_host.Netlink.GetLinks(), l => l.Kind == "veth"); // the half-made state
        Assert.True(File.Exists(Path.Combine(_dir.Path, "ipam", "killnet", "10.89.0.2")));

        runtime.Delete(list, Conf());
        Assert.DoesNotContain(_host.Netlink.GetLinks(), l => l.Kind == "veth");
        Assert.Null(_container.Netlink.FindLink("eth0"));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "ipam", "killnet", "10.89.0.2")));
    }

    [RootFact]
    public void A_missing_plugin_names_the_type_and_the_directories_searched()
    {
        var list = NetworkConfigList.LoadFile(_dir.Write("x.conf", """{"cniVersion":"1.0.0","name":"n","type":"nosuch"}"""));
        var error = Assert.Throws<CniPluginException>(() => Runtime("/usr/lib/cni").Add(list, Conf()));
        Assert.Equal("failed to find plugin \"nosuch\" in path [/usr/lib/cni]", error.PluginMessage);
    }

    [Fact]
    public void A_hanging_plugin_times_out_and_is_killed()
    {
        string bin = Path.Combine(_dir.Path, "bin");
        string pidFile = Path.Combine(_dir.Path, "pid");
        _dir.Write("bin/hang", $"#!/bin/sh\necho $$ > {pidFile}\nexec sleep 60\n");
        Tool.Check("chmod", "+x", Path.Combine(bin, "hang"));
        var list = NetworkConfigList.LoadFile(_dir.Write("x.conf", """{"cniVersion":"1.0.0","name":"n","type":"hang"}"""));
        var runtime = new CniRuntime(new PluginInvoker([bin], timeout: TimeSpan.FromSeconds(1)), new ResultCache(_dir.Path));
        var error = Assert.Throws<CniPluginException>(() => runtime.Add(list, Conf()));
        Assert.Contains("timed out after 1 s", error.Message);
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the plugin process is still running");
    }

    [Theory]
    [InlineData("echo 'not json'; exit 0", "invalid output")]
    [InlineData("echo '{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"bad config\",\"details\":\"field x\"}'; exit 1", "plugin fail ADD failed with code 7: bad config (field x)")]
    [InlineData("echo oops >&2; exit 3", "exited with status 3: oops")]
    public void Plugin_failures_become_errors_naming_the_plugin(string script, string expected)
    {
        _dir.Write("bin/fail", $"#!/bin/sh\ncat >/dev/null\n{script}\n");
        Tool.Check("chmod", "+x", Path.Combine(_dir.Path, "bin", "fail"));
        var list = NetworkConfigList.LoadFile(_dir.Write("x.conf", """{"cniVersion":"1.0.0","name":"n","type":"fail"}"""));
        var runtime = new CniRuntime(new PluginInvoker([Path.Combine(_dir.Path, "bin")]), new ResultCache(_dir.Path));
        var error = Assert.Throws<CniPluginException>(() => runtime.Add(list, Conf()));
        Assert.Contains(expected, error.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "results")));
    }

    [RootFact]
    public void Version_reports_what_a_plugin_supports()
    {
        Assert.Contains("1.0.0", Runtime("/usr/lib/cni").Versions("bridge"));
        Assert.Equal(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"], Runtime(Repository.Plugins).Versions("host-local"));
    }
}
