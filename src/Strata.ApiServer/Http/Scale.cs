using System.Text.Json.Nodes;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Selection;

namespace Strata.ApiServer.Http;

/// <summary>The <c>/scale</c> subresource: an autoscaling/v1 Scale view of spec.replicas (pkg/registry/apps/deployment/storage ScaleREST).</summary>
public static class Scale
{
    public static JsonObject From(ResourceInfo resource, JsonObject obj)
    {
        var selector = obj["spec"]?["selector"] as JsonObject;
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = obj.Name(),
                ["namespace"] = obj.Namespace(),
                ["uid"] = obj.Uid(),
                ["resourceVersion"] = obj.ResourceVersion(),
                ["creationTimestamp"] = obj["metadata"]?["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = (long?)obj["spec"]?["replicas"] ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = (long?)obj["status"]?["replicas"] ?? 0,
                ["selector"] = LabelSelector.FromObject(selector).ToString(),
            },
        };
    }

    /// <summary>Writes a Scale's replicas into the object; the Scale's resourceVersion, if any, is the precondition.</summary>
    public static JsonObject Apply(JsonObject current, JsonObject scale)
    {
        var replicas = scale["spec"]?["replicas"]?.GetValue<long>() ?? 0;
        if (replicas < 0)
        {
            throw ApiException.BadRequest($"spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0");
        }

        if (scale["metadata"]?["resourceVersion"] is JsonValue rv && !string.IsNullOrEmpty((string?)rv))
        {
            current.Metadata()["resourceVersion"] = (string?)rv;
        }

        var spec = current["spec"] as JsonObject ?? [];
        spec["replicas"] = replicas;
        current["spec"] = spec;
        return current;
    }
}
