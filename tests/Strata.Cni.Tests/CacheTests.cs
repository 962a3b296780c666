using System.Text;
using System.Text.Json.Nodes;

namespace Strata.Cni.Tests;

/// <summary>
/// The result cache: libcni's cachedInfo file, byte for byte. testdata/cache/&lt;case&gt;/expected was
/// written from reading libcni's cacheAdd (struct field order, omitempty, []byte as base64, the
/// result and capabilityArgs through Go maps so their keys are sorted, HTML characters escaped),
/// and its shape matches cache files libcni writes on real nodes.
/// </summary>
public sealed class CacheTests
{
    private static readonly string s_cases = Path.Combine(Repository.Root, "tests", "Strata.Cni.Tests", "testdata", "cache");

    [Fact]
    public void The_entry_is_the_file_libcni_writes()
    {
        string dir = Path.Combine(s_cases, "flannel-031");
        using var temp = new TempDirectory();
        var (list, runtime, result) = Case(dir);
        var cache = new ResultCache(temp.Path);
        cache.Write(list, runtime, result);

        string path = Path.Combine(temp.Path, "results", "cbr0-9c1f0e6d2b7a-eth0");
        string expected = File.ReadAllText(Path.Combine(dir, "expected")).TrimEnd('\n');
        Assert.Equal(expected, File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(temp.Path, "results")));
        Assert.Equal(["results"], Directory.EnumerateFileSystemEntries(temp.Path).Select(Path.GetFileName)); // no temporary file left behind

        // Read back: in the list's version, or converted (getCachedResult).
        Assert.Equal(result.ToString(), cache.ReadResult("cbr0", "0.3.1", runtime)!.ToString());
        Assert.Equal("1.0.0", cache.ReadResult("cbr0", "1.0.0", runtime)!.Version);
        var (config, cachedRuntime) = cache.ReadConfig("cbr0", runtime with { Args = [], CapabilityArgs = new Dictionary<string, JsonNode>() });
        Assert.Equal(list.Bytes, config);
        Assert.Equal(runtime.Args, cachedRuntime!.Args);
        Assert.Equal(["io.kubernetes.cri.pod-annotations", "portMappings"], cachedRuntime.CapabilityArgs.Keys.Order(StringComparer.Ordinal));

        var attachment = Assert.Single(cache.Attachments());
        Assert.Equal(("9c1f0e6d2b7a", "cbr0", "eth0", runtime.NetNs), (attachment.ContainerId, attachment.Network, attachment.IfName, attachment.NetNs));
        cache.Delete("cbr0", runtime);
        Assert.Null(cache.ReadResult("cbr0", "0.3.1", runtime));
        cache.Delete("cbr0", runtime); // twice is fine
    }

    [Fact]
    public void Optional_fields_are_left_out_when_empty()
    {
        using var temp = new TempDirectory();
        var list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"loopback"}]}"""), "x", isList: true);
        var result = CniResult.FromPluginOutput("""{"cniVersion":"1.0.0","interfaces":[{"name":"lo","sandbox":"/run/netns/p"}],"ips":[{"interface":0,"address":"127.0.0.1/8"}]}"""u8, "1.0.0");
        var entry = ResultCache.Entry(list, new RuntimeConf { ContainerId = "c", IfName = "lo" }, result);
        Assert.Equal(
            "{\"kind\":\"cniCacheV1\",\"containerId\":\"c\",\"config\":\"" + Convert.ToBase64String(list.Bytes) + "\",\"ifName\":\"lo\",\"networkName\":\"n\","
            + "\"result\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"lo\",\"sandbox\":\"/run/netns/p\"}],\"ips\":[{\"address\":\"127.0.0.1/8\",\"interface\":0}]}}",
            GoJson.Serialize(entry));
    }

    [Fact]
    public void Entries_from_before_cniCacheV1_and_unreadable_ones_are_handled_as_libcni_does()
    {
        using var temp = new TempDirectory();
        var cache = new ResultCache(temp.Path);
        var runtime = new RuntimeConf { ContainerId = "old" };

        // The legacy format: the bare result.
        temp.Write("results/net-old-eth0", """{"cniVersion":"0.2.0","ip4":{"ip":"10.248.0.88/25","gateway":"10.248.0.1","routes":[{"dst":"0.0.0.0/0"}]},"dns":{}}""");
        Assert.Equal("""{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.248.0.88/25","gateway":"10.248.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}""",
            cache.ReadResult("net", "0.4.0", runtime)!.ToString());
        Assert.Empty(cache.Attachments()); // not a cniCacheV1 entry: GC does not see it

        temp.Write("results/net-bad-eth0", "{garbage");
        var error = Assert.Throws<CniConfigException>(() => cache.ReadResult("net", "1.0.0", runtime with { ContainerId = "bad" }));
        Assert.StartsWith($"{Path.Combine(temp.Path, "results", "net-bad-eth0")}: cannot read the cached result of network \"net\"", error.Message);

        temp.Write("results/net-kind-eth0", """{"kind":"other","containerId":"kind","ifName":"eth0","networkName":"net"}""");
        Assert.Equal("read cached network \"net\" config has wrong kind: other",
            Assert.Throws<CniConfigException>(() => cache.ReadConfig("net", runtime with { ContainerId = "kind" })).Message);
    }

    [Fact]
    public void Attachments_are_listed_in_file_order_and_can_be_filtered_by_container()
    {
        using var temp = new TempDirectory();
        var cache = new ResultCache(temp.Path);
        var list = NetworkConfigList.Parse("""{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"x"}]}"""u8.ToArray(), "x", isList: true);
        var result = CniResult.FromPluginOutput("""{"cniVersion":"1.0.0"}"""u8, "1.0.0");
        foreach (var (id, ifName) in new[] { ("b", "eth0"), ("a", "eth0"), ("a", "net1"), ("ab", "eth0") })
        {
            cache.Write(list, new RuntimeConf { ContainerId = id, IfName = ifName, Args = [new("K", id)] }, result);
        }

        temp.Write("results/junk", "not json");
        temp.Write("results/net-x-", """{"kind":"cniCacheV1","containerId":"x","ifName":"","networkName":"net"}""");
        Assert.Equal(["a/eth0", "a/net1", "ab/eth0", "b/eth0"], cache.Attachments().Select(a => $"{a.ContainerId}/{a.IfName}"));
        Assert.Equal(["a/eth0", "a/net1"], cache.Attachments("a").Select(a => $"{a.ContainerId}/{a.IfName}"));
        Assert.Equal("ab", Assert.Single(cache.Attachments("ab")).ToRuntimeConf().Args[0].Value);
    }

    private static (NetworkConfigList List, RuntimeConf Runtime, CniResult Result) Case(string dir)
    {
        var list = NetworkConfigList.LoadFile(Path.Combine(dir, "list.conflist"));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "runtime.json")))!;
        var runtime = new RuntimeConf
        {
            ContainerId = json["containerId"]!.GetValue<string>(),
            NetNs = json["netns"]!.GetValue<string>(),
            IfName = json["ifName"]!.GetValue<string>(),
            Args = json["args"]!.AsArray().Select(p => KeyValuePair.Create(p![0]!.GetValue<string>(), p[1]!.GetValue<string>())).ToList(),
            CapabilityArgs = json["capabilityArgs"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.DeepClone()),
        };
        var result = CniResult.FromPluginOutput(File.ReadAllBytes(Path.Combine(dir, "result.json")), list.CniVersion);
        return (list, runtime, result);
    }
}
