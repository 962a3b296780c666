using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>Nodes: <c>printNode</c> in pkg/printers/internalversion/printers.go.</summary>
internal static class NodePrinter
{
    private const string RoleLabelPrefix = "node-role.kubernetes.io/";
    private const string RoleLabel = "kubernetes.io/role";

    private static readonly TableColumn[] Columns =
    [
        Col.Name,
        Col.String("Status", "The status of the node"),
        Col.String("Roles", "The roles of the node"),
        Col.Age,
        Col.String("Version", SwaggerDocs.NodeSystemInfoKubeletVersion),
        Col.String("Internal-IP", SwaggerDocs.NodeStatusAddresses, 1),
        Col.String("External-IP", SwaggerDocs.NodeStatusAddresses, 1),
        Col.String("OS-Image", SwaggerDocs.NodeSystemInfoOSImage, 1),
        Col.String("Kernel-Version", SwaggerDocs.NodeSystemInfoKernelVersion, 1),
        Col.String("Container-Runtime", SwaggerDocs.NodeSystemInfoContainerRuntimeVersion, 1),
    ];

    public static TablePrinter Create() => new(Columns, Cells);

    private static JsonNode?[] Cells(JsonObject node, DateTimeOffset now)
    {
        var status = new List<string>();

        // Only the Ready condition is shown; with duplicates the last one wins, as in upstream's condition map.
        if (node.Objects("status", "conditions").LastOrDefault(c => c.Str("type") == "Ready") is { } ready)
        {
            status.Add(ready.Str("status") == "True" ? "Ready" : "NotReady");
        }
        else
        {
            status.Add("Unknown");
        }

        if (node.Bool("spec", "unschedulable"))
        {
            status.Add("SchedulingDisabled");
        }

        var roles = Roles(node.StringMap("metadata", "labels"));
        var info = node.Obj("status", "nodeInfo");
        return
        [
            Cell.Of(node.Name()),
            Cell.Of(string.Join(",", status)),
            Cell.Of(roles.Length == 0 ? "<none>" : roles),
            Cell.Of(node.Age(now)),
            Cell.Of(info.Str("kubeletVersion")),
            Cell.Of(Address(node, "InternalIP")),
            Cell.Of(Address(node, "ExternalIP")),
            Cell.Of(OrUnknown(info.Str("osImage"))),
            Cell.Of(OrUnknown(info.Str("kernelVersion"))),
            Cell.Of(OrUnknown(info.Str("containerRuntimeVersion"))),
        ];
    }

    /// <summary>
    /// <c>findNodeRoles</c>: every non-empty suffix of a <c>node-role.kubernetes.io/&lt;role&gt;</c> label and the
    /// value of a non-empty <c>kubernetes.io/role</c> label, deduplicated and sorted.
    /// </summary>
    private static string Roles(IReadOnlyDictionary<string, string> labels)
    {
        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in labels)
        {
            if (key.StartsWith(RoleLabelPrefix, StringComparison.Ordinal))
            {
                if (key[RoleLabelPrefix.Length..] is { Length: > 0 } role)
                {
                    roles.Add(role);
                }
            }
            else if (key == RoleLabel && value.Length > 0)
            {
                roles.Add(value);
            }
        }

        return string.Join(",", roles);
    }

    /// <summary>The first address of the type, or <c>&lt;none&gt;</c>.</summary>
    private static string Address(JsonObject node, string type) =>
        node.Objects("status", "addresses").FirstOrDefault(a => a.Str("type") == type) is { } address
            ? address.Str("address")
            : "<none>";

    private static string OrUnknown(string value) => value.Length == 0 ? "<unknown>" : value;
}
