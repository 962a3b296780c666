using Microsoft.Extensions.Logging;

namespace Strata.Agent.Kubelet;

/// <summary>The kubelet role's log messages (EventIds 7200-7499).</summary>
internal static partial class KubeletLog
{
    [LoggerMessage(EventId = 7200, Level = LogLevel.Information, Message = "kubelet on node {Node} ({NodeIp}) started")]
    public static partial void Started(ILogger logger, string node, string nodeIp);

    [LoggerMessage(EventId = 7201, Level = LogLevel.Information, Message = "registered node {Node}")]
    public static partial void NodeRegistered(ILogger logger, string node);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Information, Message = "node {Node} is now {Readiness}")]
    public static partial void NodeReadiness(ILogger logger, string node, string readiness);

    [LoggerMessage(EventId = 7203, Level = LogLevel.Warning, Message = "updating node {Node} status failed: {Reason}")]
    public static partial void NodeStatusFailed(ILogger logger, string node, string reason);

    [LoggerMessage(EventId = 7204, Level = LogLevel.Warning, Message = "renewing the lease of node {Node} failed: {Reason}")]
    public static partial void LeaseFailed(ILogger logger, string node, string reason);

    [LoggerMessage(EventId = 7210, Level = LogLevel.Information, Message = "pod {Pod}: sandbox {SandboxId} ready, IPs {Ips} (network {NetworkMs} ms, namespaces {NamespacesMs} ms)")]
    public static partial void SandboxReady(ILogger logger, string pod, string sandboxId, IReadOnlyList<string> ips, long networkMs, long namespacesMs);

    [LoggerMessage(EventId = 7211, Level = LogLevel.Warning, Message = "pod {Pod}: creating the sandbox failed: {Reason}")]
    public static partial void SandboxFailed(ILogger logger, string pod, string reason);

    [LoggerMessage(EventId = 7212, Level = LogLevel.Information, Message = "pod {Pod} ({Uid}): sandbox {SandboxId} removed")]
    public static partial void SandboxRemoved(ILogger logger, string pod, string uid, string sandboxId);

    [LoggerMessage(EventId = 7213, Level = LogLevel.Warning, Message = "pod {Pod} ({Uid}): removing the sandbox failed, will retry: {Reason}")]
    public static partial void TeardownFailed(ILogger logger, string pod, string uid, string reason);

    [LoggerMessage(EventId = 7214, Level = LogLevel.Information, Message = "pod {Pod} ({Uid}) adopted from its checkpoint ({Running} containers running)")]
    public static partial void Adopted(ILogger logger, string pod, string uid, int running);

    [LoggerMessage(EventId = 7215, Level = LogLevel.Information, Message = "pod {Pod}: network released (the pod finished)")]
    public static partial void NetworkReleased(ILogger logger, string pod);

    [LoggerMessage(EventId = 7220, Level = LogLevel.Information, Message = "pod {Pod}: container {Container} started (pid {Pid}, restart {RestartCount})")]
    public static partial void ContainerStarted(ILogger logger, string pod, string container, int pid, int restartCount);

    [LoggerMessage(EventId = 7221, Level = LogLevel.Information, Message = "pod {Pod}: container {Container} exited with {ExitCode}")]
    public static partial void ContainerExited(ILogger logger, string pod, string container, int exitCode);

    [LoggerMessage(EventId = 7222, Level = LogLevel.Warning, Message = "pod {Pod}: container {Container} cannot start: {Reason}: {Message}")]
    public static partial void ContainerWaiting(ILogger logger, string pod, string container, string reason, string message);

    [LoggerMessage(EventId = 7223, Level = LogLevel.Information, Message = "pod {Pod}: stopping container {Container} (signal {Signal})")]
    public static partial void ContainerStopping(ILogger logger, string pod, string container, int signal);

    [LoggerMessage(EventId = 7230, Level = LogLevel.Information, Message = "pod {Pod}: {Probe} probe of {Container} failed: {Output}")]
    public static partial void ProbeFailed(ILogger logger, string pod, Probes.ProbeKind probe, string container, string output);

    [LoggerMessage(EventId = 7240, Level = LogLevel.Information, Message = "pod {Pod} deleted")]
    public static partial void PodDeleted(ILogger logger, string pod);
}
