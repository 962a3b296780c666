using System.Text;

namespace Strata.Cni.Tests;

/// <summary>Loading and validating configuration files (libcni conf.go), no root needed.</summary>
public sealed class ConfigTests
{
    [Fact]
    public void Files_load_in_lexical_order_and_a_single_conf_becomes_a_list()
    {
        using var dir = new TempDirectory();
        dir.Write("20-second.conf", """{"cniVersion":"0.4.0","name":"second","type":"bridge","bridge":"cni0"}""");
        dir.Write("10-flannel.conflist", """{"cniVersion":"0.3.1","name":"cbr0","plugins":[{"type":"flannel","delegate":{"hairpinMode":true}},{"type":"portmap","capabilities":{"portMappings":true}}]}""");
        dir.Write("30-third.json", """{"cniVersion":"1.0.0","name":"third","type":"loopback"}""");
        dir.Write("README.md", "not a configuration");
        Directory.CreateDirectory(Path.Combine(dir.Path, "99-dir.conf")); // a directory is not a file

        var lists = NetworkConfigList.LoadDirectory(dir.Path);
        Assert.Equal(["cbr0", "second", "third"], lists.Select(l => l.Name));
        Assert.Equal(["flannel", "portmap"], lists[0].Plugins.Select(p => p["type"]!.GetValue<string>()));
        Assert.Equal("bridge", Assert.Single(lists[1].Plugins)["type"]!.GetValue<string>());
        Assert.Equal(("0.3.1", "0.4.0", "1.0.0"), (lists[0].CniVersion, lists[1].CniVersion, lists[2].CniVersion));
        Assert.Equal("cbr0", NetworkConfigList.Find(dir.Path).Name);
        Assert.Equal("third", NetworkConfigList.Find(dir.Path, "third").Name);
    }

    [Fact]
    public void A_conflist_keeps_its_bytes_and_a_conf_gets_the_list_libcni_builds_around_it()
    {
        using var dir = new TempDirectory();
        string listText = "{ \"name\": \"net\",\n  \"cniVersion\": \"1.0.0\",\n  \"plugins\": [ { \"type\": \"bridge\" } ] }\n";
        var list = NetworkConfigList.LoadFile(dir.Write("a.conflist", listText));
        Assert.Equal(Encoding.UTF8.GetBytes(listText), list.Bytes); // byte for byte: the cache records these

        // ConfListFromConf: a Go map {cniVersion, name, plugins: [the plugin re-marshalled]}, keys sorted.
        var single = NetworkConfigList.LoadFile(dir.Write("b.conf", "{\n  \"type\": \"bridge\",\n  \"name\": \"solo\",\n  \"mtu\": 1.5e3,\n  \"cniVersion\": \"0.4.0\"\n}\n"));
        Assert.Equal("""{"cniVersion":"0.4.0","name":"solo","plugins":[{"cniVersion":"0.4.0","mtu":1500,"name":"solo","type":"bridge"}]}""",
            Encoding.UTF8.GetString(single.Bytes));
    }

    [Fact]
    public void Find_prefers_a_conflist_then_conf_files_and_says_what_it_did_not_find()
    {
        using var dir = new TempDirectory();
        dir.Write("10-a.conf", """{"cniVersion":"1.0.0","name":"net","type":"from-conf"}""");
        dir.Write("20-b.conflist", """{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"from-conflist"}]}""");
        Assert.Equal("from-conflist", NetworkConfigList.Find(dir.Path, "net").Plugins[0]["type"]!.GetValue<string>());
        Assert.Equal("from-conf", NetworkConfigList.Find(dir.Path).Plugins[0]["type"]!.GetValue<string>()); // lexically first

        var missing = Assert.Throws<CniConfigException>(() => NetworkConfigList.Find(dir.Path, "other"));
        Assert.Equal($"no net configuration with name \"other\" in {dir.Path}", missing.Message);

        using var empty = new TempDirectory();
        Assert.Equal($"no net configurations found in {empty.Path}", Assert.Throws<CniConfigException>(() => NetworkConfigList.Find(empty.Path)).Message);
        string nowhere = Path.Combine(empty.Path, "nowhere");
        Assert.Equal($"{nowhere}: no such directory", Assert.Throws<CniConfigException>(() => NetworkConfigList.LoadDirectory(nowhere)).Message);
    }

