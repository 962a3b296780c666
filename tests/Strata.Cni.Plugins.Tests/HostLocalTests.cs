using System.Text.Json.Nodes;

namespace Strata.Cni.Plugins.Tests;

/// <summary>
/// <c>host-local</c> against Debian's reference plugin: the same configs and commands, each side
/// with its own dataDir under a fresh /tmp/strata-t-&lt;guid&gt;, comparing the printed result or
/// error and every file left in <c>&lt;dataDir&gt;/hl</c>. The plugin only touches files there,
/// so these tests need no root.
/// </summary>
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

    /// <summary>A network config named "hl"; <paramref name="extra"/> adds top-level members (runtimeConfig, args).</summary>
    private static string Config(string ipam, string dataDir, string version = "1.0.0", string extra = "") =>
        "{\"cniVersion\":\"" + version + "\",\"name\":\"hl\",\"type\":\"bridge\"" + (extra.Length > 0 ? "," + extra : string.Empty) +
        ",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + dataDir + "\"," + ipam + "}}";

    /// <summary>Runs the same command on both sides and asserts the outputs and the files agree.</summary>
    private (PluginRun Ours, PluginRun Reference) Both(string command, string ipam, string containerId, string ifName = "eth0", string cniArgs = "",
        string version = "1.0.0", string extra = "")
    {
        var reference = CniPlugins.Reference.Run("host-local", command, Config(ipam, ReferenceDir, version, extra), containerId, "/run/netns/none", ifName, cniArgs);
        var ours = CniPlugins.Strata.Run("host-local", command, Config(ipam, OurDir, version, extra), containerId, "/run/netns/none", ifName, cniArgs);
        Assert.True(reference.ExitCode == ours.ExitCode, $"{command} {containerId}: exit {ours.ExitCode}, reference {reference.ExitCode}\nours: {ours.Stdout}\nreference: {reference.Stdout}");
        if (reference.Stdout.Length > 0 || ours.Stdout.Length > 0)
        {
            if (reference.ExitCode == 0)
            {
                Assert.Equal(reference.Json.ToJsonString(), ours.Json.ToJsonString());
            }
            else
            {
                Assert.Equal(reference.ErrorCode, ours.ErrorCode);
                Assert.Equal(Message(reference).Replace(ReferenceDir, "DIR", StringComparison.Ordinal), Message(ours).Replace(OurDir, "DIR", StringComparison.Ordinal));
            }
        }

        Assert.Equal(Files(ReferenceDir), Files(OurDir));
        return (ours, reference);
    }

    /// <summary>
    /// Both sides refuse the config with the same code; where upstream's text is a JSON decoding
    /// error ours is the same text after the path of the field at fault.
    /// </summary>
    private void BothRefuse(string ipam, string field, string extra = "", string cniArgs = "")
    {
        var reference = CniPlugins.Reference.Run("host-local", "ADD", Config(ipam, ReferenceDir, extra: extra), "a", "/run/netns/none", cniArgs: cniArgs);
        var ours = CniPlugins.Strata.Run("host-local", "ADD", Config(ipam, OurDir, extra: extra), "a", "/run/netns/none", cniArgs: cniArgs);
        Assert.Equal(1, reference.ExitCode);
        Assert.Equal(1, ours.ExitCode);
        Assert.Equal(reference.ErrorCode, ours.ErrorCode);
        Assert.Equal($"{field}: {Message(reference)}", Message(ours));
        Assert.DoesNotContain(Files(OurDir), f => !f.StartsWith("lock=", StringComparison.Ordinal));
    }

    private static string Message(PluginRun run) => run.Json["msg"]!.GetValue<string>();

    private static string Address(PluginRun run, int index = 0) => run.Json["ips"]![index]!["address"]!.GetValue<string>();

    private static IReadOnlyList<string> Files(string dataDir)
    {
        string dir = Path.Combine(dataDir, "hl");
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal).Select(f => $"{Path.GetFileName(f)}={(Path.GetFileName(f) == "lock" ? string.Empty : File.ReadAllText(f))}").ToList()
            : [];
    }

    private void WriteBoth(string name, string contents)
    {
        foreach (string dir in new[] { OurDir, ReferenceDir })
        {
            Directory.CreateDirectory(Path.Combine(dir, "hl"));
            File.WriteAllText(Path.Combine(dir, "hl", name), contents);
        }
    }

    public static TheoryData<string> Layouts => new()
    {
        // one range
        """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """,
        // rangeStart, rangeEnd and a gateway outside the range
        """ "ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.100","rangeEnd":"10.1.0.110","gateway":"10.1.0.254"}]] """,
        // a gateway inside the range is skipped
        """ "ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.2","rangeEnd":"10.1.0.9","gateway":"10.1.0.3"}]] """,
        // two ranges in one set, and two ranges of one subnet
        """ "ranges":[[{"subnet":"10.1.0.0/29","rangeStart":"10.1.0.5"},{"subnet":"10.1.0.0/29","rangeEnd":"10.1.0.3"}]] """,
        """ "ranges":[[{"subnet":"10.1.0.0/28"},{"subnet":"10.2.0.0/28"}]] """,
        // two sets, IPv4 and IPv6, with routes
        """ "ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00:1::/64"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"10.233.64.0/18","gw":"10.1.0.1"},{"dst":"::/0"}] """,
        // IPv6 only, written in a long form that both sides must shorten alike
        """ "ranges":[[{"subnet":"fd00:0:0:0:0:0:a00:0/120","rangeStart":"fd00::a00:fe"}]] """,
        // the legacy single range
        """ "subnet":"10.233.64.0/24","gateway":"10.233.64.1","routes":[{"dst":"10.233.64.0/18"}] """,
        // the legacy range and ranges together: the legacy one is set 0
        """ "subnet":"10.3.0.0/24","ranges":[[{"subnet":"fd00:3::/64"}]] """,
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Sequential_adds_dels_and_re_adds_match_the_reference(string ipam)
    {
        for (int i = 0; i < 4; i++)
        {
            Both("ADD", ipam, $"c{i}");
        }

        Both("DEL", ipam, "c1");
        Both("ADD", ipam, "c9"); // after the last reserved address, not into c1's freed one
        Both("CHECK", ipam, "c9");
        Both("DEL", ipam, "c9");
        Both("DEL", ipam, "c9"); // twice: nothing held, still success
        Both("CHECK", ipam, "c9"); // now an error, on both sides
        Both("ADD", ipam, "c0"); // duplicate allocation for the same container and ifname
        Both("ADD", ipam, "c0", ifName: "eth1"); // the same container on another interface is another attachment
        Both("DEL", ipam, "c0");
        Assert.Contains(Files(OurDir), f => f.EndsWith("c0\r\neth1", StringComparison.Ordinal));
    }

    [Fact]
    public void Round_robin_wraps_through_the_ranges_of_a_set_like_the_reference()
    {
        // 10.1.0.5-10.1.0.6, then 10.2.0.1-10.2.0.2 whose .1 is the gateway: three addresses in all.
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/29","rangeStart":"10.1.0.5"},{"subnet":"10.2.0.0/30"}]] """;
        Assert.Equal("10.1.0.5/29", Address(Both("ADD", ipam, "a").Ours));
        Assert.Equal("10.1.0.6/29", Address(Both("ADD", ipam, "b").Ours));
        Assert.Equal("10.2.0.2/30", Address(Both("ADD", ipam, "c").Ours));
        Both("ADD", ipam, "d"); // full
        Both("DEL", ipam, "a");
        Assert.Equal("10.1.0.5/29", Address(Both("ADD", ipam, "e").Ours)); // wrapped to the first range
        Both("DEL", ipam, "c");
        Assert.Equal("10.2.0.2/30", Address(Both("ADD", ipam, "f").Ours));
    }

    [Fact]
    public void A_stale_or_unreadable_last_reserved_ip_starts_from_the_range_start()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """;
        WriteBoth("last_reserved_ip.0", "10.9.9.9"); // outside the set, e.g. after the config changed
        Assert.Equal("10.1.0.2/24", Address(Both("ADD", ipam, "a").Ours));
        WriteBoth("last_reserved_ip.0", "10.1.0.50\n"); // Go's ParseIP does not trim: not an address
        Assert.Equal("10.1.0.3/24", Address(Both("ADD", ipam, "b").Ours));
        WriteBoth("last_reserved_ip.0", "10.1.0.50");
        Assert.Equal("10.1.0.51/24", Address(Both("ADD", ipam, "c").Ours));
    }

    [Theory]
    [InlineData("0.3.0")]
    [InlineData("0.3.1")]
    [InlineData("0.4.0")]
    [InlineData("1.0.0")]
    public void Results_take_the_shape_of_the_config_version(string version)
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00:1::/64"}]],"routes":[{"dst":"0.0.0.0/0","gw":"10.1.0.1"}] """;
        Both("ADD", ipam, "a", version: version);
        Both("DEL", ipam, "a", version: version);
    }

    [Fact]
    public void Exhaustion_is_the_references_error_and_leaves_nothing_half_allocated()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.2","rangeEnd":"10.1.0.3"}],[{"subnet":"fd00:1::/120","rangeStart":"fd00:1::2","rangeEnd":"fd00:1::5"}]] """;
        Both("ADD", ipam, "a");
        Both("ADD", ipam, "b");
        var (ours, _) = Both("ADD", ipam, "c");
        Assert.Equal(999u, ours.ErrorCode);
        Assert.Equal("failed to allocate for range 0: no IP addresses available in range set: 10.1.0.2-10.1.0.3", Message(ours));

        // A /30 has two addresses, and the gateway takes one.
        string small = """ "ranges":[[{"subnet":"10.5.0.0/30"}]] """;
        Both("ADD", small, "x");
        Assert.Equal("failed to allocate for range 0: no IP addresses available in range set: 10.5.0.1-10.5.0.2", Message(Both("ADD", small, "y").Ours));
    }

    [Fact]
    public void A_later_range_set_failing_releases_what_the_earlier_ones_reserved()
    {
        // Set 0 (IPv6) has room; set 1 (IPv4) holds one address. The second ADD must not keep set 0's.
        string ipam = """ "ranges":[[{"subnet":"fd00:2::/120","rangeStart":"fd00:2::2","rangeEnd":"fd00:2::9"}],[{"subnet":"10.2.0.0/24","rangeStart":"10.2.0.2","rangeEnd":"10.2.0.2"}]] """;
        Both("ADD", ipam, "x");
        var (second, _) = Both("ADD", ipam, "y");
        Assert.Equal("failed to allocate for range 1: no IP addresses available in range set: 10.2.0.2-10.2.0.2", Message(second));
        Assert.DoesNotContain(Files(OurDir), f => f.Contains("=y\r\n", StringComparison.Ordinal));
        Assert.Equal(["10.2.0.2=x\r\neth0", "fd00:2::2=x\r\neth0", "last_reserved_ip.0=fd00:2::3", "last_reserved_ip.1=10.2.0.2", "lock="], Files(OurDir));
    }

    [Fact]
    public void Requested_ips_from_cni_args()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """;
        Assert.Equal("10.1.0.77/24", Address(Both("ADD", ipam, "a", cniArgs: "IgnoreUnknown=1;IP=10.1.0.77;K8S_POD_NAME=web").Ours));
        Both("ADD", ipam, "b", cniArgs: "IP=10.1.0.77"); // already taken
        Both("ADD", ipam, "c", cniArgs: "IP=10.1.0.1"); // the gateway
        Both("ADD", ipam, "d", cniArgs: "IP=10.9.0.1"); // outside every range
        Both("ADD", ipam, "e", cniArgs: "FOO=bar"); // unknown key without IgnoreUnknown
        Both("ADD", ipam, "f", cniArgs: "IgnoreUnknown=TRUE;FOO=bar;IP=10.1.0.20/8"); // a prefix length is ignored
        Both("ADD", ipam, "g", cniArgs: "IP=10.1.0.21;IP=10.1.0.22"); // the last one wins
        Both("ADD", ipam, "h", cniArgs: "IP=ten");
        Both("ADD", ipam, "i", cniArgs: "IgnoreUnknown=yes;FOO=bar");
        Both("ADD", ipam, "j", cniArgs: "ip=10.1.0.30"); // keys are case-sensitive
        Both("ADD", ipam, "k", cniArgs: "IP=");
    }

    [Fact]
    public void Requested_ips_from_args_and_runtime_config_go_to_their_range_sets()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00:1::/64"}]] """;
        Assert.Equal("fd00:1::42/64", Address(Both("ADD", ipam, "a", extra: """ "runtimeConfig":{"ips":["fd00:1::42/64","10.1.0.42"]} """).Ours, 1));
        Both("ADD", ipam, "b", extra: """ "args":{"cni":{"ips":["10.1.0.43"]}} """);
        Both("ADD", ipam, "c", extra: """ "args":{"cni":{"ips":["10.1.0.44"]}},"runtimeConfig":{"ips":["10.1.0.44/24"]} """); // the same address twice is one request

        // Two for one set: one is used, the other reported. Upstream picks from a Go map (random
        // order), so only the outcome is compared: an error, and no address kept.
        string two = """ "args":{"cni":{"ips":["10.1.0.45"]}},"runtimeConfig":{"ips":["10.1.0.46"]} """;
        var reference = CniPlugins.Reference.Run("host-local", "ADD", Config(ipam, ReferenceDir, extra: two), "d", "/run/netns/none");
        var ours = CniPlugins.Strata.Run("host-local", "ADD", Config(ipam, OurDir, extra: two), "d", "/run/netns/none");
        Assert.Equal(999u, reference.ErrorCode);
        Assert.Equal(999u, ours.ErrorCode);
        Assert.Equal("failed to allocate all requested IPs: 10.1.0.46", Message(ours));
        Assert.DoesNotContain(Files(OurDir), f => f.EndsWith("d\r\neth0", StringComparison.Ordinal));
        WriteBoth("last_reserved_ip.0", "10.1.0.44"); // it points at .45 or .46 now, by that random choice

        Both("ADD", ipam, "e", extra: """ "runtimeConfig":{"ips":["10.1.0.42"]} """); // taken
        Both("ADD", ipam, "f", cniArgs: "IP=10.1.0.47", extra: """ "runtimeConfig":{"ips":["fd00:1::47"]} """);
    }

    [Fact]
    public void Runtime_ip_ranges_come_before_the_configured_ones()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """;
        Both("ADD", ipam, "a", extra: """ "runtimeConfig":{"ipRanges":[[{"subnet":"fd00:7::/64","rangeStart":"fd00:7::100"}]]} """);
        Both("ADD", ipam, "b", extra: """ "runtimeConfig":{"ipRanges":[[{"subnet":"10.1.0.0/25"}]]} """); // overlaps set 1
    }

    [Fact]
    public void Dns_comes_from_resolv_conf_read_before_anything_is_reserved()
    {
        string resolv = Path.Combine(_root, "resolv.conf");
        Directory.CreateDirectory(_root);
        File.WriteAllText(resolv, "# generated\n; also a comment\nnameserver 10.233.0.3\nnameserver   fd00::53\nsearch default.svc.cluster.local svc.cluster.local\n\tdomain cluster.local\noptions ndots:5 edns0\nsortlist\nbogus line here\n");
        string ipam = $$""" "ranges":[[{"subnet":"10.1.0.0/24"}]],"resolvConf":"{{resolv}}" """;
        var (ours, _) = Both("ADD", ipam, "a");
        Assert.Equal("10.233.0.3", ours.Json["dns"]!["nameservers"]![0]!.GetValue<string>());

        string missing = """ "ranges":[[{"subnet":"10.1.0.0/24"}]],"resolvConf":"/nonexistent/resolv.conf" """;
        var (failed, _) = Both("ADD", missing, "b");
        Assert.Equal("open /nonexistent/resolv.conf: no such file or directory", Message(failed));
        Assert.DoesNotContain(Files(OurDir), f => f.EndsWith("b\r\neth0", StringComparison.Ordinal));
    }

    [Fact]
    public void Routes_are_printed_as_upstream_decodes_them()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}]],"routes":[{"dst":"FD00::1/8","gw":"FD00:0::1","note":"dropped"},{"dst":"10.1.2.3/8"},{"dst":"0.0.0.0/0","gw":""}] """;
        var (ours, _) = Both("ADD", ipam, "a");
        Assert.Equal("""[{"dst":"fd00::1/8","gw":"fd00::1"},{"dst":"10.1.2.3/8"},{"dst":"0.0.0.0/0"}]""", ours.Json["routes"]!.ToJsonString());
    }

    [Theory]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/31"}]] """)] // too small
    [InlineData(""" "ranges":[[{"subnet":"fd00::/127"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.1/24"}]] """)] // host bits
    [InlineData(""" "ranges":[[{"subnet":"::ffff:10.1.0.0/120"}]] """)] // IPv4-mapped: Go's IP and mask disagree
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.2.0.5"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24","rangeEnd":"10.2.0.5"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.20","rangeEnd":"10.1.0.10"}]] """)] // reversed
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24","rangeEnd":"10.1.0.0"}]] """)] // before the default start
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"10.1.0.0/25"}]] """)] // sets overlap
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24"},{"subnet":"10.1.0.0/25"}]] """)] // ranges of a set overlap
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24"},{"subnet":"fd00::/64"}]] """)] // mixed families
    [InlineData(""" "ranges":[] """)] // no ranges
    [InlineData(""" "ranges":[[]] """)] // an empty set
    [InlineData(""" "dataDir2":"x" """)] // no ranges at all
    public void Invalid_ranges_fail_like_the_reference_and_allocate_nothing(string ipam)
    {
        var (ours, _) = Both("ADD", ipam, "a");
        Assert.Equal(1, ours.ExitCode);
        Assert.Equal(999u, ours.ErrorCode);
        Assert.Empty(Files(OurDir));
    }

    [Theory]
    [InlineData(""" "ranges":[[{"subnet":"10.0.0.300/24"}]] """, "ipam.ranges[0][0].subnet")]
    [InlineData(""" "ranges":[[{"subnet":"010.0.0.0/24"}]] """, "ipam.ranges[0][0].subnet")] // no octal, unlike .NET's parser
    [InlineData(""" "ranges":[[{"subnet":"10.1/16"}]] """, "ipam.ranges[0][0].subnet")]
    [InlineData(""" "ranges":[[{"subnet":"10.0.0.0"}]] """, "ipam.ranges[0][0].subnet")]
    [InlineData(""" "ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.x"}]] """, "ipam.ranges[0][0].rangeStart")]
    [InlineData(""" "ranges":[[{"subnet":"fd00::/64","gateway":"fe80::1%eth0"}]] """, "ipam.ranges[0][0].gateway")]
    [InlineData(""" "subnet":"10.2.0.0/33" """, "ipam.subnet")]
    [InlineData(""" "ranges":[[{"subnet":"10.0.0.0/24"}]],"routes":[{"dst":"bad"}] """, "ipam.routes[0].dst")]
    [InlineData(""" "ranges":[[{"subnet":"10.0.0.0/24"}]],"routes":[{"dst":"10.9.0.0/16","gw":"10.0.0.256"}] """, "ipam.routes[0].gw")]
    public void Unparseable_values_fail_with_the_references_code_and_name_the_field(string ipam, string field) =>
        BothRefuse(ipam, field);

    [Fact]
    public void Unparseable_requested_ips_name_where_they_came_from()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """;
        BothRefuse(ipam, "runtimeConfig.ips[1]", extra: """ "runtimeConfig":{"ips":["10.1.0.9","bad"]} """);
        BothRefuse(ipam, "args.cni.ips[0]", extra: """ "args":{"cni":{"ips":["10.1.0.999"]}} """);
    }

    [Fact]
    public void Wrong_json_types_are_errors_that_name_the_field()
    {
        foreach (var (ipam, expected, referenceAccepts) in new[]
        {
            (""" "ranges":{} """, "ipam.ranges: must be an array", false),
            (""" "ranges":[{}] """, "ipam.ranges[0]: must be an array of ranges", false),
            (""" "ranges":[[5]] """, "ipam.ranges[0][0]: must be an object", false),
            (""" "ranges":[[{"rangeStart":"10.0.0.2"}]] """, "ipam.ranges[0][0].subnet: is required", false),
            (""" "ranges":[[{"subnet":10}]] """, "ipam.ranges[0][0].subnet: must be a string", false),
            (""" "ranges":[[{"subnet":"10.0.0.0/24"}]],"routes":{} """, "ipam.routes: must be an array", false),
            (""" "ranges":[[{"subnet":"10.0.0.0/24"}]],"resolvConf":true """, "ipam.resolvConf: must be a string", false),
            // Upstream prints "dst":"<nil>" for a route without dst; Strata refuses it.
            (""" "ranges":[[{"subnet":"10.0.0.0/24"}]],"routes":[{"gw":"10.0.0.1"}] """, "ipam.routes[0].dst: is required", true),
            // Debian's v1.1 predates the route's mtu field, and ignores it.
            (""" "ranges":[[{"subnet":"10.0.0.0/24"}]],"routes":[{"dst":"10.9.0.0/16","mtu":"1500"}] """, "ipam.routes[0].mtu: must be an integer", true),
        })
        {
            var run = CniPlugins.Strata.Run("host-local", "ADD", Config(ipam, OurDir), "a", "/run/netns/none");
            Assert.Equal(999u, run.ErrorCode);
            Assert.Equal(expected, Message(run));
            Assert.Equal(referenceAccepts ? 0 : 1, CniPlugins.Reference.Run("host-local", "ADD", Config(ipam, ReferenceDir), $"r{Guid.NewGuid():N}", "/run/netns/none").ExitCode);
        }

        Assert.Empty(Files(OurDir));
        var missing = CniPlugins.Strata.Run("host-local", "ADD", """{"cniVersion":"1.0.0","name":"hl","type":"x"}""", "a", "/run/netns/none");
        Assert.Equal("IPAM config missing 'ipam' key", Message(missing));
    }

    [Theory]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24"}]] """)]
    [InlineData(""" "ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00:1::/64"}]] """)]
    public void Files_an_older_host_local_wrote_hold_the_container_id_alone(string ipam)
    {
        Both("ADD", ipam, "new");
        WriteBoth("10.1.0.9", "old");
        Both("CHECK", ipam, "old");
        Both("ADD", ipam, "old"); // already holds 10.1.0.9
        Both("DEL", ipam, "old");
        Assert.DoesNotContain(Files(OurDir), f => f.StartsWith("10.1.0.9=", StringComparison.Ordinal));
        Both("CHECK", ipam, "old");

        // A container with files of both kinds: DEL runs once per range set, and only a pass that
        // finds no new-style file falls back to the old kind, so with one set the old file stays.
        Both("ADD", ipam, "mix");
        WriteBoth("10.1.0.19", "mix");
        Both("DEL", ipam, "mix");
        bool twoSets = ipam.Contains("fd00", StringComparison.Ordinal);
        Assert.Equal(!twoSets, Files(OurDir).Contains("10.1.0.19=mix"));
    }

    [Fact]
    public void Del_and_check_on_a_network_never_used()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """;
        Both("DEL", ipam, "ghost");
        Both("CHECK", ipam, "ghost");
        Assert.Equal(["lock="], Files(OurDir));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Reservation_files_are_private_and_no_temporary_file_is_left()
    {
        var run = CniPlugins.Strata.Run("host-local", "ADD", Config(""" "ranges":[[{"subnet":"10.1.0.0/24"}]] """, OurDir), "a", "/run/netns/none");
        Assert.Equal(0, run.ExitCode);
        string dir = Path.Combine(OurDir, "hl");
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(dir, "10.1.0.2"))); // upstream since v1.4 (Debian's v1.1 still writes 0644)
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(dir, "last_reserved_ip.0")));

        // The lock file as go-filemutex creates it: 0750 less the umask, on both sides.
        Assert.Equal(0, CniPlugins.Reference.Run("host-local", "ADD", Config(""" "ranges":[[{"subnet":"10.1.0.0/24"}]] """, ReferenceDir), "a", "/run/netns/none").ExitCode);
        Assert.Equal(File.GetUnixFileMode(Path.Combine(ReferenceDir, "hl", "lock")), File.GetUnixFileMode(Path.Combine(dir, "lock")));
        Assert.True(File.GetUnixFileMode(Path.Combine(dir, "lock")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal(["10.1.0.2", "last_reserved_ip.0", "lock"], Directory.EnumerateFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_range_written_to_include_the_network_and_broadcast_addresses_never_hands_them_out()
    {
        // Deliberate difference: upstream only avoids them through its default range, and hands
        // out 10.1.0.0 here; Strata skips them as it skips the gateway.
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/30","rangeStart":"10.1.0.0","rangeEnd":"10.1.0.3"}]] """;
        var reference = CniPlugins.Reference.Run("host-local", "ADD", Config(ipam, ReferenceDir), "a", "/run/netns/none");
        Assert.Equal("10.1.0.0/30", Address(reference));
        var first = CniPlugins.Strata.Run("host-local", "ADD", Config(ipam, OurDir), "a", "/run/netns/none");
        Assert.Equal("10.1.0.2/30", Address(first));
        var second = CniPlugins.Strata.Run("host-local", "ADD", Config(ipam, OurDir), "b", "/run/netns/none");
        Assert.Equal("failed to allocate for range 0: no IP addresses available in range set: 10.1.0.0-10.1.0.3", Message(second));
    }

    [Fact]
    public void Fifty_concurrent_adds_from_fifty_processes_never_share_an_ip()
    {
        string config = Config(""" "ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00:5::/120"}]] """, OurDir);
        var runs = Concurrently(50, i => CniPlugins.Strata.Run("host-local", "ADD", config, $"c{i}", "/run/netns/none"));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Stdout));
        Assert.Equal(50, runs.Select(r => Address(r, 0)).Distinct().Count());
        Assert.Equal(50, runs.Select(r => Address(r, 1)).Distinct().Count());
        var files = Files(OurDir);
        Assert.Equal(50, files.Count(f => f.StartsWith("10.1.0.", StringComparison.Ordinal)));
        Assert.Equal(50, files.Count(f => f.StartsWith("fd00:5::", StringComparison.Ordinal)));

        // Every container holds one address of each set, and its file names it.
        for (int i = 0; i < 50; i++)
        {
            Assert.Contains($"{Address(runs[i], 0).Split('/')[0]}=c{i}\r\neth0", files);
            Assert.Contains($"{Address(runs[i], 1).Split('/')[0]}=c{i}\r\neth0", files);
        }

        var dels = Concurrently(50, i => CniPlugins.Strata.Run("host-local", "DEL", config, $"c{i}", "/run/netns/none"));
        Assert.All(dels, r => Assert.True(r.ExitCode == 0, r.Stdout));
        Assert.Equal(["last_reserved_ip.0", "last_reserved_ip.1", "lock"], Files(OurDir).Select(f => f.Split('=')[0]));
    }

    [Fact]
    public void Our_plugin_and_the_reference_running_at_once_on_one_data_dir_never_share_an_ip()
    {
        // Both lock <network>/lock with flock, so a node mid-upgrade (some invocations of each)
        // still hands out each address once.
        string config = Config(""" "ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00:6::/120"}]] """, OurDir);
        var plugins = new[] { CniPlugins.Strata, CniPlugins.Reference };
        var runs = Concurrently(50, i => plugins[i % 2].Run("host-local", "ADD", config, $"c{i}", "/run/netns/none"));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Stdout));
        Assert.Equal(50, runs.Select(r => Address(r, 0)).Distinct().Count());
        Assert.Equal(50, runs.Select(r => Address(r, 1)).Distinct().Count());
        var files = Files(OurDir);
        for (int i = 0; i < 50; i++)
        {
            Assert.Contains($"{Address(runs[i], 0).Split('/')[0]}=c{i}\r\neth0", files);
            Assert.Contains($"{Address(runs[i], 1).Split('/')[0]}=c{i}\r\neth0", files);
        }

        // Each releases what the other reserved.
        var dels = Concurrently(50, i => plugins[(i + 1) % 2].Run("host-local", "DEL", config, $"c{i}", "/run/netns/none"));
        Assert.All(dels, r => Assert.True(r.ExitCode == 0, r.Stdout));
        Assert.Equal(["last_reserved_ip.0", "last_reserved_ip.1", "lock"], Files(OurDir).Select(f => f.Split('=')[0]));
    }

    /// <summary>
    /// Runs <paramref name="count"/> invocations at once, each on its own thread released by one
    /// barrier (the thread pool of a small machine would start them a few at a time).
    /// </summary>
    private static PluginRun[] Concurrently(int count, Func<int, PluginRun> run)
    {
        var results = new PluginRun[count];
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new Barrier(count);
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                results[i] = run(i);
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
        return results;
    }

    [Fact]
    public void Gc_releases_what_is_not_a_valid_attachment()
    {
        string ipam = """ "ranges":[[{"subnet":"10.1.0.0/24"}]] """;
        foreach (string id in new[] { "keep", "drop1", "drop2" })
        {
            Assert.Equal(0, CniPlugins.Strata.Run("host-local", "ADD", Config(ipam, OurDir, "1.1.0"), id, "/run/netns/none").ExitCode);
        }

        File.WriteAllText(Path.Combine(OurDir, "hl", "10.1.0.40"), "keep"); // an older file of a valid container
        File.WriteAllText(Path.Combine(OurDir, "hl", "10.1.0.41"), "gone");

        // Without the key (libcni always sends it) GC releases nothing.
        Assert.Equal(0, CniPlugins.Strata.Run("host-local", "GC", Config(ipam, OurDir, "1.1.0")).ExitCode);
        Assert.Equal(7, Files(OurDir).Count);

        var config = (JsonObject)JsonNode.Parse(Config(ipam, OurDir, "1.1.0"))!;
        config["cni.dev/valid-attachments"] = new JsonArray((JsonNode)new JsonObject { ["containerID"] = "keep", ["ifname"] = "eth0" });
        Assert.Equal(0, CniPlugins.Strata.Run("host-local", "GC", config.ToJsonString()).ExitCode);
        Assert.Equal(["10.1.0.2=keep\r\neth0", "10.1.0.40=keep", "last_reserved_ip.0=10.1.0.4", "lock="], Files(OurDir));

        // An empty list (or null, as libcni sends a nil list) means nothing is valid any more.
        config["cni.dev/valid-attachments"] = null;
        Assert.Equal(0, CniPlugins.Strata.Run("host-local", "GC", config.ToJsonString()).ExitCode);
        Assert.Equal(["last_reserved_ip.0=10.1.0.4", "lock="], Files(OurDir));

        // GC is a spec 1.1 command; Debian's reference (spec 1.0) refuses it like our skeleton does for 1.0.0.
        var old = CniPlugins.Strata.Run("host-local", "GC", Config(ipam, OurDir, "1.0.0"));
        Assert.Equal(1u, old.ErrorCode);
    }
}

