using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Strata.ApiServer.OpenApi;

/// <summary>One <c>/openapi/v3/&lt;path&gt;</c> document.</summary>
/// <param name="Path">The group-version path, e.g. <c>api/v1</c> or <c>apis/apps/v1</c>.</param>
/// <param name="Json">The document, as served with <c>Content-Type: application/json</c>.</param>
/// <param name="Hash">
/// kube-openapi's ETag: upper-case hex SHA-512 of <paramref name="Json"/>. Served quoted in
/// <c>ETag</c>; a request whose <c>?hash=</c> differs is redirected (301) to
/// <see cref="ServerRelativeUrl"/>, one that matches gets <c>Cache-Control: public, immutable</c>.
/// </param>
public sealed record OpenApiV3Document(string Path, byte[] Json, string Hash)
{
    /// <summary><c>/openapi/v3/&lt;path&gt;?hash=&lt;hash&gt;</c>, as the discovery index lists it.</summary>
    public string ServerRelativeUrl => $"/openapi/v3/{Path}?hash={Hash}";
}

/// <summary>A custom resource's schema to publish (one served version of a CRD).</summary>
/// <param name="Group">API group, e.g. <c>stable.example.com</c>.</param>
/// <param name="Version">Version, e.g. <c>v1</c>.</param>
/// <param name="Kind">Kind, e.g. <c>CronTab</c>.</param>
/// <param name="Plural">Resource name, e.g. <c>crontabs</c>.</param>
/// <param name="Namespaced">Whether the resource is namespaced.</param>
/// <param name="OpenApiV3Schema">The version's <c>schema.openAPIV3Schema</c>, or null for none.</param>
public sealed record CustomResourceSchema(
    string Group, string Version, string Kind, string Plural, bool Namespaced, JsonObject? OpenApiV3Schema);

/// <summary>
/// The documents behind <c>/openapi/v2</c> and <c>/openapi/v3</c>: the embedded, trimmed
/// Kubernetes v1.32 documents (see OpenApi/README.md) plus the custom resources added at run
/// time. Readers see an immutable snapshot that is swapped whole on each change.
/// </summary>
public sealed class OpenApiDocuments
{
    private const string ResourcePrefix = "Strata.OpenApi/";
    private const string MetaPrefix = "io.k8s.apimachinery.pkg.apis.meta.v1.";

    private static readonly JsonSerializerOptions _writeOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly object _lock = new();
    private readonly JsonObject _baseV2;
    private readonly Dictionary<string, JsonObject> _baseV3;
    private readonly Dictionary<string, OpenApiV3Document> _baseV3Documents;
    private readonly Dictionary<(string Group, string Version, string Kind), CustomResourceSchema> _customResources = [];
    private Snapshot _snapshot;

    private OpenApiDocuments(JsonObject baseV2, Dictionary<string, JsonObject> baseV3)
    {
        _baseV2 = baseV2;
        _baseV3 = baseV3;
        _baseV3Documents = baseV3.ToDictionary(p => p.Key, p => ToDocument(p.Key, p.Value), StringComparer.Ordinal);
        _snapshot = Build();
    }

    /// <summary>The group-version paths of the embedded v3 documents (api/v1, apis/apps/v1, …).</summary>
    public static IReadOnlyList<string> BuiltInV3Paths { get; } =
    [
        "api/v1",
        "apis/apiextensions.k8s.io/v1",
        "apis/apps/v1",
        "apis/coordination.k8s.io/v1",
        "apis/discovery.k8s.io/v1",
        "apis/networking.k8s.io/v1",
    ];

    /// <summary>The <c>/openapi/v2</c> document (JSON).</summary>
    public byte[] V2Json => _snapshot.V2Json;

    /// <summary>Upper-case hex SHA-512 of <see cref="V2Json"/>, for its ETag.</summary>
    public string V2Hash => _snapshot.V2Hash;

    /// <summary>The <c>/openapi/v3</c> index: <c>{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}}</c>.</summary>
    public byte[] V3DiscoveryJson => _snapshot.DiscoveryJson;

