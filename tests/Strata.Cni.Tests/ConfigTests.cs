using System.Text.Json.Nodes;

namespace Strata.Cni.Tests;

/// <summary>Loading and validating configuration, and building each plugin's stdin (no root needed).</summary>
public sealed class ConfigTests
{
    [Fact]
    public void Files_load_in_lexical_order_and_a_single_conf_becomes_a_list()
    {
        using var dir = new TempDirectory();
        dir.Write("20-second.conf", """{"cniVersion":"0.4.0","name":"second","type":"bridge"}""");
        dir.Write("10-flannel.conflist", """{"cniVersion":"0.3.1","name":"container-cni-list","plugins":[{"type":"flannel","delegate":{"hairpinMode":true}},{"type":"portmap","capabilities":{"portMappings":true}}]}""");
        dir.Write("README.md", "not a configuration");

        var lists = NetworkConfigList.LoadDirectory(dir.Path);
        Assert.Equal(["container-cni-list", "second"], lists.Select(l => l.Name));
        Assert.Equal(["flannel", "portmap"], lists[0].Plugins.Select(p => p["type"]!.GetValue<string>()));
        Assert.Equal("bridge", Assert.Single(lists[1].Plugins)["type"]!.GetValue<string>());
        Assert.Equal("container-cni-list", NetworkConfigList.Find(dir.Path).Name);
        Assert.Equal("second", NetworkConfigList.Find(dir.Path, "second").Name);
    }

    [Theory]
    [InlineData("a.conflist", "{bad", "invalid JSON")]
    [InlineData("a.conflist", """{"cniVersion":"9.9.9","name":"n","plugins":[{"type":"bridge"}]}""", "unsupported cniVersion \"9.9.9\"")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}""", "missing network name")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"bad name","plugins":[{"type":"bridge"}]}""", "invalid network name \"bad name\"")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[]}""", "no plugins in the list")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[{"bridge":"cni0"}]}""", "plugins[0] has no \"type\"")]
    [InlineData("a.conf", """{"cniVersion":"1.0.0","name":"n"}""", "plugins[0] has no \"type\"")]
    [InlineData("a.conf", """{"cniVersion":1,"name":"n","type":"bridge"}""", "\"cniVersion\" must be a string")]
    public void Bad_files_are_refused_naming_the_file_and_the_problem(string file, string contents, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.Write(file, contents);
        var error = Assert.Throws<CniConfigException>(() => NetworkConfigList.LoadFile(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Each_plugin_gets_the_lists_name_and_version_prevResult_and_only_the_capabilities_it_declares()
    {
        var list = NetworkConfigList.Parse(System.Text.Encoding.UTF8.GetBytes(
            """{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"bridge","cniVersion":"0.1.0"},{"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false}}]}"""), "x", isList: true);
        var runtime = new RuntimeConf
        {
            ContainerId = "c",
            CapabilityArgs = new Dictionary<string, JsonNode>
            {
                ["portMappings"] = JsonNode.Parse("""[{"hostPort":80,"containerPort":80,"protocol":"tcp"}]""")!,
                ["bandwidth"] = JsonNode.Parse("""{"ingressRate":1}""")!,
                ["ips"] = JsonNode.Parse("""["10.0.0.5"]""")!,
            },
        };
        var prev = (JsonObject)JsonNode.Parse("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/24"}]}""")!;

        Assert.Equal("""{"type":"bridge","cniVersion":"1.0.0","name":"net"}""", PluginConfigBuilder.Build(list, list.Plugins[0], null, runtime).ToJsonString());
        Assert.Equal(
            """{"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false},"name":"net","cniVersion":"1.0.0","prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/24"}]},"runtimeConfig":{"portMappings":[{"hostPort":80,"containerPort":80,"protocol":"tcp"}]}}""",
            PluginConfigBuilder.Build(list, list.Plugins[1], prev, runtime).ToJsonString());
        Assert.Equal(
            """{"type":"bridge","cniVersion":"1.0.0","name":"net","cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}],"cni.dev/attachments":[{"containerID":"c1","ifname":"eth0"}]}""",
            PluginConfigBuilder.BuildGc(list, list.Plugins[0], [("c1", "eth0")]).ToJsonString());
    }

    [Fact]
    public void The_cache_file_has_libcnis_shape_and_round_trips()
    {
        using var dir = new TempDirectory();
        var cache = new ResultCache(dir.Path);
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes("""{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"bridge"}]}""");
        var list = NetworkConfigList.Parse(bytes, "x", isList: true);
        var runtime = new RuntimeConf
        {
            ContainerId = "abc",
            NetNs = "/run/netns/cni-1",
            IfName = "eth0",
            Args = [new("K8S_POD_NAME", "web")],
            CapabilityArgs = new Dictionary<string, JsonNode> { ["portMappings"] = new JsonArray() },
        };
        cache.Write(list, runtime, (JsonObject)JsonNode.Parse("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/24"}]}""")!);

        string path = Path.Combine(dir.Path, "results", "net-abc-eth0");
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(["kind", "containerId", "config", "ifName", "networkName", "netns", "cniArgs", "capabilityArgs", "result"], json.Select(p => p.Key));
        Assert.Equal("cniCacheV1", json["kind"]!.GetValue<string>());
        Assert.Equal(bytes, Convert.FromBase64String(json["config"]!.GetValue<string>()));
        Assert.Equal("""[["K8S_POD_NAME","web"]]""", json["cniArgs"]!.ToJsonString());
        Assert.Equal("10.0.0.5/24", cache.ReadResult("net", runtime)!["ips"]![0]!["address"]!.GetValue<string>());

        var (network, restored) = Assert.Single(cache.Attachments());
        Assert.Equal("net", network);
        Assert.Equal(("abc", "eth0", "/run/netns/cni-1"), (restored.ContainerId, restored.IfName, restored.NetNs));
        cache.Delete("net", runtime);
        Assert.Null(cache.ReadResult("net", runtime));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "results")));
    }
}
