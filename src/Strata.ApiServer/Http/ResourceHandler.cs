using Strata.ApiServer.Conversion;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Strata.ApiServer.Protobuf;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Selection;

namespace Strata.ApiServer.Http;

/// <summary>
/// Serves one resource request (k8s.io/apiserver/pkg/endpoints/handlers: get.go, create.go, update.go, patch.go,
/// delete.go, watch.go) on top of <see cref="ObjectRegistry"/>.
/// </summary>
public sealed class ResourceHandler(ObjectRegistry registry, ApiServerOptions options, TimeProvider time)
{
    private static readonly ResourceInfo ScaleResource = new("autoscaling", "v1", "scale", "Scale", true, [], [], []);

    public ObjectRegistry Registry => registry;

    /// <summary>Renders objects as a meta.k8s.io/v1 Table; null serves plain objects even when a Table is asked for.</summary>
    public ITableConverter? Tables { get; set; }

    /// <summary>Drops unknown fields from written objects; with <c>fieldValidation=Strict</c> they are refused instead.</summary>
    public IFieldPruner? Pruner { get; set; }

    /// <summary>Where <c>pods/log</c> and <c>pods/exec</c> go; without one they answer 503.</summary>
    public KubeletProxy? Kubelet { get; set; }

    /// <summary>Answers <c>serviceaccounts/{name}/token</c> (TokenRequest); without it that subresource is not found.</summary>
    public Authentication.TokenRequests? Tokens { get; set; }

    /// <summary>Applies a PATCH body of the given content type to the current object.</summary>
    public IPatcher? Patcher { get; set; }

    public async Task HandleAsync(HttpContext context, ApiPath path)
    {
        var resource = registry.Catalog.Find(path.Group, path.Version, path.Resource)
            ?? throw ApiException.NotFound($"the server could not find the requested resource");
        if (VersionConversion.For(resource) is { } conversion)
        {
            // Stored (and validated, and watched by the controllers) in the storage version; converted at the edges.
            context.Items[ConversionKey] = (conversion, resource);
            context.Response.Headers.Append("Warning", $"299 - \"{conversion.Warning}\"");
            resource = registry.Catalog.Find(path.Group, conversion.StorageVersion, path.Resource)!;
        }

        if (path.Namespace is not null && !resource.Namespaced)
        {
            throw ApiException.NotFound("the server could not find the requested resource");
        }

        var request = context.Request;
        var ns = resource.Namespaced ? path.Namespace : null;
        var query = request.Query;
        var watch = path.LegacyWatch || IsTrue(query["watch"]);
        CheckSubresource(resource, path);
        var ct = context.RequestAborted;
        if (path.Subresource is "log" or "exec" && path.Name is not null && Kubelet is not null)
        {
            await Kubelet.ProxyAsync(context, resource, ns!, path.Name, path.Subresource);
            return;
        }

        switch (request.Method)
        {
            case "GET" when path.Name is null && watch:
                await WatchAsync(context, resource, ns, null);
                break;
            case "GET" when path.Name is null:
                await ListAsync(context, resource, ns);
                break;
            case "GET" when watch:
                await WatchAsync(context, resource, ns, path.Name);
                break;
            case "GET" when path.Subresource == "scale":
                await WriteAsync(context, 200, Scale.From(resource, await registry.GetAsync(resource, ns, path.Name, ct)));
                break;
            case "GET" when path.Subresource is null or "status":
                await WriteObjectAsync(context, 200, resource, await registry.GetAsync(resource, ns, path.Name, ct));
                break;
            case "POST" when path.Name is null:
                await WriteObjectAsync(context, 201, resource, await registry.CreateAsync(resource, ns, CheckFields(context, resource, In(context, await ReadBodyAsync(request))), IsDryRun(query), ct));
                break;
            case "POST" when path.Subresource == "token" && Tokens is not null:
                await WriteAsync(context, 201, await Tokens.CreateAsync(ns!, path.Name, await ReadBodyAsync(request), ct));
                break;
            case "POST" when path.Subresource == "binding":
                await BindAsync(context, resource, ns!, path.Name);
                break;
            case "PUT" when path.Name is not null && path.Subresource == "scale":
                var scale = await ReadBodyAsync(request);
                var scaled = await registry.UpdateWithAsync(resource, ns, path.Name, current => Scale.Apply(current, scale), null, IsDryRun(query), ct);
                await WriteAsync(context, 200, Scale.From(resource, scaled));
                break;
            case "PUT" when path.Name is not null && path.Subresource == "finalize":
                await WriteObjectAsync(context, 200, resource, await NamespaceFinalize.FinalizeAsync(registry, path.Name, await ReadBodyAsync(request), ct));
                break;
            case "PUT" when path.Name is not null:
                var body = CheckFields(context, resource, In(context, await ReadBodyAsync(request)));
                var before = await TryGetAsync(resource, ns, path.Name, ct);
                var updated = await registry.UpdateAsync(resource, ns, path.Name, body, path.Subresource, IsDryRun(query), ct);
                await WriteObjectAsync(context, before is null ? 201 : 200, resource, updated);
                break;
            case "PATCH" when path.Name is not null:
                await PatchAsync(context, resource, ns, path.Name, path.Subresource);
                break;
            case "DELETE" when path.Name is not null:
                var deleted = await registry.DeleteAsync(resource, ns, path.Name, await ReadDeleteOptionsAsync(request), ct);
                await WriteObjectAsync(context, deleted.Deleted ? 200 : 202, resource, deleted.Object);
                break;
            case "DELETE":
                var list = ListOptionsFrom(resource, query);
                var gone = await registry.DeleteCollectionAsync(resource, ns, list, await ReadDeleteOptionsAsync(request), ct);
                await WriteAsync(context, 200, ListObject(Served(context, resource), gone.Select(o => Out(context, o)), registry.Store.Revision, null));
                break;
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }
    }