    /// <summary>Upper-case hex SHA-512 of <see cref="V3DiscoveryJson"/>, for its ETag.</summary>
    public string V3DiscoveryHash => _snapshot.DiscoveryHash;

    /// <summary>The group-version paths the index lists, sorted.</summary>
    public IReadOnlyCollection<string> V3Paths => _snapshot.V3.Keys;

    /// <summary>Loads the embedded Kubernetes v1.32 documents.</summary>
    public static OpenApiDocuments CreateDefault()
    {
        var v2 = LoadEmbedded("swagger.json.gz");
        var v3 = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var path in BuiltInV3Paths)
        {
            v3[path] = LoadEmbedded("v3/" + path.Replace("/", "__", StringComparison.Ordinal) + "_openapi.json.gz");
        }

        v3[IngressV1Beta1Schema.Path] = IngressV1Beta1Schema.Derive(v3["apis/networking.k8s.io/v1"]);

        return new OpenApiDocuments(v2, v3);
    }

    /// <summary>The v3 document for a group-version path (<c>api/v1</c>, <c>apis/apps/v1</c>).</summary>
    public bool TryGetV3Document(string path, [NotNullWhen(true)] out OpenApiV3Document? document) =>
        _snapshot.V3.TryGetValue(path.Trim('/'), out document);

    /// <summary>
    /// Publishes (or replaces) a custom resource: its schema, list schema and paths in the v3
    /// document of its group-version, and its definitions in the v2 document.
    /// </summary>
    public void AddCustomResource(CustomResourceSchema resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_lock)
        {
            _customResources[(resource.Group, resource.Version, resource.Kind)] = resource;
            Volatile.Write(ref _snapshot, Build());
        }
    }

    /// <summary>Withdraws a custom resource added with <see cref="AddCustomResource"/>.</summary>
    public bool RemoveCustomResource(string group, string version, string kind)
    {
        lock (_lock)
        {
            if (!_customResources.Remove((group, version, kind)))
            {
                return false;
            }

            Volatile.Write(ref _snapshot, Build());
            return true;
        }
    }

    /// <summary>Upstream's definition name for a custom resource: the group reversed, then version and kind.</summary>
    public static string CustomResourceDefinitionName(string group, string version, string kind)
    {
        var reversed = string.Join('.', group.Split('.').Reverse());
        return $"{reversed}.{version}.{kind}";
    }

    /// <summary>kube-openapi's <c>computeETag</c>: <c>%X</c> of the SHA-512 of the bytes.</summary>
    public static string ComputeHash(byte[] data) => Convert.ToHexString(SHA512.HashData(data));

    private static JsonObject LoadEmbedded(string name)
    {
        using var stream = typeof(OpenApiDocuments).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"embedded resource {ResourcePrefix}{name} is missing");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        return JsonNode.Parse(gzip) as JsonObject
            ?? throw new InvalidOperationException($"embedded resource {ResourcePrefix}{name} is not a JSON object");
    }

    private static byte[] Serialize(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(_writeOptions));

    private static OpenApiV3Document ToDocument(string path, JsonObject doc)
    {
        var json = Serialize(doc);
        return new OpenApiV3Document(path, json, ComputeHash(json));
    }

    private Snapshot Build()
    {
        var v3 = new SortedDictionary<string, OpenApiV3Document>(StringComparer.Ordinal);
        foreach (var (path, document) in _baseV3Documents)
        {
            v3[path] = document;
        }

        JsonObject? v2 = null;
        foreach (var byGroupVersion in _customResources.Values
                     .OrderBy(r => r.Group, StringComparer.Ordinal)
                     .ThenBy(r => r.Version, StringComparer.Ordinal)
                     .ThenBy(r => r.Kind, StringComparer.Ordinal)
                     .GroupBy(r => (r.Group, r.Version)))
        {
            var path = $"apis/{byGroupVersion.Key.Group}/{byGroupVersion.Key.Version}";
            var doc = _baseV3.TryGetValue(path, out var baseDoc) ? (JsonObject)baseDoc.DeepClone() : NewV3Document();
            v2 ??= (JsonObject)_baseV2.DeepClone();
            foreach (var resource in byGroupVersion)
            {
                CustomResourceOpenApi.AddToV3(doc, resource, _baseV3);
                CustomResourceOpenApi.AddToV2(v2, resource);
            }

            v3[path] = ToDocument(path, doc);
        }

        var v2Json = Serialize(v2 ?? _baseV2);
        var index = new JsonObject();
        foreach (var (path, document) in v3)
        {
            index[path] = new JsonObject { ["serverRelativeURL"] = document.ServerRelativeUrl };
        }

        var discoveryJson = Serialize(new JsonObject { ["paths"] = index });
        return new Snapshot(v2Json, ComputeHash(v2Json), discoveryJson, ComputeHash(discoveryJson), v3);
    }

    private static JsonObject NewV3Document() => new()
    {
        ["components"] = new JsonObject
        {
            ["schemas"] = new JsonObject(),
            ["securitySchemes"] = new JsonObject
            {
                ["BearerToken"] = new JsonObject
                {
                    ["description"] = "Bearer Token authentication",
                    ["in"] = "header",
                    ["name"] = "authorization",
                    ["type"] = "apiKey",
                },
            },
        },
        ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "unversioned" },
        ["openapi"] = "3.0.0",
        ["paths"] = new JsonObject(),
    };

    private sealed record Snapshot(
        byte[] V2Json,
        string V2Hash,
        byte[] DiscoveryJson,
        string DiscoveryHash,
        SortedDictionary<string, OpenApiV3Document> V3);

    /// <summary>Builds a custom resource's schemas and paths from the built-in Lease / CRD ones.</summary>
    private static class CustomResourceOpenApi
    {
        private const string NamespacedTemplateGroupVersion = "apis/coordination.k8s.io/v1";
        private const string NamespacedTemplateDefinition = "io.k8s.api.coordination.v1.Lease";
        private const string NamespacedTemplatePlural = "leases";
        private const string NamespacedTemplateKind = "Lease";
        private const string NamespacedTemplateOperationPart = "CoordinationV1";
        private const string ClusterTemplateGroupVersion = "apis/apiextensions.k8s.io/v1";
        private const string ClusterTemplateDefinition = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition";
        private const string ClusterTemplatePlural = "customresourcedefinitions";
        private const string ClusterTemplateKind = "CustomResourceDefinition";
        private const string ClusterTemplateOperationPart = "ApiextensionsV1";

        private const string ApiVersionDescription =
            "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";

        private const string KindDescription =
            "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

        private const string MetadataDescription =
            "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

        private const string ListMetadataDescription =
            "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

        public static void AddToV3(JsonObject doc, CustomResourceSchema resource, Dictionary<string, JsonObject> baseV3)
        {
            var definition = CustomResourceDefinitionName(resource.Group, resource.Version, resource.Kind);
            var template = resource.Namespaced
                ? (Doc: baseV3[NamespacedTemplateGroupVersion], Definition: NamespacedTemplateDefinition, Plural: NamespacedTemplatePlural,
                    Kind: NamespacedTemplateKind, Operation: NamespacedTemplateOperationPart, Prefix: "/" + NamespacedTemplateGroupVersion)
                : (Doc: baseV3[ClusterTemplateGroupVersion], Definition: ClusterTemplateDefinition, Plural: ClusterTemplatePlural,
                    Kind: ClusterTemplateKind, Operation: ClusterTemplateOperationPart, Prefix: "/" + ClusterTemplateGroupVersion);
            var prefix = $"/apis/{resource.Group}/{resource.Version}";
            var operationPart = OperationPart(resource.Group, resource.Version);
            var tag = TagName(resource.Group, resource.Version);
            var templateTag = template.Operation[..^2].ToLowerInvariant() + "_v1";

            var paths = (JsonObject)doc["paths"]!;
            var schemas = (JsonObject)doc["components"]!["schemas"]!;
            var templateSchemas = (JsonObject)template.Doc["components"]!["schemas"]!;
            foreach (var (templatePath, item) in (JsonObject)template.Doc["paths"]!)
            {
                var segments = templatePath[template.Prefix.Length..].Split('/');
                if (!segments.Contains(template.Plural) || segments[^1] == "status")
                {
                    continue;
                }

                var newPath = prefix + string.Join('/', segments.Select(s => s == template.Plural ? resource.Plural : s));
                var rewritten = Rewrite(item!.DeepClone(), template.Definition, definition, template.Kind, resource, template.Operation,
                    operationPart, templateTag, tag, template.Plural);
                paths[newPath] = rewritten;
            }

            schemas[definition] = KindSchema(resource, "#/components/schemas/", v3: true);
            schemas[definition + "List"] = ListSchema(resource, definition, "#/components/schemas/", v3: true);

            // Everything the new paths reference (meta/v1 types) comes from the template document.
            var pending = new Stack<string>(References(doc, "#/components/schemas/"));
            while (pending.Count > 0)
            {
                var name = pending.Pop();
                if (schemas.ContainsKey(name) || !templateSchemas.TryGetPropertyValue(name, out var schema) || schema is null)
                {
                    continue;
                }

                schemas[name] = schema.DeepClone();
                foreach (var reference in References(schema, "#/components/schemas/"))
                {
                    pending.Push(reference);
                }
            }
        }

        public static void AddToV2(JsonObject v2, CustomResourceSchema resource)
        {
            var definition = CustomResourceDefinitionName(resource.Group, resource.Version, resource.Kind);
            var definitions = (JsonObject)v2["definitions"]!;
            var kindSchema = KindSchema(resource, "#/definitions/", v3: false);
            ToV2(kindSchema);
            definitions[definition] = kindSchema;
            definitions[definition + "List"] = ListSchema(resource, definition, "#/definitions/", v3: false);
        }

        private static JsonObject KindSchema(CustomResourceSchema resource, string refPrefix, bool v3)
        {
            var schema = resource.OpenApiV3Schema?.DeepClone() as JsonObject ?? new JsonObject { ["type"] = "object" };
            if (schema["properties"] is not JsonObject properties)
            {
                properties = [];
                schema["properties"] = properties;
            }

            properties["apiVersion"] = new JsonObject { ["description"] = ApiVersionDescription, ["type"] = "string" };
            properties["kind"] = new JsonObject { ["description"] = KindDescription, ["type"] = "string" };
            properties["metadata"] = Reference(refPrefix + MetaPrefix + "ObjectMeta", MetadataDescription, v3);
            schema["type"] ??= "object";
            schema["x-kubernetes-group-version-kind"] = Gvk(resource.Group, resource.Version, resource.Kind);
            return Sorted(schema);
        }

        private static JsonObject ListSchema(CustomResourceSchema resource, string definition, string refPrefix, bool v3)
        {
            JsonNode item = v3
                ? new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = refPrefix + definition }), ["default"] = new JsonObject() }
                : new JsonObject { ["$ref"] = refPrefix + definition };
            return new JsonObject
            {
                ["description"] = $"{resource.Kind}List is a list of {resource.Kind}",
                ["properties"] = new JsonObject
                {
                    ["apiVersion"] = new JsonObject { ["description"] = ApiVersionDescription, ["type"] = "string" },
                    ["items"] = new JsonObject
                    {
                        ["description"] = $"List of {resource.Plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
                        ["items"] = item,
                        ["type"] = "array",
                    },
                    ["kind"] = new JsonObject { ["description"] = KindDescription, ["type"] = "string" },
                    ["metadata"] = Reference(refPrefix + MetaPrefix + "ListMeta", ListMetadataDescription, v3),
                },
                ["required"] = new JsonArray("items"),
                ["type"] = "object",
                ["x-kubernetes-group-version-kind"] = Gvk(resource.Group, resource.Version, resource.Kind + "List"),
            };
        }

        private static JsonObject Reference(string reference, string description, bool v3) => v3
            ? new JsonObject
            {
                ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = reference }),
                ["default"] = new JsonObject(),
                ["description"] = description,
            }
            : new JsonObject { ["$ref"] = reference, ["description"] = description };

        private static JsonArray Gvk(string group, string version, string kind) =>
            [new JsonObject { ["group"] = group, ["kind"] = kind, ["version"] = version }];

        private static JsonObject Sorted(JsonObject obj)
        {
            var result = new JsonObject();
            foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
            {
                obj.Remove(key);
                result[key] = value;
            }

            return result;
        }

        // OpenAPI v2 has no nullable, anyOf, oneOf or not: drop them, as upstream's v2 conversion does.
        private static void ToV2(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var key in new[] { "nullable", "anyOf", "oneOf", "not" })
                    {
                        obj.Remove(key);
                    }

                    foreach (var (_, value) in obj.ToList())
                    {
                        ToV2(value);
                    }

                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        ToV2(item);
                    }

                    break;
            }
        }

        private static IEnumerable<string> References(JsonNode node, string prefix)
        {
            var found = new HashSet<string>(StringComparer.Ordinal);
            Collect(node, prefix, found);
            return found;
        }

        private static void Collect(JsonNode? node, string prefix, HashSet<string> found)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        if (key == "$ref" && value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                            && v.GetValue<string>().StartsWith(prefix, StringComparison.Ordinal))
                        {
                            found.Add(v.GetValue<string>()[prefix.Length..]);
                        }
                        else
                        {
                            Collect(value, prefix, found);
                        }
                    }

                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        Collect(item, prefix, found);
                    }

                    break;
            }
        }

        // listStableExampleComV1NamespacedCronTab: the group's words capitalised, then the version.
        private static string OperationPart(string group, string version) => GroupWords(group) + Capitalise(version);

        // stableExampleCom_v1
        private static string TagName(string group, string version)
        {
            var words = GroupWords(group);
            return (words.Length == 0 ? "core" : char.ToLowerInvariant(words[0]) + words[1..]) + "_" + version;
        }

        private static string GroupWords(string group) =>
            string.Concat(Regex.Split(group, "[^A-Za-z0-9]+").Where(w => w.Length > 0).Select(Capitalise));

        private static string Capitalise(string word) =>
            word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..];

        private static JsonNode Rewrite(
            JsonNode node, string templateDefinition, string definition, string templateKind, CustomResourceSchema resource,
            string templateOperation, string operationPart, string templateTag, string tag, string templatePlural)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj.ToList())
                    {
                        if (value is null)
                        {
                            continue;
                        }

                        if (key == "x-kubernetes-group-version-kind" && value is JsonObject)
                        {
                            obj[key] = new JsonObject { ["group"] = resource.Group, ["kind"] = resource.Kind, ["version"] = resource.Version };
                        }
                        else
                        {
                            var rewritten = Rewrite(value, templateDefinition, definition, templateKind, resource, templateOperation,
                                operationPart, templateTag, tag, templatePlural);
                            if (!ReferenceEquals(rewritten, value))
                            {
                                obj[key] = rewritten;
                            }

                            if (key == "operationId" && obj[key] is JsonValue op)
                            {
                                obj[key] = op.GetValue<string>()
                                    .Replace(templateOperation, operationPart, StringComparison.Ordinal)
                                    .Replace(templateKind, resource.Kind, StringComparison.Ordinal);
                            }
                        }
                    }

                    return obj;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (array[i] is { } item)
                        {
                            var rewritten = Rewrite(item, templateDefinition, definition, templateKind, resource, templateOperation,
                                operationPart, templateTag, tag, templatePlural);
                            if (!ReferenceEquals(rewritten, item))
                            {
                                array[i] = rewritten;
                            }
                        }
                    }

                    return array;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    var text = value.GetValue<string>();
                    var replaced = text
                        .Replace("#/components/schemas/" + templateDefinition + "List", "#/components/schemas/" + definition + "List", StringComparison.Ordinal)
                        .Replace("#/components/schemas/" + templateDefinition, "#/components/schemas/" + definition, StringComparison.Ordinal);
                    if (replaced == templateTag)
                    {
                        replaced = tag;
                    }
                    else if (!replaced.StartsWith("#/", StringComparison.Ordinal))
                    {
                        replaced = Regex.Replace(replaced, $@"\b{templateKind}\b", resource.Kind);
                        replaced = Regex.Replace(replaced, $@"\b{templatePlural}\b", resource.Plural);
                    }

                    return replaced == text ? value : JsonValue.Create(replaced);
                default:
                    return node;
            }
        }
    }
}
