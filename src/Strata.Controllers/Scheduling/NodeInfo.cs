using k8s.Models;

namespace Strata.Controllers.Scheduling;

/// <summary>
/// One node as a scheduling cycle sees it (framework.NodeInfo): the Node, the pods assigned to it and what they
/// request, and what the node can hold.
/// </summary>
public sealed class NodeInfo
{
    public NodeInfo(V1Node node, IReadOnlyList<V1Pod> pods)
    {
        Node = node;
        Pods = pods;
        var requested = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var nonZero = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            Add(requested, PodRequests.Of(pod));
            Add(nonZero, PodRequests.NonZero(pod));
        }

        Requested = requested;
        NonZeroRequested = nonZero;
        var allocatable = node.Status?.Allocatable ?? node.Status?.Capacity ?? new Dictionary<string, ResourceQuantity>();
        Allocatable = allocatable.ToDictionary(p => p.Key, p => p.Value.ToDecimal(), StringComparer.Ordinal);
    }

    public V1Node Node { get; }

    public string Name => Node.Metadata.Name;

    public IReadOnlyList<V1Pod> Pods { get; }

    public IReadOnlyDictionary<string, decimal> Requested { get; }

    public IReadOnlyDictionary<string, decimal> NonZeroRequested { get; }

    public IReadOnlyDictionary<string, decimal> Allocatable { get; }

    /// <summary>Groups the pods assigned to nodes (finished ones hold nothing) by node.</summary>
    public static IReadOnlyList<NodeInfo> Build(IEnumerable<V1Node> nodes, IEnumerable<V1Pod> assignedPods)
    {
        var byNode = assignedPods
            .Where(p => !string.IsNullOrEmpty(p.Spec?.NodeName) && p.Status?.Phase is not ("Succeeded" or "Failed"))
            .GroupBy(p => p.Spec.NodeName)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<V1Pod>)[.. g]);
        return [.. nodes.OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).Select(n => new NodeInfo(n, byNode.GetValueOrDefault(n.Metadata.Name) ?? []))];
    }

    private static void Add(Dictionary<string, decimal> into, IReadOnlyDictionary<string, decimal> values)
    {
        foreach (var (name, value) in values)
        {
            into[name] = into.GetValueOrDefault(name) + value;
        }
    }
}
