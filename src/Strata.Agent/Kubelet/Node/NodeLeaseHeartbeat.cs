using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;

namespace Strata.Agent.Kubelet.Node;

/// <summary>
/// The node's heartbeat (pkg/kubelet/nodelease, component-helpers/apimachinery/lease): the Lease
/// kube-node-lease/&lt;node&gt; held by the node, 40 s long, renewed every interval, owned by the Node.
/// </summary>
public sealed class NodeLeaseHeartbeat(IKubeClient client, KubeletConfig config, ILogger logger)
{
    public const string Namespace = "kube-node-lease";
    public const int DurationSeconds = 40;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RenewAsync(cancellationToken);
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException)
            {
                KubeletLog.LeaseFailed(logger, config.NodeName, e.Message);
            }

            try
            {
                await Task.Delay(config.LeaseInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public static V1Lease NewLease(string nodeName, V1Node? owner, DateTime now) => new()
    {
        ApiVersion = "coordination.k8s.io/v1",
        Kind = "Lease",
        Metadata = new V1ObjectMeta
        {
            Name = nodeName,
            NamespaceProperty = Namespace,
            OwnerReferences = owner is null ? null :
            [
                new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = owner.Metadata.Name, Uid = owner.Metadata.Uid },
            ],
        },
        Spec = new V1LeaseSpec { HolderIdentity = nodeName, LeaseDurationSeconds = DurationSeconds, RenewTime = now },
    };

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var lease = await client.GetAsync<V1Lease>(Namespace, config.NodeName, cancellationToken);
        if (lease is null)
        {
            var node = await client.GetAsync<V1Node>(null, config.NodeName, cancellationToken);
            if (node is null)
            {
                return; // the lease is owned by the Node: wait for the registration
            }

            if (await client.GetAsync<V1Namespace>(null, Namespace, cancellationToken) is null)
            {
                try
                {
                    await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken);
                }
                catch (KubeApiException e) when (e.IsAlreadyExists)
                {
                }
            }

            await client.CreateAsync(NewLease(config.NodeName, node, now), cancellationToken);
            return;
        }

        lease.Spec ??= new V1LeaseSpec();
        lease.Spec.HolderIdentity = config.NodeName;
        lease.Spec.LeaseDurationSeconds = DurationSeconds;
        lease.Spec.RenewTime = now;
        await client.UpdateAsync(lease, cancellationToken);
    }
}
