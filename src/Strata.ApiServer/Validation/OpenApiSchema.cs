using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// A CRD's openAPIV3Schema as kube-openapi's <c>spec.Schema</c> sees it after apiextensions'
/// <c>ConvertJSONSchemaPropsWithPostProcess</c>: <c>x-kubernetes-int-or-string</c> becomes the types
/// <c>integer,string</c>, and formats the CRD API does not support are dropped (StripUnsupportedFormats).
/// Properties keep the schema's order, which is the order errors are reported in (Go ranges over a map there).
/// </summary>
internal sealed class OpenApiSchema
{
    private static readonly OpenApiSchema s_empty = new();

    public List<string> Types { get; private set; } = [];

    public bool Nullable { get; private set; }

    public string Format { get; private set; } = "";

    public JsonArray? Enum { get; private set; }

    public double? Maximum { get; private set; }

    public bool ExclusiveMaximum { get; private set; }

    public double? Minimum { get; private set; }

    public bool ExclusiveMinimum { get; private set; }

    public double? MultipleOf { get; private set; }

    public long? MaxLength { get; private set; }

    public long? MinLength { get; private set; }

    public string Pattern { get; private set; } = "";

    public long? MaxItems { get; private set; }

    public long? MinItems { get; private set; }

    public bool UniqueItems { get; private set; }

    public long? MaxProperties { get; private set; }

    public long? MinProperties { get; private set; }

    public List<string> Required { get; private set; } = [];

    public OpenApiSchema? Items { get; private set; }

    public List<KeyValuePair<string, OpenApiSchema>> Properties { get; private set; } = [];

    public Dictionary<string, OpenApiSchema> PropertyMap { get; private set; } = new(StringComparer.Ordinal);

    /// <summary><c>additionalProperties</c> present (as a boolean or a schema).</summary>
    public bool HasAdditionalProperties { get; private set; }

    /// <summary><c>additionalProperties: false</c> makes this false.</summary>
    public bool AdditionalPropertiesAllowed { get; private set; } = true;

    public OpenApiSchema? AdditionalProperties { get; private set; }

    public List<OpenApiSchema> AllOf { get; private set; } = [];

    public List<OpenApiSchema> AnyOf { get; private set; } = [];

    public List<OpenApiSchema> OneOf { get; private set; } = [];

    public OpenApiSchema? Not { get; private set; }

    public string? ListType { get; private set; }

    public List<string> ListMapKeys { get; private set; } = [];

    public bool EmbeddedResource { get; private set; }

    public static OpenApiSchema Parse(JsonObject? json) => json is null ? s_empty : ParseNode(json, 0);

    private static OpenApiSchema ParseNode(JsonObject json, int depth)
    {
        if (depth > 256)
        {
            return s_empty;
        }
        var s = new OpenApiSchema();
        var type = Str(json["type"]);
        if (type.Length > 0)
        {
            s.Types = [type];
        }
        if (Bool(json["x-kubernetes-int-or-string"]))
        {
            s.Types = ["integer", "string"];
        }
        s.Nullable = Bool(json["nullable"]);
        s.Format = OpenApiFormats.Keep(Str(json["format"]), type.Length > 0 && !Bool(json["x-kubernetes-int-or-string"]) ? type : "");
        s.Enum = json["enum"] as JsonArray;
        s.Maximum = Number(json["maximum"]);
        s.ExclusiveMaximum = Bool(json["exclusiveMaximum"]);
        s.Minimum = Number(json["minimum"]);
        s.ExclusiveMinimum = Bool(json["exclusiveMinimum"]);
        s.MultipleOf = Number(json["multipleOf"]);
        s.MaxLength = Integer(json["maxLength"]);
        s.MinLength = Integer(json["minLength"]);
        s.Pattern = Str(json["pattern"]);
        s.MaxItems = Integer(json["maxItems"]);
        s.MinItems = Integer(json["minItems"]);
        s.UniqueItems = Bool(json["uniqueItems"]);
        s.MaxProperties = Integer(json["maxProperties"]);
        s.MinProperties = Integer(json["minProperties"]);
        if (json["required"] is JsonArray required)
        {
            s.Required = required.Select(Str).Where(r => r.Length > 0).ToList();
        }
        if (json["items"] is JsonObject items)
        {
            s.Items = ParseNode(items, depth + 1);
        }
        if (json["properties"] is JsonObject properties)
        {
            foreach (var (name, property) in properties)
            {
                if (property is JsonObject propertySchema)
                {
                    var parsed = ParseNode(propertySchema, depth + 1);
                    s.Properties.Add(new(name, parsed));
                    s.PropertyMap[name] = parsed;
                }
            }
        }
        switch (json["additionalProperties"])
        {
            case JsonObject additional:
                s.HasAdditionalProperties = true;
                s.AdditionalProperties = ParseNode(additional, depth + 1);
                break;
            case JsonValue allows when allows.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                s.HasAdditionalProperties = true;
                s.AdditionalPropertiesAllowed = allows.GetValueKind() == JsonValueKind.True;
                break;
        }
        s.AllOf = List(json["allOf"], depth);
        s.AnyOf = List(json["anyOf"], depth);
        s.OneOf = List(json["oneOf"], depth);
        if (json["not"] is JsonObject not)
        {
            s.Not = ParseNode(not, depth + 1);
        }
        s.ListType = json["x-kubernetes-list-type"] is JsonValue lt && lt.GetValueKind() == JsonValueKind.String ? lt.GetValue<string>() : null;
        if (json["x-kubernetes-list-map-keys"] is JsonArray keys)
        {
            s.ListMapKeys = keys.Select(Str).ToList();
        }
        s.EmbeddedResource = Bool(json["x-kubernetes-embedded-resource"]);
        return s;
    }

    private static List<OpenApiSchema> List(JsonNode? node, int depth) =>
        node is JsonArray array ? array.OfType<JsonObject>().Select(o => ParseNode(o, depth + 1)).ToList() : [];

    private static string Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";

    private static bool Bool(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    private static long? Integer(JsonNode? node) => Number(node) is { } d ? (long)d : null;
}
