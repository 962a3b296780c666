using System.Globalization;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// Validation of custom resources against their CRD's openAPIV3Schema, as apiextensions-apiserver's
/// customResourceStrategy does (pkg/registry/customresource/strategy.go and validator.go):
/// <list type="number">
/// <item>ObjectMeta, with the name a DNS-1123 subdomain (ValidateObjectMetaAccessor with NameIsDNSSubdomain);</item>
/// <item>the schema, through kube-openapi's validator (pkg/apiserver/validation ValidateCustomResource), its errors
/// turned into field errors as <c>kubeOpenAPIResultToFieldErrors</c> does: paths such as <c>spec.replicas</c>,
/// <c>&lt;nil&gt;</c> for the root and for the composite (anyOf, oneOf, ...) messages;</item>
/// <item>embedded resources (<c>x-kubernetes-embedded-resource</c>: apiVersion, kind, metadata; schema/objectmeta);</item>
/// <item>the uniqueness of <c>x-kubernetes-list-type</c> set items and map keys (schema/listtype).</item>
/// </list>
/// Updates ratchet as CRDValidationRatcheting (GA, locked on) does: schema errors in a part that equals the old
/// object's are dropped, and list-type errors count only if the old object had none.
/// Out of scope: CEL rules (<c>x-kubernetes-validations</c>), the scale subresource's replica paths, and dropping
/// non-nullable nulls before validation (PruneNonNullableNullsWithoutDefaults, a defaulting step).
/// </summary>
public static class CustomResourceValidator
{
    private const string ReasonTypeInvalid = "FieldValueTypeInvalid";

