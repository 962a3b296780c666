using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Agent.Kubelet;
using Strata.Agent.Kubelet.Pods;
using Strata.Agent.Runtime;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Kubelet;

/// <summary>
/// A control plane, a scratch node netns, private directories (root dir, logs, CNI conf/cache/IPAM) and the kubelet
/// role running in-process against that netns with Strata's plugins from out/cni. Dispose stops the role, removes
/// every pod sandbox it made (processes, namespace holders, CNI, netns), then the netns and the directories.
/// </summary>
public sealed class KubeletHarness : IAsyncDisposable
{
    public const string Subnet = "10.250.7.0/24";
    public const string NodeIp = "192.0.2.10";

    private readonly string _dir;
    private readonly ILoggerFactory _loggers;
    private readonly StringWriter _log = new();
    private CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    private KubeletHarness(ControlPlane plane, ScratchNamespace node, string dir)
    {
        Plane = plane;
        Node = node;
        _dir = dir;
        NodeName = $"strata-t-{Guid.NewGuid().ToString("N")[..6]}";
        _loggers = LoggerFactory.Create(b => b.AddProvider(new WriterLoggerProvider(_log)).SetMinimumLevel(LogLevel.Debug));
        Config = new KubeletConfig
        {
            NodeName = NodeName,
            NodeIp = NodeIp,
            RootDir = Path.Combine(dir, "kubelet"),
            PodLogsDir = Path.Combine(dir, "pods-logs"),
            CniConfDir = Path.Combine(dir, "net.d"),
            CniBinDir = Repository.Plugins,
            CniCacheDir = Path.Combine(dir, "cni-cache"),
            NodeNetns = node.Name,
            ClusterDns = "10.233.0.3",
            StatusInterval = TimeSpan.FromSeconds(2),
            LeaseInterval = TimeSpan.FromSeconds(2),
            NetworkPollInterval = TimeSpan.FromMilliseconds(200),
            BackOff = new CrashLoopBackOff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4)),
            SandboxMaxBackOff = TimeSpan.FromSeconds(2),
        };
        Directory.CreateDirectory(Config.CniConfDir);
    }

    public ControlPlane Plane { get; }

    public ScratchNamespace Node { get; }

    public string NodeName { get; }

    public KubeletConfig Config { get; set; }

    public KubeletRole? Role { get; private set; }

    public string IpamDirectory => Path.Combine(_dir, "ipam");

    public string Log => _log.ToString();

    /// <summary>Why the kernel tests cannot run here, or null.</summary>
    public static string? SkipReason() =>
        File.Exists(Path.Combine(Repository.Plugins, "bridge")) ? null : $"{Repository.Plugins}/bridge is missing: run `make build`";

    public static async Task<KubeletHarness> StartAsync(params string[] controllers)
    {
        var plane = await ControlPlane.StartAsync(["scheduler", .. controllers]);
        var node = ScratchNamespace.Create();
        Tool.Ip(node.Name, "link", "set", "lo", "up");
        // Not under /tmp: a pod's /tmp is a tmpfs of its own, which would hide the files the kubelet writes for it.
        string dir = Path.Combine("/var/tmp", $"strata-t-kubelet-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        return new KubeletHarness(plane, node, dir);
    }

    /// <summary>The bridge conflist (cni0, host-local on <see cref="Subnet"/>) the lab writes once the node has a podCIDR.</summary>
    public void WriteConflist(string? pluginType = null) => File.WriteAllText(Path.Combine(Config.CniConfDir, "10-strata.conflist"), $$"""
        {
          "cniVersion": "1.0.0",
          "name": "strata-t",
          "plugins": [
            {
              "type": "{{pluginType ?? "bridge"}}",
              "bridge": "cni0",
              "isGateway": true,
              "ipMasq": false,
              "ipam": { "type": "host-local", "dataDir": "{{IpamDirectory}}", "ranges": [[{ "subnet": "{{Subnet}}" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
            }
          ]
        }
        """);

    public void StartKubelet()
    {
        _stop = new CancellationTokenSource();
        Role = new KubeletRole(Plane.Client, Config, _loggers);
        _running = Task.Run(() => Role.RunAsync(_stop.Token));
    }

    /// <summary>Stops the role as an agent restart would: its pods keep running.</summary>
    public async Task StopKubeletAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task<V1Pod> CreatePodAsync(V1Pod pod)
    {
        pod.ApiVersion = "v1";
        pod.Kind = "Pod";
        pod.Metadata.NamespaceProperty ??= "default";
        return await Plane.Client.CreateAsync(pod);
    }

    public static V1Pod Pod(string name, params V1Container[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1PodSpec { Containers = containers, TerminationGracePeriodSeconds = 2 },
    };

    public static V1Container Container(string name, params string[] command) => new() { Name = name, Image = "busybox", Command = command };

    public Task<V1Pod?> GetPodAsync(string name) => Plane.Client.GetAsync<V1Pod>("default", name);

    public async Task<V1Pod> WaitForPodAsync(string name, Func<V1Pod, bool> accept, string what, int seconds = 30)
    {
        try
        {
            return (await ControlPlane.EventuallyAsync(async () => await GetPodAsync(name), p => p is not null && accept(p), $"{name}: {what}", TimeSpan.FromSeconds(seconds)))!;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var logs = Directory.Exists(Config.PodLogsDir)
                ? string.Join("\n", Directory.EnumerateFiles(Config.PodLogsDir, "*.log", SearchOption.AllDirectories).Order().Take(5).Select(f => $"--- {f} ---\n{File.ReadAllText(f)}"))
                : string.Empty;
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- kubelet log ---\n{Log}\n{logs}");
        }
    }

    public SandboxCheckpoint Checkpoint(V1Pod pod) =>
        SandboxCheckpoint.Read(Path.Combine(Config.RootDir, "pods", pod.Metadata.Uid)) ?? throw new InvalidOperationException($"no checkpoint for {pod.Metadata.Name}");

    public async ValueTask DisposeAsync()
    {
        await StopKubeletAsync();
        Role?.Pods.RemoveAll();
        foreach (var netns in SandboxNetnsLeft())
        {
            Tool.Run("ip", "netns", "del", netns);
        }

        Node.Dispose();
        await Plane.DisposeAsync();
        _loggers.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The netns this harness's sandboxes made that still exist (from the checkpoints left).</summary>
    public IReadOnlyList<string> SandboxNetnsLeft()
    {
        var pods = Path.Combine(Config.RootDir, "pods");
        if (!Directory.Exists(pods))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(pods).Select(SandboxCheckpoint.Read).OfType<SandboxCheckpoint>()
            .Select(c => c.Netns).OfType<string>().Where(n => File.Exists(Path.Combine("/run/netns", n)))];
    }

    /// <summary>The namespace holder (pid, start time) the agent recorded for a pod.</summary>
    public (int Pid, ulong StartTime) Holder(V1Pod pod)
    {
        var parts = File.ReadAllText(Path.Combine(Config.RootDir, "pods", pod.Metadata.Uid, "ns", "holder")).Split(' ', StringSplitOptions.TrimEntries);
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static bool IsAlive((int Pid, ulong StartTime) process) => SpawnedProcess.ReadStartTime(process.Pid) == process.StartTime;

    /// <summary>Namespace holders (argv[0] "pause") that this test process's kubelets started and that still run.</summary>
    public static IReadOnlyList<int> LiveHolders() =>
        [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Select(n => int.TryParse(n, out int pid) ? pid : 0).Where(pid => pid > 0 && IsOurHolder(pid))];

    private static bool IsOurHolder(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("pause\0", StringComparison.Ordinal)
                && File.ReadLines($"/proc/{pid}/status").Contains($"PPid:\t{Environment.ProcessId}");
        }
        catch (IOException)
        {
            return false; // gone meanwhile
        }
    }

    private sealed class WriterLoggerProvider(StringWriter writer) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new WriterLogger(writer);

        public void Dispose()
        {
        }
    }

    private sealed class WriterLogger(StringWriter writer) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (writer)
            {
                writer.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
            }
        }
    }
}
