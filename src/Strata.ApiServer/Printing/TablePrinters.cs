using System.Globalization;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// The printer for each kind, and the <c>meta.k8s.io/v1</c> Table that kube-apiserver returns for
/// <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>.
/// </summary>
public static class TablePrinters
{
    private static readonly Dictionary<(string Group, string Kind), TablePrinter> ByKind = new()
    {
        [("", "Pod")] = PodPrinter.Create(),
        [("", "Node")] = NodePrinter.Create(),
        [("", "Namespace")] = SimplePrinters.Namespace(),
        [("", "Service")] = ServicePrinter.Create(),
        [("", "Endpoints")] = EndpointsPrinters.Endpoints(),
        [("", "Secret")] = SimplePrinters.Secret(),
        [("", "ConfigMap")] = SimplePrinters.ConfigMap(),
        [("", "ServiceAccount")] = SimplePrinters.ServiceAccount(),
        [("", "Event")] = EventPrinter.Create(),
        [("events.k8s.io", "Event")] = EventPrinter.Create(),
        [("discovery.k8s.io", "EndpointSlice")] = EndpointsPrinters.EndpointSlice(),
        [("apps", "Deployment")] = WorkloadPrinters.Deployment(),
        [("apps", "ReplicaSet")] = WorkloadPrinters.ReplicaSet(),
        [("apps", "DaemonSet")] = WorkloadPrinters.DaemonSet(),
        [("apps", "StatefulSet")] = WorkloadPrinters.StatefulSet(),
        [("networking.k8s.io", "Ingress")] = NetworkingPrinters.Ingress(),
        [("networking.k8s.io", "IngressClass")] = NetworkingPrinters.IngressClass(),
        [("networking.k8s.io", "NetworkPolicy")] = NetworkingPrinters.NetworkPolicy(),
        [("coordination.k8s.io", "Lease")] = SimplePrinters.Lease(),
    };

    /// <summary>
    /// The generic table of apiserver's defaultTableConvertor (staging/src/k8s.io/apiserver/pkg/registry/rest/table.go):
    /// Name and Created At (RFC 3339, UTC). kube-apiserver uses it for every kind without a printer, including
    /// CustomResourceDefinitions.
    /// </summary>
    public static TablePrinter Default { get; } = new(
        [
            Col.Name,
            new("Created At", "date", "", SwaggerDocs.ObjectMetaCreationTimestamp, 0),
        ],
        (obj, _) =>
        [
            Cell.Of(obj.Name()),
            Cell.Of((obj.Time("metadata", "creationTimestamp") ?? DateTimeOffset.MinValue)
                .UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
        ],
        isDefault: true);

    /// <summary>The printer for a kind; <paramref name="group"/> is "" for the core group.</summary>
    public static TablePrinter For(string group, string kind) =>
        ByKind.TryGetValue((group, kind), out var printer) ? printer : Default;

    /// <summary>
    /// The Table for a list (or, with one object and its resourceVersion, for a single GET or a watch event), as
    /// handlers/response.go <c>asTable</c> encodes it. <paramref name="includeObject"/> is the TableOptions value:
    /// "None", "Metadata" (also for "") or "Object". A watch sends the column definitions only with its first
    /// event; pass <paramref name="noHeaders"/> for the rest (handlers/response.go, watchEmbeddedEncoder), and
    /// <c>columnDefinitions</c> is then null.
    /// </summary>
    /// <exception cref="ArgumentException">An includeObject value kube-apiserver rejects with 400 Bad Request.</exception>
    public static JsonObject ToTable(
        TablePrinter p,
        IEnumerable<JsonObject> objects,
        string includeObject,
        string? resourceVersion,
        string? continueToken,
        DateTimeOffset now,
        bool noHeaders = false,
        long? remainingItemCount = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(objects);
        if (includeObject is not ("" or "None" or "Metadata" or "Object"))
        {
            throw new ArgumentException($"unrecognized includeObject value: \"{includeObject}\"", nameof(includeObject));
        }

        var metadata = new JsonObject();
        if (!string.IsNullOrEmpty(resourceVersion))
        {
            metadata["resourceVersion"] = resourceVersion;
        }

        if (!string.IsNullOrEmpty(continueToken))
        {
            metadata["continue"] = continueToken;
        }

        if (remainingItemCount is { } remaining)
        {
            metadata["remainingItemCount"] = remaining;
        }

        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            rows.Add(Row(p, obj, includeObject, now));
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
            ["columnDefinitions"] = noHeaders ? null : ColumnDefinitions(p),
            // The typed printers build their rows with make(..., 0, n); the default convertor appends to a nil slice.
            ["rows"] = rows.Count == 0 && p.IsDefault ? null : rows,
        };
    }

    private static JsonArray ColumnDefinitions(TablePrinter p)
    {
        var columns = new JsonArray();
        foreach (var column in p.Columns)
        {
            columns.Add(new JsonObject
            {
                ["name"] = column.Name,
                ["type"] = column.Type,
                ["format"] = column.Format,
                ["description"] = column.Description,
                ["priority"] = column.Priority,
            });
        }

        return columns;
    }

    private static JsonObject Row(TablePrinter p, JsonObject obj, string includeObject, DateTimeOffset now)
    {
        var row = new JsonObject { ["cells"] = new JsonArray([.. p.Cells(obj, now).Select(c => c?.DeepClone())]) };

        var conditions = p.RowConditions(obj);
        if (conditions.Count > 0)
        {
            var array = new JsonArray();
            foreach (var condition in conditions)
            {
                var entry = new JsonObject { ["type"] = condition.Type, ["status"] = condition.Status };
                if (condition.Reason.Length > 0)
                {
                    entry["reason"] = condition.Reason;
                }

                if (condition.Message.Length > 0)
                {
                    entry["message"] = condition.Message;
                }

                array.Add(entry);
            }

            row["conditions"] = array;
        }

        // A RawExtension is a struct, so omitempty never drops it: IncludeNone encodes "object": null.
        row["object"] = includeObject switch
        {
            "None" => null,
            "Object" => obj.DeepClone(),
            _ => PartialObjectMetadata.From(obj),
        };
        return row;
    }
}
