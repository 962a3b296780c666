using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// Finds and drops the fields a schema does not know, as kube-apiserver does: decoding into the Go types drops them
/// for built-in kinds, and structural pruning drops them for custom resources (apiextensions-apiserver
/// pkg/apiserver/schema/pruning). The paths are reported as the strict decoder names them: <c>spec.ports[0].fooo</c>.
/// </summary>
public static class UnknownFields
{
    /// <summary>Prunes <paramref name="obj"/> against a schema; <paramref name="resolve"/> turns a <c>$ref</c> into its schema.</summary>
    public static IReadOnlyList<string> Prune(JsonObject obj, JsonObject schema, Func<string, JsonObject?> resolve, bool root = true)
    {
        var unknown = new List<string>();
        Walk(obj, schema, resolve, "", unknown, root);
        return unknown;
    }

    private static void Walk(JsonNode? node, JsonObject schema, Func<string, JsonObject?> resolve, string path, List<string> unknown, bool root)
    {
        schema = Resolve(schema, resolve);
        if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true && schema["properties"] is null)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                var properties = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"] as JsonObject;
                if (properties is null && additional is null)
                {
                    return; // An object with no declared shape (RawExtension, FieldsV1): kept as given.
                }

                var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var childPath = path.Length == 0 ? key : $"{path}.{key}";
                    if (properties?[key] is JsonObject propertySchema)
                    {
                        Walk(obj[key], propertySchema, resolve, childPath, unknown, false);
                    }
                    else if (root && key is "apiVersion" or "kind" or "metadata")
                    {
                        // Every object has these, even where a custom resource's schema leaves them out.
                    }
                    else if (additional is not null)
                    {
                        Walk(obj[key], additional, resolve, childPath, unknown, false);
                    }
                    else if (!preserve)
                    {
                        unknown.Add(childPath);
                        obj.Remove(key);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], items, resolve, $"{path}[{i}]", unknown, false);
                }

                break;
        }
    }

    private static JsonObject Resolve(JsonObject schema, Func<string, JsonObject?> resolve)
    {
        for (var depth = 0; depth < 64 && schema["$ref"] is JsonValue reference; depth++)
        {
            var name = ((string)reference!).Split('/')[^1];
            schema = resolve(name) ?? new JsonObject();
        }

        // v3 wraps a $ref with siblings in allOf: [{$ref}].
        if (schema["allOf"] is JsonArray { Count: 1 } allOf && allOf[0] is JsonObject only && schema["properties"] is null)
        {
            return Resolve(only, resolve);
        }

        return schema;
    }
}
