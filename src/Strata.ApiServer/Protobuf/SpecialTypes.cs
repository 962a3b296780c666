namespace Strata.ApiServer.Protobuf;

/// <summary>Messages whose Go type has its own JSON form (a MarshalJSON method, or a named slice).</summary>
internal enum SpecialType
{
    None,
    /// <summary>meta/v1 Time: RFC 3339 to the second, <c>null</c> when zero.</summary>
    Time,
    /// <summary>meta/v1 MicroTime: RFC 3339 with six fractional digits, <c>null</c> when zero.</summary>
    MicroTime,
    /// <summary>meta/v1 Duration: Go's time.Duration.String().</summary>
    Duration,
    /// <summary>util/intstr IntOrString: a JSON number or string.</summary>
    IntOrString,
    /// <summary>api/resource Quantity: a string.</summary>
    Quantity,
    /// <summary>runtime.RawExtension, meta/v1 FieldsV1, apiextensions/v1 JSON: field 1 holds JSON text.</summary>
    RawJson,
    /// <summary>meta/v1 Verbs: a named []string, wrapped as <c>repeated string items = 1</c>.</summary>
    StringList,
    /// <summary>apiextensions/v1 JSONSchemaPropsOrBool: a schema or a boolean.</summary>
    SchemaOrBool,
    /// <summary>apiextensions/v1 JSONSchemaPropsOrArray: a schema or an array of schemas.</summary>
    SchemaOrArray,
    /// <summary>apiextensions/v1 JSONSchemaPropsOrStringArray: a schema or an array of strings.</summary>
    SchemaOrStringArray,
}

internal static class SpecialTypes
{
    private const string Meta = "k8s.io.apimachinery.pkg.apis.meta.v1.";
    private const string Extensions = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.";

    public static SpecialType Classify(string message) => message switch
    {
        Meta + "Time" => SpecialType.Time,
        Meta + "MicroTime" => SpecialType.MicroTime,
        Meta + "Duration" => SpecialType.Duration,
        Meta + "FieldsV1" => SpecialType.RawJson,
        Meta + "Verbs" => SpecialType.StringList,
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString" => SpecialType.IntOrString,
        "k8s.io.apimachinery.pkg.api.resource.Quantity" => SpecialType.Quantity,
        "k8s.io.apimachinery.pkg.api.resource.QuantityValue" => SpecialType.Quantity,
        "k8s.io.apimachinery.pkg.runtime.RawExtension" => SpecialType.RawJson,
        Extensions + "JSON" => SpecialType.RawJson,
        Extensions + "JSONSchemaPropsOrBool" => SpecialType.SchemaOrBool,
        Extensions + "JSONSchemaPropsOrArray" => SpecialType.SchemaOrArray,
        Extensions + "JSONSchemaPropsOrStringArray" => SpecialType.SchemaOrStringArray,
        _ => SpecialType.None,
    };
}
