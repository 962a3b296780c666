using System.Text.Json.Nodes;
using Strata.ApiServer.Defaulting;
using Strata.ApiServer.Http;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Tests.Validation;

/// <summary>
/// Custom resources against a CRD schema: each case an object and the exact <c>field.Error.Error()</c> strings
/// apiextensions-apiserver returns for it (kube-openapi's messages, converted by kubeOpenAPIResultToFieldErrors).
/// Upstream ranges over Go maps for properties, so its order varies from run to run; ours is fixed: the properties in
/// schema order, then the required ones.
/// </summary>
public class CustomResourceValidationCases
{
    private const string Dns1123SubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string WidgetSchema = """
        {"type":"object","properties":{
          "spec":{"type":"object","required":["name"],"properties":{
            "replicas":{"type":"integer","format":"int32"},
            "size":{"type":"integer","maximum":10,"minimum":1},
            "ratio":{"type":"number","exclusiveMaximum":true,"maximum":1},
            "mode":{"type":"string","enum":["a","b"]},
            "level":{"type":"integer","enum":[1,2]},
            "name":{"type":"string","minLength":3,"maxLength":5,"pattern":"^[a-z]+$"},
            "when":{"type":"string","format":"date-time"},
            "day":{"type":"string","format":"date"},
            "host":{"type":"string","format":"hostname"},
            "addr":{"type":"string","format":"ipv4"},
            "link":{"type":"string","format":"uri"},
            "custom":{"type":"string","format":"no-such-format"},
            "step":{"type":"integer","multipleOf":5},
            "port":{"x-kubernetes-int-or-string":true},
            "tags":{"type":"array","maxItems":2,"minItems":1,"items":{"type":"string"},"x-kubernetes-list-type":"set"},
            "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
              "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"port":{"type":"integer"}}}},
            "pairs":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["a","b"],
              "items":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}},
            "labels":{"type":"object","additionalProperties":{"type":"string"},"maxProperties":2,"minProperties":1},
            "enabled":{"type":"boolean","nullable":true},
            "choice":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"oneOf":[{"required":["a"]},{"required":["b"]}]},
            "either":{"type":"string","anyOf":[{"pattern":"^x"},{"pattern":"y$"}]},
            "both":{"type":"string","allOf":[{"minLength":2},{"pattern":"^[0-9]+$"}]},
            "never":{"type":"string","not":{"enum":["forbidden"]}},
            "closed":{"type":"object","additionalProperties":false,"properties":{"known":{"type":"string"}}},
            "template":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}
          }}}}
        """;

    public sealed record Case(string Name, string Object, string[] Expected)
    {
        public override string ToString() => Name;
    }

    private static Case C(string name, string spec, params string[] expected) =>
        new(name, "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w\",\"namespace\":\"default\"},\"spec\":" + spec + "}", expected);

    private static Case Raw(string name, string obj, params string[] expected) => new(name, obj, expected);

