using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// Validation of apiextensions.k8s.io/v1 CustomResourceDefinitions as apiextensions-apiserver does it
/// (pkg/apis/apiextensions/validation/validation.go, on the internal type): the object is first converted the way
/// v1 → internal conversion does, so that schemas, subresources and printer columns identical in every version are
/// validated once at <c>spec.validation</c>, <c>spec.subresources</c> and <c>spec.additionalPrinterColumns</c>, as
/// upstream reports them; <c>spec.version</c> is the first version's name. v1 defaults are applied first
/// (singular, listKind, conversion strategy None).
/// Covered: metadata (the name must be <c>&lt;plural&gt;.&lt;group&gt;</c>), group, scope, names and accepted
/// names, versions (names, uniqueness, exactly one storage version, deprecation warnings), schemas required, the
/// structural-schema rules (ValidateStructural), the OpenAPI rules (types, forbidden keywords, list and map types,
/// map keys), printer columns, subresources, conversion, the API-approval annotation of protected groups,
/// preserveUnknownFields; on update the immutable group, plural and, once Established, scope and kind.
/// Left out: CEL (<c>x-kubernetes-validations</c> is only checked for an empty rule and its reason), defaults
/// validation against the schema, selectable fields, webhook URL and service details, status.storedVersions.
/// </summary>
public static class CrdValidator
{
    private static readonly string[] s_printerColumnTypes = ["boolean", "date", "integer", "number", "string"];
    private static readonly string[] s_printerColumnFormats = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"];
    private static readonly string[] s_openApiV3Types = ["array", "boolean", "integer", "number", "object", "string"];
    private static readonly string[] s_metaFields = ["metadata", "kind", "apiVersion"];
    private static readonly string[] s_validationReasons = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"];

    // JSONSchemaProps' fields in struct order, with their JSON names, for the status-subresource root check.
    private static readonly (string Json, string Go)[] s_schemaFields =
    [
        ("id", "ID"), ("$schema", "Schema"), ("$ref", "Ref"), ("description", "Description"), ("type", "Type"),
        ("nullable", "Nullable"), ("format", "Format"), ("title", "Title"), ("default", "Default"), ("maximum", "Maximum"),
        ("exclusiveMaximum", "ExclusiveMaximum"), ("minimum", "Minimum"), ("exclusiveMinimum", "ExclusiveMinimum"),
        ("maxLength", "MaxLength"), ("minLength", "MinLength"), ("pattern", "Pattern"), ("maxItems", "MaxItems"),
        ("minItems", "MinItems"), ("uniqueItems", "UniqueItems"), ("multipleOf", "MultipleOf"), ("enum", "Enum"),
        ("maxProperties", "MaxProperties"), ("minProperties", "MinProperties"), ("required", "Required"),
        ("items", "Items"), ("allOf", "AllOf"), ("oneOf", "OneOf"), ("anyOf", "AnyOf"), ("not", "Not"),
        ("properties", "Properties"), ("additionalProperties", "AdditionalProperties"),
        ("patternProperties", "PatternProperties"), ("dependencies", "Dependencies"),
        ("additionalItems", "AdditionalItems"), ("definitions", "Definitions"), ("externalDocs", "ExternalDocs"),
        ("example", "Example"), ("x-kubernetes-preserve-unknown-fields", "XPreserveUnknownFields"),
        ("x-kubernetes-embedded-resource", "XEmbeddedResource"), ("x-kubernetes-int-or-string", "XIntOrString"),
        ("x-kubernetes-list-map-keys", "XListMapKeys"), ("x-kubernetes-list-type", "XListType"),
        ("x-kubernetes-map-type", "XMapType"), ("x-kubernetes-validations", "XValidations"),
    ];

    private static readonly string[] s_allowedAtRoot =
    [
        "Description", "Type", "Format", "Title", "Maximum", "ExclusiveMaximum", "Minimum", "ExclusiveMinimum", "MaxLength",
        "MinLength", "Pattern", "MaxItems", "MinItems", "UniqueItems", "MultipleOf", "Required", "Items", "Properties",
        "ExternalDocs", "Example", "XPreserveUnknownFields", "XValidations",
    ];

    private sealed record Options(bool RequireOpenApiSchema);

    public static IReadOnlyList<FieldError> ValidateCreate(JsonObject crd)
    {
        var obj = WithDefaults(crd);
        var spec = obj.Obj("spec") ?? [];
        var names = spec.Obj("names");
        var requiredName = names.Str("plural") + "." + spec.Str("group");
        List<string> NameCheck(string name, bool prefix)
        {
            var errs = NameRules.NameIsDnsSubdomain(name, prefix);
            if (name != requiredName)
            {
                errs.Add("must be spec.names.plural+\".\"+spec.group");
            }
            return errs;
        }

        var errs = new List<FieldError>(MetadataValidator.ValidateCreate(obj, false, NameCheck, kubeFinalizerNames: false));
        errs.AddRange(ValidateSpec(spec, new Options(RequireOpenApiSchema: true)));
        errs.AddRange(ValidateNames(obj.Obj("status").Obj("acceptedNames"), "status.acceptedNames"));
        errs.AddRange(ValidateApiApproval(obj, null));
        errs.AddRange(ValidatePreserveUnknownFields(obj, null));
        return errs;
    }

    public static IReadOnlyList<FieldError> ValidateUpdate(JsonObject crd, JsonObject oldCrd)
    {
        var obj = WithDefaults(crd);
        var old = WithDefaults(oldCrd);
        var spec = obj.Obj("spec") ?? [];
        var oldSpec = old.Obj("spec") ?? [];
        var errs = new List<FieldError>(MetadataValidator.ValidateUpdate(obj, old, kubeFinalizerNames: false));
        var oldHasAllSchemas = oldSpec.Arr("versions").Items().All(v => v.Item.Obj("schema").Obj("openAPIV3Schema") is not null);
        errs.AddRange(ValidateSpec(spec, new Options(RequireOpenApiSchema: oldHasAllSchemas)));
        var established = old.Obj("status").Arr("conditions").Items().Any(c => c.Item.Str("type") == "Established" && c.Item.Str("status") == "True");
        if (established)
        {
            errs.AddRange(Immutable(spec.Str("scope"), oldSpec.Str("scope"), "spec.scope"));
            errs.AddRange(Immutable(spec.Obj("names").Str("kind"), oldSpec.Obj("names").Str("kind"), "spec.names.kind"));
        }
        errs.AddRange(Immutable(spec.Str("group"), oldSpec.Str("group"), "spec.group"));
        errs.AddRange(Immutable(spec.Obj("names").Str("plural"), oldSpec.Obj("names").Str("plural"), "spec.names.plural"));
        errs.AddRange(ValidateNames(obj.Obj("status").Obj("acceptedNames"), "status.acceptedNames"));
        errs.AddRange(ValidateApiApproval(obj, old));
        errs.AddRange(ValidatePreserveUnknownFields(obj, old));
        return errs;
    }

