using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Patching;

/// <summary>The strategic-merge-patch metadata of one field.</summary>
/// <param name="MergeKey"><c>x-kubernetes-patch-merge-key</c>, or empty.</param>
/// <param name="Strategies"><c>x-kubernetes-patch-strategy</c> split on commas (e.g. <c>merge</c>, <c>retainKeys</c>).</param>
public sealed record PatchFieldMeta(string MergeKey, IReadOnlyList<string> Strategies)
{
    public static readonly PatchFieldMeta None = new(string.Empty, []);
}

/// <summary>
/// Strategic-merge-patch metadata read from an OpenAPI document: the per-field
/// <c>x-kubernetes-patch-merge-key</c> and <c>x-kubernetes-patch-strategy</c> (what upstream's Go
/// struct tags <c>patchMergeKey</c>/<c>patchStrategy</c> publish), with <c>$ref</c> resolved, and the
/// map from GroupVersionKind to definition name (<c>x-kubernetes-group-version-kind</c>).
/// <see cref="Kubernetes"/> is the Kubernetes v1.32 schema embedded in this assembly.
/// </summary>
public sealed class PatchSchema
{
    private const string SpecResource = "Strata.OpenApi/swagger.json.gz";

    private static readonly Lazy<PatchSchema> _kubernetes = new(LoadEmbedded);

    private readonly Dictionary<string, JsonObject> _definitions;
    private readonly Dictionary<(string Group, string Version, string Kind), string> _byGvk;

    private PatchSchema(Dictionary<string, JsonObject> definitions)
    {
        _definitions = definitions;
        _byGvk = [];
        foreach (var (name, definition) in definitions.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (definition["x-kubernetes-group-version-kind"] is not JsonArray gvks)
            {
                continue;
            }

            foreach (var gvk in gvks.OfType<JsonObject>())
            {
                var key = (Str(gvk["group"]), Str(gvk["version"]), Str(gvk["kind"]));
                _byGvk.TryAdd(key, name);
            }
        }
    }

    /// <summary>The built-in Kubernetes v1.32 types Strata serves (from the embedded OpenAPI v2 document).</summary>
    public static PatchSchema Kubernetes => _kubernetes.Value;

    /// <summary>A definition's schema, or null if the document has none by that name.</summary>
    public JsonObject? Definition(string name) => _definitions.GetValueOrDefault(name);

    /// <summary>Definition names, e.g. <c>io.k8s.api.core.v1.Pod</c>.</summary>
    public IEnumerable<string> DefinitionNames => _definitions.Keys;

    /// <summary>Reads an OpenAPI v2 document (<c>definitions</c>) or v3 document (<c>components.schemas</c>).</summary>
    public static PatchSchema FromOpenApi(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var schemas = document["definitions"] as JsonObject
            ?? (document["components"] as JsonObject)?["schemas"] as JsonObject
            ?? throw new ArgumentException("the document has neither definitions nor components.schemas", nameof(document));
        var definitions = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (name, schema) in schemas)
        {
            if (schema is JsonObject obj)
            {
                definitions[name] = obj;
            }
        }

