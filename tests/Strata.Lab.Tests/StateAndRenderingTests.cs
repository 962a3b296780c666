using System.Text.Json;
using Strata.Lab;

namespace Strata.Lab.Tests;

public sealed class StateAndRenderingTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strata-t-state-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void StateFileRoundTrips()
    {
        var state = new LabState
        {
            Name = "demo",
            StateDirectory = _directory,
            ApiPort = 16443,
            ApiAddress = "172.19.0.2",
            Underlay = "172.19.0.0/20",
            UnderlayNamespace = "strata-demo-underlay",
            Nodes = [new LabStateNode("node1", "172.19.0.8", "strata-demo-node1", _directory + "/ns/node1.mnt")],
            Namespaces = ["strata-demo-underlay", "strata-demo-node1"],
            Mounts = [_directory + "/ns", _directory + "/ns/node1.mnt"],
            HostPaths = [new LabHostPath("/run/flannel", true), new LabHostPath("/run/xtables.lock", false)],
        };
        state.Save();
        state.Record(s => s.Processes.Add(new LabProcess("apiserver", 42, 123456789)));

        var loaded = LabState.Load(_directory)!;
        Assert.Equal(state.ToJson(), loaded.ToJson());
        Assert.Equal(new LabProcess("apiserver", 42, 123456789), Assert.Single(loaded.Processes));
        Assert.Equal(state.HostPaths, loaded.HostPaths);
        Assert.False(File.Exists(LabState.PathIn(_directory) + ".tmp"));
        using var json = JsonDocument.Parse(File.ReadAllText(LabState.PathIn(_directory)));
        Assert.Equal("strata-demo-node1", json.RootElement.GetProperty("namespaces")[1].GetString());
    }

    [Fact]
    public void MissingStateIsNullAndBrokenStateIsAClearError()
    {
        Assert.Null(LabState.Load(_directory));
        Directory.CreateDirectory(_directory);
        File.WriteAllText(LabState.PathIn(_directory), "{ not json");
        var e = Assert.Throws<LabException>(() => LabState.Load(_directory));
        Assert.Contains("state.json: the state file is not valid", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1234 (strata) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 9 0 987654 1000 10 18446744073709551615", 'S', 987654UL)]
    [InlineData("77 (a) b (c)) Z 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0 0", 'Z', 55UL)]
    public void ProcStatParsesPastTheCommandName(string stat, char state, ulong start)
    {
        Assert.Equal(new ProcessIdentity(state, start), ProcessIdentity.Parse(stat));
    }

    [Fact]
    public void OurOwnProcessIsAliveAndAReusedPidIsNot()
    {
        var self = ProcessIdentity.Read(Environment.ProcessId)!.Value;
        Assert.True(ProcessIdentity.IsAlive(Environment.ProcessId, self.StartTime));
        Assert.False(ProcessIdentity.IsAlive(Environment.ProcessId, self.StartTime + 1));
        Assert.Null(ProcessIdentity.Read(int.MaxValue));
    }

    [Fact]
    public void ConflistIsTheKubenetStyleBridge()
    {
        using var json = JsonDocument.Parse(CniConflist.Render("10.233.65.0/24"));
        var root = json.RootElement;
        Assert.Equal("1.0.0", root.GetProperty("cniVersion").GetString());
        Assert.Equal("strata", root.GetProperty("name").GetString());
        var bridge = root.GetProperty("plugins")[0];
        Assert.Equal("bridge", bridge.GetProperty("type").GetString());
        Assert.Equal("cni0", bridge.GetProperty("bridge").GetString());
        Assert.True(bridge.GetProperty("isGateway").GetBoolean());
        Assert.False(bridge.GetProperty("ipMasq").GetBoolean());
        Assert.True(bridge.GetProperty("hairpinMode").GetBoolean());
        var ipam = bridge.GetProperty("ipam");
        Assert.Equal("host-local", ipam.GetProperty("type").GetString());
        Assert.Equal("10.233.65.0/24", ipam.GetProperty("ranges")[0][0].GetProperty("subnet").GetString());
        Assert.Equal("0.0.0.0/0", ipam.GetProperty("routes")[0].GetProperty("dst").GetString());
        var portmap = root.GetProperty("plugins")[1];
        Assert.Equal("portmap", portmap.GetProperty("type").GetString());
        Assert.True(portmap.GetProperty("capabilities").GetProperty("portMappings").GetBoolean());
        Assert.True(portmap.GetProperty("snat").GetBoolean());
    }

    [Fact]
    public void NodeKubeconfigPointsInsideTheLab()
    {
        const string host = "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: QUJD\n    server: https://127.0.0.1:16443\n  name: strata\n";
        string node = KubeconfigRewriter.WithServer(host, "https://172.19.0.2:6443");
        Assert.Equal(host.Replace("https://127.0.0.1:16443", "https://172.19.0.2:6443", StringComparison.Ordinal), node);
        Assert.Throws<LabException>(() => KubeconfigRewriter.WithServer("apiVersion: v1\n", "https://x"));
    }
}