    private static void CheckSubresource(ResourceInfo resource, ApiPath path)
    {
        if (path.Subresource is not null && !resource.Subresources.Contains(path.Subresource))
        {
            throw ApiException.NotFound("the server could not find the requested resource");
        }

        if (path.Subresource is "proxy")
        {
            throw new ApiException(503, "ServiceUnavailable", $"{path.Resource}/{path.Subresource} is not served yet");
        }
    }

    private async Task ListAsync(HttpContext context, ResourceInfo resource, string? ns)
    {
        var options = ListOptionsFrom(resource, context.Request.Query);
        var result = await registry.ListAsync(resource, ns, options, context.RequestAborted);
        if (Tables is not null && MediaType.WantsTable(context.Request.Headers.Accept))
        {
            await WriteAsync(context, 200, Tables.ToTable(resource, result.Items, IncludeObject(context.Request.Query),
                Revision(result.Revision), result.Continue, time.GetUtcNow()));
            return;
        }

        await WriteAsync(context, 200, ListObject(Served(context, resource), result.Items.Select(o => Out(context, o)), result.Revision, result.Continue));
    }

    private async Task WatchAsync(HttpContext context, ResourceInfo resource, string? ns, string? name)
    {
        var query = context.Request.Query;
        var list = ListOptionsFrom(resource, query);
        if (name is not null)
        {
            list = list with { Fields = FieldSelector.Parse($"metadata.name={name}", resource.Group, resource.Kind) };
        }

        var timeout = TimeSpan.FromSeconds(query["timeoutSeconds"] is { Count: > 0 } t && int.TryParse(t, out var seconds) && seconds > 0
            ? seconds
            : options.MinRequestTimeout.TotalSeconds * (1 + Random.Shared.NextDouble()));
        var watchOptions = new WatchOptions(
            list,
            (string?)query["resourceVersion"],
            IsTrue(query["allowWatchBookmarks"]),
            IsTrue(query["sendInitialEvents"]),
            Tables is not null && MediaType.WantsTable(context.Request.Headers.Accept) ? IncludeObject(query) : null);
        var conversion = Conversion(context);
        await new WatchStream(registry, resource, ns, watchOptions, Tables, options, time) { Convert = conversion?.FromStorage }.ServeAsync(context, timeout);
    }

