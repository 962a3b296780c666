using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Strata.ApiServer.Http;
using Strata.ApiServer.OpenApi;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Hosting;

/// <summary>
/// <c>/openapi/v2</c> and <c>/openapi/v3</c> as kube-openapi's handlers serve them: JSON, an ETag of the document's
/// hash, and for v3 documents a redirect when the <c>?hash=</c> asked for is stale (pkg/handler3/handler.go).
/// Served custom resources are added and removed as the catalog changes.
/// </summary>
internal sealed class OpenApiSource : IOpenApiSource
{
    private readonly OpenApiDocuments _documents = OpenApiDocuments.CreateDefault();
    private readonly ResourceCatalog _catalog;
    private readonly object _gate = new();
    private List<CustomResourceSchema> _published = [];

    public OpenApiSource(ResourceCatalog catalog)
    {
        _catalog = catalog;
        catalog.Changed += Refresh;
        Refresh();
    }

    public async Task ServeAsync(HttpContext context, string path)
    {
        var response = context.Response;
        if (path == "/openapi/v2")
        {
            await WriteAsync(context, _documents.V2Json, _documents.V2Hash, immutable: false);
            return;
        }

        if (path == "/openapi/v3")
        {
            await WriteAsync(context, _documents.V3DiscoveryJson, _documents.V3DiscoveryHash, immutable: false);
            return;
        }

        var groupVersion = path["/openapi/v3/".Length..];
        if (!_documents.TryGetV3Document(groupVersion, out var document))
        {
            throw ApiException.NotFound("the server could not find the requested resource");
        }

        var hash = context.Request.Query["hash"].ToString();
        if (hash.Length > 0 && hash != document.Hash)
        {
            response.StatusCode = 301;
            response.Headers.Location = document.ServerRelativeUrl;
            return;
        }

        await WriteAsync(context, document.Json, document.Hash, immutable: hash.Length > 0);
    }

    private static async Task WriteAsync(HttpContext context, byte[] json, string hash, bool immutable)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.Headers.ETag = $"\"{hash}\"";
        response.Headers.CacheControl = immutable ? "public, immutable" : "no-cache, private";
        if (immutable)
        {
            response.Headers.Expires = DateTimeOffset.UtcNow.AddYears(1).ToString("R");
        }

        await response.Body.WriteAsync(json, context.RequestAborted);
    }

    private void Refresh()
    {
        lock (_gate)
        {
            foreach (var old in _published)
            {
                _documents.RemoveCustomResource(old.Group, old.Version, old.Kind);
            }

            var schemas = new List<CustomResourceSchema>();
            foreach (var crd in _catalog.CustomDefinitions.Values)
            {
                var spec = crd["spec"]!;
                foreach (var version in spec["versions"]?.AsArray() ?? [])
                {
                    if (version?["served"]?.GetValue<bool>() != true)
                    {
                        continue;
                    }

                    schemas.Add(new CustomResourceSchema(
                        (string)spec["group"]!,
                        (string)version["name"]!,
                        (string)spec["names"]!["kind"]!,
                        (string)spec["names"]!["plural"]!,
                        (string?)spec["scope"] == "Namespaced",
                        version["schema"]?["openAPIV3Schema"]?.DeepClone() as JsonObject));
                }
            }

            foreach (var schema in schemas)
            {
                _documents.AddCustomResource(schema);
            }

            _published = schemas;
        }
    }
}
