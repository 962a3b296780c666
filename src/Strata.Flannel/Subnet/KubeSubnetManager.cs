using System.Net;
using System.Net.NetworkInformation;
using System.Threading.Channels;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Flannel.Subnet;

/// <summary>
/// flannel's kube subnet manager (pkg/subnet/kube/kube.go): this node's lease is its <c>spec.podCIDR</c>, acquired by
/// publishing the backend's annotations on the Node; every Node with <c>kube-subnet-manager=true</c> is a lease,
/// watched through a Node informer. <see cref="Changes"/> is signalled whenever a node's lease may have changed.
/// </summary>
public sealed partial class KubeSubnetManager(IKubeClient client, string nodeName, ILogger logger)
{
    private readonly Informer<V1Node> _nodes = new(client, logger: logger);
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>One item whenever a node was added, removed, or its podCIDR or flannel annotations changed.</summary>
    public ChannelReader<bool> Changes => _changes.Reader;

    public string NodeName => nodeName;

    /// <summary>Runs the node informer until the token is cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        _nodes.AddHandler(
            added: _ => _changes.Writer.TryWrite(true),
            updated: (old, now) =>
            {
                if (LeaseRelevant(old) != LeaseRelevant(now))
                {
                    _changes.Writer.TryWrite(true);
                }
            },
            deleted: _ => _changes.Writer.TryWrite(true));
        return _nodes.RunAsync(cancellationToken);
    }

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _nodes.WaitForSyncAsync(cancellationToken);

    /// <summary>This node as the informer last saw it.</summary>
    public V1Node? Self => _nodes.Get(null, nodeName);

    /// <summary>The VTEP MAC this node published before (GetStoredMacAddresses), to keep it across restarts.</summary>
    public PhysicalAddress? StoredVtepMac =>
        Self?.Metadata.Annotations?.TryGetValue(NodeAnnotations.BackendData, out var data) == true ? VxlanLeaseData.TryParse(data)?.VtepMac : null;

    /// <summary>Every node's lease, except nodes without the annotations or a podCIDR; those are returned with the reason.</summary>
    public (IReadOnlyList<Lease> Leases, IReadOnlyList<string> Skipped) Leases()
    {
        var leases = new List<Lease>();
        var skipped = new List<string>();
        foreach (var node in _nodes.List())
        {
            if (NodeAnnotations.ToLease(node, out var reason) is { } lease)
            {
                leases.Add(lease);
            }
            else if (node.Metadata.Name != nodeName)
            {
                skipped.Add(reason!);
            }
        }

        return (leases, skipped);
    }

    /// <summary>
    /// Waits until this node has a podCIDR (the node IPAM controller assigns it), then publishes the backend's
    /// annotations if they differ (AcquireLease). Returns the lease.
    /// </summary>
    public async Task<Lease> AcquireLeaseAsync(string backendType, string backendData, IPAddress publicIp, CancellationToken cancellationToken)
    {
        var wanted = NodeAnnotations.For(backendType, backendData, publicIp);
        bool waitingLogged = false;
        while (true)
        {
            var node = await client.GetAsync<V1Node>(null, nodeName, cancellationToken);
            if (node is not null && NodeAnnotations.PodCidr(node) is { } cidr)
            {
                if (!NodeAnnotations.AreCurrent(node, wanted))
                {
                    var written = await client.UpdateLiveAsync<V1Node>(null, nodeName, node.Metadata.Uid, live =>
                    {
                        if (NodeAnnotations.AreCurrent(live, wanted))
                        {
                            return false;
                        }

                        live.Metadata.Annotations ??= new Dictionary<string, string>();
                        foreach (var (key, value) in wanted)
                        {
                            live.Metadata.Annotations[key] = value;
                        }

                        return true;
                    }, cancellationToken);
                    if (written is null)
                    {
                        continue; // replaced under us: read it again
                    }
                }

                Log.Acquired(logger, nodeName, cidr, backendType);
                return new Lease(nodeName, cidr, backendType, publicIp, backendData);
            }

            if (!waitingLogged)
            {
                Log.WaitingForPodCidr(logger, nodeName);
                waitingLogged = true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private static string LeaseRelevant(V1Node node)
    {
        var a = node.Metadata.Annotations;
        string Get(string key) => a?.TryGetValue(key, out var v) == true ? v : "";
        return $"{NodeAnnotations.PodCidr(node)}|{Get(NodeAnnotations.KubeSubnetManager)}|{Get(NodeAnnotations.BackendType)}|{Get(NodeAnnotations.BackendData)}|{Get(NodeAnnotations.PublicIp)}";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Waiting for node {Node} to get a podCIDR (spec.podCIDR)")]
        public static partial void WaitingForPodCidr(ILogger logger, string node);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Acquired lease {Subnet} for node {Node} (backend {Backend})")]
        public static partial void Acquired(ILogger logger, string node, Strata.Netlink.IpPrefix subnet, string backend);
    }
}