    public static TheoryData<Case> Cases() =>
    [
        C("valid", """{"name":"abc","replicas":3,"size":5,"ratio":0.5,"mode":"a","level":2,"when":"2024-01-02T03:04:05Z","day":"2024-02-29","host":"example.com","addr":"10.0.0.1","link":"https://example.com/x","custom":"anything","step":10,"port":"http","tags":["a","b"],"ports":[{"name":"a","port":1},{"name":"b","port":1}],"labels":{"a":"1"},"enabled":null,"choice":{"a":"x"},"either":"xa","both":"12","never":"ok","closed":{"known":"k"},"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}}"""),
        C("type: integer given a string", """{"name":"abc","replicas":"three"}""",
            "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""),
        C("type: integer given a fraction", """{"name":"abc","size":2.5}""",
            "spec.size: Invalid value: \"number\": spec.size in body must be of type integer: \"number\"",
            "<nil>: Invalid value: \"\": Checked value must be of type integer (default format) in spec.size"),
        C("type: integer given an integral float", """{"name":"abc","size":2.0}"""),
        C("type: int32 given a float", """{"name":"abc","replicas":1.5}""",
            "spec.replicas: Invalid value: \"float64\": spec.replicas in body must be of type int32: \"float64\"",
            "<nil>: Invalid value: \"\": Checked value must be of type integer with format int32 in spec.replicas"),
        C("format int32 out of range", """{"name":"abc","replicas":3000000000}""",
            "<nil>: Invalid value: \"\": Checked value must be of type integer with format int32 in spec.replicas"),
        C("type: object given a string", """ "x" """,
            "spec: Invalid value: \"string\": spec in body must be of type object: \"string\""),
        C("type: boolean given a number", """{"name":"abc","enabled":1}""",
            "spec.enabled: Invalid value: \"integer\": spec.enabled in body must be of type boolean: \"integer\""),
        C("maximum", """{"name":"abc","size":11}""",
            "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"),
        C("minimum", """{"name":"abc","size":0}""",
            "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"),
        C("maximum with a float printed as Go does", """{"name":"abc","size":1e7}""",
            "spec.size: Invalid value: 1e+07: spec.size in body should be less than or equal to 10"),
        C("exclusiveMaximum, integer value", """{"name":"abc","ratio":1}""",
            "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1"),
        C("exclusiveMaximum, float value", """{"name":"abc","ratio":1.5}""",
            "spec.ratio: Invalid value: 1.5: spec.ratio in body should be less than 1"),
        C("multipleOf", """{"name":"abc","step":7}""",
            "spec.step: Invalid value: 7: spec.step in body should be a multiple of 5"),
        C("enum", """{"name":"abc","mode":"x"}""",
            "spec.mode: Unsupported value: \"x\": supported values: \"a\", \"b\""),
        C("integer enum", """{"name":"abc","level":3}""",
            "spec.level: Unsupported value: 3: supported values: \"1\", \"2\""),
        C("integer enum matched by an integral float", """{"name":"abc","level":2.0}"""),
        C("null in a non-nullable enum field", """{"name":"abc","mode":null}""",
            "spec.mode: Invalid value: \"null\": spec.mode in body must be of type string: \"null\"",
            "spec.mode: Unsupported value: null: supported values: \"a\", \"b\""),
        C("required", """{"size":5}""",
            "spec.name: Required value"),
        C("minLength", """{"name":"ab"}""",
            "spec.name: Invalid value: \"ab\": spec.name in body should be at least 3 chars long"),
        C("maxLength counts runes", """{"name":"ééééé"}""",
            "spec.name: Invalid value: \"ééééé\": spec.name in body should match '^[a-z]+$'"),
        C("maxLength", """{"name":"abcdef"}""",
            "spec.name: Too long: may not be more than 5 bytes"),
        C("pattern", """{"name":"AbC"}""",
            "spec.name: Invalid value: \"AbC\": spec.name in body should match '^[a-z]+$'"),
        C("pattern $ is the end of the text", """{"name":"abc\n"}""",
            "spec.name: Invalid value: \"abc\\n\": spec.name in body should match '^[a-z]+$'"),
        C("format date-time", """{"name":"abc","when":"yesterday"}""",
            "spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\""),
        C("format date", """{"name":"abc","day":"2023-02-29"}""",
            "spec.day: Invalid value: \"2023-02-29\": spec.day in body must be of type date: \"2023-02-29\""),
        C("format hostname", """{"name":"abc","host":"-bad-"}""",
            "spec.host: Invalid value: \"-bad-\": spec.host in body must be of type hostname: \"-bad-\""),
        C("format ipv4", """{"name":"abc","addr":"10.0.0.300"}""",
            "spec.addr: Invalid value: \"10.0.0.300\": spec.addr in body must be of type ipv4: \"10.0.0.300\""),
        C("format uri", """{"name":"abc","link":"not a uri"}""",
            "spec.link: Invalid value: \"not a uri\": spec.link in body must be of type uri: \"not a uri\""),
        C("int-or-string", """{"name":"abc","port":true}""",
            "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\""),
        C("int-or-string takes both", """{"name":"abc","port":8080}"""),
        C("minItems", """{"name":"abc","tags":[]}""",
            "spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items"),
        C("maxItems and list-type set", """{"name":"abc","tags":["a","b","a"]}""",
            "spec.tags: Too many: 3: must have at most 2 items",
            "spec.tags[2]: Duplicate value: \"a\""),
        C("array items", """{"name":"abc","tags":[1]}""",
            "spec.tags[0]: Invalid value: \"integer\": spec.tags[0] in body must be of type string: \"integer\""),
        C("list-type map, one key", """{"name":"abc","ports":[{"name":"a","port":1},{"name":"a","port":2},{"name":"a"}]}""",
            "spec.ports[1]: Duplicate value: {\"name\":\"a\"}"),
        C("list-type map, several keys", """{"name":"abc","pairs":[{"b":1,"a":"x"},{"a":"x","b":1},{"a":"x","b":2}]}""",
            "spec.pairs[1]: Duplicate value: {\"a\":\"x\",\"b\":1}"),
        C("list-type map, required key", """{"name":"abc","ports":[{"port":1}]}""",
            "spec.ports[0].name: Required value"),
        C("list-type map, not an object", """{"name":"abc","ports":["a"]}""",
            "spec.ports[0]: Invalid value: \"string\": spec.ports[0] in body must be of type object: \"string\"",
            "spec.ports[0]: Invalid value: \"a\": must be an object for an array of list-type map"),
        C("maxProperties and additionalProperties", """{"name":"abc","labels":{"a":"1","b":2,"c":"3"}}""",
            "spec.labels: Too many: 3: must have at most 2 items", // upstream reports maxProperties through field.TooMany, hence "items"
            "spec.labels.b: Invalid value: \"integer\": spec.labels.b in body must be of type string: \"integer\""),
        C("minProperties", """{"name":"abc","labels":{}}""",
            "spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties"),
        C("additionalProperties false", """{"name":"abc","closed":{"known":"k","other":1}}""",
            "spec.closed: Invalid value: \"other\": spec.closed.other in body is a forbidden property"),
        C("nullable", """{"name":"abc","enabled":null}"""),
        C("oneOf, none", """{"name":"abc","choice":{}}""",
            "<nil>: Invalid value: \"\": \"spec.choice\" must validate one and only one schema (oneOf). Found none valid",
            "spec.choice.a: Required value"),
        C("oneOf, two", """{"name":"abc","choice":{"a":"x","b":"y"}}""",
            "<nil>: Invalid value: \"\": \"spec.choice\" must validate one and only one schema (oneOf). Found 2 valid alternatives"),
        C("anyOf", """{"name":"abc","either":"zzz"}""",
            "<nil>: Invalid value: \"\": \"spec.either\" must validate at least one schema (anyOf)",
            "spec.either: Invalid value: \"zzz\": spec.either in body should match '^x'"),
        C("allOf", """{"name":"abc","both":"a"}""",
            "spec.both: Invalid value: \"a\": spec.both in body should be at least 2 chars long",
            "spec.both: Invalid value: \"a\": spec.both in body should match '^[0-9]+$'",
            "<nil>: Invalid value: \"\": \"spec.both\" must validate all the schemas (allOf). None validated"),
        C("not", """{"name":"abc","never":"forbidden"}""",
            "<nil>: Invalid value: \"\": \"spec.never\" must not validate the schema (not)"),
        C("embedded resource without apiVersion and kind", """{"name":"abc","template":{"metadata":{"name":"p"}}}""",
            "spec.template.apiVersion: Required value",
            "spec.template.kind: Required value"),
        C("embedded resource fields", """{"name":"abc","template":{"apiVersion":"a/b/c","kind":"9Pod","metadata":{"name":"a/b"}}}""",
            "spec.template.apiVersion: Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c",
            "spec.template.kind: Invalid value: \"9Pod\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            "spec.template.metadata.name: Invalid value: \"a/b\": may not contain '/'"),
        Raw("metadata.name must be a DNS subdomain", """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"Bad_Name","namespace":"default"},"spec":{"name":"abc"}}""",
            "metadata.name: Invalid value: \"Bad_Name\": " + Dns1123SubdomainMsg),
        Raw("metadata.name with dots", """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"a.b.c","namespace":"default"},"spec":{"name":"abc"}}"""),
        Raw("metadata.name missing", """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"namespace":"default"},"spec":{"name":"abc"}}""",
            "metadata.name: Required value: name or generateName is required"),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Create(Case c)
    {
        var schema = (JsonObject)JsonNode.Parse(WidgetSchema)!;
        var obj = (JsonObject)JsonNode.Parse(c.Object)!;
        var errors = CustomResourceValidator.Validate(obj, schema).Select(e => e.ToString()).ToArray();
        Assert.Equal(c.Expected, errors);
    }

    [Fact]
    public void TypeErrorsHaveTheTypeInvalidReason()
    {
        var schema = (JsonObject)JsonNode.Parse(WidgetSchema)!;
        var obj = (JsonObject)JsonNode.Parse("""{"metadata":{"name":"w"},"spec":{"name":"abc","replicas":"x","mode":"x"}}""")!;
        var errors = CustomResourceValidator.Validate(obj, schema);
        Assert.Equal(["FieldValueTypeInvalid", "FieldValueNotSupported"], errors.Select(e => e.Reason));
    }

    [Fact]
    public void UpdateRatchetsUnchangedInvalidValues()
    {
        var schema = (JsonObject)JsonNode.Parse(WidgetSchema)!;
        var old = (JsonObject)JsonNode.Parse("""{"metadata":{"name":"w","resourceVersion":"1"},"spec":{"name":"abc","mode":"x","ports":[{"name":"a","port":"bad"}]}}""")!;
        var unchanged = (JsonObject)JsonNode.Parse("""{"metadata":{"name":"w","resourceVersion":"1"},"spec":{"name":"abc","mode":"x","size":3,"ports":[{"name":"b","port":1},{"name":"a","port":"bad"}]}}""")!;
        Assert.Empty(CustomResourceValidator.ValidateSchemaUpdate(unchanged, old, schema));

        var changed = (JsonObject)JsonNode.Parse("""{"metadata":{"name":"w","resourceVersion":"1"},"spec":{"name":"abc","mode":"y","ports":[{"name":"a","port":"worse"}]}}""")!;
        Assert.Equal(
            [
                "spec.mode: Unsupported value: \"y\": supported values: \"a\", \"b\"",
                "spec.ports[0].port: Invalid value: \"string\": spec.ports[0].port in body must be of type integer: \"string\"",
            ],
            CustomResourceValidator.ValidateSchemaUpdate(changed, old, schema).Select(e => e.ToString()));
    }

    [Fact]
    public void TypeMeta()
    {
        var obj = (JsonObject)JsonNode.Parse("""{"apiVersion":"example.com/v2","kind":"Gadget"}""")!;
        Assert.Equal(
            ["kind: Invalid value: \"Gadget\": must be Widget", "apiVersion: Invalid value: \"example.com/v2\": must be example.com/v1"],
            CustomResourceValidator.ValidateTypeMeta(obj, "example.com", "v1", "Widget").Select(e => e.ToString()));
    }

    // Real Gateway API objects against the real v1.3.0 CRD schemas, defaulted first as the API server does.
    public static TheoryData<Case> GatewayApiCases() =>
    [
        Raw("httproutes", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: web, namespace: default}
            spec:
              parentRefs: [{name: gateway}]
              hostnames: ["web.example.com"]
              rules:
              - matches: [{path: {type: PathPrefix, value: /}}]
                backendRefs: [{name: web, port: 80}]
            """),
        Raw("httproutes", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: web, namespace: default}
            spec:
              parentRefs: [{name: gateway}]
              rules:
              - backendRefs: [{name: web, port: eighty}]
            """,
            "spec.rules[0].backendRefs[0].port: Invalid value: \"string\": spec.rules[0].backendRefs[0].port in body must be of type integer: \"string\""),
        Raw("httproutes", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: web, namespace: default}
            spec:
              hostnames: ["Web_Example"]
              rules:
              - matches: [{path: {type: Prefix, value: /}}]
                backendRefs: [{name: web, port: 70000}]
            """,
            "spec.hostnames[0]: Invalid value: \"Web_Example\": spec.hostnames[0] in body should match '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'",
            "spec.rules[0].backendRefs[0].port: Invalid value: 70000: spec.rules[0].backendRefs[0].port in body should be less than or equal to 65535",
            "spec.rules[0].matches[0].path.type: Unsupported value: \"Prefix\": supported values: \"Exact\", \"PathPrefix\", \"RegularExpression\""),
        Raw("gateways", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gateway, namespace: default}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: http, port: 80, protocol: HTTP}
            """),
        Raw("gateways", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gateway, namespace: default}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: http, port: 80, protocol: "HTTP/2!"}
              - {name: http, port: 81, protocol: HTTP}
            """,
            "spec.listeners[0].protocol: Invalid value: \"HTTP/2!\": spec.listeners[0].protocol in body should match '^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9]+$'",
            "spec.listeners[1]: Duplicate value: {\"name\":\"http\"}"),
        Raw("gateways", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gateway, namespace: default}
            spec:
              listeners: []
            """,
            "spec.listeners: Invalid value: 0: spec.listeners in body should have at least 1 items",
            "spec.gatewayClassName: Required value"),
    ];

    [Theory]
    [MemberData(nameof(GatewayApiCases))]
    public void GatewayApi(Case c)
    {
        var crd = (JsonObject)YamlJson.ToJson(File.ReadAllText(Path.Combine(Repository.Root, "manifests", "gateway-api", "v1.3.0", "gateway.networking.k8s.io_" + c.Name + ".yaml")))!;
        var obj = (JsonObject)YamlJson.ToJson(c.Object)!;
        var version = obj.Str("apiVersion").Split('/')[1];
        var schema = crd["spec"]!["versions"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == version)!["schema"]!["openAPIV3Schema"]!.AsObject();
        SchemaDefaults.Apply(obj, schema);
        var errors = CustomResourceValidator.Validate(obj, schema, namespaced: true).Select(e => e.ToString()).ToArray();
        Assert.Equal(c.Expected, errors);
    }
}

internal static class JsonTestExtensions
{
    public static string Str(this JsonObject o, string name) => o[name]?.GetValue<string>() ?? "";
}
