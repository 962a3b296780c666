using System.Text.Json.Nodes;

namespace Strata.ApiServer.Patching;

/// <summary>RFC 7386 JSON Merge Patch (<c>application/merge-patch+json</c>).</summary>
public static class JsonMergePatch
{
    /// <summary>
    /// RFC 7386 MergePatch(target, patch) on copies of its inputs: an object patch merges member
    /// by member (null removes), anything else replaces the target.
    /// </summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch) => Merge(target, patch);

    /// <summary>
    /// The merge patch as kube-apiserver applies it to a stored object: a patch that is not a
    /// JSON object (null, a scalar) is refused with 400 "Invalid JSON Patch", as
    /// evanphx/json-patch's MergePatch does.
    /// </summary>
    /// <exception cref="JsonMergePatchException">The patch is null or a scalar.</exception>
    public static JsonNode ApplyToObject(JsonObject target, JsonNode? patch)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (patch is null || (patch is not JsonObject && patch is not JsonArray))
        {
            throw new JsonMergePatchException("Invalid JSON Patch", 400);
        }

        return Merge(target, patch)!;
    }

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
                continue;
            }

            result.TryGetPropertyValue(key, out var current);
            var merged = Merge(current, value);
            result[key] = merged?.Parent is null ? merged : merged.DeepClone();
        }

        return result;
    }
}