    private static IEnumerable<FieldError> Immutable(string value, string old, string path) =>
        value == old ? [] : [FieldErrors.Invalid(P(path), value, "field is immutable")];

    // SetDefaults_CustomResourceDefinition(Spec) of apiextensions/v1, on a copy.
    private static JsonObject WithDefaults(JsonObject crd)
    {
        var obj = (JsonObject)crd.DeepClone();
        if (obj.Obj("spec") is not { } spec)
        {
            return obj;
        }
        if (spec.Obj("names") is { } names)
        {
            var kind = names.Str("kind");
            if (names.Str("singular").Length == 0)
            {
                names["singular"] = kind.ToLowerInvariant();
            }
            if (names.Str("listKind").Length == 0 && kind.Length > 0)
            {
                names["listKind"] = kind + "List";
            }
        }
        if (spec.Obj("conversion") is null)
        {
            spec["conversion"] = new JsonObject { ["strategy"] = "None" };
        }
        else if (spec.Obj("conversion")!.Str("strategy").Length == 0)
        {
            spec.Obj("conversion")!["strategy"] = "None";
        }
        return obj;
    }

    private static FieldPath P(string path) => FieldPath.Root(path);

    private static string Idx(string path, int i) => path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";

    private static string Key(string path, string key) => path + "[" + key + "]";

    private static FieldError InvalidJson(string path, JsonNode? value, string detail) =>
        new(FieldErrors.ReasonInvalid, path, "Invalid value: " + GoValues.ErrorBodyValue(value) + (detail.Length > 0 ? ": " + detail : ""));

    // validateCustomResourceDefinitionSpec, after v1 → internal conversion.
    private static List<FieldError> ValidateSpec(JsonObject spec, Options opts)
    {
        var errs = new List<FieldError>();
        var versions = spec.Arr("versions") ?? [];
        var versionList = versions.Items().Select(v => v.Item).ToList();

        // Lift what all versions share to the top level, as Convert_v1_CustomResourceDefinitionSpec_To_apiextensions does.
        JsonObject? topValidation = null;
        JsonObject? topSubresources = null;
        JsonArray? topColumns = null;
        var liftSchema = versionList.Count > 0 && versionList.All(v => GoValues.DeepEqual(v["schema"], versionList[0]["schema"]));
        var liftSubresources = versionList.Count > 0 && versionList.All(v => GoValues.DeepEqual(v["subresources"], versionList[0]["subresources"]));
        var liftColumns = versionList.Count > 0 && versionList.All(v => GoValues.DeepEqual(v["additionalPrinterColumns"], versionList[0]["additionalPrinterColumns"]));
        if (liftSchema)
        {
            topValidation = versionList[0].Obj("schema");
        }
        if (liftSubresources)
        {
            topSubresources = versionList[0].Obj("subresources");
        }
        if (liftColumns)
        {
            topColumns = versionList[0].Arr("additionalPrinterColumns");
        }
        JsonObject? VersionSchema(JsonObject v) => liftSchema ? null : v.Obj("schema");
        JsonObject? VersionSubresources(JsonObject v) => liftSubresources ? null : v.Obj("subresources");
        JsonArray? VersionColumns(JsonObject v) => liftColumns ? null : v.Arr("additionalPrinterColumns");

        var group = spec.Str("group");
        if (group.Length == 0)
        {
            errs.Add(FieldErrors.Required(P("spec.group"), ""));
        }
        else if (NameRules.IsDns1123Subdomain(group) is { Count: > 0 } groupErrs)
        {
            errs.Add(FieldErrors.Invalid(P("spec.group"), group, string.Join(",", groupErrs)));
        }
        else if (group.Split('.').Length < 2)
        {
            errs.Add(FieldErrors.Invalid(P("spec.group"), group, "should be a domain with at least one dot"));
        }

        var scope = spec.Str("scope");
        if (scope.Length == 0)
        {
            errs.Add(FieldErrors.Required(P("spec.scope"), ""));
        }
        else if (scope is not ("Cluster" or "Namespaced"))
        {
            errs.Add(FieldErrors.NotSupported(P("spec.scope"), scope, ["Cluster", "Namespaced"]));
        }

        var preserveUnknownFields = spec.BoolOrNull("preserveUnknownFields");
        if (opts.RequireOpenApiSchema)
        {
            if (topValidation.Obj("openAPIV3Schema") is null)
            {
                for (var i = 0; i < versionList.Count; i++)
                {
                    if (VersionSchema(versionList[i]).Obj("openAPIV3Schema") is null)
                    {
                        errs.Add(FieldErrors.Required(P(Idx("spec.versions", i) + ".schema.openAPIV3Schema"), ""));
                    }
                }
            }
        }
        else if (preserveUnknownFields != true && topValidation.Obj("openAPIV3Schema") is null)
        {
            for (var i = 0; i < versionList.Count; i++)
            {
                if (versionList[i].Bool("served") && VersionSchema(versionList[i]).Obj("openAPIV3Schema") is null)
                {
                    errs.Add(FieldErrors.Required(P(Idx("spec.versions", i) + ".schema.openAPIV3Schema"), "because otherwise all fields are pruned"));
                }
            }
        }
        var allSchemas = new List<JsonObject?> { topValidation.Obj("openAPIV3Schema") };
        allSchemas.AddRange(versionList.Select(v => VersionSchema(v).Obj("openAPIV3Schema")));
        if (preserveUnknownFields == true && allSchemas.Any(s => SchemaHas(s, n => n.ContainsKey("default"))))
        {
            errs.Add(FieldErrors.Invalid(P("spec.preserveUnknownFields"), true, "must be false in order to use defaults in the schema"));
        }

        var storageCount = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unique = true;
        var anyStatus = topSubresources.Obj("status") is not null || versionList.Any(v => VersionSubresources(v).Obj("status") is not null);
        for (var i = 0; i < versionList.Count; i++)
        {
            var version = versionList[i];
            var path = Idx("spec.versions", i);
            if (version.Bool("storage"))
            {
                storageCount++;
            }
            var name = version.Str("name");
            if (!seen.Add(name))
            {
                unique = false;
            }
            if (NameRules.IsDns1035Label(name) is { Count: > 0 } nameErrs)
            {
                errs.Add(FieldErrors.Invalid(P(path + ".name"), name, string.Join(",", nameErrs)));
            }
            var subresources = liftSubresources ? topSubresources : VersionSubresources(version);
            errs.AddRange(ValidateDeprecation(version, path));
            errs.AddRange(ValidateValidation(VersionSchema(version), subresources.Obj("status") is not null, path + ".schema"));
            errs.AddRange(ValidateSubresources(VersionSubresources(version), path + ".subresources"));
            foreach (var (j, column) in VersionColumns(version).Items())
            {
                errs.AddRange(ValidateColumn(column, Idx(path + ".additionalPrinterColumns", j)));
            }
        }
        if (!unique)
        {
            errs.Add(InvalidJson("spec.versions", versions, "must contain unique version names"));
        }
        if (storageCount != 1)
        {
            errs.Add(InvalidJson("spec.versions", versions, "must have exactly one version marked as storage version"));
        }
        if (versionList.Count > 0 && versionList[0].Str("name") is { Length: > 0 } firstVersion
            && NameRules.IsDns1035Label(firstVersion) is { Count: > 0 } versionErrs)
        {
            errs.Add(FieldErrors.Invalid(P("spec.version"), firstVersion, string.Join(",", versionErrs)));
        }

        var names = spec.Obj("names");
        foreach (var required in new[] { "plural", "singular", "kind", "listKind" })
        {
            if (names.Str(required).Length == 0)
            {
                errs.Add(FieldErrors.Required(P("spec.names." + required), ""));
            }
        }
        errs.AddRange(ValidateNames(names, "spec.names"));
        errs.AddRange(ValidateValidation(topValidation, anyStatus, "spec.validation"));
        errs.AddRange(ValidateSubresources(topSubresources, "spec.subresources"));
        foreach (var (j, column) in topColumns.Items())
        {
            errs.AddRange(ValidateColumn(column, Idx("spec.additionalPrinterColumns", j)));
        }

        var conversion = spec.Obj("conversion");
        var strategy = conversion.Str("strategy");
        if (strategy != "None" && preserveUnknownFields == true)
        {
            errs.Add(FieldErrors.Invalid(P("spec.conversion.strategy"), BadValue.Named(strategy), "must be None if spec.preserveUnknownFields is true"));
        }
        errs.AddRange(ValidateConversion(conversion));
        return errs;
    }