/// <summary>Address text as Go reads and writes it (Ipam/GoIp.cs): no root, no processes.</summary>
public sealed class HostLocalAddressTextTests
{
    [Theory]
    [InlineData("10.1.0.2", "10.1.0.2")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("1::", "1::")]
    [InlineData("FD00:0:0:0:0:0:0:1", "fd00::1")]
    [InlineData("::102:304", "::102:304")] // .NET would write ::1.2.3.4
    [InlineData("::1.2.3.4", "::102:304")]
    [InlineData("::ffff:0:1.2.3.4", "::ffff:0:102:304")]
    [InlineData("::ffff:1.2.3.4", "1.2.3.4")] // IPv4-mapped prints as IPv4
    [InlineData("1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1")] // a single zero group stays
    [InlineData("1:0:0:1:0:0:0:1", "1:0:0:1::1")] // the longest run is compressed
    [InlineData("1:0:0:1:1:0:0:1", "1::1:1:0:0:1")] // the first of equal runs
    [InlineData("0:0:1:0:0:0:0:0", "0:0:1::")]
    public void Addresses_parse_and_print_as_in_go(string text, string printed)
    {
        Assert.True(Strata.Cni.Plugins.Ipam.GoIp.TryParseAddress(text, out var address));
        Assert.Equal(printed, Strata.Cni.Plugins.Ipam.GoIp.Format(address));
    }

    [Theory]
    [InlineData("010.0.0.1")] // .NET reads octal
    [InlineData("10.1")]
    [InlineData("1")]
    [InlineData("0x0a.0.0.1")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.1.1.1")]
    [InlineData(" 1.2.3.4")]
    [InlineData("fe80::1%eth0")]
    [InlineData("[::1]")]
    [InlineData("12345::1")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7::8")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("1:::2")]
    [InlineData(":1")]
    [InlineData("1:")]
    [InlineData("::1.2.3")]
    [InlineData("")]
    public void Text_go_rejects_is_rejected(string text) =>
        Assert.False(Strata.Cni.Plugins.Ipam.GoIp.TryParseAddress(text, out _));

    [Theory]
    [InlineData("10.0.0.0/24", true)]
    [InlineData("10.0.0.0/024", true)]
    [InlineData("fd00::/128", true)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("10.0.0.0/", false)]
    [InlineData("10.0.0.0", false)]
    [InlineData("10.0.0.0/+8", false)]
    public void Cidrs_parse_as_in_go(string text, bool valid) =>
        Assert.Equal(valid, Strata.Cni.Plugins.Ipam.GoIp.TryParseCidr(text, out _, out _));
}
