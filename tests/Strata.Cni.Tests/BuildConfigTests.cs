using System.Text;
using System.Text.Json.Nodes;

namespace Strata.Cni.Tests;

/// <summary>
/// What each plugin gets on stdin, byte for byte as libcni writes it (buildOneConfig, InjectConf,
/// GCNetworkList, GetStatusNetworkList). Cases live in testdata/build/&lt;case&gt;/: list.conflist,
/// optional capabilityArgs.json, prevResult.json (raw plugin output) and valid.json, and the
/// expected stdin as add-&lt;i&gt;.json, gc-&lt;i&gt;.json and status-&lt;i&gt;.json. The expected files were
/// written from reading libcni: a Go map (sorted keys) around the plugin, prevResult as its result
/// type marshals itself, and everything re-sorted when runtimeConfig is injected.
/// </summary>
public sealed class BuildConfigTests
{
    private static readonly string s_cases = Path.Combine(Repository.Root, "tests", "Strata.Cni.Tests", "testdata", "build");

    public static TheoryData<string> Cases => new(Directory.EnumerateDirectories(s_cases).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stdin_is_what_libcni_writes(string name)
    {
        string dir = Path.Combine(s_cases, name);
        var list = NetworkConfigList.LoadFile(Path.Combine(dir, "list.conflist"));
        var capabilities = Optional(dir, "capabilityArgs.json") is JsonObject caps
            ? caps.ToDictionary(p => p.Key, p => p.Value!.DeepClone())
            : [];
        var runtime = new RuntimeConf { ContainerId = "c1", CapabilityArgs = capabilities };
        var prev = File.Exists(Path.Combine(dir, "prevResult.json"))
            ? CniResult.FromPluginOutput(File.ReadAllBytes(Path.Combine(dir, "prevResult.json")), list.CniVersion)
            : null;
        var valid = (Optional(dir, "valid.json") as JsonArray)?.Select(p => (p![0]!.GetValue<string>(), p[1]!.GetValue<string>())).ToList();

        int compared = 0;
        for (int i = 0; i < list.Plugins.Count; i++)
        {
            // As in an ADD chain: the first plugin gets no prevResult.
            compared += Compare(dir, $"add-{i}.json", PluginConfigBuilder.Build(list, list.Plugins[i], i == 0 ? null : prev, runtime));
            compared += Compare(dir, $"gc-{i}.json", PluginConfigBuilder.BuildGc(list, list.Plugins[i], valid));
            compared += Compare(dir, $"status-{i}.json", PluginConfigBuilder.BuildStatus(list, list.Plugins[i]));
        }

        Assert.True(compared > 0, $"{dir} has no expected files");
    }

    [Fact]
    public void Runtime_config_carries_only_capabilities_the_plugin_declares_true_and_the_runtime_supplies()
    {
        var list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(
            """{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"a","capabilities":{"portMappings":true,"bandwidth":false,"ips":true}},{"type":"b"}]}"""), "x", isList: true);
        var runtime = new RuntimeConf
        {
            ContainerId = "c",
            CapabilityArgs = new Dictionary<string, JsonNode>
            {
                ["portMappings"] = JsonNode.Parse("""[{"hostPort":80,"containerPort":80,"protocol":"tcp"}]""")!,
                ["bandwidth"] = JsonNode.Parse("""{"ingressRate":1}""")!,
                ["mac"] = JsonNode.Parse("\"c2:00:00:00:00:01\"")!,
            },
        };

        var a = PluginConfigBuilder.Build(list, list.Plugins[0], null, runtime);
        Assert.Equal("""{"portMappings":[{"containerPort":80,"hostPort":80,"protocol":"tcp"}]}""", GoJson.Serialize(a["runtimeConfig"]));
        Assert.False(PluginConfigBuilder.Build(list, list.Plugins[1], null, runtime).ContainsKey("runtimeConfig"));
        Assert.False(PluginConfigBuilder.Build(list, list.Plugins[0], null, null).ContainsKey("runtimeConfig"));
        Assert.False(PluginConfigBuilder.BuildGc(list, list.Plugins[0], null).ContainsKey("cni.dev/valid-attachments"));
        Assert.Equal("[]", GoJson.Serialize(PluginConfigBuilder.BuildGc(list, list.Plugins[0], [])["cni.dev/valid-attachments"]));
    }

    [Fact]
    public void The_environment_is_the_specs_six_variables()
    {
        var runtime = new RuntimeConf { ContainerId = "abc", NetNs = "/run/netns/x", IfName = "net1", Args = [new("IgnoreUnknown", "1"), new("K8S_POD_NAME", "web")] };
        Assert.Equal(
            ["CNI_COMMAND=ADD", "CNI_CONTAINERID=abc", "CNI_NETNS=/run/netns/x", "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=web", "CNI_IFNAME=net1", "CNI_PATH=/opt/cni/bin:/usr/lib/cni"],
            PluginEnvironment.For("ADD", runtime, ["/opt/cni/bin", "/usr/lib/cni"]).Select(p => $"{p.Key}={p.Value}"));
        Assert.Equal(
            ["CNI_COMMAND=GC", "CNI_CONTAINERID=", "CNI_NETNS=", "CNI_ARGS=", "CNI_IFNAME=", "CNI_PATH=/opt/cni/bin"],
            PluginEnvironment.For("GC", null, ["/opt/cni/bin"]).Select(p => $"{p.Key}={p.Value}"));
        Assert.Equal(
            ["CNI_COMMAND=VERSION", "CNI_CONTAINERID=", "CNI_NETNS=dummy", "CNI_ARGS=", "CNI_IFNAME=dummy", "CNI_PATH=dummy"],
            PluginEnvironment.ForVersion().Select(p => $"{p.Key}={p.Value}"));
    }

    private static JsonNode? Optional(string dir, string file) =>
        File.Exists(Path.Combine(dir, file)) ? JsonNode.Parse(File.ReadAllText(Path.Combine(dir, file))) : null;

    private static int Compare(string dir, string file, JsonObject actual)
    {
        string path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            return 0;
        }

        string expected = File.ReadAllText(path, Encoding.UTF8);
        expected = expected.EndsWith('\n') ? expected[..^1] : expected;
        Assert.True(expected == GoJson.Serialize(actual), $"{file}:\nexpected {expected}\nactual   {GoJson.Serialize(actual)}");
        return 1;
    }
}
