using Strata.Agent.Runtime;

namespace Strata.Agent.Server;

/// <summary>
/// How the kubelet server (logs, exec) finds a container that the pod runtime runs: the kubelet's
/// CRI lookup by namespace, pod name and container name (pkg/kubelet/server/server.go getContainerLogs, getExec).
/// </summary>
public interface IContainerLocator
{
    /// <summary>The container, or null when no such pod or container runs on this node.</summary>
    ContainerLocation? Find(string podNamespace, string podName, string containerName);
}

/// <summary>Where a container's logs are and how to run a command beside it.</summary>
/// <param name="CurrentLogPath">The log file of the current (or last) instance; null if it never started.</param>
/// <param name="PreviousLogPath">The log file of the instance before, for <c>--previous</c>; null if none.</param>
/// <param name="Running">Whether the container runs now (exec needs a running container, as upstream).</param>
/// <param name="Namespaces">The pod's namespaces, which an exec'd command joins.</param>
/// <param name="Environment">The container's environment (<c>KEY=value</c>), which an exec'd command inherits.</param>
/// <param name="WorkingDirectory">The container's working directory, or null for <c>/</c>.</param>
public sealed record ContainerLocation(
    string? CurrentLogPath,
    string? PreviousLogPath,
    bool Running,
    NamespacePaths Namespaces,
    IReadOnlyList<string> Environment,
    string? WorkingDirectory);