    private static List<FieldError> ValidateDeprecation(JsonObject version, string path)
    {
        var errs = new List<FieldError>();
        var warning = version.StrOrNull("deprecationWarning");
        if (warning is null)
        {
            return errs;
        }
        var messages = new List<string>();
        if (!version.Bool("deprecated"))
        {
            messages.Add("can only be set for deprecated versions");
        }
        else
        {
            if (Encoding.UTF8.GetByteCount(warning) > 256)
            {
                messages.Add("must be <= 256 characters long");
            }
            if (warning.Length == 0)
            {
                messages.Add("must not be an empty string");
            }
            var index = 0;
            foreach (var rune in warning.EnumerateRunes())
            {
                var category = Rune.GetUnicodeCategory(rune);
                if (category is UnicodeCategory.Control)
                {
                    messages.Add($"must only contain printable UTF-8 characters; non-printable character found at index {index}");
                    break;
                }
                index += rune.Utf8SequenceLength;
            }
        }
        errs.AddRange(messages.Select(m => FieldErrors.Invalid(P(path + ".deprecationWarning"), warning, m)));
        return errs;
    }

    private static List<FieldError> ValidateNames(JsonObject? names, string path)
    {
        var errs = new List<FieldError>();
        if (names is null)
        {
            return errs;
        }
        foreach (var field in new[] { "plural", "singular" })
        {
            var value = names.Str(field);
            if (value.Length > 0 && NameRules.IsDns1035Label(value) is { Count: > 0 } e)
            {
                errs.Add(FieldErrors.Invalid(P(path + "." + field), value, string.Join(",", e)));
            }
        }
        foreach (var field in new[] { "kind", "listKind" })
        {
            var value = names.Str(field);
            if (value.Length > 0 && NameRules.IsDns1035Label(value.ToLowerInvariant()) is { Count: > 0 } e)
            {
                errs.Add(FieldErrors.Invalid(P(path + "." + field), value, "may have mixed case, but should otherwise match: " + string.Join(",", e)));
            }
        }
        foreach (var (i, shortName) in names.Arr("shortNames").Strings().Select((s, i) => (i, s)))
        {
            if (NameRules.IsDns1035Label(shortName) is { Count: > 0 } e)
            {
                errs.Add(FieldErrors.Invalid(P(Idx(path + ".shortNames", i)), shortName, string.Join(",", e)));
            }
        }
        var kind = names.Str("kind");
        if (kind.Length > 0 && kind == names.Str("listKind"))
        {
            errs.Add(FieldErrors.Invalid(P(path + ".listKind"), kind, "kind and listKind may not be the same"));
        }
        foreach (var (i, category) in names.Arr("categories").Strings().Select((s, i) => (i, s)))
        {
            if (NameRules.IsDns1035Label(category) is { Count: > 0 } e)
            {
                errs.Add(FieldErrors.Invalid(P(Idx(path + ".categories", i)), category, string.Join(",", e)));
            }
        }
        return errs;
    }

