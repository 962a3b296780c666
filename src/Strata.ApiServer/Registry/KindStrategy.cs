using System.Text.Json.Nodes;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Registry;

/// <summary>
/// What kube-apiserver's registry strategies (pkg/registry/&lt;group&gt;/&lt;kind&gt;/strategy.go) do on create and update
/// beyond the generic store: reset status on create, keep spec or status on the other's writes.
/// </summary>
internal static class KindStrategy
{
    /// <summary>Kinds whose strategy allows PUT to create (AllowCreateOnUpdate).</summary>
    public static bool AllowCreateOnUpdate(ResourceInfo resource) =>
        !resource.IsCustom && resource.Resource is "endpoints" or "events" or "leases";

    /// <remarks>Nodes keep the status they are created with (pkg/registry/core/node/strategy.go).</remarks>
    public static void PrepareForCreate(ResourceInfo resource, JsonObject obj, DateTimeOffset now)
    {
        if (resource.IsCustom)
        {
            if (resource.HasStatus)
            {
                obj.Remove("status");
            }

            return;
        }

        switch (resource.Group, resource.Kind)
        {
            case ("", "Namespace"):
                // pkg/registry/core/namespace/strategy.go: the "kubernetes" finalizer and phase Active.
                var spec = obj["spec"] as JsonObject ?? [];
                var finalizers = spec["finalizers"]?.AsArray().Select(f => (string)f!).ToList() ?? [];
                if (!finalizers.Contains("kubernetes"))
                {
                    finalizers.Add("kubernetes");
                }

                spec["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
                obj["spec"] = spec;
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
            case ("", "Pod"):
                obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
                break;
            case ("", "Service"):
                obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
            case ("apps", _):
                obj["status"] = new JsonObject();
                break;
            case ("networking.k8s.io", "Ingress"):
                obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
            case ("apiextensions.k8s.io", "CustomResourceDefinition"):
                obj["status"] = CrdStatus(obj, now);
                break;
        }
    }

    /// <summary>
    /// A write to the main resource keeps the stored status; a write to <c>/status</c> keeps everything but the status
    /// (metav1.ResetObjectMetaForStatus, and the status strategies' "newObj.Spec = oldObj.Spec").
    /// </summary>
    public static JsonObject PrepareForUpdate(ResourceInfo resource, JsonObject updated, JsonObject old, string? subresource)
    {
        if (subresource == "status")
        {
            var merged = old.DeepClone().AsObject();
            merged["status"] = updated["status"]?.DeepClone();
            merged.Metadata()["resourceVersion"] = updated["metadata"]?["resourceVersion"]?.DeepClone();
            return merged;
        }

        if (resource.HasStatus && subresource != "binding")
        {
            // pods/binding sets spec.nodeName and the PodScheduled condition together.
            updated["status"] = old["status"]?.DeepClone();
        }

        if (resource is { Group: "", Kind: "Namespace" } && subresource != "finalize")
        {
            // Only /finalize changes spec.finalizers.
            updated["spec"] = old["spec"]?.DeepClone();
        }

        return updated;
    }

    /// <summary>
    /// Whether the spec changed in a way that bumps <c>metadata.generation</c>: any change outside metadata and
    /// status (the apps, networking and CRD strategies compare the spec; custom resources everything but those two).
    /// </summary>
    public static bool SpecChanged(JsonObject updated, JsonObject old)
    {
        static string Body(JsonObject o)
        {
            var copy = new JsonObject();
            foreach (var (key, value) in o)
            {
                if (key is not ("metadata" or "status"))
                {
                    copy[key] = value?.DeepClone();
                }
            }

            return copy.ToJsonString();
        }

        return Body(updated) != Body(old);
    }

    /// <summary>The status an established CRD gets (apiextensions-apiserver's naming and establishing controllers).</summary>
    private static JsonObject CrdStatus(JsonObject crd, DateTimeOffset now)
    {
        var names = crd["spec"]?["names"]?.DeepClone() ?? new JsonObject();
        var storedVersions = crd["spec"]?["versions"]?.AsArray()
            .Where(v => v?["storage"]?.GetValue<bool>() == true)
            .Select(v => (JsonNode)JsonValue.Create((string)v!["name"]!))
            .ToArray() ?? [];
        var time = ObjectMeta.Timestamp(now);
        return new JsonObject
        {
            ["conditions"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "NamesAccepted", ["status"] = "True", ["lastTransitionTime"] = time,
                    ["reason"] = "NoConflicts", ["message"] = "no conflicts found",
                },
                new JsonObject
                {
                    ["type"] = "Established", ["status"] = "True", ["lastTransitionTime"] = time,
                    ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted",
                }),
            ["acceptedNames"] = names,
            ["storedVersions"] = new JsonArray(storedVersions),
        };
    }

    /// <summary>pkg/apis/core/helper/qos: Guaranteed, Burstable or BestEffort from the containers' resources.</summary>
    private static string QosClass(JsonObject pod)
    {
        var containers = pod["spec"]?["containers"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var container in containers)
        {
            var requests = container["resources"]?["requests"] as JsonObject;
            var limits = container["resources"]?["limits"] as JsonObject;
            any |= requests is { Count: > 0 } || limits is { Count: > 0 };
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var limit = limits?[resource]?.ToJsonString();
                var request = requests?[resource]?.ToJsonString() ?? limit;
                guaranteed &= limit is not null && request == limit;
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
