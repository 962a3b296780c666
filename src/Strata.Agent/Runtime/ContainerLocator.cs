using Strata.Agent.Server;

namespace Strata.Agent.Runtime;

/// <summary>The kubelet server's view of the runtime's containers: logs and exec by namespace, pod and container name.</summary>
public sealed class ContainerLocator(Func<IReadOnlyDictionary<string, RuntimePod>> pods, SandboxManager sandboxes, string? nodeNetns) : IContainerLocator
{
    public ContainerLocation? Find(string podNamespace, string podName, string containerName)
    {
        if (!pods().TryGetValue($"{podNamespace}/{podName}", out var pod) || !pod.Containers.TryGetValue(containerName, out var container))
        {
            return null;
        }

        var saved = container.Checkpoint;
        return new ContainerLocation(
            saved.LogPath,
            saved.PreviousLogPath,
            container.Running,
            sandboxes.NamespacesOf(pod.Checkpoint, nodeNetns),
            saved.Environment,
            saved.WorkingDirectory);
    }
}
