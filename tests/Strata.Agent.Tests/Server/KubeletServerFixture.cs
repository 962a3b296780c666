using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using k8s.Models;
using Strata.Agent.Runtime;
using Strata.Agent.Server;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Server;

/// <summary>
/// A control plane, a node whose kubelet endpoint is a <see cref="KubeletServer"/> on 127.0.0.1, pods bound to it,
/// and a <see cref="TestLocator"/> that maps their containers to log files in a temp directory and to a scratch
/// network namespace (with a dummy link, so that exec can prove where it ran).
/// </summary>
public sealed class KubeletServerFixture : IAsyncLifetime
{
    public const string NodeName = "strata-t-kubelet";
    public const string ProbeLink = "st-probe0";
    public const string ProbePeer = "st-probe1";

    private ControlPlane? _plane;
    private KubeletServer? _server;
    private ScratchNamespace? _netns;

    public ControlPlane Plane => _plane!;

    public KubeletServer Server => _server!;

    public TestLocator Locator { get; } = new();

    /// <summary>The server's log (Debug and up).</summary>
    public RecordingLoggerProvider Log { get; } = new();

    /// <summary>Requests that failed inside the server (logged at Error): none should.</summary>
    public IEnumerable<string> ServerErrors => Log.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal));

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("strata-t-kubelet-").FullName;

    public string NetnsName => _netns!.Name;

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        _netns = ScratchNamespace.Create();
        Tool.Ip(_netns.Name, "link", "add", ProbeLink, "type", "veth", "peer", "name", ProbePeer);
        _server = await KubeletServer.StartAsync(new KubeletServerOptions { Address = IPAddress.Loopback, Port = 0, DnsNames = [NodeName] }, Locator,
            LoggerFactory.Create(b => b.AddProvider(Log).SetMinimumLevel(LogLevel.Debug)));
        _plane = await ControlPlane.StartAsync();
        await TestNodes.AddAsync(_plane.Client, NodeName, "127.0.0.1");
        var node = await _plane.Client.GetAsync<V1Node>(null, NodeName);
        node!.Status.DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = _server.Port } };
        await _plane.Client.UpdateStatusAsync(node);
    }

    /// <summary>A pod bound to the node with one container <c>app</c> (and its location, running, with a log holding <paramref name="log"/>).</summary>
    public async Task<string> AddPodAsync(string name, string log, bool running = true, string? previousLog = null)
    {
        await Plane.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1PodSpec { NodeName = NodeName, Containers = [new V1Container { Name = "app", Image = "busybox" }] },
        });
        var current = Path.Combine(Directory, $"{name}-1.log");
        File.WriteAllText(current, log);
        string? previous = null;
        if (previousLog is not null)
        {
            previous = Path.Combine(Directory, $"{name}-0.log");
            File.WriteAllText(previous, previousLog);
        }

        Locator.Set("default", name, "app", new ContainerLocation(current, previous, running,
            new NamespacePaths(Net: $"/run/netns/{NetnsName}"),
            ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello from the container"],
            Directory));
        return current;
    }

    public (int ExitCode, string Stdout, string Stderr) Kubectl(params string[] args) => Plane.Kubectl(args);

    /// <summary>kubectl with <paramref name="stdin"/> piped to it (then closed).</summary>
    public (int ExitCode, string Stdout, string Stderr) KubectlWithInput(string stdin, params string[] args) =>
        Finish(StartKubectl(args, redirectInput: true), stdin, args);

    /// <summary>Any program with <paramref name="stdin"/> piped to it (then closed).</summary>
    public (int ExitCode, string Stdout, string Stderr) RunWithInput(string file, string stdin, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Finish(Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}"), stdin, args);
    }

    private static (int ExitCode, string Stdout, string Stderr) Finish(Process started, string stdin, string[] args)
    {
        using var process = started;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', args)} did not finish in 30 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A kubectl process the test reads from and ends itself.</summary>
    public Process StartKubectl(string[] args, bool redirectInput = false)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = redirectInput };
        foreach (var arg in KubectlPrefix.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("cannot start kubectl");
    }

    /// <summary>The connection flags <see cref="ControlPlane.Kubectl"/> uses.</summary>
    public string[] KubectlPrefix => ["--kubeconfig", Plane.Server.Host.KubeconfigPath, "--cache-dir", Path.Combine(Plane.Server.DataDirectory, "kubectl-cache")];

    public async Task DisposeAsync()
    {
        if (_plane is not null)
        {
            await _plane.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _netns?.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Containers the tests declare, found as the kubelet's pod runtime would find them.</summary>
public sealed class TestLocator : IContainerLocator
{
    private readonly ConcurrentDictionary<(string, string, string), ContainerLocation> _containers = new();

    public void Set(string podNamespace, string podName, string containerName, ContainerLocation location) =>
        _containers[(podNamespace, podName, containerName)] = location;

    public void Remove(string podNamespace, string podName, string containerName) =>
        _containers.TryRemove((podNamespace, podName, containerName), out _);

    public ContainerLocation Get(string podNamespace, string podName, string containerName) => _containers[(podNamespace, podName, containerName)];

    public ContainerLocation? Find(string podNamespace, string podName, string containerName) =>
        _containers.TryGetValue((podNamespace, podName, containerName), out var location) ? location : null;
}

/// <summary>A test that needs root (namespaces) and the real kubectl.</summary>
public sealed class KubeletFactAttribute : FactAttribute
{
    public KubeletFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: it creates a network namespace (CI runs as root)";
        }
        else if (!KubectlFactAttribute.KubectlAvailable)
        {
            Skip = "needs kubectl on PATH (v1.32 is on the CI machine)";
        }
    }
}
