using System.Text.Json.Nodes;
using Strata.ApiServer.Http;
using Strata.ApiServer.Patching;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Hosting;

/// <summary>Unknown fields by the built-in kinds' OpenAPI schema, or a custom resource's CRD schema.</summary>
internal sealed class FieldPruner(ResourceCatalog catalog) : IFieldPruner
{
    private static readonly JsonObject ObjectMetaRef = new() { ["$ref"] = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" };

    public IReadOnlyList<string> Prune(ResourceInfo resource, JsonObject obj)
    {
        var kubernetes = PatchSchema.Kubernetes;
        if (!resource.IsCustom)
        {
            return kubernetes.TryGetDefinitionName(resource.Group, resource.Version, resource.Kind, out var name) && kubernetes.Definition(name) is { } schema
                ? UnknownFields.Prune(obj, schema, kubernetes.Definition)
                : [];
        }

        if (catalog.CustomSchema(resource) is not { } structural)
        {
            return [];
        }

        var unknown = new List<string>(UnknownFields.Prune(obj, structural, kubernetes.Definition));
        if (obj["metadata"] is JsonObject metadata)
        {
            unknown.AddRange(UnknownFields.Prune(metadata, ObjectMetaRef, kubernetes.Definition, root: false).Select(p => "metadata." + p));
        }

        return unknown;
    }
}
