using System.Text.Json.Nodes;
using k8s.Models;
using Strata.Cni;

namespace Strata.Agent.Kubelet.Pods;

/// <summary>
/// The CNI attachment of a pod's sandbox, as containerd's CRI plugin asks for it: container id = sandbox id,
/// eth0, the K8S_POD_* CNI_ARGS with IgnoreUnknown, and the portMappings capability from the containers'
/// hostPorts. Pure.
/// </summary>
public static class PodNetworkRequest
{
    public const string InterfaceName = "eth0";

    public static RuntimeConf For(V1Pod pod, string sandboxId, string netnsPath) => new()
    {
        ContainerId = sandboxId,
        NetNs = netnsPath,
        IfName = InterfaceName,
        Args = Args(pod, sandboxId),
        CapabilityArgs = PortMappings(pod) is { Count: > 0 } mappings
            ? new Dictionary<string, JsonNode> { ["portMappings"] = mappings }
            : new Dictionary<string, JsonNode>(),
    };

    public static IReadOnlyList<KeyValuePair<string, string>> Args(V1Pod pod, string sandboxId) =>
    [
        new("IgnoreUnknown", "1"),
        new("K8S_POD_NAMESPACE", pod.Metadata.NamespaceProperty ?? "default"),
        new("K8S_POD_NAME", pod.Metadata.Name),
        new("K8S_POD_INFRA_CONTAINER_ID", sandboxId),
        new("K8S_POD_UID", pod.Metadata.Uid ?? string.Empty),
    ];

    /// <summary>The portmap plugin's capability argument: one entry per container port with a hostPort.</summary>
    public static JsonArray PortMappings(V1Pod pod)
    {
        var mappings = new JsonArray();
        foreach (var port in pod.Spec.Containers.SelectMany(c => c.Ports ?? []).Where(p => p.HostPort is > 0))
        {
            var mapping = new JsonObject
            {
                ["hostPort"] = port.HostPort,
                ["containerPort"] = port.ContainerPort,
                ["protocol"] = (port.Protocol ?? "TCP").ToLowerInvariant(),
            };
            if (!string.IsNullOrEmpty(port.HostIP))
            {
                mapping["hostIP"] = port.HostIP;
            }

            mappings.Add(mapping);
        }

        return mappings;
    }
}
