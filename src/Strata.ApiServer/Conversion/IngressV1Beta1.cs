using System.Text.Json.Nodes;

namespace Strata.ApiServer.Conversion;

/// <summary>
/// networking.k8s.io/v1beta1 Ingress to and from v1, as pkg/apis/networking/v1beta1/conversion.go converts them:
/// <c>spec.backend</c> is v1's <c>spec.defaultBackend</c>; a backend's <c>serviceName</c>/<c>servicePort</c> is v1's
/// <c>service.name</c>/<c>service.port</c> (<c>number</c> for an int, <c>name</c> for a string); a path without
/// <c>pathType</c> gets v1beta1's default, ImplementationSpecific. Everything else is the same in both.
/// </summary>
public static class IngressV1Beta1
{
    public const string V1 = "networking.k8s.io/v1";
    public const string V1Beta1 = "networking.k8s.io/v1beta1";

    public static JsonObject ToV1(JsonObject beta)
    {
        var obj = beta.DeepClone().AsObject();
        if (obj.ContainsKey("apiVersion"))
        {
            obj["apiVersion"] = V1;
        }

        if (obj["spec"] is JsonObject spec)
        {
            Rename(spec, "backend", "defaultBackend", BackendToV1);
            foreach (var path in Paths(spec))
            {
                path["pathType"] ??= "ImplementationSpecific";
                Rename(path, "backend", "backend", BackendToV1);
            }
        }

        return obj;
    }

    public static JsonObject FromV1(JsonObject v1)
    {
        var obj = v1.DeepClone().AsObject();
        obj["apiVersion"] = V1Beta1;
        if (obj["spec"] is JsonObject spec)
        {
            Rename(spec, "defaultBackend", "backend", BackendFromV1);
            foreach (var path in Paths(spec))
            {
                Rename(path, "backend", "backend", BackendFromV1);
            }
        }

        return obj;
    }

    private static IEnumerable<JsonObject> Paths(JsonObject spec) =>
        (spec["rules"] as JsonArray ?? []).OfType<JsonObject>()
            .SelectMany(rule => rule["http"]?["paths"] as JsonArray ?? []).OfType<JsonObject>();

    // Moves (and converts) a property, keeping its place among the others, as the Go encoder keeps field order.
    private static void Rename(JsonObject parent, string from, string to, Func<JsonObject, JsonObject> convert)
    {
        if (parent[from] is not JsonObject value)
        {
            return;
        }

        var entries = parent.Select(p => (p.Key, Value: p.Key == from ? convert(value) : p.Value?.DeepClone())).ToList();
        parent.Clear();
        foreach (var (key, node) in entries)
        {
            parent[key == from ? to : key] = node;
        }
    }

    private static JsonObject BackendToV1(JsonObject backend)
    {
        var result = new JsonObject();
        if (backend["serviceName"] is not null || backend["servicePort"] is not null)
        {
            var service = new JsonObject { ["name"] = backend["serviceName"]?.DeepClone() };
            if (backend["servicePort"] is JsonValue port)
            {
                service["port"] = port.TryGetValue(out string? name) ? new JsonObject { ["name"] = name } : new JsonObject { ["number"] = port.DeepClone() };
            }

            result["service"] = service;
        }

        if (backend["resource"] is { } resource)
        {
            result["resource"] = resource.DeepClone();
        }

        foreach (var (key, value) in backend.Where(p => p.Key is not ("serviceName" or "servicePort" or "resource")))
        {
            result[key] = value?.DeepClone(); // unknown fields stay, for field validation to name them
        }

        return result;
    }

    private static JsonObject BackendFromV1(JsonObject backend)
    {
        var result = new JsonObject();
        if (backend["service"] is JsonObject service)
        {
            result["serviceName"] = service["name"]?.DeepClone();
            if (service["port"] is JsonObject port)
            {
                result["servicePort"] = port["name"] is JsonValue name && (string?)name is { Length: > 0 } ? name.DeepClone() : port["number"]?.DeepClone();
            }
        }

        if (backend["resource"] is { } resource)
        {
            result["resource"] = resource.DeepClone();
        }

        return result;
    }
}
