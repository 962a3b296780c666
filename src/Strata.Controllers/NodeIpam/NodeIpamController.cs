using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.NodeIpam;

/// <summary>
/// kube-controller-manager's node IPAM controller with the RangeAllocator
/// (pkg/controller/nodeipam/ipam/range_allocator.go): every Node gets a <c>spec.podCIDR</c> cut from the cluster CIDR.
/// The set lives in memory only: at start it occupies the podCIDRs the Nodes already have, then a Node without one gets
/// the next free block, a deleted Node's block is freed, and an existing podCIDR is never changed.
/// </summary>
public sealed class NodeIpamController : Controller
{
    private const string CidrNotAvailable = "CIDRNotAvailable";
    private const string CidrAssignmentFailed = "CIDRAssignmentFailed";
    private const int UpdateAttempts = 10;

    private readonly IKubeClient _client;
    private readonly Informer<V1Node> _nodes;
    private readonly EventRecorder _recorder;
    private readonly NodeCidrAllocator _cidrs;
    private readonly Lock _lock = new();

    // The blocks this controller holds for each node; what a deleted node frees.
    private readonly Dictionary<string, string> _held = [];

    // The uid of each node this controller wrote a podCIDR into: until the informer shows that write, an event
    // for the same node still shows no podCIDR and must not release and re-allocate.
    private readonly Dictionary<string, string> _assigned = [];

    // Nodes left without a CIDR because the range was full: retried when a block frees up.
    private readonly HashSet<string> _waiting = [];

    public NodeIpamController(ControllerContext context)
        : base("nodeipam", context.Logger("nodeipam"), workers: 1)
    {
        _client = context.Client;
        _recorder = context.Recorder("node-controller");
        _cidrs = new NodeCidrAllocator(context.Options.ClusterCidr, context.Options.NodeCidrMaskSize);
        _nodes = context.Informers.For<V1Node>();
        _nodes.AddHandler(
            added: n => Enqueue(n.Metadata.Name),
            updated: (old, n) =>
            {
                if (PodCidrs(n).Count == 0 || !PodCidrs(old).SequenceEqual(PodCidrs(n)))
                {
                    Enqueue(n.Metadata.Name);
                }
            },
            deleted: n => Enqueue(n.Metadata.Name));
    }

    protected override IEnumerable<IInformer> Informers => [_nodes];

    /// <summary>Occupies every existing podCIDR before any node is given a new one (NewCIDRRangeAllocator).</summary>
    protected override IEnumerable<string> InitialKeys()
    {
        var nodes = _nodes.List().OrderBy(n => n.Metadata.CreationTimestamp).ThenBy(n => n.Metadata.Name, StringComparer.Ordinal).ToList();
        foreach (var node in nodes.Where(n => PodCidrs(n).Count > 0))
        {
            Occupy(node);
        }

        return nodes.Where(n => PodCidrs(n).Count == 0).Select(n => n.Metadata.Name);
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var node = _nodes.Get(key);
        if (node is null)
        {
            Release(key);
            return;
        }

        if (PodCidrs(node).Count > 0)
        {
            Occupy(node);
            return;
        }

        lock (_lock)
        {
            if (_assigned.TryGetValue(key, out var uid) && uid == node.Metadata.Uid)
            {
                return; // Our own write has not reached the cache yet.
            }
        }

        // A node recreated under the same name: the block its predecessor held is free again.
        Release(key);
        string cidr;
        try
        {
            cidr = _cidrs.AllocateNext();
        }
        catch (AllocationException e) when (e.Error == AllocationError.NoCidrsRemaining)
        {
            lock (_lock)
            {
                _waiting.Add(key);
            }

            NodeIpamLog.NoCidr(Logger, key, e.Message);
            await RecordStatusChangeAsync(node, CidrNotAvailable, cancellationToken);
            return;
        }

        lock (_lock)
        {
            _waiting.Remove(key);
        }

        await AssignAsync(key, cidr, cancellationToken);
    }

