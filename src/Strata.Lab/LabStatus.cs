using k8s.Models;
using Strata.Controllers.Client;
using Strata.Netlink;

namespace Strata.Lab;

public sealed record ProcessStatus(string Role, int Pid, bool Alive);

public sealed record NamespaceStatus(string Name, string Kind, bool Present);

public sealed record NodeStatus(string Name, string Address, string Ready, string PodCidr);

/// <summary>What <c>strata status</c> shows: the processes, the namespaces and, when the API answers, the nodes.</summary>
public sealed record LabStatusReport(
    string Name,
    string StateDirectory,
    IReadOnlyList<ProcessStatus> Processes,
    IReadOnlyList<NamespaceStatus> Namespaces,
    IReadOnlyList<NodeStatus> Nodes,
    string? ApiError)
{
    public bool Healthy =>
        Processes.Count > 0 && Processes.All(p => p.Alive) && Namespaces.All(n => n.Present) &&
        ApiError is null && Nodes.All(n => n.Ready == "True");

    public static async Task<LabStatusReport> CollectAsync(LabState state, CancellationToken cancellationToken = default)
    {
        var processes = state.Processes.Select(p => new ProcessStatus(p.Role, p.Pid, ProcessIdentity.IsAlive(p.Pid, p.StartTime))).ToList();
        var namespaces = state.Namespaces.Select(n => new NamespaceStatus(n, "netns", NetworkNamespace.Exists(n)))
            .Concat(state.Nodes.Select(n => new NamespaceStatus(n.MountNamespace, "mnt", MountNamespaces.IsMountPoint(n.MountNamespace))))
            .ToList();
        var nodes = new List<NodeStatus>();
        string? apiError = null;
        string kubeconfig = LabPaths.Kubeconfig(state.StateDirectory);
        if (!File.Exists(kubeconfig))
        {
            apiError = "no kubeconfig yet";
        }
        else
        {
            try
            {
                using var client = RemoteKubeClient.FromKubeconfig(kubeconfig);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var registered = (await client.ListAsync<V1Node>(ListRequest.All, timeout.Token)).Items;
                foreach (var node in state.Nodes)
                {
                    var found = registered.FirstOrDefault(n => n.Metadata.Name == node.Name);
                    string ready = found?.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status ?? (found is null ? "NotRegistered" : "Unknown");
                    nodes.Add(new NodeStatus(node.Name, node.Address, ready, found?.Spec?.PodCIDR ?? ""));
                }
            }
            catch (Exception e) when (e is HttpRequestException or KubeApiException or OperationCanceledException or IOException)
            {
                apiError = e.Message;
            }
        }

        return new LabStatusReport(state.Name, state.StateDirectory, processes, namespaces, nodes, apiError);
    }
}
