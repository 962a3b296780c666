using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;

namespace Strata.Controllers.Workloads;

/// <summary>
/// Objects compared as Go sees their structs (apimachinery's Semantic.DeepEqual over omitempty fields): a zero,
/// false, empty or missing field are the same, and map keys are unordered. kubectl sends <c>resources: {}</c> where
/// the stored template has nothing, and a stored status may drop its zero counts; neither is a difference.
/// </summary>
public static class SemanticJson
{
    /// <summary>Sorted keys, zero values dropped.</summary>
    public static string Canonical<T>(T obj) => obj is null ? "null" : Pruned(JsonNode.Parse(KubernetesJson.Serialize(obj)))?.ToJsonString() ?? "null";

    public static bool Same<T>(T? a, T? b) => Canonical(a) == Canonical(b);

    private static JsonNode? Pruned(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var result = new JsonObject();
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (Pruned(v) is { } kept)
                    {
                        result[k] = kept;
                    }
                }

                return result.Count == 0 ? null : result;
            case JsonArray a:
                return a.Count == 0 ? null : new JsonArray([.. a.Select(e => Pruned(e) ?? new JsonObject())]);
            case JsonValue v:
                return v.GetValueKind() switch
                {
                    JsonValueKind.Number when v.GetValue<double>() == 0 => null,
                    JsonValueKind.False or JsonValueKind.Null => null,
                    JsonValueKind.String when v.GetValue<string>().Length == 0 => null,
                    _ => v.DeepClone(),
                };
            default:
                return null;
        }
    }
}

/// <summary>Status equality for deciding whether to write it (see <see cref="SemanticJson"/>).</summary>
public static class StatusComparer
{
    public static bool Same<T>(T? a, T? b) => SemanticJson.Same(a, b);
}