    private async Task PatchAsync(HttpContext context, ResourceInfo resource, string? ns, string name, string? subresource)
    {
        var contentType = MediaType.Parse(context.Request.ContentType ?? "").Type;
        if (Patcher is null || !Patcher.Supports(contentType, resource))
        {
            throw ApiException.UnsupportedMediaType(contentType);
        }

        var patch = await ReadNodeAsync(context.Request);
        if (contentType == "application/apply-patch+yaml")
        {
            if (string.IsNullOrEmpty(context.Request.Query["fieldManager"]))
            {
                throw ApiException.BadRequest("PATCH: fieldManager: Required value: is required for apply patch");
            }

            // Apply creates what does not exist yet (handlers/patch.go applyPatcher with create-on-update).
            if (subresource is null && await TryGetAsync(resource, ns, name, context.RequestAborted) is null)
            {
                var config = patch as JsonObject ?? throw ApiException.BadRequest("the apply configuration must be an object");
                var createdObject = await registry.CreateAsync(resource, ns, CheckFields(context, resource, In(context, config.DeepClone().AsObject())), IsDryRun(context.Request.Query), context.RequestAborted);
                await WriteObjectAsync(context, 201, resource, createdObject);
                return;
            }
        }

        if (subresource == "scale")
        {
            // The patch is to the Scale, not the object (ScaleREST's Update through a scaleUpdatedObjectInfo).
            var scaled = await registry.UpdateWithAsync(resource, ns, name, current =>
                Scale.Apply(current, Patcher.Apply(contentType, ScaleResource, Scale.From(resource, current), patch)), subresource, IsDryRun(context.Request.Query), context.RequestAborted);
            await WriteAsync(context, 200, Scale.From(resource, scaled));
            return;
        }

        var patched = await registry.UpdateWithAsync(resource, ns, name,
            current => CheckFields(context, resource, In(context, Patcher.Apply(contentType, resource, Out(context, current), patch))), subresource, IsDryRun(context.Request.Query), context.RequestAborted);
        await WriteObjectAsync(context, 200, resource, patched);
    }

    /// <summary>
    /// Unknown fields, by <c>fieldValidation</c> (KEP-2885): Strict refuses them with the strict decoder's message,
    /// Warn (the default) drops them with a <c>Warning</c> header each, Ignore drops them silently.
    /// </summary>
    private JsonObject CheckFields(HttpContext context, ResourceInfo resource, JsonObject obj)
    {
        var mode = context.Request.Query["fieldValidation"] is { Count: > 0 } v ? v.ToString() : "Warn";
        if (mode is not ("Strict" or "Warn" or "Ignore"))
        {
            throw ApiException.BadRequest($"fieldValidation: Unsupported value: \"{mode}\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
        }

        var unknown = Pruner?.Prune(resource, obj) ?? [];
        if (unknown.Count == 0 || mode == "Ignore")
        {
            return obj;
        }

        if (mode == "Strict")
        {
            throw ApiException.BadRequest(
                $"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: strict decoding error: " +
                string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
        }

        foreach (var field in unknown)
        {
            context.Response.Headers.Append("Warning", $"299 - \"unknown field \\\"{field}\\\"\"");
        }

        return obj;
    }

    private async Task BindAsync(HttpContext context, ResourceInfo pods, string ns, string name)
    {
        var binding = await ReadBodyAsync(context.Request);
        var node = (string?)binding["target"]?["name"];
        if (string.IsNullOrEmpty(node))
        {
            throw ApiException.Invalid(pods, name, [new Validation.FieldError("FieldValueRequired", "target.name", "Required value")]);
        }

        await PodBinding.BindAsync(registry, ns, name, node, context.RequestAborted);
        await WriteAsync(context, 201, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201 });
    }

    private async Task<JsonObject?> TryGetAsync(ResourceInfo resource, string? ns, string name, CancellationToken ct)
    {
        try
        {
            return await registry.GetAsync(resource, ns, name, ct);
        }
        catch (ApiException e) when (e.Code == 404)
        {
            return null;
        }
    }

    private async Task WriteObjectAsync(HttpContext context, int status, ResourceInfo resource, JsonObject obj)
    {
        if (Tables is not null && MediaType.WantsTable(context.Request.Headers.Accept))
        {
            await WriteAsync(context, status, Tables.ToTable(resource, [obj], IncludeObject(context.Request.Query), null, null, time.GetUtcNow()));
            return;
        }

        await WriteAsync(context, status, Out(context, obj));
    }

    private const string ConversionKey = "strata.conversion";

    private static VersionConversion? Conversion(HttpContext context) =>
        context.Items.TryGetValue(ConversionKey, out var value) && value is (VersionConversion conversion, ResourceInfo) ? conversion : null;

    /// <summary>The resource as the client asked for it (the converted version), for lists' kind and apiVersion.</summary>
    private static ResourceInfo Served(HttpContext context, ResourceInfo stored) =>
        context.Items.TryGetValue(ConversionKey, out var value) && value is (VersionConversion, ResourceInfo served) ? served : stored;

    private static JsonObject In(HttpContext context, JsonObject obj) => Conversion(context) is { } c ? c.ToStorage(obj) : obj;

    private static JsonObject Out(HttpContext context, JsonObject obj) => Conversion(context) is { } c ? c.FromStorage(obj) : obj;

    public static async Task WriteAsync(HttpContext context, int status, JsonNode body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        body.WriteTo(writer);
        await writer.FlushAsync(context.RequestAborted);
    }

    public static JsonObject ListObject(ResourceInfo resource, IEnumerable<JsonObject> items, long revision, string? continueToken)
    {
        var metadata = new JsonObject { ["resourceVersion"] = Revision(revision) };
        if (continueToken is not null)
        {
            metadata["continue"] = continueToken;
        }

        // Typed lists carry no TypeMeta on their items; unstructured (custom resource) lists do.
        var array = new JsonArray(items.Select(i =>
        {
            var item = i.DeepClone().AsObject();
            if (!resource.IsCustom)
            {
                item.Remove("apiVersion");
                item.Remove("kind");
            }

            return (JsonNode)item;
        }).ToArray());
        return new JsonObject
        {
            ["kind"] = resource.ListKind,
            ["apiVersion"] = resource.GroupVersion,
            ["metadata"] = metadata,
            ["items"] = array,
        };
    }

    private static ListOptions ListOptionsFrom(ResourceInfo resource, IQueryCollection query)
    {
        try
        {
            var limit = query["limit"] is { Count: > 0 } l && long.TryParse(l, out var n) && n > 0 ? (int)Math.Min(n, int.MaxValue) : 0;
            return new ListOptions(
                LabelSelector.Parse(query["labelSelector"]),
                FieldSelector.Parse(query["fieldSelector"], resource.Group, resource.Kind),
                limit,
                query["continue"]);
        }
        catch (FormatException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }

    private static async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpRequest request)
    {
        var query = request.Query;
        long? grace = query["gracePeriodSeconds"] is { Count: > 0 } g && long.TryParse(g, out var gs) ? gs : null;
        string? policy = query["propagationPolicy"] is { Count: > 0 } p ? p.ToString() : null;
        if (query["orphanDependents"] is { Count: > 0 } orphan && policy is null)
        {
            policy = IsTrue(orphan) ? "Orphan" : "Background";
        }

        string? uid = null;
        string? rv = null;
        var dryRun = IsDryRun(query);
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var body = await ReadNodeAsync(request);
            if (body is JsonObject o)
            {
                grace ??= (long?)o["gracePeriodSeconds"];
                policy ??= (string?)o["propagationPolicy"];
                if (policy is null && o["orphanDependents"] is JsonValue od)
                {
                    policy = od.GetValue<bool>() ? "Orphan" : "Background";
                }

                dryRun |= o["dryRun"] is JsonArray d && d.Any(v => (string?)v == "All");
                uid = (string?)o["preconditions"]?["uid"];
                rv = (string?)o["preconditions"]?["resourceVersion"];
            }
        }

        return new DeleteOptions(grace, policy, uid, rv, dryRun);
    }

