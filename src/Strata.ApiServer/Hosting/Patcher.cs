using System.Text.Json.Nodes;
using Strata.ApiServer.Http;
using Strata.ApiServer.Patching;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Hosting;

/// <summary>
/// PATCH by content type, as handlers/patch.go: JSON patch (RFC 6902), merge patch (RFC 7386), and strategic merge
/// patch with the built-in kinds' patch keys from the OpenAPI schema (refused with 415 for custom resources).
/// </summary>
internal sealed class Patcher : IPatcher
{
    public const string JsonPatchType = "application/json-patch+json";
    public const string MergePatchType = "application/merge-patch+json";
    public const string StrategicMergePatchType = "application/strategic-merge-patch+json";
    public const string ApplyPatchType = "application/apply-patch+yaml";

    public bool Supports(string contentType, ResourceInfo resource) => contentType switch
    {
        JsonPatchType or MergePatchType or ApplyPatchType => true,
        StrategicMergePatchType => true, // Custom resources get upstream's 415 message from Apply.
        _ => false,
    };

    public JsonObject Apply(string contentType, ResourceInfo resource, JsonObject current, JsonNode patch)
    {
        try
        {
            var result = contentType switch
            {
                JsonPatchType => JsonPatch.Apply(current, patch),
                MergePatchType => JsonMergePatch.ApplyToObject(current, patch),
                ApplyPatchType => ServerSideApply(resource, current, patch),
                _ => StrategicMerge(resource, current, patch),
            };
            return result as JsonObject ?? throw ApiException.BadRequest("the patch did not produce an object");
        }
        catch (PatchException e)
        {
            throw new ApiException(e.StatusCode, Reason(e.StatusCode), e.Message);
        }
    }

    private static JsonNode StrategicMerge(ResourceInfo resource, JsonObject current, JsonNode patch)
    {
        if (resource.IsCustom || !PatchSchema.Kubernetes.TryGetDefinitionName(resource.Group, resource.Version, resource.Kind, out var definition))
        {
            throw new ApiException(415, "UnsupportedMediaType", StrategicMergePatch.UnsupportedMediaTypeMessage);
        }

        return StrategicMergePatch.Apply(current, patch, PatchSchema.Kubernetes, definition);
    }

    /// <summary>
    /// Server-side apply, without field ownership: the applied configuration is merged into the live object as a
    /// structured merge does (maps merge, keyed lists merge by their keys, other lists are replaced), using the
    /// strategic merge keys for built-in kinds and plain merging for custom resources. Fields a manager stops
    /// applying are not removed, and no conflicts are raised: there are no managedFields yet.
    /// </summary>
    private static JsonNode ServerSideApply(ResourceInfo resource, JsonObject current, JsonNode applied)
    {
        if (applied is not JsonObject config)
        {
            throw ApiException.BadRequest("the apply configuration must be an object");
        }

        var merged = !resource.IsCustom && PatchSchema.Kubernetes.TryGetDefinitionName(resource.Group, resource.Version, resource.Kind, out var definition)
            ? StrategicMergePatch.Apply(current, WithoutNulls(config), PatchSchema.Kubernetes, definition)
            : JsonMergePatch.ApplyToObject(current, WithoutNulls(config));
        return merged;
    }

    /// <summary>An apply configuration states values; a null there is not a deletion directive as in a merge patch.</summary>
    private static JsonNode WithoutNulls(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    if (value is not null)
                    {
                        copy[key] = WithoutNulls(value);
                    }
                }

                return copy;
            case JsonArray array:
                return new JsonArray(array.Where(v => v is not null).Select(v => WithoutNulls(v!)).ToArray());
            default:
                return node.DeepClone();
        }
    }

    private static string Reason(int status) => status switch
    {
        400 => "BadRequest",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        _ => "InternalError",
    };
}
