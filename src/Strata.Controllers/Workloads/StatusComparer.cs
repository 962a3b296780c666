using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;

namespace Strata.Controllers.Workloads;

/// <summary>
/// Status equality as Go's omitempty sees it: a zero, false, empty or missing field are the same, so a stored status
/// that dropped its zero counts does not look different from a freshly computed one (which would write forever).
/// </summary>
public static class StatusComparer
{
    public static bool Same<T>(T? a, T? b) => Pruned(JsonNode.Parse(KubernetesJson.Serialize(a)))?.ToJsonString() == Pruned(JsonNode.Parse(KubernetesJson.Serialize(b)))?.ToJsonString();

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
                return a.Count == 0 ? null : new JsonArray([.. a.Select(e => Pruned(e) ?? JsonValue.Create(0))]);
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
