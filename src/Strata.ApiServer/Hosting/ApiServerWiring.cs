using Strata.ApiServer.Http;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Defaulting;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Hosting;

/// <summary>Plugs the pure parts (validation, defaulting, Table printing, patching, OpenAPI) into the registry and handler.</summary>
internal static class ApiServerWiring
{
    public static void Configure(ObjectRegistry registry)
    {
        // Built-in kinds are defaulted by upstream's rules, custom resources from their CRD's schema.
        registry.Default = (resource, obj) =>
        {
            if (!resource.IsCustom)
            {
                ObjectDefaulter.Apply(resource.Group, resource.Kind, obj);
            }
            else if (registry.Catalog.CustomSchema(resource) is { } schema)
            {
                SchemaDefaults.Apply(obj, schema);
            }
        };
        registry.Validate = (resource, obj, old) =>
        {
            var errors = old is null
                ? ObjectValidator.ValidateCreate(resource.Group, resource.Kind, obj)
                : ObjectValidator.ValidateUpdate(resource.Group, resource.Kind, obj, old);
            if (!resource.IsCustom || registry.Catalog.CustomSchema(resource) is not { } schema)
            {
                return errors;
            }

            // Custom resources: the metadata rules above, then their CRD's schema (CEL rules are not evaluated).
            var schemaErrors = old is null
                ? CustomResourceValidator.ValidateSchema(obj, schema)
                : CustomResourceValidator.ValidateSchemaUpdate(obj, old, schema);
            return [.. errors, .. schemaErrors];
        };
    }

    public static void Configure(ResourceHandler handler)
    {
        handler.Patcher = new Patcher();
        handler.Pruner = new FieldPruner(handler.Registry.Catalog);
        handler.Tables = new TableConverter();
    }

    public static IOpenApiSource OpenApi(ResourceCatalog catalog) => new OpenApiSource(catalog);
}
