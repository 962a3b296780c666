using k8s.Models;

namespace Strata.Agent.Kubelet.Node;

/// <summary>
/// The Node the kubelet registers and the status it posts (pkg/kubelet/kubelet_node_status.go and
/// pkg/kubelet/nodestatus/setters.go): labels, addresses, capacity, nodeInfo, the daemon endpoint, and the
/// pressure and Ready conditions. A condition keeps its lastTransitionTime while its status stays the same. Pure.
/// </summary>
public static class NodeStatusBuilder
{
    public const int MaxPods = 110;

    public const string NetworkNotReadyMessage =
        "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized";

    public static IDictionary<string, string> Labels(string nodeName) => new Dictionary<string, string>
    {
        ["kubernetes.io/hostname"] = nodeName,
        ["kubernetes.io/os"] = "linux",
        ["kubernetes.io/arch"] = "amd64",
        ["beta.kubernetes.io/os"] = "linux",
        ["beta.kubernetes.io/arch"] = "amd64",
    };

    /// <summary>A new Node object (initialNode).</summary>
    public static V1Node NewNode(string nodeName) => new()
    {
        ApiVersion = "v1",
        Kind = "Node",
        Metadata = new V1ObjectMeta
        {
            Name = nodeName,
            Labels = Labels(nodeName),
            Annotations = new Dictionary<string, string> { ["node.alpha.kubernetes.io/ttl"] = "0" },
        },
        Spec = new V1NodeSpec(),
    };

    /// <summary>Adds the kubelet's labels to an existing Node (reconcileExtendedResource/updateDefaultLabels); true when something changed.</summary>
    public static bool AdoptLabels(V1Node node)
    {
        node.Metadata.Labels ??= new Dictionary<string, string>();
        bool changed = false;
        foreach (var (key, value) in Labels(node.Metadata.Name))
        {
            if (!node.Metadata.Labels.TryGetValue(key, out var existing) || existing != value)
            {
                node.Metadata.Labels[key] = value;
                changed = true;
            }
        }

        return changed;
    }

    public static V1NodeStatus Build(V1NodeStatus? previous, NodeFacts facts, string nodeName, string nodeIp, int kubeletPort, bool networkReady, DateTime now)
    {
        now = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var capacity = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(facts.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ["memory"] = new($"{facts.MemoryKi}Ki"),
            ["pods"] = new(MaxPods.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ["ephemeral-storage"] = new($"{facts.EphemeralStorageKi}Ki"),
            ["hugepages-2Mi"] = new("0"),
        };
        return new V1NodeStatus
        {
            Addresses =
            [
                new V1NodeAddress { Type = "InternalIP", Address = nodeIp },
                new V1NodeAddress { Type = "Hostname", Address = nodeName },
            ],
            Capacity = capacity,
            Allocatable = new Dictionary<string, ResourceQuantity>(capacity),
            NodeInfo = new V1NodeSystemInfo
            {
                MachineID = facts.MachineId,
                SystemUUID = facts.MachineId,
                BootID = facts.BootId,
                KernelVersion = facts.KernelVersion,
                OsImage = facts.OsImage,
                ContainerRuntimeVersion = $"strata://{facts.StrataVersion}",
                KubeletVersion = NodeFacts.KubeletVersion,
                KubeProxyVersion = string.Empty,
                OperatingSystem = "linux",
                Architecture = "amd64",
            },
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = kubeletPort } },
            Conditions =
            [
                Condition(previous, "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now),
                Condition(previous, "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
                Condition(previous, "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now),
                networkReady
                    ? Condition(previous, "Ready", "True", "KubeletReady", "kubelet is posting ready status", now)
                    : Condition(previous, "Ready", "False", "KubeletNotReady", NetworkNotReadyMessage, now),
            ],
            Images = previous?.Images,
        };
    }

    /// <summary>Whether the status differs in anything but the heartbeat times.</summary>
    public static bool Differs(V1NodeStatus? current, V1NodeStatus computed)
    {
        if (current is null)
        {
            return true;
        }

        static string Key(V1NodeStatus status) => k8s.KubernetesJson.Serialize(new V1NodeStatus
        {
            Addresses = status.Addresses,
            Capacity = status.Capacity?.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => new ResourceQuantity(p.Value.ToString())),
            NodeInfo = status.NodeInfo,
            DaemonEndpoints = status.DaemonEndpoints,
            Conditions = status.Conditions?.OrderBy(c => c.Type, StringComparer.Ordinal)
                .Select(c => new V1NodeCondition { Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message }).ToList(),
        });

        return Key(current) != Key(computed);
    }

    private static V1NodeCondition Condition(V1NodeStatus? previous, string type, string status, string reason, string message, DateTime now)
    {
        var old = previous?.Conditions?.FirstOrDefault(c => c.Type == type);
        return new V1NodeCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastHeartbeatTime = now,
            LastTransitionTime = old is not null && old.Status == status && old.LastTransitionTime is not null ? old.LastTransitionTime : now,
        };
    }
}