    private static List<FieldError> ValidateColumn(JsonObject column, string path)
    {
        var errs = new List<FieldError>();
        if (column.Str("name").Length == 0)
        {
            errs.Add(FieldErrors.Required(P(path + ".name"), ""));
        }
        var type = column.Str("type");
        var types = string.Join(",", s_printerColumnTypes);
        if (type.Length == 0)
        {
            errs.Add(FieldErrors.Required(P(path + ".type"), "must be one of " + types));
        }
        else if (!s_printerColumnTypes.Contains(type))
        {
            errs.Add(FieldErrors.Invalid(P(path + ".type"), type, "must be one of " + types));
        }
        var format = column.Str("format");
        if (format.Length > 0 && !s_printerColumnFormats.Contains(format))
        {
            errs.Add(FieldErrors.Invalid(P(path + ".format"), format, "must be one of " + string.Join(",", s_printerColumnFormats)));
        }
        var jsonPath = column.Str("jsonPath");
        if (jsonPath.Length == 0)
        {
            errs.Add(FieldErrors.Required(P(path + ".JSONPath"), ""));
        }
        else
        {
            errs.AddRange(ValidateSimpleJsonPath(jsonPath, path + ".JSONPath"));
        }
        return errs;
    }

    private static List<FieldError> ValidateSimpleJsonPath(string s, string path)
    {
        if (s.Length == 0)
        {
            return [FieldErrors.Invalid(P(path), s, "must not be empty")];
        }
        if (s[0] != '.')
        {
            return [FieldErrors.Invalid(P(path), s, "must be a simple json path starting with .")];
        }
        return [];
    }

    private static List<FieldError> ValidateSubresources(JsonObject? subresources, string path)
    {
        var errs = new List<FieldError>();
        if (subresources?.Obj("scale") is not { } scale)
        {
            return errs;
        }
        void ScalePath(string field, string prefix, string detail)
        {
            var value = scale.Str(field);
            var fieldPath = path + ".scale." + field;
            if (value.Length == 0)
            {
                errs.Add(FieldErrors.Required(P(fieldPath), ""));
            }
            else if (ValidateSimpleJsonPath(value, fieldPath) is { Count: > 0 } e)
            {
                errs.AddRange(e);
            }
            else if (!value.StartsWith(prefix, StringComparison.Ordinal))
            {
                errs.Add(FieldErrors.Invalid(P(fieldPath), value, detail));
            }
        }
        ScalePath("specReplicasPath", ".spec.", "should be a json path under .spec");
        ScalePath("statusReplicasPath", ".status.", "should be a json path under .status");
        var selector = scale.Str("labelSelectorPath");
        if (selector.Length > 0)
        {
            var fieldPath = path + ".scale.labelSelectorPath";
            if (ValidateSimpleJsonPath(selector, fieldPath) is { Count: > 0 } e)
            {
                errs.AddRange(e);
            }
            else if (!selector.StartsWith(".spec.", StringComparison.Ordinal) && !selector.StartsWith(".status.", StringComparison.Ordinal))
            {
                errs.Add(FieldErrors.Invalid(P(fieldPath), selector, "should be a json path under either .spec or .status"));
            }
        }
        return errs;
    }

