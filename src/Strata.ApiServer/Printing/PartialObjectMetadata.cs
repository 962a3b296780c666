using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// The <c>meta.k8s.io/v1</c> PartialObjectMetadata that a Table row carries for <c>includeObject=Metadata</c>
/// (<c>meta.AsPartialObjectMetadata</c>), with the metadata re-encoded as Go encodes <c>metav1.ObjectMeta</c>:
/// fields in struct order, empty ones left out, and <c>creationTimestamp</c> always present (null when unset,
/// because omitempty cannot drop a struct).
/// </summary>
internal static class PartialObjectMetadata
{
    private static readonly string[] FieldOrder =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
        "ownerReferences", "finalizers", "managedFields",
    ];

    public static JsonObject From(JsonObject obj)
    {
        var source = obj.Obj("metadata") ?? [];
        var metadata = new JsonObject();
        foreach (var field in FieldOrder)
        {
            source.TryGetPropertyValue(field, out var value);
            if (field == "creationTimestamp")
            {
                metadata[field] = value?.DeepClone();
            }
            else if (!IsEmpty(field, value))
            {
                metadata[field] = value!.DeepClone();
            }
        }

        return new JsonObject
        {
            ["kind"] = "PartialObjectMetadata",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
        };
    }

    /// <summary>
    /// What omitempty drops: empty strings, maps and slices, nil pointers, and a zero <c>generation</c>
    /// (the one plain integer; <c>deletionGracePeriodSeconds</c> is a pointer, so its 0 stays).
    /// </summary>
    private static bool IsEmpty(string field, JsonNode? value) => value switch
    {
        null => true,
        JsonObject o => o.Count == 0,
        JsonArray a => a.Count == 0,
        JsonValue v when v.TryGetValue(out string? s) => s.Length == 0,
        JsonValue v when field == "generation" && v.TryGetValue(out long l) => l == 0,
        _ => false,
    };
}