    /// <summary>Writes the allocated block into the node, unless it got one meanwhile (updateCIDRsAllocation).</summary>
    private async Task AssignAsync(string name, string cidr, CancellationToken cancellationToken)
    {
        V1Node? node = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                node = await _client.GetAsync<V1Node>(null, name, cancellationToken);
                if (node is null)
                {
                    _cidrs.Release(cidr);
                    return;
                }

                if (PodCidrs(node).Count > 0)
                {
                    // Someone else set it first: keep theirs and give ours back.
                    _cidrs.Release(cidr);
                    Occupy(node);
                    return;
                }

                node.Spec ??= new V1NodeSpec();
                node.Spec.PodCIDR = cidr;
                node.Spec.PodCIDRs = [cidr];
                var updated = await _client.UpdateAsync(node, cancellationToken);
                lock (_lock)
                {
                    _held[name] = cidr;
                    _assigned[name] = updated.Metadata.Uid;
                }

                NodeIpamLog.Assigned(Logger, name, cidr);
                return;
            }
            catch (KubeApiException e) when (e.IsConflict && attempt < UpdateAttempts)
            {
                // Another writer (a kubelet's status) got in first: read again and redo.
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _cidrs.Release(cidr);
                if (node is not null)
                {
                    await RecordStatusChangeAsync(node, CidrAssignmentFailed, cancellationToken);
                }

                throw;
            }
        }
    }

    private void Occupy(V1Node node)
    {
        var name = node.Metadata.Name;
        var cidr = PodCidrs(node)[0];
        lock (_lock)
        {
            if (_held.TryGetValue(name, out var held) && held == cidr)
            {
                return;
            }
        }

        Release(name);

        try
        {
            _cidrs.Occupy(cidr);
        }
        catch (AllocationException e)
        {
            // Upstream refuses such a node at start; a podCIDR someone else chose is left as it is.
            NodeIpamLog.CidrOutOfRange(Logger, name, cidr, e.Message);
            return;
        }

        lock (_lock)
        {
            _held[name] = cidr;
            _waiting.Remove(name);
        }
    }

    private void Release(string name)
    {
        string[] waiting;
        lock (_lock)
        {
            _assigned.Remove(name);
            if (!_held.Remove(name, out var cidr))
            {
                return;
            }

            // Another node may still claim the same block (a duplicate podCIDR set by hand): keep it then.
            if (!_held.ContainsValue(cidr))
            {
                _cidrs.Release(cidr);
                NodeIpamLog.Released(Logger, name, cidr);
            }

            waiting = [.. _waiting];
        }

        foreach (var node in waiting)
        {
            Enqueue(node);
        }
    }

    /// <summary>pkg/controller/util/node RecordNodeStatusChange: a Normal event "Node x status is now: reason".</summary>
    private Task RecordStatusChangeAsync(V1Node node, string status, CancellationToken cancellationToken) =>
        _recorder.NormalAsync(node, status, $"Node {node.Metadata.Name} status is now: {status}", cancellationToken);

    internal static IReadOnlyList<string> PodCidrs(V1Node node) =>
        node.Spec?.PodCIDRs is { Count: > 0 } cidrs ? [.. cidrs]
        : string.IsNullOrEmpty(node.Spec?.PodCIDR) ? []
        : [node.Spec.PodCIDR];
}

internal static partial class NodeIpamLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "node {Node} was given podCIDR {Cidr}")]
    public static partial void Assigned(ILogger logger, string node, string cidr);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "node {Node} is gone: podCIDR {Cidr} is free again")]
    public static partial void Released(ILogger logger, string node, string cidr);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "node {Node} gets no podCIDR: {Reason}")]
    public static partial void NoCidr(ILogger logger, string node, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "node {Node} keeps podCIDR {Cidr}, which this controller does not manage: {Reason}")]
    public static partial void CidrOutOfRange(ILogger logger, string node, string cidr, string reason);
}
