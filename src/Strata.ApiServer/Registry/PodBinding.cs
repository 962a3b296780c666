using System.Text.Json.Nodes;
using Strata.ApiServer.Http;

namespace Strata.ApiServer.Registry;

/// <summary>
/// <c>pods/binding</c> (pkg/registry/core/pod/storage/storage.go, BindingREST): sets <c>spec.nodeName</c> once and adds
/// the PodScheduled condition. Shared by the HTTP handler and the in-process client the scheduler uses.
/// </summary>
public static class PodBinding
{
    public static Task<JsonObject> BindAsync(ObjectRegistry registry, string ns, string name, string node, CancellationToken cancellationToken)
    {
        var pods = registry.Catalog.Get("", "pods");
        return registry.UpdateWithAsync(pods, ns, name, pod =>
        {
            if (pod.IsDeleting())
            {
                throw ApiException.Conflict(pods, name, "pod is being deleted, cannot be assigned to a host");
            }

            var spec = pod["spec"]!.AsObject();
            if (!string.IsNullOrEmpty((string?)spec["nodeName"]))
            {
                throw ApiException.Conflict(pods, name, $"pod {name} is already assigned to node \"{spec["nodeName"]}\"");
            }

            spec["nodeName"] = node;
            var status = pod["status"] as JsonObject ?? [];
            // podutil.UpdatePodCondition: the PodScheduled condition (False while unschedulable) becomes True.
            var conditions = status["conditions"] as JsonArray ?? [];
            foreach (var previous in conditions.Where(c => (string?)c?["type"] == "PodScheduled").ToList())
            {
                conditions.Remove(previous);
            }

            conditions.Add(new JsonObject
            {
                ["type"] = "PodScheduled", ["status"] = "True", ["lastProbeTime"] = null,
                ["lastTransitionTime"] = ObjectMeta.Timestamp(registry.Time.GetUtcNow()),
            });
            status["conditions"] = conditions;
            pod["status"] = status;
            return pod;
        }, "binding", cancellationToken: cancellationToken);
    }
}
