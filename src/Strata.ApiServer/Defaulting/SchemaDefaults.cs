using System.Text.Json.Nodes;

namespace Strata.ApiServer.Defaulting;

/// <summary>
/// Defaulting from a structural schema's <c>default</c> values, as apiextensions-apiserver does for custom resources
/// (pkg/apiserver/schema/defaulting/algorithm.go): a missing property with a default gets it, a null in a
/// non-nullable property with a default is replaced, and defaulting goes on inside what is there, including inside
/// the defaults just set.
/// </summary>
public static class SchemaDefaults
{
    public static void Apply(JsonNode? node, JsonObject schema)
    {
        switch (node)
        {
            case JsonObject obj:
                if (schema["properties"] is JsonObject properties)
                {
                    foreach (var (name, property) in properties)
                    {
                        if (property is not JsonObject propertySchema || propertySchema["default"] is not { } value)
                        {
                            continue;
                        }

                        var nullable = propertySchema["nullable"]?.GetValue<bool>() == true;
                        if (!obj.ContainsKey(name) || (obj[name] is null && !nullable))
                        {
                            obj[name] = value.DeepClone();
                        }
                    }

                    foreach (var (name, child) in obj.ToList())
                    {
                        if (properties[name] is JsonObject childSchema)
                        {
                            Apply(child, childSchema);
                        }
                    }
                }
                else if (schema["additionalProperties"] is JsonObject additional)
                {
                    foreach (var (_, child) in obj.ToList())
                    {
                        Apply(child, additional);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    Apply(item, items);
                }

                break;
        }
    }
}