    /// <summary>Create: metadata (namespaced when it has a namespace), then the schema checks.</summary>
    public static IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject openApiV3Schema) =>
        Validate(obj, openApiV3Schema, obj.Obj("metadata").Str("namespace").Length > 0);

    /// <summary>Create, with the CRD's scope deciding whether a namespace is required.</summary>
    public static IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject openApiV3Schema, bool namespaced)
    {
        var errs = new List<FieldError>(MetadataValidator.ValidateCreate(obj, namespaced, NameRules.NameIsDnsSubdomain, kubeFinalizerNames: false));
        errs.AddRange(ValidateSchema(obj, openApiV3Schema));
        return errs;
    }

    /// <summary>Update: metadata update rules, then the schema checks with ratcheting against <paramref name="old"/>.</summary>
    public static IReadOnlyList<FieldError> ValidateUpdate(JsonObject obj, JsonObject old, JsonObject openApiV3Schema)
    {
        var errs = new List<FieldError>(MetadataValidator.ValidateUpdate(obj, old, kubeFinalizerNames: false));
        errs.AddRange(ValidateSchemaUpdate(obj, old, openApiV3Schema));
        return errs;
    }

    /// <summary>Only the schema-driven checks (no ObjectMeta), for callers that validate metadata themselves.</summary>
    public static IReadOnlyList<FieldError> ValidateSchema(JsonObject obj, JsonObject openApiV3Schema)
    {
        var schema = OpenApiSchema.Parse(openApiV3Schema);
        var errs = ToFieldErrors(OpenApiValidator.Validate(schema, obj));
        errs.AddRange(EmbeddedResources("", obj, schema));
        errs.AddRange(ListSetsAndMaps("", schema, obj));
        return errs;
    }

    /// <summary>The schema-driven checks of an update, ratcheting against <paramref name="old"/>.</summary>
    public static IReadOnlyList<FieldError> ValidateSchemaUpdate(JsonObject obj, JsonObject old, JsonObject openApiV3Schema)
    {
        var schema = OpenApiSchema.Parse(openApiV3Schema);
        var errs = ToFieldErrors(OpenApiValidator.ValidateUpdate(schema, obj, old));
        errs.AddRange(EmbeddedResources("", obj, schema));
        if (ListSetsAndMaps("", schema, old).Count == 0)
        {
            errs.AddRange(ListSetsAndMaps("", schema, obj));
        }
        return errs;
    }

    /// <summary>customResourceValidator.ValidateTypeMeta: kind and apiVersion must be the served ones.</summary>
    public static IReadOnlyList<FieldError> ValidateTypeMeta(JsonObject obj, string group, string version, string kind)
    {
        var errs = new List<FieldError>();
        var actualKind = obj.Str("kind");
        if (actualKind != kind)
        {
            errs.Add(FieldErrors.Invalid(FieldPath.Root("kind"), actualKind, "must be " + kind));
        }
        var apiVersion = obj.Str("apiVersion");
        if (apiVersion != group + "/" + version)
        {
            errs.Add(FieldErrors.Invalid(FieldPath.Root("apiVersion"), apiVersion, "must be " + group + "/" + version));
        }
        return errs;
    }

    // kubeOpenAPIResultToFieldErrors with a nil field path.
    private static List<FieldError> ToFieldErrors(OpenApiResult result)
    {
        var errs = new List<FieldError>();
        foreach (var err in result.Errors)
        {
            if (err.Code == OpenApiErrorCode.Plain)
            {
                errs.Add(Invalid("<nil>", JsonValue.Create(""), err.Message));
                continue;
            }
            var field = err.Name.Length > 0 && err.Name != "." ? (err.Name.StartsWith('.') ? err.Name[1..] : err.Name) : "<nil>";
            var path = FieldPath.Root(field);
            var valueOrEmpty = err.Value ?? JsonValue.Create("");
            switch (err.Code)
            {
                case OpenApiErrorCode.Required:
                    errs.Add(FieldErrors.Required(path, ""));
                    break;
                case OpenApiErrorCode.Enum:
                    var values = (err.Values ?? []).Select(v => GoValues.KindOf(v) == GoKind.String ? GoValues.AsString(v!) : GoValues.Marshal(v));
                    var quoted = values.Select(GoFormat.Quote).ToList();
                    var body = "Unsupported value: " + GoValues.ErrorBodyValue(err.Value);
                    errs.Add(new FieldError(FieldErrors.ReasonNotSupported, field, quoted.Count > 0 ? body + ": supported values: " + string.Join(", ", quoted) : body));
                    break;
                case OpenApiErrorCode.TooLong:
                    errs.Add(FieldErrors.TooLong(path, (int)Math.Clamp(err.Valid, -1, int.MaxValue)));
                    break;
                case OpenApiErrorCode.MaxItems or OpenApiErrorCode.TooManyProperties:
                    var actual = err.Value is { } v && GoValues.KindOf(v) == GoKind.Int ? GoValues.AsInt(v) : -1;
                    errs.Add(FieldErrors.TooMany(path, (int)Math.Clamp(actual, -1, int.MaxValue), (int)Math.Clamp(err.Valid, -1, int.MaxValue)));
                    break;
                case OpenApiErrorCode.InvalidType:
                    errs.Add(new FieldError(ReasonTypeInvalid, field, "Invalid value: " + GoValues.ErrorBodyValue(valueOrEmpty) + ": " + err.Message));
                    break;
                default:
                    errs.Add(Invalid(field, valueOrEmpty, err.Message));
                    break;
            }
        }
        return errs;
    }

    private static FieldError Invalid(string field, JsonNode? value, string detail) =>
        new(FieldErrors.ReasonInvalid, field, "Invalid value: " + GoValues.ErrorBodyValue(value) + (detail.Length > 0 ? ": " + detail : ""));

    private static string Child(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string Key(string path, string key) => path + "[" + key + "]";

    private static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    // schema/objectmeta.Validate with isResourceRoot false: embedded resources below the root.
    private static List<FieldError> EmbeddedResources(string path, JsonNode? value, OpenApiSchema? schema)
    {
        var errs = new List<FieldError>();
        if (schema is null)
        {
            return errs;
        }
        switch (value)
        {
            case JsonObject obj:
                if (schema.EmbeddedResource)
                {
                    errs.AddRange(EmbeddedResource(path, obj));
                }
                foreach (var (key, child) in obj)
                {
                    if (schema.PropertyMap.TryGetValue(key, out var property))
                    {
                        errs.AddRange(EmbeddedResources(Child(path, key), child, property));
                    }
                    else if (schema.HasAdditionalProperties)
                    {
                        errs.AddRange(EmbeddedResources(Key(path, key), child, schema.AdditionalProperties));
                    }
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    errs.AddRange(EmbeddedResources(Index(path, i), array[i], schema.Items));
                }
                break;
        }
        return errs;
    }

    private static List<FieldError> EmbeddedResource(string path, JsonObject obj)
    {
        var errs = new List<FieldError>();
        if (!obj.ContainsKey("apiVersion"))
        {
            errs.Add(FieldErrors.Required(FieldPath.Root(Child(path, "apiVersion")), ""));
        }
        if (!obj.ContainsKey("kind"))
        {
            errs.Add(FieldErrors.Required(FieldPath.Root(Child(path, "kind")), ""));
        }
        foreach (var (key, value) in obj)
        {
            switch (key)
            {
                case "apiVersion":
                    var apiVersionPath = Child(path, "apiVersion");
                    if (GoValues.KindOf(value) != GoKind.String)
                    {
                        errs.Add(Invalid(apiVersionPath, value, "must be a string"));
                    }
                    else if (GoValues.AsString(value!) is var apiVersion && apiVersion.Length == 0)
                    {
                        errs.Add(Invalid(apiVersionPath, value, "must not be empty"));
                    }
                    else if (apiVersion != "/" && apiVersion.Count(c => c == '/') > 1)
                    {
                        errs.Add(Invalid(apiVersionPath, value, "unexpected GroupVersion string: " + apiVersion));
                    }
                    break;
                case "kind":
                    var kindPath = Child(path, "kind");
                    if (GoValues.KindOf(value) != GoKind.String)
                    {
                        errs.Add(Invalid(kindPath, value, "must be a string"));
                    }
                    else if (GoValues.AsString(value!) is var kind && kind.Length == 0)
                    {
                        errs.Add(Invalid(kindPath, value, "must not be empty"));
                    }
                    else if (NameRules.IsDns1035Label(kind.ToLowerInvariant()) is { Count: > 0 } kindErrs)
                    {
                        errs.Add(Invalid(kindPath, value, "may have mixed case, but should otherwise match: " + string.Join(",", kindErrs)));
                    }
                    break;
                case "metadata":
                    if (value is JsonObject metadata)
                    {
                        var copy = (JsonObject)metadata.DeepClone();
                        if (copy.Str("name").Length == 0)
                        {
                            copy["name"] = "fakename";
                        }
                        var wrapper = new JsonObject { ["metadata"] = copy };
                        var namespaced = copy.Str("namespace").Length > 0;
                        foreach (var e in MetadataValidator.ValidateCreate(wrapper, namespaced, PathSegmentName, kubeFinalizerNames: false))
                        {
                            errs.Add(e with { Field = Child(path, e.Field) });
                        }
                    }
                    else if (value is not null)
                    {
                        errs.Add(Invalid(Child(path, "metadata"), value, "expected map[string]interface{}, got " + GoValues.KindOf(value).ToString().ToLowerInvariant()));
                    }
                    break;
            }
        }
        return errs;
    }

    // content.IsPathSegmentName / IsPathSegmentPrefix, the name rule of embedded objects.
    private static List<string> PathSegmentName(string name, bool prefix)
    {
        if (prefix)
        {
            var errs = new List<string>();
            foreach (var illegal in new[] { "/", "%" })
            {
                if (name.Contains(illegal, StringComparison.Ordinal))
                {
                    errs.Add($"may not contain '{illegal}'");
                }
            }
            return errs;
        }
        return NameRules.IsPathSegmentName(name);
    }

    // schema/listtype.ValidateListSetsAndMaps.
    private static List<FieldError> ListSetsAndMaps(string path, OpenApiSchema? schema, JsonObject? obj)
    {
        var errs = new List<FieldError>();
        if (schema is null || obj is null)
        {
            return errs;
        }
        if (schema.AdditionalProperties is { } additional)
        {
            foreach (var (key, value) in obj)
            {
                errs.AddRange(ListSetsAndMapsValue(Key(path, key), additional, value));
            }
        }
        if (schema.Properties.Count > 0)
        {
            foreach (var (key, value) in obj)
            {
                if (schema.PropertyMap.TryGetValue(key, out var property))
                {
                    errs.AddRange(ListSetsAndMapsValue(Child(path, key), property, value));
                }
            }
        }
        return errs;
    }

    private static List<FieldError> ListSetsAndMapsValue(string path, OpenApiSchema schema, JsonNode? value) => value switch
    {
        JsonArray array => ListSetsAndMapsArray(path, schema, array),
        JsonObject obj => ListSetsAndMaps(path, schema, obj),
        _ => [],
    };

    private static List<FieldError> ListSetsAndMapsArray(string path, OpenApiSchema schema, JsonArray array)
    {
        var errs = new List<FieldError>();
        switch (schema.ListType)
        {
            case "set":
                foreach (var i in NonUnique(array.ToList()))
                {
                    errs.Add(Duplicate(Index(path, i), array[i]));
                }
                break;
            case "map":
                errs.AddRange(ListMap(path, schema, array));
                break;
        }
        if (schema.Items is { } items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                errs.AddRange(ListSetsAndMapsValue(Index(path, i), items, array[i]));
            }
        }
        return errs;
    }

    private static FieldError Duplicate(string field, JsonNode? value) =>
        new(FieldErrors.ReasonDuplicate, field, "Duplicate value: " + GoValues.ErrorBodyValue(value));

    // validateListSet: the second appearance of each repeated item (compared as Go compares interface values).
    private static List<int> NonUnique(List<JsonNode?> items)
    {
        var result = new List<int>();
        if (items.Count <= 1)
        {
            return result;
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var kind = GoValues.KindOf(items[i]);
            var identity = ((int)kind).ToString(CultureInfo.InvariantCulture) + ":" + GoValues.Marshal(items[i]);
            seen.TryGetValue(identity, out var times);
            seen[identity] = times + 1;
            if (times == 1)
            {
                result.Add(i);
            }
        }
        return result;
    }

    private static List<FieldError> ListMap(string path, OpenApiSchema schema, JsonArray array)
    {
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not null and not JsonObject)
            {
                return [Invalid(Index(path, i), array[i], "must be an object for an array of list-type map")];
            }
        }
        if (array.Count <= 1)
        {
            return [];
        }
        var errs = new List<FieldError>();
        if (schema.ListMapKeys.Count == 1)
        {
            var keyField = schema.ListMapKeys[0];
            var keys = new List<JsonNode?>();
            var unspecified = new List<bool>();
            foreach (var item in array)
            {
                JsonNode? key = null;
                var present = item is JsonObject o && o.TryGetPropertyValue(keyField, out key);
                unspecified.Add(!present);
                keys.Add(present ? key : null);
            }
            foreach (var i in NonUniqueWithUnspecified(keys, unspecified))
            {
                errs.Add(unspecified[i]
                    ? new FieldError(FieldErrors.ReasonDuplicate, Index(path, i), "Duplicate value: {}")
                    : Duplicate(Index(path, i), new JsonObject { [keyField] = keys[i]?.DeepClone() }));
            }
            return errs;
        }
        var maps = new List<JsonNode?>();
        foreach (var item in array)
        {
            var key = new JsonObject();
            if (item is JsonObject o)
            {
                foreach (var keyField in schema.ListMapKeys)
                {
                    if (o.TryGetPropertyValue(keyField, out var k))
                    {
                        key[keyField] = k?.DeepClone();
                    }
                }
            }
            maps.Add(key);
        }
        foreach (var i in NonUnique(maps))
        {
            errs.Add(Duplicate(Index(path, i), maps[i]));
        }
        return errs;
    }

    private static List<int> NonUniqueWithUnspecified(List<JsonNode?> keys, List<bool> unspecified)
    {
        var result = new List<int>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            var identity = unspecified[i]
                ? "unspecified"
                : ((int)GoValues.KindOf(keys[i])).ToString(CultureInfo.InvariantCulture) + ":" + GoValues.Marshal(keys[i]);
            seen.TryGetValue(identity, out var times);
            seen[identity] = times + 1;
            if (times == 1)
            {
                result.Add(i);
            }
        }
        return result;
    }
}
