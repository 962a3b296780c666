using System.Text.Json.Nodes;

namespace Strata.ApiServer.OpenApi;

/// <summary>
/// The <c>/openapi/v3/apis/networking.k8s.io/v1beta1</c> document, derived from v1's, so that kubectl validates the
/// seed's v1beta1 Ingresses (it reads the schema of every kind it sends). The v1beta1 types are v1's but for
/// IngressBackend (<c>serviceName</c>, <c>servicePort</c>), IngressSpec's <c>backend</c> and HTTPIngressPath's optional
/// <c>pathType</c>, as staging/src/k8s.io/api/networking/v1beta1/types.go defines them.
/// </summary>
internal static class IngressV1Beta1Schema
{
    public const string Path = "apis/networking.k8s.io/v1beta1";

    private const string V1 = "io.k8s.api.networking.v1.";
    private const string V1Beta1 = "io.k8s.api.networking.v1beta1.";
    private static readonly string[] IngressTypes =
    [
        "HTTPIngressPath", "HTTPIngressRuleValue", "Ingress", "IngressBackend", "IngressList", "IngressLoadBalancerIngress",
        "IngressLoadBalancerStatus", "IngressPortStatus", "IngressRule", "IngressSpec", "IngressStatus", "IngressTLS",
    ];

    public static JsonObject Derive(JsonObject v1Document)
    {
        string text = v1Document.ToJsonString()
            .Replace("\"/apis/networking.k8s.io/v1/", "\"/apis/networking.k8s.io/v1beta1/", StringComparison.Ordinal);
        foreach (var type in IngressTypes)
        {
            text = text.Replace($"\"#/components/schemas/{V1}{type}\"", $"\"#/components/schemas/{V1Beta1}{type}\"", StringComparison.Ordinal);
        }

        var doc = JsonNode.Parse(text)!.AsObject();
        var paths = doc["paths"]!.AsObject();
        foreach (var path in paths.Select(p => p.Key).Where(p => !p.Contains("/ingresses", StringComparison.Ordinal) && !p.EndsWith("/v1beta1/", StringComparison.Ordinal)).ToList())
        {
            paths.Remove(path);
        }

        var schemas = doc["components"]!["schemas"]!.AsObject();
        foreach (var name in schemas.Select(s => s.Key).Where(k => k.StartsWith(V1, StringComparison.Ordinal)).ToList())
        {
            var schema = schemas[name]!;
            schemas.Remove(name);
            string type = name[V1.Length..];
            if (IngressTypes.Contains(type))
            {
                schemas[V1Beta1 + type] = schema;
            }
        }

        var backend = schemas[V1Beta1 + "IngressBackend"]!["properties"]!.AsObject();
        backend.Remove("service");
        backend["serviceName"] = new JsonObject { ["description"] = "serviceName specifies the name of the referenced service.", ["type"] = "string" };
        backend["servicePort"] = new JsonObject
        {
            ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString" }),
            ["description"] = "servicePort Specifies the port of the referenced service.",
        };
        var spec = schemas[V1Beta1 + "IngressSpec"]!["properties"]!.AsObject();
        var defaultBackend = spec["defaultBackend"]!.DeepClone();
        spec.Remove("defaultBackend");
        spec["backend"] = defaultBackend;
        var path1 = schemas[V1Beta1 + "HTTPIngressPath"]!.AsObject();
        path1["required"] = new JsonArray("backend");

        RetagKinds(doc);
        return doc;
    }

    // x-kubernetes-group-version-kind of Ingress and IngressList (schemas and operations) name v1beta1.
    private static void RetagKinds(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["group"] is JsonValue g && (string?)g == "networking.k8s.io" && (string?)obj["kind"] is "Ingress" or "IngressList" && obj["version"] is not null)
                {
                    obj["version"] = "v1beta1";
                }

                foreach (var child in obj.Select(p => p.Value).ToList())
                {
                    RetagKinds(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    RetagKinds(child);
                }

                break;
        }
    }
}