    [Theory]
    [InlineData("a.conflist", "{bad", "invalid JSON")]
    [InlineData("a.conflist", "[1,2]", "invalid JSON: the configuration is not a JSON object")]
    [InlineData("a.conflist", """{"cniVersion":"9.9.9","name":"n","plugins":[{"type":"bridge"}]}""", "unsupported cniVersion \"9.9.9\" (supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)")]
    [InlineData("a.conflist", """{"cniVersion":1,"name":"n","plugins":[{"type":"bridge"}]}""", "\"cniVersion\" must be a string")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}""", "missing network name")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"","plugins":[{"type":"bridge"}]}""", "missing network name")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"bad name","plugins":[{"type":"bridge"}]}""", "invalid network name \"bad name\"")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[]}""", "no plugins in the list")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n"}""", "no plugins in the list")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":{"type":"bridge"}}""", "\"plugins\" must be an array")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[{"bridge":"cni0"}]}""", "plugins[0] has no \"type\"")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"},{"type":""}]}""", "plugins[1] has no \"type\"")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"portmap","capabilities":{"portMappings":"yes"}}]}""", "plugins[0] \"capabilities\" must be an object of booleans")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge","ipam":{"type":7}}]}""", "plugins[0] ipam.\"type\" must be a string")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","disableCheck":"maybe","plugins":[{"type":"bridge"}]}""", "invalid value \"maybe\" for disableCheck")]
    [InlineData("a.conflist", """{"cniVersion":"1.0.0","name":"n","loadOnlyInlinedPlugins":true}""", "\"loadOnlyInlinedPlugins\" is true, and there is no \"plugins\" key")]
    [InlineData("a.conflist", """{"cniVersions":["1.0.0",7],"name":"n","plugins":[{"type":"bridge"}]}""", "cniVersions[1] must be a string")]
    [InlineData("a.conf", """{"cniVersion":"1.0.0","name":"n"}""", "the plugin configuration has no \"type\"")]
    [InlineData("a.conf", """{"cniVersion":"1.0.0","type":"bridge"}""", "missing network name")]
    [InlineData("a.conf", """{"cniVersion":"0.5.0","name":"n","type":"bridge"}""", "unsupported cniVersion \"0.5.0\"")]
    [InlineData("a.conf", """{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}""", "a list with \"plugins\" must be named .conflist")]
    [InlineData("a.json", """{"cniVersion":"1.0.0","name":"n","type":["bridge"]}""", "\"type\" must be a string")]
    public void Bad_files_are_refused_naming_the_file_and_the_problem(string file, string contents, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.Write(file, contents);
        var error = Assert.Throws<CniConfigException>(() => NetworkConfigList.LoadFile(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(problem, error.Message);

        // Loading the directory stops at the same file with the same message.
        Assert.Equal(error.Message, Assert.Throws<CniConfigException>(() => NetworkConfigList.LoadDirectory(dir.Path)).Message);
    }

    [Fact]
    public void List_options_are_read_as_libcni_reads_them()
    {
        using var dir = new TempDirectory();
        var list = NetworkConfigList.LoadFile(dir.Write("a.conflist",
            """{"cniVersion":"0.4.0","cniVersions":["0.3.1","1.0.0","2.0.0"],"name":"n","disableCheck":"TRUE","disableGC":true,"plugins":[{"type":"bridge"}]}"""));
        Assert.Equal("1.0.0", list.CniVersion); // the highest this runtime implements; 2.0.0 is ignored
        Assert.True(list.DisableCheck);
        Assert.True(list.DisableGc);

        var oldest = NetworkConfigList.LoadFile(dir.Write("b.conf", """{"name":"old","type":"bridge"}"""));
        Assert.Equal("0.1.0", oldest.CniVersion); // no cniVersion: 0.1.0, as plugins read it
    }

    [Fact]
    public void Plugin_files_in_a_directory_named_after_the_network_are_appended_unless_only_inlined_plugins_are_wanted()
    {
        using var dir = new TempDirectory();
        dir.Write("net/20-tuning.conf", """{"type":"tuning"}""");
        dir.Write("net/10-portmap.conf", """{"type":"portmap","capabilities":{"portMappings":true}}""");
        dir.Write("net/ignored.json", """{"type":"ignored"}""");

        var list = NetworkConfigList.LoadFile(dir.Write("10-net.conflist", """{"cniVersion":"1.1.0","name":"net","plugins":[{"type":"bridge"}]}"""));
        Assert.Equal(["bridge", "portmap", "tuning"], list.Plugins.Select(p => p["type"]!.GetValue<string>()));

        var fromDirectoryOnly = NetworkConfigList.LoadFile(dir.Write("20-net.conflist", """{"cniVersion":"1.1.0","name":"net"}"""));
        Assert.Equal(["portmap", "tuning"], fromDirectoryOnly.Plugins.Select(p => p["type"]!.GetValue<string>()));

        var inlined = NetworkConfigList.LoadFile(dir.Write("30-net.conflist", """{"cniVersion":"1.1.0","name":"net","loadOnlyInlinedPlugins":"true","plugins":[{"type":"bridge"}]}"""));
        Assert.Equal(["bridge"], inlined.Plugins.Select(p => p["type"]!.GetValue<string>()));

        dir.Write("net/30-bad.conf", """{"capabilities":{}}""");
        var bad = Assert.Throws<CniConfigException>(() => NetworkConfigList.LoadFile(Path.Combine(dir.Path, "10-net.conflist")));
        Assert.Equal($"{Path.Combine(dir.Path, "net", "30-bad.conf")}: the plugin configuration has no \"type\"", bad.Message);
    }

    [Theory]
    [InlineData("", "missing containerID")]
    [InlineData("../etc", "invalid characters in containerID \"../etc\"")]
    [InlineData("-a", "invalid characters in containerID \"-a\"")]
    public void Container_ids_are_checked_before_they_name_a_cache_file(string id, string problem)
    {
        var error = Assert.Throws<CniConfigException>(() => new RuntimeConf { ContainerId = id }.Validate());
        Assert.StartsWith(problem, error.Message);
    }

    [Theory]
    [InlineData("", "interface name is empty")]
    [InlineData("averyveryverylong", "is too long")]
    [InlineData("..", "interface name is \"..\"")]
    [InlineData("eth/0", "contains / or : or whitespace")]
    [InlineData("eth 0", "contains / or : or whitespace")]
    public void Interface_names_are_checked_as_libcni_does(string ifName, string problem)
    {
        var error = Assert.Throws<CniConfigException>(() => new RuntimeConf { ContainerId = "c", IfName = ifName }.Validate());
        Assert.Contains(problem, error.Message);
        Assert.Equal(4u, error.Code);
    }
}
