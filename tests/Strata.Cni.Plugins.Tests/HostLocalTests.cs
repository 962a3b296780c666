using System.Text.Json.Nodes;

namespace Strata.Cni.Plugins.Tests;

/// <summary><c>host-local</c> against Debian's reference plugin: the same configs, each side with its own dataDir.</summary>
public sealed class HostLocalTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"strata-t-{Guid.NewGuid():N}");

    private string OurDir => Path.Combine(_root, "ours");

    private string ReferenceDir => Path.Combine(_root, "reference");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static string Config(string ipam, string dataDir, string version = "1.0.0") =>
        "{\"cniVersion\":\"" + version + "\",\"name\":\"hl\",\"type\":\"bridge\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + dataDir + "\"," + ipam + "}}";

    /// <summary>Runs the same command on both sides and asserts the outputs and the files agree.</summary>
    private (PluginRun Ours, PluginRun Reference) Both(string command, string ipam, string containerId, string ifName = "eth0", string cniArgs = "")
    {
        var reference = CniPlugins.Reference.Run("host-local", command, Config(ipam, ReferenceDir), containerId, "/run/netns/none", ifName, cniArgs);
        var ours = CniPlugins.Strata.Run("host-local", command, Config(ipam, OurDir), containerId, "/run/netns/none", ifName, cniArgs);
        Assert.Equal(reference.ExitCode, ours.ExitCode);
        if (reference.Stdout.Length > 0 || ours.Stdout.Length > 0)
        {
            var expected = reference.Json;
            var actual = ours.Json;
            if (reference.ExitCode == 0)
            {
                Assert.Equal(expected.ToJsonString(), actual.ToJsonString());
            }
            else
            {
                Assert.Equal(expected["code"]!.GetValue<uint>(), actual["code"]!.GetValue<uint>());
                Assert.Equal(expected["msg"]!.GetValue<string>().Replace(ReferenceDir, "DIR"), actual["msg"]!.GetValue<string>().Replace(OurDir, "DIR"));
            }
        }

        Assert.Equal(Files(ReferenceDir), Files(OurDir));
        return (ours, reference);
    }

    private static IReadOnlyList<string> Files(string dataDir)
    {
        string dir = Path.Combine(dataDir, "hl");
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal).Select(f => $"{Path.GetFileName(f)}={(Path.GetFileName(f) == "lock" ? string.Empty : File.ReadAllText(f))}").ToList()
            : [];
    }

    public static TheoryData<string> Layouts => new()
    {
        """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """,
        """ "ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.100","rangeEnd":"10.1.0.110","gateway":"10.1.0.254"}]] """,
        """ "ranges":[[{"subnet":"10.1.0.0/28"},{"subnet":"10.2.0.0/28"}]] """,
        """ "ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00:1::/64"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"10.233.64.0/18","gw":"10.1.0.1"}] """,
        """ "subnet":"10.233.64.0/24","gateway":"10.233.64.1","routes":[{"dst":"10.233.64.0/18"}] """,
    };

    [RootTheory]
    [MemberData(nameof(Layouts))]
    public void Sequential_adds_dels_and_re_adds_match_the_reference(string ipam)
    {
        for (int i = 0; i < 4; i++)
        {
            Both("ADD", ipam, $"c{i}");
        }

        Both("DEL", ipam, "c1");
        Both("ADD", ipam, "c9");
        Both("CHECK", ipam, "c9");
        Both("DEL", ipam, "c9");
        Both("DEL", ipam, "c9"); // twice: nothing held, still success
        Both("CHECK", ipam, "c9"); // now an error, on both sides
        Both("ADD", ipam, "c0"); // duplicate allocation for the same container and ifname
    }

    [RootFact]
    public void Exhaustion_is_the_references_error_and_leaves_nothing_half_allocated()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.2","rangeEnd":"10.1.0.3"}],[{"subnet":"fd00:1::/120","rangeStart":"fd00:1::2","rangeEnd":"fd00:1::5"}]] """;
        Both("ADD", ipam, "a");
        Both("ADD", ipam, "b");
        var (ours, _) = Both("ADD", ipam, "c");
        Assert.Equal("failed to allocate for range 0: no IP addresses available in range set: 10.1.0.2-10.1.0.3", ours.Json["msg"]!.GetValue<string>());

        // The IPv4 set is full; the IPv6 set is not. A failure in set 0 must not keep set 1's address either.
        string ipam2 = """ "ranges":[[{"subnet":"fd00:2::/120","rangeStart":"fd00:2::2","rangeEnd":"fd00:2::9"}],[{"subnet":"10.2.0.0/24","rangeStart":"10.2.0.2","rangeEnd":"10.2.0.2"}]] """;
        Both("ADD", ipam2, "x");
        var (second, _) = Both("ADD", ipam2, "y");
        Assert.Equal(999u, second.ErrorCode);
        Assert.DoesNotContain(Files(OurDir), f => f.EndsWith("\r\neth0", StringComparison.Ordinal) && f.Contains("\ny\r", StringComparison.Ordinal));
    }

    [RootFact]
    public void Requested_ips_from_cni_args_and_runtime_config()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """;
        Both("ADD", ipam, "a", cniArgs: "IgnoreUnknown=1;IP=10.1.0.77;K8S_POD_NAME=web");
        Both("ADD", ipam, "b", cniArgs: "IP=10.1.0.77"); // already taken
        Both("ADD", ipam, "c", cniArgs: "IP=10.1.0.1"); // the gateway
        Both("ADD", ipam, "d", cniArgs: "IP=10.9.0.1"); // outside every range
        Both("ADD", ipam, "e", cniArgs: "FOO=bar"); // unknown key without IgnoreUnknown
    }

    [RootTheory]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/31"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.1/24"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.2.0.5"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24","rangeEnd":"10.2.0.5"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"10.1.0.0/25"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24"},{"subnet":"10.1.0.0/25"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24"},{"subnet":"fd00::/64"}]] """)]
    [InlineData(""" "ranges":[] """)]
    [InlineData(""" "ranges":[[]] """)]
    public void Invalid_ranges_fail_like_the_reference_and_allocate_nothing(string ipam)
    {
        var (ours, _) = Both("ADD", ipam, "a");
        Assert.Equal(1, ours.ExitCode);
        Assert.DoesNotContain(Files(OurDir), f => !f.StartsWith("lock", StringComparison.Ordinal));
    }

    [RootFact]
    public void Unparseable_values_are_errors_that_name_the_field()
    {
        var bad = CniPlugins.Strata.Run("host-local", "ADD", Config(""" "ranges":[[{"subnet":"10.0.0.300/24"}]] """, OurDir), "a", "/run/netns/none");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("subnet", bad.Json["msg"]!.GetValue<string>());
        Assert.Contains("10.0.0.300/24", bad.Json["msg"]!.GetValue<string>());

        var missing = CniPlugins.Strata.Run("host-local", "ADD", """{"cniVersion":"1.0.0","name":"hl","type":"x"}""", "a", "/run/netns/none");
        Assert.Equal("IPAM config missing 'ipam' key", missing.Json["msg"]!.GetValue<string>());
    }

    [RootFact]
    public void Fifty_concurrent_adds_from_fifty_processes_never_share_an_ip()
    {
        string config = Config(""" "ranges":[[{"subnet":"10.1.0.0/24"}]] """, OurDir);
        var runs = new PluginRun[50];
        Parallel.For(0, 50, new ParallelOptions { MaxDegreeOfParallelism = 50 }, i => runs[i] = CniPlugins.Strata.Run("host-local", "ADD", config, $"c{i}", "/run/netns/none"));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Stdout));
        var addresses = runs.Select(r => r.Json["ips"]![0]!["address"]!.GetValue<string>()).ToList();
        Assert.Equal(50, addresses.Distinct().Count());
        Assert.Equal(50, Files(OurDir).Count(f => f.StartsWith("10.1.0.", StringComparison.Ordinal)));

        Parallel.For(0, 50, i => Assert.Equal(0, CniPlugins.Strata.Run("host-local", "DEL", config, $"c{i}", "/run/netns/none").ExitCode));
        Assert.Equal(["last_reserved_ip.0", "lock"], Files(OurDir).Select(f => f.Split('=')[0]));
    }

    [RootFact]
    public void Gc_releases_what_is_not_a_valid_attachment()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """;
        foreach (string id in new[] { "keep", "drop1", "drop2" })
        {
            Assert.Equal(0, CniPlugins.Strata.Run("host-local", "ADD", Config(ipam, OurDir, "1.1.0"), id, "/run/netns/none").ExitCode);
        }

        var config = (JsonObject)JsonNode.Parse(Config(ipam, OurDir, "1.1.0"))!;
        config["cni.dev/valid-attachments"] = new JsonArray((JsonNode)new JsonObject { ["containerID"] = "keep", ["ifname"] = "eth0" });
        Assert.Equal(0, CniPlugins.Strata.Run("host-local", "GC", config.ToJsonString()).ExitCode);
        Assert.Equal(["10.1.0.2=keep\r\neth0", "last_reserved_ip.0=10.1.0.4", "lock="], Files(OurDir));
    }
}
