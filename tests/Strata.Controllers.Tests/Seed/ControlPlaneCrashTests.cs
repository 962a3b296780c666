using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.Seed;

/// <summary>
/// <c>strata apiserver</c> (with its in-process controllers) killed with SIGKILL in the middle of a rolling update, then
/// started again on the same data directory: the rollout finishes, nothing is duplicated and the endpoints converge.
/// </summary>
public sealed class ControlPlaneCrashTests : IDisposable
{
    private static readonly string Manifest = Path.Combine(AppContext.BaseDirectory, "Seed", "testdata", "nginx.yaml");
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-crash-").FullName;
    private readonly int _port = FreePort();
    private readonly System.Text.StringBuilder _log = new();
    private Process? _server;

    [KubectlFact]
    public async Task A_rollout_interrupted_by_kill_9_converges_after_restart()
    {
        await StartAsync();
        using var client = RemoteKubeClient.FromKubeconfig(Kubeconfig);
        foreach (var (name, ip) in new[] { ("node1", "172.19.0.8"), ("node2", "172.19.0.13"), ("node3", "172.19.0.15") })
        {
            await TestNodes.AddAsync(client, name, ip);
        }

        await using (var kubelet = new KubeletSimulator(client))
        {
            KubectlOk("apply", "-f", Manifest);
            KubectlOk("rollout", "status", "deployment/nginx-deployment", "--timeout=60s");
            KubectlOk("set", "image", "deployment/nginx-deployment", "nginx=nginx:1.27");

            // Kill as soon as the new ReplicaSet exists: the rollout is in flight, with pods of both templates.
            await ControlPlane.EventuallyAsync(async () => (await client.ListAsync<V1ReplicaSet>(new ListRequest("default", "app=nginx"))).Items.Count == 2,
                "the rollout's second ReplicaSet");
            _server!.Kill();
            await _server.WaitForExitAsync();
            _server.Dispose();
            await StartAsync();

            var status = Kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=25s");
            Assert.True(status.ExitCode == 0, $"{status.Stdout}\n{status.Stderr}\n{Kubectl("get", "deploy,rs,pods,endpoints", "-o", "wide").Stdout}\n{_log}");
            Assert.Contains("successfully rolled out", status.Stdout);
        }

        var pods = await ControlPlane.EventuallyAsync(
            async () => (await client.ListAsync<V1Pod>(new ListRequest("default", "app=nginx"))).Items,
            p => p.Count == 3 && p.All(x => x.Metadata.DeletionTimestamp is null),
            "three pods once the old ones are gone");
        Assert.All(pods, p => Assert.Equal("nginx:1.27", p.Spec.Containers[0].Image));
        Assert.Equal(3, pods.Select(p => p.Status.PodIP).Distinct().Count());
        Assert.All(pods, p => Assert.False(string.IsNullOrEmpty(p.Spec.NodeName)));

        var sets = (await client.ListAsync<V1ReplicaSet>(new ListRequest("default", "app=nginx"))).Items;
        Assert.Equal([0, 3], sets.Select(r => r.Spec.Replicas ?? 0).Order());

        await ControlPlane.EventuallyAsync(async () =>
        {
            var endpoints = await client.GetAsync<V1Endpoints>("default", "nginx-service");
            var ready = (endpoints?.Subsets ?? []).SelectMany(s => s.Addresses ?? []).Select(a => a.Ip).Order(StringComparer.Ordinal);
            return ready.SequenceEqual(pods.Select(p => p.Status.PodIP).Order(StringComparer.Ordinal));
        }, "the Endpoints to list exactly the new pods");
    }

    private string Kubeconfig => Path.Combine(_directory, "kubeconfig");

    private (int ExitCode, string Stdout, string Stderr) Kubectl(params string[] args) =>
        Tool.Run("kubectl", ["--kubeconfig", Kubeconfig, "--cache-dir", Path.Combine(_directory, "kubectl-cache"), .. args]);

    private string KubectlOk(params string[] args)
    {
        var (code, stdout, stderr) = Kubectl(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    private async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "strata.dll"), "apiserver", "--listen", $"127.0.0.1:{_port}", "--data-dir", _directory })
        {
            start.ArgumentList.Add(arg);
        }

        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => _log.AppendLine(e.Data);
        _server.ErrorDataReceived += (_, e) => _log.AppendLine(e.Data);
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Kubectl("get", "--raw", "/readyz").ExitCode != 0)
        {
            Assert.False(_server.HasExited, $"strata apiserver exited with {(_server.HasExited ? _server.ExitCode : 0)}");
            Assert.True(DateTime.UtcNow < deadline, "strata apiserver did not become ready in 30 s");
            await Task.Delay(200);
        }
    }

    public void Dispose()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill();
            _server.WaitForExit();
        }

        _server?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
