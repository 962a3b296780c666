using System.Text.Json.Nodes;

namespace Strata.ApiServer.Registry;

/// <summary>
/// <c>namespaces/{name}/finalize</c> (pkg/registry/core/namespace/storage/storage.go, FinalizeREST): replaces only
/// <c>spec.finalizers</c>; a Terminating namespace whose finalizers are all gone is then deleted by the registry.
/// Shared by the HTTP handler and the in-process client the namespace controller uses.
/// </summary>
public static class NamespaceFinalize
{
    public static Task<JsonObject> FinalizeAsync(ObjectRegistry registry, string name, JsonObject body, CancellationToken cancellationToken)
    {
        var namespaces = registry.Catalog.Get("", "namespaces");
        var finalizers = body["spec"]?["finalizers"]?.DeepClone() ?? new JsonArray();
        return registry.UpdateWithAsync(namespaces, null, name, current =>
        {
            current["spec"] = new JsonObject { ["finalizers"] = finalizers.DeepClone() };
            return current;
        }, "finalize", cancellationToken: cancellationToken);
    }
}
