using System.Globalization;
using System.Text.Json.Nodes;

namespace Strata.Cni.Tests;

/// <summary>
/// Running plugins, with small shell-script plugins that record what they were given: the order of
/// commands, stdin, the environment, errors, timeouts. No root needed.
/// </summary>
public sealed class InvokerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Bin => Path.Combine(_dir.Path, "bin");

    private string Log => Path.Combine(_dir.Path, "log");

    /// <summary>A plugin that records CNI_COMMAND, its stdin and its CNI_* environment, then runs <paramref name="body"/>.</summary>
    private void Plugin(string type, string body = "")
    {
        Directory.CreateDirectory(Log);
        string path = _dir.Write($"bin/{type}", $"""
            #!/bin/sh
            n=$(ls {Log}/*.json 2>/dev/null | wc -l)
            cat > {Log}/$n-$CNI_COMMAND-{type}.json
            env | grep ^CNI_ | sort > {Log}/$n-$CNI_COMMAND-{type}.env
            {body}
            exit 0
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The recorded invocations, in order: "COMMAND-type".</summary>
    private List<string> Calls() => Directory.Exists(Log)
        ? Directory.EnumerateFiles(Log, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .OrderBy(f => int.Parse(f[..f.IndexOf('-')], CultureInfo.InvariantCulture)).Select(f => f[(f.IndexOf('-') + 1)..]).ToList()
        : [];

    private string Recorded(int index, string extension = "json") =>
        File.ReadAllText(Directory.EnumerateFiles(Log, $"{index}-*.{extension}").Single());

    private CniRuntime Runtime(TimeSpan? timeout = null, TextWriter? stderr = null) =>
        new(new PluginInvoker([Path.Combine(_dir.Path, "nothing-here"), Bin], timeout: timeout) { Stderr = stderr }, new ResultCache(Path.Combine(_dir.Path, "cache")));

    private NetworkConfigList List(string json) => NetworkConfigList.LoadFile(_dir.Write($"net.d/{Guid.NewGuid():N}.conflist", json));

    private static RuntimeConf Conf(string id = "c1") => new()
    {
        ContainerId = id,
        NetNs = "/run/netns/pod",
        IfName = "eth0",
        Args = [new("IgnoreUnknown", "1"), new("K8S_POD_NAME", "web")],
        CapabilityArgs = new Dictionary<string, JsonNode> { ["portMappings"] = JsonNode.Parse("""[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]""")! },
    };

    [Fact]
    public void Add_chains_results_del_runs_in_reverse_with_the_cached_result_and_check_gets_it_too()
    {
        Plugin("main", """[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/pod"}],"ips":[{"address":"10.9.0.2/24","gateway":"10.9.0.1","interface":0}],"extra":true}'""");
        Plugin("meta", """[ "$CNI_COMMAND" = ADD ] && sed 's/.*"prevResult":\({.*}\),"runtimeConfig".*/\1/'""" + $" {Log}/$n-ADD-meta.json");
        var list = List("""{"cniVersion":"1.0.0","name":"chain","plugins":[{"type":"main","bridge":"cni0"},{"type":"meta","capabilities":{"portMappings":true}}]}""");
        var runtime = Runtime();

        var result = runtime.AddNetworkList(list, Conf());
        string normalized = """{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/pod"}],"ips":[{"address":"10.9.0.2/24","gateway":"10.9.0.1","interface":0}]}""";
        Assert.Equal(normalized, result.ToString()); // meta passed prevResult through
        Assert.Equal("""{"bridge":"cni0","cniVersion":"1.0.0","name":"chain","type":"main"}""", Recorded(0));
        Assert.Equal("""{"capabilities":{"portMappings":true},"cniVersion":"1.0.0","name":"chain","prevResult":""" + normalized
            + ""","runtimeConfig":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},"type":"meta"}""", Recorded(1));
        Assert.Equal(
            $"CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=web\nCNI_COMMAND=ADD\nCNI_CONTAINERID=c1\nCNI_IFNAME=eth0\nCNI_NETNS=/run/netns/pod\nCNI_PATH={_dir.Path}/nothing-here:{Bin}\n",
            Recorded(0, "env"));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "cache", "results", "chain-c1-eth0")));

        // A new runtime object, as after a restart: CHECK and DEL find the result in the cache.
        Runtime().Check(list, Conf());
        Runtime().Delete(list, Conf() with { CapabilityArgs = new Dictionary<string, JsonNode>() });
        Assert.Equal(["ADD-main", "ADD-meta", "CHECK-main", "CHECK-meta", "DEL-meta", "DEL-main"], Calls());
        Assert.Equal("""{"bridge":"cni0","cniVersion":"1.0.0","name":"chain","prevResult":""" + normalized + ""","type":"main"}""", Recorded(2));
        Assert.Equal(Recorded(1), Recorded(4)); // DEL meta: the cached result, and the capability data ADD had
        Assert.False(File.Exists(Path.Combine(_dir.Path, "cache", "results", "chain-c1-eth0")));

        // DEL again: no cached result, so no prevResult; still success.
        Runtime().Delete(list, Conf());
        Assert.Equal("""{"bridge":"cni0","cniVersion":"1.0.0","name":"chain","type":"main"}""", Recorded(7));
    }

    [Fact]
    public void Check_needs_0_4_0_and_a_cached_result_and_honours_disableCheck()
    {
        Plugin("p");
        var old = List("""{"cniVersion":"0.3.1","name":"old","plugins":[{"type":"p"}]}""");
        Assert.Equal("configuration version \"0.3.1\" does not support the CHECK command", Assert.Throws<CniConfigException>(() => Runtime().Check(old, Conf())).Message);

        var list = List("""{"cniVersion":"1.0.0","name":"new","plugins":[{"type":"p"}]}""");
        Assert.StartsWith("no cached result for new-c1-eth0", Assert.Throws<CniConfigException>(() => Runtime().Check(list, Conf())).Message);
        Runtime().Check(List("""{"cniVersion":"1.0.0","name":"off","disableCheck":true,"plugins":[{"type":"p"}]}"""), Conf());
        Assert.Empty(Calls());

        // Before 0.4.0, DEL gets no prevResult even when a result is cached.
        Plugin("p", """[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.0.0.2/24"}]}'""");
        Runtime().Add(old, Conf());
        Runtime().Delete(old, Conf());
        Assert.DoesNotContain("prevResult", Recorded(1));
    }

    [Fact]
    public void Status_and_gc_send_what_libcni_sends()
    {
        Plugin("a", """[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.1.0"}'""");
        var list = List("""{"cniVersion":"1.1.0","name":"gcnet","plugins":[{"type":"a"}]}""");
        var runtime = Runtime();
        foreach (string id in new[] { "keep", "stale" })
        {
            runtime.Add(list, Conf(id) with { NetNs = $"/run/netns/{id}" });
        }

        runtime.Status(list);
        runtime.GarbageCollect(list, [("keep", "eth0")]);
        Assert.Equal(["ADD-a", "ADD-a", "STATUS-a", "DEL-a", "GC-a"], Calls());
        Assert.Equal("""{"cniVersion":"1.1.0","name":"gcnet","type":"a"}""", Recorded(2));
        Assert.Equal($"CNI_ARGS=\nCNI_COMMAND=STATUS\nCNI_CONTAINERID=\nCNI_IFNAME=\nCNI_NETNS=\nCNI_PATH={_dir.Path}/nothing-here:{Bin}\n", Recorded(2, "env"));
        Assert.Contains("CNI_CONTAINERID=stale\n", Recorded(3, "env")); // the stale attachment, with what its ADD had
        Assert.Contains("CNI_NETNS=/run/netns/stale\n", Recorded(3, "env"));
        Assert.Contains("CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=web\n", Recorded(3, "env"));
        Assert.Equal("""{"cni.dev/attachments":[{"containerID":"keep","ifname":"eth0"}],"cni.dev/valid-attachments":[{"containerID":"keep","ifname":"eth0"}],"cniVersion":"1.1.0","name":"gcnet","type":"a"}""", Recorded(4));
        Assert.Equal(["gcnet-keep-eth0"], Directory.EnumerateFiles(Path.Combine(_dir.Path, "cache", "results")).Select(Path.GetFileName));

        // Older versions have no STATUS or GC command: only the stale attachments are deleted.
        var v100 = List("""{"cniVersion":"1.0.0","name":"gcnet","plugins":[{"type":"a"}]}""");
        runtime.Status(v100);
        runtime.GarbageCollect(v100, []);
        Assert.Equal(["ADD-a", "ADD-a", "STATUS-a", "DEL-a", "GC-a", "DEL-a"], Calls());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "cache", "results")));
    }

    [Fact]
    public void A_missing_plugin_names_the_type_and_the_directories_searched()
    {
        var list = List("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"nosuch"}]}""");
        var error = Assert.Throws<CniPluginException>(() => Runtime().Add(list, Conf()));
        Assert.Equal($"plugin nosuch ADD failed: failed to find plugin \"nosuch\" in path [{_dir.Path}/nothing-here {Bin}]", error.Message);
        Assert.Equal("nosuch", error.Plugin);
    }

    [Fact]
    public void A_hanging_plugin_times_out_and_is_killed()
    {
        string pidFile = Path.Combine(_dir.Path, "pid");
        Plugin("hang", $"echo $$ > {pidFile}\nexec sleep 60");
        var list = List("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"hang"}]}""");
        var started = DateTime.UtcNow;
        var error = Assert.Throws<CniPluginException>(() => Runtime(TimeSpan.FromSeconds(1)).Add(list, Conf()));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        Assert.Equal($"plugin hang ADD failed: timed out after 1 s; the plugin (pid {pid}) was killed", error.Message);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the plugin process is still there");
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "cache", "results")));
    }

    [Fact]
    public void Cancelling_kills_the_plugin()
    {
        string pidFile = Path.Combine(_dir.Path, "pid");
        Plugin("hang", $"echo $$ > {pidFile}\nexec sleep 60");
        var list = List("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"hang"}]}""");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        Assert.ThrowsAny<OperationCanceledException>(() => Runtime().Delete(list, Conf(), cancel.Token));
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the plugin process is still there");
    }

    [Fact]
    public void A_process_the_plugin_leaves_behind_holding_its_stdout_does_not_hang_the_runtime()
    {
        string pidFile = Path.Combine(_dir.Path, "pid");
        Plugin("leaky", $"sleep 30 &\necho $! > {pidFile}\necho '{{\"cniVersion\":\"1.0.0\"}}'");
        var list = List("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"leaky"}]}""");
        try
        {
            var error = Assert.Throws<CniPluginException>(() => Runtime(TimeSpan.FromSeconds(2)).Add(list, Conf()));
            Assert.Equal("plugin leaky ADD failed: the plugin exited, but a process it started still holds its stdout or stderr open", error.Message);
        }
        finally
        {
            // The runtime kills only the plugin it started; the test cleans up what its script left.
            if (File.Exists(pidFile))
            {
                Tool.Run("kill", File.ReadAllText(pidFile).Trim());
            }
        }
    }

    [Fact]
    public void A_plugin_that_does_not_read_a_large_stdin_does_not_block_the_runtime()
    {
        var path = _dir.Write("bin/lazy", "#!/bin/sh\necho '{\"cniVersion\":\"1.0.0\"}'\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string big = new('x', 1 << 20);
        var list = List($$"""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"lazy","blob":"{{big}}"}]}""");
        Assert.Equal("""{"cniVersion":"1.0.0"}""", Runtime(TimeSpan.FromSeconds(10)).AddNetworkList(list, Conf()).ToString());
    }

    [Theory]
    [InlineData("echo 'not json'; exit 0", "ADD", "plugin fail ADD failed: invalid result: failed to unmarshal raw result: ")]
    [InlineData("exit 0", "ADD", "plugin fail ADD failed: invalid result: failed to unmarshal raw result: ")]
    [InlineData("echo '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"nope\"}]}'", "ADD", "plugin fail ADD failed: invalid result: result.ips[0].address: invalid CIDR address: \"nope\"")]
    [InlineData("echo '{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"bad config\",\"details\":\"field x\"}'; exit 1", "ADD", "plugin fail ADD failed with code 7: bad config (field x)")]
    [InlineData("echo '{\"code\":11,\"msg\":\"try again\"}'; exit 1", "DEL", "plugin fail DEL failed with code 11: try again")]
    [InlineData("echo oops >&2; exit 3", "ADD", "plugin fail ADD failed: exited with status 3: oops")]
    [InlineData("exit 4", "DEL", "plugin fail DEL failed: exited with status 4 and no error message")]
    [InlineData("echo 'panic: boom'; exit 2", "DEL", "plugin fail DEL failed: exited with status 2, and its error output could not be parsed")]
    [InlineData("echo '{\"code\":\"seven\"}'; exit 2", "DEL", "plugin fail DEL failed: exited with status 2, and its error output could not be parsed (\"code\" is not an unsigned integer)")]
    public void Plugin_failures_become_errors_naming_the_plugin_command_and_code(string script, string command, string expected)
    {
        Plugin("fail", script);
        var list = List("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"fail"}]}""");
        var error = Assert.Throws<CniPluginException>(() =>
        {
            if (command == "ADD")
            {
                Runtime().Add(list, Conf());
            }
            else
            {
                Runtime().Delete(list, Conf());
            }
        });
        Assert.StartsWith(expected, error.Message);
        Assert.Equal(command, error.Command);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "cache", "results")));
    }

    [Fact]
    public void Output_of_a_successful_del_is_ignored_and_stderr_of_a_success_is_passed_on()
    {
        Plugin("noisy", "echo 'some log line' >&2\necho 'not a result'");
        var list = List("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"noisy"}]}""");
        var stderr = new StringWriter();
        Runtime(stderr: stderr).Delete(list, Conf());
        Assert.Equal("some log line\n", stderr.ToString());
    }

    [Fact]
    public void Version_decodes_the_answer_as_libcni_does()
    {
        Plugin("modern", """echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}'""");
        Plugin("legacy", """echo '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}'; exit 1""");
        Plugin("v020", """echo '{"cniVersion":"0.2.0"}'""");
        Plugin("broken", """echo '{"supportedVersions":["1.0.0"]}'""");
        var runtime = Runtime();
        Assert.Equal(["0.3.1", "0.4.0", "1.0.0"], runtime.Versions("modern"));
        Assert.Equal("""{"cniVersion":"1.1.0"}""", Recorded(0));
        Assert.Equal("CNI_ARGS=\nCNI_COMMAND=VERSION\nCNI_CONTAINERID=\nCNI_IFNAME=dummy\nCNI_NETNS=dummy\nCNI_PATH=dummy\n", Recorded(0, "env"));
        Assert.Equal(["0.1.0"], runtime.Versions("legacy"));
        Assert.Equal(["0.1.0", "0.2.0"], runtime.Versions("v020"));
        Assert.Contains("decoding version info: missing field cniVersion", Assert.Throws<CniPluginException>(() => runtime.Versions("broken")).Message);

        var list = List("""{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"modern","capabilities":{"portMappings":true,"ips":false}},{"type":"gone"}]}""");
        var error = Assert.Throws<CniConfigException>(() => runtime.ValidateNetworkList(list));
        Assert.Contains("plugin modern does not support config version \"1.1.0\"", error.Message);
        Assert.Contains("failed to find plugin \"gone\"", error.Message);
        Assert.Equal(["portMappings"], runtime.ValidateNetworkList(List("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"modern","capabilities":{"portMappings":true,"ips":false}}]}""")));
    }

    [Fact]
    public void Invalid_runtime_arguments_are_refused_before_any_plugin_runs()
    {
        Plugin("p");
        var list = List("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"p"}]}""");
        Assert.StartsWith("invalid characters in containerID", Assert.Throws<CniConfigException>(() => Runtime().Add(list, Conf("../../etc"))).Message);
        Assert.Contains("too long", Assert.Throws<CniConfigException>(() => Runtime().Delete(list, Conf() with { IfName = "a-very-long-ifname" })).Message);
        Assert.Empty(Calls());
    }

    [Fact]
    public void An_unreadable_cache_entry_does_not_stop_del()
    {
        Plugin("p");
        var list = List("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"p"}]}""");
        _dir.Write("cache/results/n-c1-eth0", "{broken");
        Runtime().Delete(list, Conf());
        Assert.Equal(["DEL-p"], Calls());
        Assert.False(File.Exists(Path.Combine(_dir.Path, "cache", "results", "n-c1-eth0")));
        Assert.DoesNotContain("prevResult", Recorded(0));
    }
}