        return new PatchSchema(definitions);
    }

    /// <summary>
    /// Whether strategic merge patch can be applied to objects of this definition. Upstream
    /// refuses it for custom resources (415) because there is no patch metadata for them.
    /// </summary>
    public bool IsKnown(string definitionName) => _definitions.ContainsKey(definitionName);

    /// <summary>The definition that carries <c>x-kubernetes-group-version-kind</c> for this GVK (core group is "").</summary>
    public bool TryGetDefinitionName(string group, string version, string kind, [NotNullWhen(true)] out string? definitionName) =>
        _byGvk.TryGetValue((group, version, kind), out definitionName);

    /// <summary>
    /// The patch metadata at a dotted field path below a definition, e.g.
    /// <c>("io.k8s.api.core.v1.Pod", "spec.containers")</c>; list items are stepped through
    /// transparently. Null if a step is not a known field.
    /// </summary>
    public PatchFieldMeta? LookupField(string definitionName, string fieldPath)
    {
        var cursor = Root(definitionName);
        PatchFieldMeta? meta = null;
        foreach (var step in fieldPath.Split('.'))
        {
            if (cursor.Node is null)
            {
                return null;
            }

            var (next, stepMeta, found) = cursor.Field(step, slice: true);
            if (!found)
            {
                return null;
            }

            cursor = next;
            meta = stepMeta;
        }

        return meta;
    }

    internal SchemaCursor Root(string definitionName) =>
        new(this, _definitions.TryGetValue(definitionName, out var definition) ? definition : null, definitionName);

    internal JsonObject? Resolve(JsonObject? schema)
    {
        for (var depth = 0; schema is not null && depth < 16; depth++)
        {
            if (schema["allOf"] is JsonArray { Count: > 0 } allOf && schema["properties"] is null)
            {
                schema = allOf[0] as JsonObject;
                continue;
            }

            if (schema["$ref"] is JsonValue refValue && refValue.GetValueKind() == JsonValueKind.String)
            {
                var reference = refValue.GetValue<string>();
                var name = reference.StartsWith("#/definitions/", StringComparison.Ordinal)
                    ? reference["#/definitions/".Length..]
                    : reference.StartsWith("#/components/schemas/", StringComparison.Ordinal)
                        ? reference["#/components/schemas/".Length..]
                        : reference;
                schema = _definitions.TryGetValue(name, out var target) ? target : null;
                continue;
            }

            return schema;
        }

        return schema;
    }

    private static string Str(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : string.Empty;

    private static PatchSchema LoadEmbedded()
    {
        using var stream = typeof(PatchSchema).Assembly.GetManifestResourceStream(SpecResource)
            ?? throw new InvalidOperationException($"embedded resource {SpecResource} is missing");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        var document = JsonNode.Parse(gzip) as JsonObject
            ?? throw new InvalidOperationException($"embedded resource {SpecResource} is not a JSON object");
        return FromOpenApi(document);
    }

    internal static PatchFieldMeta ReadMeta(JsonObject property)
    {
        var mergeKey = Str(property["x-kubernetes-patch-merge-key"]);
        var strategy = Str(property["x-kubernetes-patch-strategy"]);
        return mergeKey.Length == 0 && strategy.Length == 0
            ? PatchFieldMeta.None
            : new PatchFieldMeta(mergeKey, strategy.Length == 0 ? [] : strategy.Split(','));
    }
}

/// <summary>
/// A position in the schema while merging (upstream's LookupPatchMeta). A null node means the
/// schema says nothing there (unknown field, free-form object): lists are then replaced and maps
/// merged, as with no patch tags.
/// </summary>
internal readonly record struct SchemaCursor(PatchSchema Schema, JsonObject? Node, string Name)
{
    public (SchemaCursor Next, PatchFieldMeta Meta) LookupForStruct(string key)
    {
        var (next, meta, _) = Field(key, slice: false);
        return (next, meta);
    }

    public (SchemaCursor Next, PatchFieldMeta Meta) LookupForSlice(string key)
    {
        var (next, meta, _) = Field(key, slice: true);
        return (next, meta);
    }

    internal (SchemaCursor Next, PatchFieldMeta Meta, bool Found) Field(string key, bool slice)
    {
        if (Node is null)
        {
            return (this with { Node = null, Name = key }, PatchFieldMeta.None, false);
        }

        JsonObject? property = null;
        if (Node["properties"] is JsonObject properties)
        {
            property = properties[key] as JsonObject;
        }
        else if (Node["additionalProperties"] is JsonObject additional)
        {
            property = additional;
        }

        if (property is null)
        {
            return (this with { Node = null, Name = key }, PatchFieldMeta.None, false);
        }

        var meta = PatchSchema.ReadMeta(property);
        var target = Schema.Resolve(property);
        if (slice && target?["items"] is JsonObject items)
        {
            target = Schema.Resolve(items);
        }

        return (new SchemaCursor(Schema, target, key), meta, true);
    }
}
