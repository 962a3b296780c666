using System.Text.Json;
using System.Text.RegularExpressions;
using Strata.Netlink;

namespace Strata.Cli.Tests;

public sealed class CliTests
{
    [Fact]
    public void Version_names_strata_the_runtime_and_the_kernel()
    {
        var (code, stdout, _) = Strata.Run("version");
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^strata \d+\.\d+\.\d+$", lines[0]);
        Assert.StartsWith("runtime .NET 10", lines[1]);
        Assert.Equal($"kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}", lines[2]);
    }

    [Theory]
    [InlineData(new[] { "--help" }, "netns")]
    [InlineData(new[] { "link", "list", "--help" }, "--netns")]
    [InlineData(new[] { "bench", "netlink", "--help" }, "--json")]
    [InlineData(new[] { "netns", "add", "--help" }, "<name>")]
    public void Every_command_has_help(string[] args, string expected)
    {
        var (code, stdout, _) = Strata.Run(args);
        Assert.Equal(0, code);
        Assert.Contains(expected, stdout);
    }

    [Fact]
    public void An_unknown_command_is_an_error()
    {
        var (code, _, stderr) = Strata.Run("frobnicate");
        Assert.NotEqual(0, code);
        Assert.Contains("frobnicate", stderr);
    }

    [RootFact]
    public void Netns_add_list_del_share_ip_netns_registry()
    {
        string name = $"strata-t-{Guid.NewGuid().ToString("N")[..8]}";
        try
        {
            Assert.Equal(0, Strata.Run("netns", "add", name).ExitCode);
            Assert.Contains(name, Tool.Check("ip", "netns", "list"));
            Assert.Contains(name, Strata.Run("netns", "list").Stdout.Split('\n'));
            Tool.Check("ip", "netns", "exec", name, "ip", "link", "show", "lo");

            var duplicate = Strata.Run("netns", "add", name);
            Assert.Equal(1, duplicate.ExitCode);
            Assert.Contains($"strata: netns add {name} (netns {name}): File exists (EEXIST)", duplicate.Stderr);
            Tool.Check("ip", "netns", "exec", name, "ip", "link", "show", "lo"); // the existing one is untouched

            Assert.Equal(0, Strata.Run("netns", "del", name).ExitCode);
            Assert.DoesNotContain(name, Tool.Check("ip", "netns", "list"));
        }
        finally
        {
            Tool.Run("ip", "netns", "del", name);
        }
    }

    [RootFact]
    public void Netns_errors_name_the_problem()
    {
        var missing = Strata.Run("netns", "del", "strata-t-nosuchns");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("strata: netns del strata-t-nosuchns (netns strata-t-nosuchns): No such file or directory (ENOENT): /run/netns/strata-t-nosuchns does not exist\n", missing.Stderr);

        var invalid = Strata.Run("netns", "add", "a/b");
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("namespace name \"a/b\" is not a valid file name", invalid.Stderr);

        var unknown = Strata.Run("link", "list", "--netns", "strata-t-nosuchns");
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("strata: netns open /run/netns/strata-t-nosuchns", unknown.Stderr);
    }

    [RootFact]
    public void Link_list_json_agrees_with_ip()
    {
        using var ns = Scene();
        var (code, stdout, stderr) = Strata.Run("link", "list", "--netns", ns.Name, "-j");
        Assert.True(code == 0, stderr);
        var ours = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToDictionary(l => l.GetProperty("ifname").GetString()!);
        var ip = Tool.IpJson(ns.Name, "link", "show").EnumerateArray().ToDictionary(l => l.GetProperty("ifname").GetString()!);
        Assert.Equal(ip.Keys.Order(), ours.Keys.Order());
        foreach (var (name, link) in ours)
        {
            foreach (var property in link.EnumerateObject().Where(p => p.Name != "linkinfo"))
            {
                Assert.True(ip[name].TryGetProperty(property.Name, out var expected), $"{name}: ip -j has no {property.Name}");
                Assert.Equal(expected.ToString(), property.Value.ToString());
            }

            if (link.TryGetProperty("linkinfo", out var info))
            {
                var expectedInfo = ip[name].GetProperty("linkinfo");
                Assert.Equal(expectedInfo.GetProperty("info_kind").GetString(), info.GetProperty("info_kind").GetString());
                if (info.TryGetProperty("info_data", out var data))
                {
                    foreach (var property in data.EnumerateObject())
                    {
                        Assert.Equal(expectedInfo.GetProperty("info_data").GetProperty(property.Name).ToString(), property.Value.ToString());
                    }
                }
            }
        }
    }

