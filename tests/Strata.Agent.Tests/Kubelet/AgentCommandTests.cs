using System.Diagnostics;
using System.Globalization;
using k8s.Models;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Kubelet;

/// <summary><c>strata agent</c> as a process, as the lab starts it.</summary>
public sealed class AgentCommandTests
{
    private static readonly string Strata = Path.Combine(AppContext.BaseDirectory, "strata.dll");

    [Fact]
    public void BadFlagsAreRefusedBeforeAnythingStarts()
    {
        var (code, _, stderr) = Tool.Run("dotnet", Strata, "agent", "--roles", "kubelet,dns", "--node-name", "node1", "--node-ip", "999.1.1.1", "--kubeconfig", "/nonexistent/strata-t");
        Assert.Equal(1, code);
        Assert.Equal(
            "strata agent: --roles: unknown role \"dns\" (known: kubelet, flannel, proxy, lb-speaker)\n" +
            "strata agent: --node-ip: \"999.1.1.1\" is not an IPv4 address\n" +
            "strata agent: --kubeconfig: /nonexistent/strata-t does not exist\n",
            stderr);
    }

    [RootFact]
    public async Task RegistersTheNodeAndStopsOnSigterm()
    {
        await using var plane = await ControlPlane.StartAsync();
        string dir = Path.Combine("/var/tmp", $"strata-t-agent-{Guid.NewGuid().ToString("N")[..8]}");
        string node = $"strata-t-{Guid.NewGuid().ToString("N")[..6]}";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            Strata, "agent", "--roles", "kubelet", "--node-name", node, "--node-ip", "192.0.2.20", "--kubeconfig", plane.Server.Host.KubeconfigPath,
            "--root-dir", Path.Combine(dir, "kubelet"), "--pod-logs-dir", Path.Combine(dir, "logs"), "--cni-conf-dir", Path.Combine(dir, "net.d"),
            "--cni-bin-dir", Path.Combine(dir, "bin"), "--cni-cache-dir", Path.Combine(dir, "cni"), "--port", "10251", "--address", "127.0.0.1",
        })
        {
            start.ArgumentList.Add(arg);
        }

        using var agent = Process.Start(start)!;
        var stdout = agent.StandardOutput.ReadToEndAsync();
        var stderr = agent.StandardError.ReadToEndAsync();
        try
        {
            var registered = await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1Node>(null, node),
                n => n?.Status?.Conditions?.Any(c => c.Type == "Ready") == true, "the agent registered its node");
            Assert.Equal("KubeletNotReady", registered!.Status.Conditions.Single(c => c.Type == "Ready").Reason);
            Assert.Equal(10251, registered.Status.DaemonEndpoints.KubeletEndpoint.Port);
            await ControlPlane.EventuallyAsync(() => Task.FromResult(Tool.Run("curl", "-sk", "https://127.0.0.1:10251/healthz").Stdout == "ok"), "the kubelet server answers /healthz");

            Tool.Check("kill", "-TERM", agent.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(agent.WaitForExit(20_000), "the agent stops on SIGTERM");
            Assert.True(agent.ExitCode == 0, $"exit {agent.ExitCode}: {await stderr}");
            Assert.Contains("kubelet on node", await stdout);
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill();
            }

            Directory.Delete(dir, recursive: true);
        }
    }
}
