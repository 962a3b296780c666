namespace Strata.Cni.Plugins.Tests;

/// <summary><c>loopback</c> against Debian's reference plugin, each in its own scratch namespace.</summary>
public sealed class LoopbackTests
{
    private const string Config = """{"cniVersion":"1.0.0","name":"lo","type":"loopback"}""";

    [RootFact]
    public void Add_brings_lo_up_and_reports_what_the_reference_reports()
    {
        using var ours = ScratchNamespace.Create();
        using var reference = ScratchNamespace.Create();
        var expected = CniPlugins.Reference.Run("loopback", "ADD", Config, "c1", $"/run/netns/{reference.Name}", "lo");
        var actual = CniPlugins.Strata.Run("loopback", "ADD", Config, "c1", $"/run/netns/{ours.Name}", "lo");
        Assert.True(actual.ExitCode == 0, actual.Stdout + actual.Stderr);
        Assert.Equal(expected.Json.ToJsonString().Replace(reference.Name, "NS"), actual.Json.ToJsonString().Replace(ours.Name, "NS"));
        Assert.True(ours.Netlink.GetLink("lo").IsUp);
        Assert.True(Tool.Ping(ours.Name, "127.0.0.1"));

        Assert.Equal(0, CniPlugins.Strata.Run("loopback", "CHECK", Config, "c1", $"/run/netns/{ours.Name}", "lo").ExitCode);
        Assert.Equal(0, CniPlugins.Strata.Run("loopback", "DEL", Config, "c1", $"/run/netns/{ours.Name}", "lo").ExitCode);
        Assert.False(ours.Netlink.GetLink("lo").IsUp);
        Assert.Equal(0, CniPlugins.Strata.Run("loopback", "DEL", Config, "c1", "/run/netns/strata-t-gone", "lo").ExitCode);
    }

    [RootFact]
    public void A_missing_namespace_is_an_error_naming_it()
    {
        var run = CniPlugins.Strata.Run("loopback", "ADD", Config, "c1", "/run/netns/strata-t-missing", "lo");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(8u, run.ErrorCode);
        Assert.Contains("/run/netns/strata-t-missing", run.Json["msg"]!.GetValue<string>());
    }
}
