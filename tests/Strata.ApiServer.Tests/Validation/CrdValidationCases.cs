using System.Text.Json.Nodes;
using Strata.ApiServer.Http;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Tests.Validation;

/// <summary>
/// CustomResourceDefinition validation: each case edits a valid v1 CRD and lists the exact errors
/// apiextensions-apiserver reports (paths as on the internal type, so shared schemas are at spec.validation).
/// </summary>
public class CrdValidationCases
{
    private const string Dns1035LabelMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    private const string Schema = "spec.validation.openAPIV3Schema";

    private const string Widgets = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        spec:
          group: example.com
          names: {plural: widgets, kind: Widget, shortNames: [wd]}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            additionalPrinterColumns:
            - {name: Size, type: integer, jsonPath: .spec.size}
            subresources:
              status: {}
              scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      size: {type: integer, default: 1}
                      replicas: {type: integer}
                      port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                      ports:
                        type: array
                        x-kubernetes-list-type: map
                        x-kubernetes-list-map-keys: [name]
                        items:
                          type: object
                          required: [name]
                          properties: {name: {type: string}}
                  status:
                    type: object
                    properties:
                      replicas: {type: integer}
        """;

    public sealed record Case(string Name, Action<JsonObject> Edit, string[] Expected)
    {
        public override string ToString() => Name;
    }

    private static Case C(string name, Action<JsonObject> edit, params string[] expected) => new(name, edit, expected);

    private static JsonObject Spec(JsonObject crd) => crd["spec"]!.AsObject();

    private static JsonObject Version(JsonObject crd, int i = 0) => Spec(crd)["versions"]![i]!.AsObject();

    private static JsonObject Root(JsonObject crd) => Version(crd)["schema"]!["openAPIV3Schema"]!.AsObject();

    private static JsonObject SpecProps(JsonObject crd) => Root(crd)["properties"]!["spec"]!["properties"]!.AsObject();

    public static TheoryData<Case> Cases() =>
    [
        C("valid", _ => { }),
        C("name must be plural.group", c => c["metadata"]!["name"] = "widget.example.com",
            "metadata.name: Invalid value: \"widget.example.com\": must be spec.names.plural+\".\"+spec.group"),
        C("group needs a dot", c => { Spec(c)["group"] = "example"; c["metadata"]!["name"] = "widgets.example"; },
            "spec.group: Invalid value: \"example\": should be a domain with at least one dot"),
        C("group required", c => { Spec(c).Remove("group"); c["metadata"]!["name"] = "widgets."; },
            "metadata.name: Invalid value: \"widgets.\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            "spec.group: Required value"),
        C("scope", c => Spec(c)["scope"] = "Global",
            "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\""),
        C("scope required", c => Spec(c).Remove("scope"),
            "spec.scope: Required value"),
        C("schema required", c => Version(c).Remove("schema"),
            "spec.versions[0].schema.openAPIV3Schema: Required value"),
        C("version name", c => Version(c)["name"] = "V1",
            "spec.versions[0].name: Invalid value: \"V1\": " + Dns1035LabelMsg,
            "spec.version: Invalid value: \"V1\": " + Dns1035LabelMsg),
        C("names", c => { Spec(c)["names"]!["plural"] = "Widgets"; Spec(c)["names"]!["kind"] = "Widget Thing"; c["metadata"]!["name"] = "Widgets.example.com"; },
            "metadata.name: Invalid value: \"Widgets.example.com\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            "spec.names.plural: Invalid value: \"Widgets\": " + Dns1035LabelMsg,
            "spec.names.singular: Invalid value: \"widget thing\": " + Dns1035LabelMsg,
            "spec.names.kind: Invalid value: \"Widget Thing\": may have mixed case, but should otherwise match: " + Dns1035LabelMsg,
            "spec.names.listKind: Invalid value: \"Widget ThingList\": may have mixed case, but should otherwise match: " + Dns1035LabelMsg),
        C("kind required", c => Spec(c)["names"]!.AsObject().Remove("kind"),
            "spec.names.singular: Required value",
            "spec.names.kind: Required value",
            "spec.names.listKind: Required value"),
        C("kind and listKind the same", c => Spec(c)["names"]!["listKind"] = "Widget",
            "spec.names.listKind: Invalid value: \"Widget\": kind and listKind may not be the same"),
        C("short names", c => Spec(c)["names"]!["shortNames"] = new JsonArray("w_d"),
            "spec.names.shortNames[0]: Invalid value: \"w_d\": " + Dns1035LabelMsg),
        C("root must be an object", c => Root(c)["type"] = "string",
            Schema + ".type: Invalid value: \"string\": only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled",
            Schema + ".type: Invalid value: \"string\": must be object at the root"),
        C("root type required", c => Root(c).Remove("type"),
            Schema + ".type: Required value: must not be empty at the root"),
        C("field type required", c => SpecProps(c)["replicas"]!.AsObject().Remove("type"),
            Schema + ".properties[spec].properties[replicas].type: Required value: must not be empty for specified object fields"),
        C("type must be an OpenAPI v3 type", c => SpecProps(c)["replicas"]!["type"] = "int",
            Schema + ".properties[spec].properties[replicas].type: Unsupported value: \"int\": supported values: \"array\", \"boolean\", \"integer\", \"number\", \"object\", \"string\""),
        C("no additionalProperties at the root", c => { Version(c)["subresources"]!.AsObject().Remove("status"); Root(c)["additionalProperties"] = new JsonObject { ["type"] = "string" }; },
            Schema + ".additionalProperties: Forbidden: must not be used at the root",
            Schema + ".additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"),
        C("array items required", c => SpecProps(c)["ports"]!.AsObject().Remove("items"),
            Schema + ".properties[spec].properties[ports].items: Required value: must be specified",
            Schema + ".properties[spec].properties[ports].items: Required value: must have a schema if x-kubernetes-list-type is map"),
        C("list-type map needs keys", c => SpecProps(c)["ports"]!.AsObject().Remove("x-kubernetes-list-map-keys"),
            Schema + ".properties[spec].properties[ports].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map"),
        C("list-type map keys must be required or defaulted", c => SpecProps(c)["ports"]!["items"]!.AsObject().Remove("required"),
            Schema + ".properties[spec].properties[ports].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"),
        C("list-type", c => SpecProps(c)["ports"]!["x-kubernetes-list-type"] = "bag",
            Schema + ".properties[spec].properties[ports].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: \"atomic\", \"set\", \"map\"",
            Schema + ".properties[spec].properties[ports].x-kubernetes-list-type: Invalid value: \"bag\": must be map if x-kubernetes-list-map-keys is non-empty"),
        C("uniqueItems", c => SpecProps(c)["ports"]!["uniqueItems"] = true,
            Schema + ".properties[spec].properties[ports].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic"),
        C("value validations are not structural", c => SpecProps(c)["size"]!["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer", ["description"] = "x" }),
            Schema + ".properties[spec].properties[size].anyOf[0].description: Forbidden: must be empty to be structural",
            Schema + ".properties[spec].properties[size].anyOf[0].type: Forbidden: must be empty to be structural"),
        C("invalid pattern", c => SpecProps(c)["replicas"] = new JsonObject { ["type"] = "string", ["pattern"] = "[a-" },
            Schema + ".properties[spec].properties[replicas].pattern: Invalid value: \"[a-\": must be a valid regular expression, but isn't: error parsing regexp: missing closing ]: `[a-`"),
        C("preserveUnknownFields false is not allowed", c => SpecProps(c)["replicas"]!["x-kubernetes-preserve-unknown-fields"] = false,
            Schema + ".properties[spec].properties[replicas].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined"),
        C("defaults are forbidden in metadata", c => Root(c)["properties"]!["metadata"] = new JsonObject { ["type"] = "object", ["default"] = new JsonObject() },
            Schema + ".properties[metadata].default: Forbidden: must not be set in top-level metadata"),
        C("metadata may only restrict name", c => Root(c)["properties"]!["metadata"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["labels"] = new JsonObject { ["type"] = "object" } } },
            Schema + ".properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified"),
        C("printer columns", c => Version(c)["additionalPrinterColumns"] = new JsonArray(new JsonObject { ["name"] = "Size", ["type"] = "float", ["format"] = "big" }, new JsonObject { ["type"] = "integer", ["jsonPath"] = "spec.size" }),
            "spec.additionalPrinterColumns[0].type: Invalid value: \"float\": must be one of boolean,date,integer,number,string",
            "spec.additionalPrinterColumns[0].format: Invalid value: \"big\": must be one of byte,date,date-time,double,float,int32,int64,password",
            "spec.additionalPrinterColumns[0].JSONPath: Required value",
            "spec.additionalPrinterColumns[1].name: Required value",
            "spec.additionalPrinterColumns[1].JSONPath: Invalid value: \"spec.size\": must be a simple json path starting with ."),
        C("scale subresource", c => Version(c)["subresources"]!["scale"] = new JsonObject { ["specReplicasPath"] = ".status.replicas", ["statusReplicasPath"] = "status.replicas" },
            "spec.subresources.scale.specReplicasPath: Invalid value: \".status.replicas\": should be a json path under .spec",
            "spec.subresources.scale.statusReplicasPath: Invalid value: \"status.replicas\": must be a simple json path starting with ."),
        C("per-version schemas keep per-version paths", c =>
            {
                var v2 = Version(c).DeepClone().AsObject();
                v2["name"] = "v2";
                v2["storage"] = false;
                v2["schema"]!["openAPIV3Schema"]!.AsObject().Remove("type");
                Spec(c)["versions"]!.AsArray().Add(v2);
            },
            "spec.versions[1].schema.openAPIV3Schema.type: Required value: must not be empty at the root"),
        C("deprecation warning only on deprecated versions", c => Version(c)["deprecationWarning"] = "old",
            "spec.versions[0].deprecationWarning: Invalid value: \"old\": can only be set for deprecated versions"),
        C("webhook conversion", c => Spec(c)["conversion"] = new JsonObject { ["strategy"] = "Webhook", ["webhook"] = new JsonObject { ["conversionReviewVersions"] = new JsonArray("v2") } },
            "spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook",
            "spec.conversion.conversionReviewVersions: Invalid value: [\"v2\"]: must include at least one of v1, v1beta1"),
        C("protected group needs approval", c => { Spec(c)["group"] = "widgets.k8s.io"; c["metadata"]!["name"] = "widgets.widgets.k8s.io"; },
            "metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation \"api-approved.kubernetes.io\", see https://github.com/kubernetes/enhancements/pull/1111"),
        C("preserveUnknownFields", c => Spec(c)["preserveUnknownFields"] = true,
            "spec.preserveUnknownFields: Invalid value: true: must be false in order to use defaults in the schema",
            "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"),
    ];

    private static JsonObject Load() => (JsonObject)YamlJson.ToJson(Widgets)!;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Create(Case c)
    {
        var crd = Load();
        c.Edit(crd);
        Assert.Equal(c.Expected, CrdValidator.ValidateCreate(crd).Select(e => e.ToString()).ToArray());
    }

    [Fact]
    public void StatusSubresourceRestrictsTheRoot()
    {
        var crd = Load();
        Root(crd)["additionalProperties"] = new JsonObject { ["type"] = "string" };
        var errors = CrdValidator.ValidateCreate(crd).Select(e => e.ToString()).ToList();
        Assert.Equal(3, errors.Count);
        Assert.StartsWith(Schema + ": Invalid value: {", errors[0]);
        Assert.EndsWith("}: only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled", errors[0]);
        Assert.Equal(Schema + ".additionalProperties: Forbidden: must not be used at the root", errors[1]);
    }

    [Fact]
    public void ExactlyOneStorageVersion()
    {
        var crd = Load();
        var v2 = Version(crd).DeepClone().AsObject();
        v2["name"] = "v1";
        Spec(crd)["versions"]!.AsArray().Add(v2);
        var errors = CrdValidator.ValidateCreate(crd).Select(e => e.ToString()).ToList();
        Assert.Equal(2, errors.Count);
        Assert.StartsWith("spec.versions: Invalid value: [", errors[0]);
        Assert.EndsWith("]: must contain unique version names", errors[0]);
        Assert.EndsWith("]: must have exactly one version marked as storage version", errors[1]);
    }

    [Fact]
    public void UpdateKeepsGroupPluralAndOnceEstablishedScopeAndKind()
    {
        var old = Load();
        old["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Established", ["status"] = "True" }) };
        old["metadata"]!["resourceVersion"] = "1";
        var crd = Load();
        crd["metadata"]!["resourceVersion"] = "1";
        Spec(crd)["group"] = "other.example.com";
        Spec(crd)["scope"] = "Cluster";
        Spec(crd)["names"]!["plural"] = "gadgets";
        Spec(crd)["names"]!["kind"] = "Gadget";
        Assert.Equal(
            [
                "spec.scope: Invalid value: \"Cluster\": field is immutable",
                "spec.names.kind: Invalid value: \"Gadget\": field is immutable",
                "spec.group: Invalid value: \"other.example.com\": field is immutable",
                "spec.names.plural: Invalid value: \"gadgets\": field is immutable",
            ],
            CrdValidator.ValidateUpdate(crd, old).Select(e => e.ToString()));

        old.Remove("status");
        Assert.Equal(
            [
                "spec.group: Invalid value: \"other.example.com\": field is immutable",
                "spec.names.plural: Invalid value: \"gadgets\": field is immutable",
            ],
            CrdValidator.ValidateUpdate(crd, old).Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("gatewayclasses")]
    [InlineData("gateways")]
    [InlineData("grpcroutes")]
    [InlineData("httproutes")]
    [InlineData("referencegrants")]
    public void GatewayApiCrdsAreValid(string plural)
    {
        var crd = (JsonObject)YamlJson.ToJson(File.ReadAllText(Path.Combine(Repository.Root, "manifests", "gateway-api", "v1.3.0", "gateway.networking.k8s.io_" + plural + ".yaml")))!;
        Assert.Empty(CrdValidator.ValidateCreate(crd).Select(e => e.ToString()));
    }

    [Fact]
    public void ObjectValidatorDispatchesCrds()
    {
        var crd = Load();
        crd["metadata"]!["name"] = "wrong.example.com";
        Assert.Equal(
            ["metadata.name: Invalid value: \"wrong.example.com\": must be spec.names.plural+\".\"+spec.group"],
            ObjectValidator.ValidateCreate("apiextensions.k8s.io", "CustomResourceDefinition", crd).Select(e => e.ToString()));
    }
}
