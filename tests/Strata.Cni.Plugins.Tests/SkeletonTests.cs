using System.Text;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Plugins;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins.Tests;

/// <summary>The plugin skeleton in-process: environment checks, version negotiation and error JSON (no root needed).</summary>
public sealed class SkeletonTests
{
    private static (int Code, JsonObject? Json, string Stderr) Run(string config, Dictionary<string, string> env)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = PluginSkeleton.Run(new Loopback(), name => env.GetValueOrDefault(name), new MemoryStream(Encoding.UTF8.GetBytes(config)), stdout, stderr);
        return (code, stdout.ToString().Length > 0 ? JsonNode.Parse(stdout.ToString()) as JsonObject : null, stderr.ToString());
    }

    private static Dictionary<string, string> Env(string command) => new()
    {
        ["CNI_COMMAND"] = command,
        ["CNI_CONTAINERID"] = "c1",
        ["CNI_NETNS"] = "/run/netns/none",
        ["CNI_IFNAME"] = "eth0",
        ["CNI_PATH"] = "/opt/cni/bin",
    };

    [Fact]
    public void Version_lists_the_supported_versions()
    {
        var (code, json, _) = Run(string.Empty, new() { ["CNI_COMMAND"] = "VERSION" });
        Assert.Equal(0, code);
        Assert.Equal("1.1.0", json!["cniVersion"]!.GetValue<string>());
        Assert.Equal(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"], json["supportedVersions"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public void No_command_prints_what_the_plugin_is()
    {
        var (code, json, stderr) = Run(string.Empty, []);
        Assert.Equal(0, code);
        Assert.Null(json);
        Assert.Contains("CNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0", stderr);
    }

    [Fact]
    public void Missing_variables_are_error_4_naming_them()
    {
        var env = Env("ADD");
        env.Remove("CNI_NETNS");
        env.Remove("CNI_PATH");
        var (code, json, _) = Run("""{"cniVersion":"1.0.0","name":"n","type":"loopback"}""", env);
        Assert.Equal(1, code);
        Assert.Equal(4u, json!["code"]!.GetValue<uint>());
        Assert.Equal("required env variables [CNI_NETNS,CNI_PATH] missing", json["msg"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{bad", 6u, "error unmarshall network config:")]
    [InlineData("""{"cniVersion":"1.0.0","type":"loopback"}""", 7u, "missing network name")]
    [InlineData("""{"cniVersion":"1.0.0","name":"bad name!","type":"loopback"}""", 7u, "invalid characters found in network name")]
    [InlineData("""{"cniVersion":"9.9.9","name":"n","type":"loopback"}""", 1u, "incompatible CNI versions")]
    [InlineData("""{"name":"n","type":"loopback"}""", 1u, "incompatible CNI versions")]
    public void Bad_configuration_gets_the_specs_error_code(string config, uint expectedCode, string expectedMessage)
    {
        var (code, json, _) = Run(config, Env("ADD"));
        Assert.Equal(1, code);
        Assert.Equal(expectedCode, json!["code"]!.GetValue<uint>());
        Assert.StartsWith(expectedMessage, json["msg"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("CHECK", "0.3.1", "config version does not allow CHECK")]
    [InlineData("GC", "1.0.0", "config version does not allow GC")]
    [InlineData("STATUS", "1.0.0", "config version does not allow STATUS")]
    public void Commands_newer_than_the_config_version_are_refused(string command, string version, string message)
    {
        var (code, json, _) = Run($$"""{"cniVersion":"{{version}}","name":"n","type":"loopback"}""", Env(command));
        Assert.Equal(1, code);
        Assert.Equal(1u, json!["code"]!.GetValue<uint>());
        Assert.Equal(message, json["msg"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("CNI_CONTAINERID", "-bad", "invalid characters in containerID")]
    [InlineData("CNI_IFNAME", "a-very-long-interface", "invalid CNI_IFNAME: interface name \"a-very-long-interface\" is 21 bytes; the kernel allows at most 15")]
    public void Invalid_environment_values_are_error_4(string variable, string value, string message)
    {
        var env = Env("ADD");
        env[variable] = value;
        var (_, json, _) = Run("""{"cniVersion":"1.0.0","name":"n","type":"loopback"}""", env);
        Assert.Equal(4u, json!["code"]!.GetValue<uint>());
        Assert.Equal(message, json["msg"]!.GetValue<string>());
    }

    [Fact]
    public void Cni_args_parse_and_malformed_pairs_are_rejected()
    {
        Assert.Equal([new("K8S_POD_NAME", "web"), new("IgnoreUnknown", "1")], PluginSkeleton.ParseCniArgs("K8S_POD_NAME=web;IgnoreUnknown=1"));
        var error = Assert.Throws<CniException>(() => PluginSkeleton.ParseCniArgs("novalue"));
        Assert.Equal(CniErrorCode.InvalidEnvironmentVariables, error.Code);
    }

    [Fact]
    public void Old_results_label_ips_with_their_family()
    {
        var result = new JsonObject { ["ips"] = new JsonArray(new JsonObject { ["address"] = "10.1.0.2/24" }, new JsonObject { ["address"] = "fd00::2/64" }) };
        var old = ResultJson.ForVersion(result, "0.4.0");
        Assert.Equal("4", old["ips"]![0]!["version"]!.GetValue<string>());
        Assert.Equal("6", old["ips"]![1]!["version"]!.GetValue<string>());
        Assert.Null(ResultJson.ForVersion(result, "1.0.0")["ips"]![0]!["version"]);
    }
}