    public static async Task<JsonObject> ReadBodyAsync(HttpRequest request) =>
        await ReadNodeAsync(request) as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");

    public static async Task<JsonNode> ReadNodeAsync(HttpRequest request)
    {
        var type = MediaType.Parse(request.ContentType ?? "application/json").Type;
        if (type == KubeProtobuf.MediaType)
        {
            // kubectl's generator commands (create namespace, create secret tls, ...) send their objects as protobuf.
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
            try
            {
                return KubeProtobuf.Decode(buffer.ToArray());
            }
            catch (KubeProtobufException e)
            {
                throw ApiException.BadRequest($"the request body is not a valid Kubernetes protobuf object: {e.Message}");
            }
        }

        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (type is "application/yaml" or "application/apply-patch+yaml")
        {
            return YamlJson.ToJson(text) ?? throw ApiException.BadRequest("the request body is empty");
        }

        if (!type.EndsWith("json", StringComparison.Ordinal))
        {
            throw ApiException.UnsupportedMediaType(type);
        }

        try
        {
            return JsonNode.Parse(text) ?? throw ApiException.BadRequest("the request body is empty");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }

    private static string IncludeObject(IQueryCollection query) =>
        query["includeObject"] is { Count: > 0 } v ? v.ToString() : "Metadata";

    private static bool IsDryRun(IQueryCollection query) => query["dryRun"].Contains("All");

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) =>
        value.Count > 0 && (value[0] is "true" or "1" or "True");

    public static string Revision(long revision) => revision.ToString(CultureInfo.InvariantCulture);
}
