using Strata.ApiServer.Http;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Hosting;

/// <summary>Plugs the pure parts (validation, defaulting, Table printing, patching, OpenAPI) into the registry and handler.</summary>
internal static class ApiServerWiring
{
    public static void Configure(ObjectRegistry registry)
    {
    }

    public static void Configure(ResourceHandler handler)
    {
        handler.Patcher = new Patcher();
        handler.Tables = new TableConverter();
    }

    public static IOpenApiSource OpenApi(ResourceCatalog catalog) => new OpenApiSource(catalog);
}
