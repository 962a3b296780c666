using k8s.Models;
using Strata.Controllers.Client;

namespace Strata.Controllers.Tests.Support;

/// <summary>Nodes registered the way a kubelet registers them, through any client.</summary>
public static class TestNodes
{
    /// <summary>A node as a kubelet registers it: created, then its status (addresses, capacity, Ready) written.</summary>
    public static async Task<V1Node> AddAsync(IKubeClient client, string name, string internalIp, bool ready = true, IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null)
    {
        var node = await client.CreateAsync(new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
            Spec = new V1NodeSpec { Taints = taints },
        });
        return await SetReadyAsync(client, node, ready, internalIp);
    }

    /// <summary>Writes the node's status as its kubelet would, re-reading on a conflict (a controller may have updated the node meanwhile).</summary>
    public static async Task<V1Node> SetReadyAsync(IKubeClient client, V1Node node, bool ready, string? internalIp = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TrySetReadyAsync(client, node.Metadata.Name, ready, internalIp);
            }
            catch (KubeApiException e) when (e.IsConflict && attempt < 20)
            {
            }
        }
    }

    private static async Task<V1Node> TrySetReadyAsync(IKubeClient client, string name, bool ready, string? internalIp)
    {
        var node = await client.GetAsync<V1Node>(null, name) ?? throw new InvalidOperationException($"node {name} is gone");
        var capacity = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("8Gi"), ["pods"] = new("110") };
        node.Status ??= new V1NodeStatus();
        if (internalIp is not null)
        {
            node.Status.Addresses = [new V1NodeAddress { Type = "InternalIP", Address = internalIp }, new V1NodeAddress { Type = "Hostname", Address = node.Metadata.Name }];
        }

        node.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False", Reason = ready ? "KubeletReady" : "KubeletNotReady" }];
        node.Status.Allocatable ??= capacity;
        node.Status.Capacity ??= capacity;
        return await client.UpdateStatusAsync(node);
    }
}