    private static List<FieldError> ValidateConversion(JsonObject? conversion)
    {
        var errs = new List<FieldError>();
        if (conversion is null)
        {
            return errs;
        }
        var strategy = conversion.Str("strategy");
        if (strategy.Length == 0)
        {
            errs.Add(FieldErrors.Required(P("spec.conversion.strategy"), ""));
        }
        else if (strategy is not ("None" or "Webhook"))
        {
            errs.Add(FieldErrors.NotSupported(P("spec.conversion.strategy"), strategy, ["None", "Webhook"]));
        }
        var webhook = conversion.Obj("webhook");
        if (strategy == "Webhook")
        {
            var clientConfig = webhook.Obj("clientConfig");
            if (clientConfig is null)
            {
                errs.Add(FieldErrors.Required(P("spec.conversion.webhookClientConfig"), "required when strategy is set to Webhook"));
            }
            else if (clientConfig.Has("url") == clientConfig.Has("service"))
            {
                errs.Add(FieldErrors.Required(P("spec.conversion.webhookClientConfig"), "exactly one of url or service is required"));
            }
            var reviewVersions = webhook.Arr("conversionReviewVersions");
            var path = "spec.conversion.conversionReviewVersions";
            if (reviewVersions is not { Count: > 0 })
            {
                errs.Add(FieldErrors.Required(P(path), ""));
            }
            else
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var accepted = false;
                foreach (var (i, v) in reviewVersions.Strings().Select((s, i) => (i, s)))
                {
                    if (!seen.Add(v))
                    {
                        errs.Add(FieldErrors.Invalid(P(Idx(path, i)), v, "duplicate version"));
                        continue;
                    }
                    errs.AddRange(NameRules.IsDns1035Label(v).Select(m => FieldErrors.Invalid(P(Idx(path, i)), v, m)));
                    accepted |= v is "v1" or "v1beta1";
                }
                if (!accepted)
                {
                    errs.Add(new FieldError(FieldErrors.ReasonInvalid, path,
                        "Invalid value: " + GoValues.Marshal(reviewVersions) + ": must include at least one of v1, v1beta1"));
                }
            }
        }
        else
        {
            if (webhook.Obj("clientConfig") is not null)
            {
                errs.Add(FieldErrors.Forbidden(P("spec.conversion.webhookClientConfig"), "should not be set when strategy is not set to Webhook"));
            }
            if (webhook.Arr("conversionReviewVersions") is { Count: > 0 })
            {
                errs.Add(FieldErrors.Forbidden(P("spec.conversion.conversionReviewVersions"), "should not be set when strategy is not set to Webhook"));
            }
        }
        return errs;
    }

    private static List<FieldError> ValidateApiApproval(JsonObject crd, JsonObject? old)
    {
        var group = crd.Obj("spec").Str("group");
        var isProtected = group == "k8s.io" || group.EndsWith(".k8s.io", StringComparison.Ordinal)
            || group == "kubernetes.io" || group.EndsWith(".kubernetes.io", StringComparison.Ordinal);
        if (!isProtected)
        {
            return [];
        }
        const string annotation = "api-approved.kubernetes.io";
        var (state, reason) = ApprovalState(crd.Obj("metadata").StringMap("annotations"));
        if (old is not null && ApprovalState(old.Obj("metadata").StringMap("annotations")).State == state)
        {
            return [];
        }
        var path = P(Key("metadata.annotations", annotation));
        var value = crd.Obj("metadata").Obj("annotations").Str(annotation);
        return state switch
        {
            "missing" => [FieldErrors.Required(path, reason)],
            "invalid" => [FieldErrors.Invalid(path, value, reason)],
            _ => [],
        };
    }

    private static (string State, string Reason) ApprovalState(List<KeyValuePair<string, string>> annotations)
    {
        const string key = "api-approved.kubernetes.io";
        var value = annotations.LastOrDefault(kv => kv.Key == key).Value ?? "";
        if (value.Length == 0)
        {
            return ("missing", $"protected groups must have approval annotation \"{key}\", see https://github.com/kubernetes/enhancements/pull/1111");
        }
        if (value.StartsWith("unapproved", StringComparison.Ordinal))
        {
            return ("bypassed", $"not approved: {GoFormat.Quote(value)}");
        }
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Host.Length > 0 && uri.Scheme.Length > 0)
        {
            return ("approved", "approved in " + value);
        }
        return ("invalid", $"protected groups must have approval annotation \"{key}\" with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111");
    }

    private static List<FieldError> ValidatePreserveUnknownFields(JsonObject crd, JsonObject? old)
    {
        if (old?.Obj("spec").BoolOrNull("preserveUnknownFields") == true)
        {
            return [];
        }
        return crd.Obj("spec").BoolOrNull("preserveUnknownFields") == true
            ? [FieldErrors.Invalid(P("spec.preserveUnknownFields"), true, "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead")]
            : [];
    }

    // validateCustomResourceDefinitionValidation: one CustomResourceValidation ({openAPIV3Schema: ...}).
    private static List<FieldError> ValidateValidation(JsonObject? validation, bool statusEnabled, string path)
    {
        var errs = new List<FieldError>();
        if (validation.Obj("openAPIV3Schema") is not { } schema)
        {
            return errs;
        }
        var schemaPath = path + ".openAPIV3Schema";
        if (statusEnabled)
        {
            foreach (var (json, go) in s_schemaFields)
            {
                if (!schema.TryGetPropertyValue(json, out var value) || IsZero(value))
                {
                    continue;
                }
                if (go == "Type")
                {
                    if (schema.Str("type") != "object")
                    {
                        errs.Add(FieldErrors.Invalid(P(schemaPath + ".type"), schema.Str("type"), "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled"));
                        break;
                    }
                    continue;
                }
                if (!s_allowedAtRoot.Contains(go))
                {
                    // Upstream prints the internal JSONSchemaProps struct (Go field names, zero values included); the
                    // schema's own JSON stands in for it.
                    errs.Add(InvalidJson(schemaPath, schema, "only [" + string.Join(" ", s_allowedAtRoot) + "] fields are allowed at the root of the schema if the status subresource is enabled"));
                    break;
                }
            }
        }
        if (schema.Bool("nullable"))
        {
            errs.Add(FieldErrors.Forbidden(P(schemaPath + ".nullable"), "nullable cannot be true at the root"));
        }
        errs.AddRange(StructuralErrors(schema, schemaPath));
        errs.AddRange(ValidateOpenApiSchema(schema, schemaPath, new SchemaContext(true, "", false), isRoot: true));
        return errs;
    }

    private static bool IsZero(JsonNode? value) => value switch
    {
        null => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length == 0,
        _ => false,
    };

    private sealed record SchemaContext(bool AllowDefaults, string DisallowDefaultsReason, bool InsideResourceMeta)
    {
        public SchemaContext WithForbiddenDefaults(string reason) => this with { AllowDefaults = false, DisallowDefaultsReason = reason };
    }

    // ValidateCustomResourceDefinitionOpenAPISchema with specStandardValidatorV3 (CEL compilation left out).
    private static List<FieldError> ValidateOpenApiSchema(JsonObject? schema, string path, SchemaContext ctx, bool isRoot)
    {
        var errs = new List<FieldError>();
        if (schema is null)
        {
            return errs;
        }
        var type = schema.Str("type");
        if (type.Length > 0 && !s_openApiV3Types.Contains(type))
        {
            errs.Add(FieldErrors.NotSupported(P(path + ".type"), type, s_openApiV3Types));
        }
        if (schema.ContainsKey("default") && !ctx.AllowDefaults)
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".default"), "must not be set" + (ctx.DisallowDefaultsReason.Length > 0 ? " " + ctx.DisallowDefaultsReason : "")));
        }
        if (schema.Str("id").Length > 0)
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".id"), "id is not supported"));
        }
        if (schema["additionalItems"] is not null)
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".additionalItems"), "additionalItems is not supported"));
        }
        if (schema.Obj("patternProperties") is { Count: > 0 })
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".patternProperties"), "patternProperties is not supported"));
        }
        if (schema.Obj("definitions") is { Count: > 0 })
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".definitions"), "definitions is not supported"));
        }
        if (schema["dependencies"] is not null)
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".dependencies"), "dependencies is not supported"));
        }
        if (schema["$ref"] is not null)
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".$ref"), "$ref is not supported"));
        }
        if (type == "null")
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".type"), "type cannot be set to null, use nullable as an alternative"));
        }
        if (schema["items"] is JsonArray { Count: > 0 })
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".items"), "items must be a schema object and not an array"));
        }
        if (ctx.InsideResourceMeta && schema.Bool("x-kubernetes-embedded-resource"))
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".x-kubernetes-embedded-resource"), "must not be used inside of resource meta"));
        }
        if (schema.Bool("uniqueItems"))
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
        }

        var properties = schema.Obj("properties");
        if (schema["additionalProperties"] is { } additional)
        {
            var allows = additional is not JsonValue v || v.GetValueKind() != JsonValueKind.False;
            if (properties is { Count: > 0 } && (!allows || additional is JsonObject))
            {
                errs.Add(FieldErrors.Forbidden(P(path + ".additionalProperties"), "additionalProperties and properties are mutual exclusive"));
            }
            var sub = ctx.InsideResourceMeta ? ctx.WithForbiddenDefaults("inside additionalProperties applying to object metadata") : ctx;
            errs.AddRange(ValidateOpenApiSchema(additional as JsonObject, path + ".additionalProperties", sub, false));
        }
        if (properties is not null)
        {
            foreach (var (name, property) in properties)
            {
                var sub = ctx;
                if ((isRoot || schema.Bool("x-kubernetes-embedded-resource")) && s_metaFields.Contains(name))
                {
                    sub = sub with { InsideResourceMeta = true };
                    if (isRoot)
                    {
                        sub = sub.WithForbiddenDefaults("in top-level " + name);
                    }
                }
                errs.AddRange(ValidateOpenApiSchema(property as JsonObject, Key(path + ".properties", name), sub, false));
            }
        }
        errs.AddRange(ValidateOpenApiSchema(schema.Obj("not"), path + ".not", ctx, false));
        foreach (var junctor in new[] { "allOf", "oneOf", "anyOf" })
        {
            foreach (var (i, part) in schema.Arr(junctor).Items())
            {
                errs.AddRange(ValidateOpenApiSchema(part, Idx(path + "." + junctor, i), ctx, false));
            }
        }
        if (schema.Obj("definitions") is { } definitions)
        {
            foreach (var (name, definition) in definitions)
            {
                errs.AddRange(ValidateOpenApiSchema(definition as JsonObject, Key(path + ".definitions", name), ctx, false));
            }
        }
        var items = schema.Obj("items");
        if (items is not null)
        {
            errs.AddRange(ValidateOpenApiSchema(items, path + ".items", ctx, false));
        }

        if (schema.BoolOrNull("x-kubernetes-preserve-unknown-fields") == false)
        {
            errs.Add(FieldErrors.Invalid(P(path + ".x-kubernetes-preserve-unknown-fields"), false, "must be true or undefined"));
        }
        var mapType = schema.StrOrNull("x-kubernetes-map-type");
        if (mapType is not null && type != "object")
        {
            errs.Add(type.Length == 0
                ? FieldErrors.Required(P(path + ".type"), "must be object if x-kubernetes-map-type is specified")
                : FieldErrors.Invalid(P(path + ".type"), type, "must be object if x-kubernetes-map-type is specified"));
        }
        if (mapType is not null and not ("atomic" or "granular"))
        {
            errs.Add(FieldErrors.NotSupported(P(path + ".x-kubernetes-map-type"), mapType, ["atomic", "granular"]));
        }
        var listType = schema.StrOrNull("x-kubernetes-list-type");
        if (listType is not null && type != "array")
        {
            errs.Add(type.Length == 0
                ? FieldErrors.Required(P(path + ".type"), "must be array if x-kubernetes-list-type is specified")
                : FieldErrors.Invalid(P(path + ".type"), type, "must be array if x-kubernetes-list-type is specified"));
        }
        else if (listType == "set" && items is not null)
        {
            switch (items.Str("type"))
            {
                case "array":
                    if (items.StrOrNull("x-kubernetes-list-type") is { } inner && inner != "atomic")
                    {
                        errs.Add(FieldErrors.Invalid(P(path + ".items.x-kubernetes-list-type"), BadValue.Named(inner), "must be atomic as item of a list with x-kubernetes-list-type=set"));
                    }
                    break;
                case "object":
                    if (items.StrOrNull("x-kubernetes-map-type") != "atomic")
                    {
                        // Upstream reports the items' list type here (a nil pointer), so the value prints as null.
                        errs.Add(InvalidJson(path + ".items.x-kubernetes-map-type", items["x-kubernetes-list-type"]?.DeepClone(), "must be atomic as item of a list with x-kubernetes-list-type=set"));
                    }
                    break;
            }
        }
        if (listType is not null and not ("atomic" or "set" or "map"))
        {
            errs.Add(FieldErrors.NotSupported(P(path + ".x-kubernetes-list-type"), listType, ["atomic", "set", "map"]));
        }
        var mapKeys = schema.Arr("x-kubernetes-list-map-keys").Strings();
        if (mapKeys.Count > 0)
        {
            if (listType is null)
            {
                errs.Add(FieldErrors.Required(P(path + ".x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys is non-empty"));
            }
            else if (listType != "map")
            {
                errs.Add(FieldErrors.Invalid(P(path + ".x-kubernetes-list-type"), listType, "must be map if x-kubernetes-list-map-keys is non-empty"));
            }
        }
        if (listType == "map")
        {
            if (mapKeys.Count == 0)
            {
                errs.Add(FieldErrors.Required(P(path + ".x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"));
            }
            if (schema["items"] is null)
            {
                errs.Add(FieldErrors.Required(P(path + ".items"), "must have a schema if x-kubernetes-list-type is map"));
            }
            if (items is not null && items.Str("type") != "object")
            {
                errs.Add(FieldErrors.Invalid(P(path + ".items.type"), items.Str("type"), "must be object if parent array's x-kubernetes-list-type is map"));
            }
            if (items is not null && items.Str("type") == "object")
            {
                var keys = new HashSet<string>(StringComparer.Ordinal);
                foreach (var k in mapKeys)
                {
                    if (items.Obj("properties").Obj(k) is { } keySchema)
                    {
                        if (keySchema.Str("type") is "array" or "object")
                        {
                            errs.Add(FieldErrors.Invalid(P(Key(path + ".items.properties", k) + ".type"), items.Str("type"), "must be a scalar type if parent array's x-kubernetes-list-type is map"));
                        }
                    }
                    else
                    {
                        errs.Add(InvalidJson(path + ".x-kubernetes-list-map-keys", schema["x-kubernetes-list-map-keys"], "entries must all be names of item properties"));
                    }
                    if (!keys.Add(k))
                    {
                        errs.Add(InvalidJson(path + ".x-kubernetes-list-map-keys", schema["x-kubernetes-list-map-keys"], "must not contain duplicate entries"));
                    }
                }
            }
        }
        // validateMapListKeysMapSet
        if (items is not null && listType is "set" or "map")
        {
            if (items.Bool("nullable"))
            {
                errs.Add(FieldErrors.Forbidden(P(path + ".items.nullable"), "cannot be nullable when x-kubernetes-list-type is " + listType));
            }
            if (listType == "map")
            {
                var required = items.Arr("required").Strings();
                foreach (var k in mapKeys)
                {
                    if (items.Obj("properties").Obj(k) is not { } keySchema)
                    {
                        continue;
                    }
                    if (!required.Contains(k) && !keySchema.ContainsKey("default"))
                    {
                        errs.Add(FieldErrors.Required(P(Key(path + ".items.properties", k) + ".default"), "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"));
                    }
                    if (keySchema.Bool("nullable"))
                    {
                        errs.Add(FieldErrors.Forbidden(P(Key(path + ".items.properties", k) + ".nullable"), "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"));
                    }
                }
            }
        }
        foreach (var (i, rule) in schema.Arr("x-kubernetes-validations").Items())
        {
            var rulePath = Idx(path + ".x-kubernetes-validations", i);
            var text = rule.Str("rule").Trim();
            var message = rule.Str("message");
            if (text.Length == 0)
            {
                errs.Add(FieldErrors.Required(P(rulePath + ".rule"), "rule is not specified"));
            }
            else if (message.Length > 0 && message.Trim().Length == 0)
            {
                errs.Add(FieldErrors.Invalid(P(rulePath + ".message"), message, "must be non-empty if specified"));
            }
            else if (message.Trim().IndexOfAny(['\n', '\r']) >= 0)
            {
                errs.Add(FieldErrors.Invalid(P(rulePath + ".message"), message, "must not contain line breaks"));
            }
            else if (text.IndexOfAny(['\n', '\r']) >= 0 && message.Trim().Length == 0)
            {
                errs.Add(FieldErrors.Required(P(rulePath + ".message"), "message must be specified if rule contains line breaks"));
            }
            if (rule.StrOrNull("reason") is { } ruleReason && !s_validationReasons.Contains(ruleReason))
            {
                errs.Add(FieldErrors.NotSupported(P(rulePath + ".reason"), BadValue.Named(ruleReason), s_validationReasons));
            }
        }
        return errs;
    }

    private static bool SchemaHas(JsonObject? schema, Func<JsonObject, bool> predicate)
    {
        if (schema is null)
        {
            return false;
        }
        if (predicate(schema))
        {
            return true;
        }
        foreach (var (_, child) in schema)
        {
            switch (child)
            {
                case JsonObject o when SchemaHas(o, predicate) || o.Any(kv => kv.Value is JsonObject inner && SchemaHas(inner, predicate)):
                    return true;
                case JsonArray a when a.OfType<JsonObject>().Any(o => SchemaHas(o, predicate)):
                    return true;
            }
        }
        return false;
    }

    private enum Level
    {
        Root,
        Item,
        Field,
    }

    // structuralschema.ValidateStructural: invariants and completeness, sorted by message as upstream sorts them.
    private static List<FieldError> StructuralErrors(JsonObject schema, string path)
    {
        var errs = new List<FieldError>();
        StructuralInvariants(schema, Level.Root, path, errs);
        Completeness(schema, schema, path, path, errs);
        return errs.OrderBy(e => e.ToString(), StringComparer.Ordinal).ToList();
    }

    private static void StructuralInvariants(JsonObject? s, Level level, string path, List<FieldError> errs)
    {
        if (s is null)
        {
            return;
        }
        var type = s.Str("type");
        var items = s.Obj("items");
        if (type == "array" && items is null)
        {
            errs.Add(FieldErrors.Required(P(path + ".items"), "must be specified"));
        }
        StructuralInvariants(items, Level.Item, path + ".items", errs);
        if (s.Obj("properties") is { } properties)
        {
            foreach (var (name, property) in properties)
            {
                StructuralInvariants(property as JsonObject, Level.Field, Key(path + ".properties", name), errs);
            }
        }
        if (s["additionalProperties"] is { } additional)
        {
            if (level == Level.Root)
            {
                errs.Add(FieldErrors.Forbidden(P(path + ".additionalProperties"), "must not be used at the root"));
            }
            StructuralInvariants(additional as JsonObject, Level.Field, path + ".additionalProperties", errs);
        }
        var intOrString = s.Bool("x-kubernetes-int-or-string");
        var preserve = s.Bool("x-kubernetes-preserve-unknown-fields");
        var embedded = s.Bool("x-kubernetes-embedded-resource");
        if (intOrString && preserve)
        {
            errs.Add(FieldErrors.Invalid(P(path + ".x-kubernetes-preserve-unknown-fields"), true, "must be false if x-kubernetes-int-or-string is true"));
        }
        if (intOrString && embedded)
        {
            errs.Add(FieldErrors.Invalid(P(path + ".x-kubernetes-embedded-resource"), true, "must be false if x-kubernetes-int-or-string is true"));
        }
        ValueValidation(s, IsIntOrStringAnyOf(s.Arr("anyOf")), IsIntOrStringAllOf(s), path, errs);

        if (embedded && type != "object")
        {
            errs.Add(type.Length == 0
                ? FieldErrors.Required(P(path + ".type"), "must be object if x-kubernetes-embedded-resource is true")
                : FieldErrors.Invalid(P(path + ".type"), type, "must be object if x-kubernetes-embedded-resource is true"));
        }
        else if (type.Length == 0 && !intOrString && !preserve)
        {
            errs.Add(FieldErrors.Required(P(path + ".type"), level switch
            {
                Level.Root => "must not be empty at the root",
                Level.Item => "must not be empty for specified array items",
                _ => "must not be empty for specified object fields",
            }));
        }
        if (embedded && s["additionalProperties"] is not null)
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"));
        }
        if (level == Level.Root && type.Length > 0 && type != "object")
        {
            errs.Add(FieldErrors.Invalid(P(path + ".type"), type, "must be object at the root"));
        }
        var checkMetadata = level == Level.Root || embedded;
        var props = s.Obj("properties");
        foreach (var metaField in new[] { "kind", "apiVersion" })
        {
            if (checkMetadata && props.Obj(metaField) is { } field && field.Str("type") != "string")
            {
                errs.Add(FieldErrors.Invalid(P(Key(path + ".properties", metaField) + ".type"), field.Str("type"), "must be string"));
            }
        }
        if (props.Obj("metadata") is { } metadata)
        {
            var metadataPath = Key(path + ".properties", "metadata");
            if (checkMetadata && metadata.Str("type") != "object")
            {
                errs.Add(FieldErrors.Invalid(P(metadataPath + ".type"), metadata.Str("type"), "must be object"));
            }
            if (level == Level.Root)
            {
                var restricted = metadata.Where(kv => kv.Key is not ("type" or "default" or "properties")).Any(kv => !IsZero(kv.Value));
                if (metadata.Obj("properties") is { } metaProps && metaProps.Any(kv => kv.Key is not ("name" or "generateName")))
                {
                    restricted = true;
                }
                if (restricted)
                {
                    errs.Add(FieldErrors.Forbidden(P(metadataPath), "must not specify anything other than name and generateName, but metadata is implicitly specified"));
                }
            }
        }
        if (embedded && !preserve && props is not { Count: > 0 })
        {
            errs.Add(FieldErrors.Required(P(path + ".properties"), "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
        }
    }

    private static bool IsIntOrStringAnyOf(JsonArray? anyOf) =>
        anyOf is { Count: 2 } && anyOf[0] is JsonObject a && anyOf[1] is JsonObject b
        && a.Count == 1 && a.Str("type") == "integer" && b.Count == 1 && b.Str("type") == "string";

    private static bool IsIntOrStringAllOf(JsonObject s) =>
        s.Arr("allOf") is { Count: >= 1 } allOf && allOf[0] is JsonObject first && IsIntOrStringAnyOf(first.Arr("anyOf"));

    private static void ValueValidation(JsonObject s, bool skipAnyOf, bool skipFirstAllOfAnyOf, string path, List<FieldError> errs)
    {
        if (!skipAnyOf)
        {
            foreach (var (i, part) in s.Arr("anyOf").Items())
            {
                NestedValueValidation(part, false, Idx(path + ".anyOf", i), errs);
            }
        }
        foreach (var (i, part) in s.Arr("allOf").Items())
        {
            NestedValueValidation(part, skipFirstAllOfAnyOf && i == 0, Idx(path + ".allOf", i), errs);
        }
        foreach (var (i, part) in s.Arr("oneOf").Items())
        {
            NestedValueValidation(part, false, Idx(path + ".oneOf", i), errs);
        }
        if (s.Obj("not") is { } not)
        {
            NestedValueValidation(not, false, path + ".not", errs);
        }
        var pattern = s.Str("pattern");
        if (pattern.Length > 0 && !GoRegex.TryCompile(pattern, out _, out var error))
        {
            errs.Add(FieldErrors.Invalid(P(path + ".pattern"), pattern, "must be a valid regular expression, but isn't: " + error));
        }
    }

    private static void NestedValueValidation(JsonObject? v, bool skipAnyOf, string path, List<FieldError> errs)
    {
        if (v is null)
        {
            return;
        }
        ValueValidation(v, skipAnyOf, false, path, errs);
        NestedValueValidation(v.Obj("items"), false, path + ".items", errs);
        if (v.Obj("properties") is { } properties)
        {
            foreach (var (name, property) in properties)
            {
                NestedValueValidation(property as JsonObject, false, Key(path + ".properties", name), errs);
            }
        }
        if (v.Str("type").Length > 0)
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".type"), "must be empty to be structural"));
        }
        if (v["additionalProperties"] is not null)
        {
            errs.Add(FieldErrors.Forbidden(P(path + ".additionalProperties"), "must be undefined to be structural"));
        }
        (string Key, string Detail, Func<JsonNode?, bool> Set)[] forbidden =
        [
            ("default", "must be undefined to be structural", n => n is not null),
            ("title", "must be empty to be structural", n => !IsZero(n)),
            ("description", "must be empty to be structural", n => !IsZero(n)),
            ("nullable", "must be false to be structural", n => !IsZero(n)),
            ("x-kubernetes-preserve-unknown-fields", "must be false to be structural", n => !IsZero(n)),
            ("x-kubernetes-embedded-resource", "must be false to be structural", n => !IsZero(n)),
            ("x-kubernetes-int-or-string", "must be false to be structural", n => !IsZero(n)),
            ("x-kubernetes-list-map-keys", "must be empty to be structural", n => n is JsonArray { Count: > 0 }),
            ("x-kubernetes-list-type", "must be undefined to be structural", n => n is not null),
            ("x-kubernetes-map-type", "must be undefined to be structural", n => n is not null),
            ("x-kubernetes-validations", "must be empty to be structural", n => n is JsonArray { Count: > 0 }),
        ];
        foreach (var (key, detail, set) in forbidden)
        {
            if (set(v[key]))
            {
                errs.Add(FieldErrors.Forbidden(P(path + "." + key), detail));
            }
        }
        if (v.Obj("properties").Has("metadata"))
        {
            errs.Add(FieldErrors.Forbidden(P(Key(path + ".properties", "metadata")), "must not be specified in a nested context"));
        }
    }

    // validateStructuralCompleteness: properties and items named in value validations must exist structurally.
    private static void Completeness(JsonObject? v, JsonObject? s, string sPath, string vPath, List<FieldError> errs)
    {
        if (v is null)
        {
            return;
        }
        NestedCompleteness(v.Obj("not"), s, sPath, vPath + ".not", errs);
        foreach (var junctor in new[] { "allOf", "anyOf", "oneOf" })
        {
            foreach (var (i, part) in v.Arr(junctor).Items())
            {
                NestedCompleteness(part, s, sPath, Idx(vPath + "." + junctor, i), errs);
            }
        }
    }

    private static void NestedCompleteness(JsonObject? v, JsonObject? s, string sPath, string vPath, List<FieldError> errs)
    {
        if (v is null)
        {
            return;
        }
        if (s is null)
        {
            errs.Add(FieldErrors.Required(P(sPath), "because it is defined in " + vPath));
            return;
        }
        Completeness(v, s, sPath, vPath, errs);
        if (v.Obj("items") is { } items)
        {
            NestedCompleteness(items, s.Obj("items"), sPath + ".items", vPath + ".items", errs);
        }
        if (v.Obj("properties") is { } properties)
        {
            foreach (var (name, property) in properties)
            {
                if (s.Obj("properties").Obj(name) is { } structural)
                {
                    NestedCompleteness(property as JsonObject, structural, Key(sPath + ".properties", name), Key(vPath + ".properties", name), errs);
                }
                else
                {
                    errs.Add(FieldErrors.Required(P(Key(sPath + ".properties", name)), "because it is defined in " + Key(vPath + ".properties", name)));
                }
            }
        }
    }
}
