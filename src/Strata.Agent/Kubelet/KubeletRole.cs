using Microsoft.Extensions.Logging;
using Strata.Agent.Kubelet.Node;
using Strata.Agent.Kubelet.Pods;
using Strata.Agent.Runtime;
using Strata.Agent.Server;
using Strata.Controllers.Client;

namespace Strata.Agent.Kubelet;

/// <summary>
/// The agent's kubelet role: registers the node and keeps its status and lease fresh, and runs the pods bound to
/// it. Stopping the role leaves the pods running (their sandboxes are checkpointed), for the next agent to adopt.
/// </summary>
public sealed class KubeletRole
{
    private readonly IKubeClient _client;
    private readonly KubeletConfig _config;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;

    public KubeletRole(IKubeClient client, KubeletConfig config, ILoggerFactory loggers)
    {
        _client = client;
        _config = config;
        _loggers = loggers;
        _logger = loggers.CreateLogger("Strata.Agent.Kubelet");
        var network = new PodNetwork(config.CniConfDir, config.CniBinDir, config.CniCacheDir, config.NodeNetns);
        Sandboxes = new SandboxManager(new PodPaths(config.RootDir, config.PodLogsDir), network)
        {
            ProgramDirectories = Path.GetDirectoryName(Path.GetFullPath(config.StrataBinary)) is { } strataDirectory ? [strataDirectory] : [],
        };
        Pods = new PodSyncLoop(client, config, Sandboxes, _logger);
        Locator = new ContainerLocator(() => Pods.Running, Sandboxes, config.NodeNetns);
    }

    public SandboxManager Sandboxes { get; }

    public PodSyncLoop Pods { get; }

    /// <summary>What the kubelet server serves logs and exec from.</summary>
    public IContainerLocator Locator { get; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_config.RootDir);
        Directory.CreateDirectory(_config.PodLogsDir);
        KubeletLog.Started(_logger, _config.NodeName, _config.NodeIp);
        var status = new NodeStatusReporter(_client, _config, Sandboxes.Network, _logger);
        var lease = new NodeLeaseHeartbeat(_client, _config, _logger);
        await Task.WhenAll(
            Task.Run(() => status.RunAsync(cancellationToken), CancellationToken.None),
            Task.Run(() => lease.RunAsync(cancellationToken), CancellationToken.None),
            Task.Run(() => Pods.StartAsync(cancellationToken), CancellationToken.None));
    }
}