    [RootFact]
    public void Link_list_text_reads_like_ip_link()
    {
        using var ns = Scene();
        var (code, stdout, stderr) = Strata.Run("link", "list", "--netns", ns.Name);
        Assert.True(code == 0, stderr);

        // ip's first two lines per link, without the queueing fields Strata does not show.
        string ip = Tool.Check("ip", "-n", ns.Name, "link", "show");
        var expected = ip.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
            Regex.Replace(line, @" (qdisc \S+|mode \S+|qlen \d+|brd \S+)", string.Empty)).ToList();
        var ours = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("    ") || l.StartsWith("    link/")).ToList();
        Assert.Equal(expected, ours);
        Assert.Contains("    vxlan id 1 local 172.19.0.8 dev eth0 dstport 8472 nolearning ttl auto ageing 300", stdout);
    }

    [RootFact]
    public void Bench_netlink_prints_json_with_the_ratio()
    {
        var (code, stdout, stderr) = Strata.Run("bench", "netlink", "--pairs", "10", "--rounds", "1", "--json");
        Assert.True(code == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("netlink", report.GetProperty("benchmark").GetString());
        double ratio = report.GetProperty("ratio").GetDouble();
        Assert.Equal(report.GetProperty("strata_seconds").GetDouble() / report.GetProperty("reference_seconds").GetDouble(), ratio, 2);
    }

    [RootFact]
    public void Demo_pings_across_every_scene_and_cleans_up()
    {
        var (code, stdout, stderr) = Strata.Run("demo", "scenes", "--plugins", Repository.Plugins);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("demo: every ping crossed the kernel objects Strata built.", stdout);
        Assert.Equal(6, Regex.Count(stdout, @"1 packets transmitted, 1 received"));
        Assert.Contains("pod1 got 10.233.64.2/24 (gateway 10.233.64.1)", stdout);
        Assert.False(Directory.Exists("/tmp/strata-demo-cni"));
        Assert.Contains("vxlan id 1 local 172.19.0.8 dev eth0 dstport 8472 nolearning", stdout);
        Assert.DoesNotContain(NetworkNamespace.List(), n => n.StartsWith("strata-demo-", StringComparison.Ordinal));

        var kept = Strata.Run("demo", "scenes", "--keep", "--plugins", Repository.Plugins);
        Assert.Equal(0, kept.ExitCode);
        Assert.Contains("strata-demo-node1", Tool.Check("ip", "netns", "list"));
        Assert.Contains("10.233.65.0/24 via 10.233.65.0 dev flannel.1 onlink", Tool.Check("ip", "-n", "strata-demo-node1", "route"));
        Assert.Equal(0, Strata.Run("demo", "scenes", "--down").ExitCode);
        Assert.DoesNotContain(NetworkNamespace.List(), n => n.StartsWith("strata-demo-", StringComparison.Ordinal));
    }

    [RootFact]
    public void Cni_add_check_del_drive_the_plugins_like_cnitool()
    {
        string root = Path.Combine(Path.GetTempPath(), $"strata-t-{Guid.NewGuid():N}");
        using var host = new ScratchScene($"strata-t-{Guid.NewGuid().ToString("N")[..8]}");
        using var container = new ScratchScene($"strata-t-{Guid.NewGuid().ToString("N")[..8]}");
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "net.d"));
            File.WriteAllText(Path.Combine(root, "net.d", "10-test.conflist"),
                "{\"cniVersion\":\"1.0.0\",\"name\":\"clinet\",\"plugins\":[{\"type\":\"bridge\",\"isGateway\":true,\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + root + "/ipam\",\"ranges\":[[{\"subnet\":\"10.77.0.0/24\"}]]}}]}");
            string[] common = ["--container-id", "c1", "--conf-dir", Path.Combine(root, "net.d"), "--bin-dir", Repository.Plugins, "--cache-dir", Path.Combine(root, "cache"), "--host-netns", host.Name];

            var add = Strata.Run(["cni", "add", container.Name, .. common]);
            Assert.True(add.ExitCode == 0, add.Stderr);
            Assert.Equal("10.77.0.2/24", JsonDocument.Parse(add.Stdout).RootElement.GetProperty("ips")[0].GetProperty("address").GetString());
            Assert.True(Tool.Ping(container.Name, "10.77.0.1"));
            Assert.Equal(0, Strata.Run(["cni", "check", container.Name, .. common]).ExitCode);
            Assert.Equal(0, Strata.Run(["cni", "del", container.Name, .. common]).ExitCode);
            Assert.DoesNotContain("eth0", Tool.Check("ip", "-n", container.Name, "link"));

            var badCap = Strata.Run(["cni", "add", container.Name, .. common, "--cap", "portMappings=[{"]);
            Assert.Equal(1, badCap.ExitCode);
            Assert.StartsWith("strata: --cap portMappings: invalid JSON", badCap.Stderr);

            var noConf = Strata.Run(["cni", "add", container.Name, "--container-id", "c1", "--conf-dir", Path.Combine(root, "missing")]);
            Assert.Equal($"strata: {Path.Combine(root, "missing")}: no such directory\n", noConf.Stderr);
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [RootFact]
    public void Cni_defaults_to_cnitools_container_id_and_runs_version_status_and_gc()
    {
        string root = Path.Combine(Path.GetTempPath(), $"strata-t-{Guid.NewGuid():N}");
        using var host = new ScratchScene($"strata-t-{Guid.NewGuid().ToString("N")[..8]}");
        using var container = new ScratchScene($"strata-t-{Guid.NewGuid().ToString("N")[..8]}");
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "net.d"));
            File.WriteAllText(Path.Combine(root, "net.d", "10-test.conflist"),
                "{\"cniVersion\":\"1.1.0\",\"name\":\"gcnet\",\"plugins\":[{\"type\":\"bridge\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + root + "/ipam\",\"ranges\":[[{\"subnet\":\"10.78.0.0/24\"}]]}}]}");
            string[] common = ["--conf-dir", Path.Combine(root, "net.d"), "--bin-dir", Repository.Plugins, "--cache-dir", Path.Combine(root, "cache"), "--host-netns", host.Name];

            var add = Strata.Run(["cni", "add", container.Name, .. common]);
            Assert.True(add.ExitCode == 0, add.Stderr);
            Assert.StartsWith("{\n    \"cniVersion\": \"1.1.0\",\n", add.Stdout); // printed as cnitool prints it

            // cnitool's container ID: "cnitool-" and the first 10 bytes of SHA-512 of the namespace path (checked with coreutils).
            string hash = Tool.Check("sh", "-c", $"printf %s /run/netns/{container.Name} | sha512sum")[..20];
            Assert.Equal([$"gcnet-cnitool-{hash}-eth0"], Directory.EnumerateFiles(Path.Combine(root, "cache", "results")).Select(Path.GetFileName));

            Assert.Equal("gcnet: ready\n", Strata.Run(["cni", "status", .. common]).Stdout);
            Assert.Equal("0.1.0 0.2.0 0.3.0 0.3.1 0.4.0 1.0.0\n", Strata.Run("cni", "version", "bridge", "--bin-dir", "/usr/lib/cni").Stdout);

            var gc = Strata.Run(["cni", "gc", .. common]); // nothing is valid: the attachment is deleted
            Assert.True(gc.ExitCode == 0, gc.Stderr);
            Assert.DoesNotContain("eth0", Tool.Check("ip", "-n", container.Name, "link"));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(root, "cache", "results")));

            File.WriteAllText(Path.Combine(root, "net.d", "05-bad.conflist"), "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{}]}");
            var bad = Strata.Run(["cni", "add", container.Name, .. common]);
            Assert.Equal((1, $"strata: {Path.Combine(root, "net.d", "05-bad.conflist")}: plugins[0] has no \"type\"\n"), (bad.ExitCode, bad.Stderr));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>A namespace with a bridge, a veth pair (one end enslaved, one up) and a vxlan device, made with ip.</summary>
    private static ScratchScene Scene()
    {
        var scene = new ScratchScene($"strata-t-{Guid.NewGuid().ToString("N")[..8]}");
        Tool.Ip(scene.Name, "link", "add", "br0", "type", "bridge");
        Tool.Ip(scene.Name, "link", "add", "veth1", "type", "veth", "peer", "name", "veth2");
        Tool.Ip(scene.Name, "link", "set", "veth1", "master", "br0");
        Tool.Ip(scene.Name, "link", "set", "veth2", "up");
        Tool.Ip(scene.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
        Tool.Ip(scene.Name, "addr", "add", "172.19.0.8/20", "dev", "eth0");
        Tool.Ip(scene.Name, "link", "add", "flannel.1", "group", "3", "type", "vxlan", "id", "1", "local", "172.19.0.8", "dev", "eth0", "dstport", "8472", "nolearning");
        return scene;
    }

    private sealed class ScratchScene : IDisposable
    {
        public ScratchScene(string name)
        {
            Name = name;
            Tool.Check("ip", "netns", "add", name);
        }

        public string Name { get; }

        public void Dispose() => Tool.Run("ip", "netns", "del", Name);
    }
}
