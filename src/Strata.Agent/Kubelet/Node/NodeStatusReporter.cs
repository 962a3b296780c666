using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Agent.Runtime;
using Strata.Controllers.Client;

namespace Strata.Agent.Kubelet.Node;

/// <summary>
/// Registers the Node and keeps its status posted (kubelet_node_status.go registerWithAPIServer and
/// syncNodeStatus): creates it if missing or adopts it, then re-posts the status every interval, and at once when
/// the network's readiness changes (the CNI conf dir is looked at every poll interval).
/// </summary>
public sealed class NodeStatusReporter(IKubeClient client, KubeletConfig config, PodNetwork network, ILogger logger)
{
    private readonly NodeFacts _facts = NodeFacts.Read(config.RootDir);
    private bool? _lastReady;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var lastPost = DateTime.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            bool ready = network.IsReady;
            if (ready != _lastReady || DateTime.UtcNow - lastPost >= config.StatusInterval)
            {
                try
                {
                    await PostAsync(ready, cancellationToken);
                    if (ready != _lastReady)
                    {
                        KubeletLog.NodeReadiness(logger, config.NodeName, ready ? "Ready" : "NotReady");
                    }

                    _lastReady = ready;
                    lastPost = DateTime.UtcNow;
                }
                catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException)
                {
                    KubeletLog.NodeStatusFailed(logger, config.NodeName, e.Message);
                }
            }

            try
            {
                await Task.Delay(config.NetworkPollInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PostAsync(bool networkReady, CancellationToken cancellationToken)
    {
        var node = await client.GetAsync<V1Node>(null, config.NodeName, cancellationToken);
        if (node is null)
        {
            try
            {
                node = await client.CreateAsync(NodeStatusBuilder.NewNode(config.NodeName), cancellationToken);
                KubeletLog.NodeRegistered(logger, config.NodeName);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                node = await client.GetAsync<V1Node>(null, config.NodeName, cancellationToken);
                if (node is null)
                {
                    throw;
                }
            }
        }
        else if (NodeStatusBuilder.AdoptLabels(node))
        {
            node = await client.UpdateAsync(node, cancellationToken);
        }

        var status = NodeStatusBuilder.Build(node.Status, _facts, config.NodeName, config.NodeIp, config.Port, networkReady, DateTime.UtcNow);
        var copy = KubernetesJson.Deserialize<V1Node>(KubernetesJson.Serialize(node));
        copy.Status = status;
        await client.UpdateStatusAsync(copy, cancellationToken);
    }
}
