using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Strata.Controllers.GatewayApi;

// The Gateway API v1 standard-channel objects (sigs.k8s.io/gateway-api apis/v1 and apis/v1beta1 for ReferenceGrant), as
// plain models for the informers and the lab's addons. Only the fields Strata reads or writes; the API server keeps the
// rest of each object, and a status update sends back the spec it was given.

/// <summary>The API group and versions, and the kinds' names as routes and references spell them.</summary>
public static class GatewayApiGroup
{
    public const string Name = "gateway.networking.k8s.io";
    public const string Version = "v1";
    public const string ReferenceGrantVersion = "v1beta1";
}

[KubernetesEntity(Group = GatewayApiGroup.Name, ApiVersion = GatewayApiGroup.Version, Kind = "GatewayClass", PluralName = "gatewayclasses")]
public sealed class V1GatewayClass : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{GatewayApiGroup.Name}/{GatewayApiGroup.Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "GatewayClass";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public GatewayClassSpec Spec { get; set; } = new();
    [JsonPropertyName("status")] public GatewayClassStatus? Status { get; set; }
}

public sealed class GatewayClassSpec
{
    [JsonPropertyName("controllerName")] public string ControllerName { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
}

public sealed class GatewayClassStatus
{
    [JsonPropertyName("conditions")] public IList<V1Condition>? Conditions { get; set; }
}

[KubernetesEntity(Group = GatewayApiGroup.Name, ApiVersion = GatewayApiGroup.Version, Kind = "Gateway", PluralName = "gateways")]
public sealed class V1Gateway : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{GatewayApiGroup.Name}/{GatewayApiGroup.Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Gateway";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public GatewaySpec Spec { get; set; } = new();
    [JsonPropertyName("status")] public GatewayStatus? Status { get; set; }
}

public sealed class GatewaySpec
{
    [JsonPropertyName("gatewayClassName")] public string GatewayClassName { get; set; } = "";
    [JsonPropertyName("listeners")] public IList<GatewayListener> Listeners { get; set; } = [];
}

public sealed class GatewayListener
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("hostname")] public string? Hostname { get; set; }
    [JsonPropertyName("port")] public int Port { get; set; }
    [JsonPropertyName("protocol")] public string Protocol { get; set; } = "";
    [JsonPropertyName("tls")] public GatewayTlsConfig? Tls { get; set; }
    [JsonPropertyName("allowedRoutes")] public AllowedRoutes? AllowedRoutes { get; set; }
}

public sealed class GatewayTlsConfig
{
    [JsonPropertyName("mode")] public string? Mode { get; set; }
    [JsonPropertyName("certificateRefs")] public IList<SecretObjectReference>? CertificateRefs { get; set; }
}

public sealed class SecretObjectReference
{
    [JsonPropertyName("group")] public string? Group { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
}

public sealed class AllowedRoutes
{
    [JsonPropertyName("namespaces")] public RouteNamespaces? Namespaces { get; set; }
    [JsonPropertyName("kinds")] public IList<RouteGroupKind>? Kinds { get; set; }
}

public sealed class RouteNamespaces
{
    [JsonPropertyName("from")] public string? From { get; set; }
    [JsonPropertyName("selector")] public V1LabelSelector? Selector { get; set; }
}

public sealed class RouteGroupKind
{
    [JsonPropertyName("group")] public string? Group { get; set; }
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
}

public sealed class GatewayStatus
{
    [JsonPropertyName("addresses")] public IList<GatewayStatusAddress>? Addresses { get; set; }
    [JsonPropertyName("conditions")] public IList<V1Condition>? Conditions { get; set; }
    [JsonPropertyName("listeners")] public IList<ListenerStatus>? Listeners { get; set; }
}

public sealed class GatewayStatusAddress
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("value")] public string Value { get; set; } = "";
}

public sealed class ListenerStatus
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("supportedKinds")] public IList<RouteGroupKind> SupportedKinds { get; set; } = [];
    [JsonPropertyName("attachedRoutes")] public int AttachedRoutes { get; set; }
    [JsonPropertyName("conditions")] public IList<V1Condition> Conditions { get; set; } = [];
}

[KubernetesEntity(Group = GatewayApiGroup.Name, ApiVersion = GatewayApiGroup.Version, Kind = "HTTPRoute", PluralName = "httproutes")]
public sealed class V1HttpRoute : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{GatewayApiGroup.Name}/{GatewayApiGroup.Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "HTTPRoute";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public HttpRouteSpec Spec { get; set; } = new();
    [JsonPropertyName("status")] public HttpRouteStatus? Status { get; set; }
}

public sealed class HttpRouteSpec
{
    [JsonPropertyName("parentRefs")] public IList<ParentReference>? ParentRefs { get; set; }
    [JsonPropertyName("hostnames")] public IList<string>? Hostnames { get; set; }
    [JsonPropertyName("rules")] public IList<HttpRouteRule>? Rules { get; set; }
}

public sealed class ParentReference
{
    [JsonPropertyName("group")] public string? Group { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("sectionName")] public string? SectionName { get; set; }
    [JsonPropertyName("port")] public int? Port { get; set; }
}

public sealed class HttpRouteRule
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("matches")] public IList<HttpRouteMatch>? Matches { get; set; }
    [JsonPropertyName("filters")] public IList<HttpRouteFilter>? Filters { get; set; }
    [JsonPropertyName("backendRefs")] public IList<HttpBackendRef>? BackendRefs { get; set; }
}

public sealed class HttpRouteMatch
{
    [JsonPropertyName("path")] public HttpPathMatch? Path { get; set; }
    [JsonPropertyName("headers")] public IList<HttpHeaderMatch>? Headers { get; set; }
    [JsonPropertyName("queryParams")] public IList<HttpQueryParamMatch>? QueryParams { get; set; }
    [JsonPropertyName("method")] public string? Method { get; set; }
}

public sealed class HttpPathMatch
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("value")] public string? Value { get; set; }
}

public sealed class HttpHeaderMatch
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("value")] public string Value { get; set; } = "";
}

public sealed class HttpQueryParamMatch
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("value")] public string Value { get; set; } = "";
}

public sealed class HttpRouteFilter
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("requestHeaderModifier")] public HttpHeaderFilter? RequestHeaderModifier { get; set; }
    [JsonPropertyName("responseHeaderModifier")] public HttpHeaderFilter? ResponseHeaderModifier { get; set; }
    [JsonPropertyName("requestRedirect")] public HttpRequestRedirectFilter? RequestRedirect { get; set; }
    [JsonPropertyName("urlRewrite")] public HttpUrlRewriteFilter? UrlRewrite { get; set; }
}

public sealed class HttpHeaderFilter
{
    [JsonPropertyName("set")] public IList<HttpHeader>? Set { get; set; }
    [JsonPropertyName("add")] public IList<HttpHeader>? Add { get; set; }
    [JsonPropertyName("remove")] public IList<string>? Remove { get; set; }
}

public sealed class HttpHeader
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("value")] public string Value { get; set; } = "";
}

public sealed class HttpRequestRedirectFilter
{
    [JsonPropertyName("scheme")] public string? Scheme { get; set; }
    [JsonPropertyName("hostname")] public string? Hostname { get; set; }
    [JsonPropertyName("path")] public HttpPathModifier? Path { get; set; }
    [JsonPropertyName("port")] public int? Port { get; set; }
    [JsonPropertyName("statusCode")] public int? StatusCode { get; set; }
}

public sealed class HttpUrlRewriteFilter
{
    [JsonPropertyName("hostname")] public string? Hostname { get; set; }
    [JsonPropertyName("path")] public HttpPathModifier? Path { get; set; }
}

public sealed class HttpPathModifier
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("replaceFullPath")] public string? ReplaceFullPath { get; set; }
    [JsonPropertyName("replacePrefixMatch")] public string? ReplacePrefixMatch { get; set; }
}

public sealed class HttpBackendRef
{
    [JsonPropertyName("group")] public string? Group { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
    [JsonPropertyName("port")] public int? Port { get; set; }
    [JsonPropertyName("weight")] public int? Weight { get; set; }
    [JsonPropertyName("filters")] public IList<HttpRouteFilter>? Filters { get; set; }
}

public sealed class HttpRouteStatus
{
    [JsonPropertyName("parents")] public IList<RouteParentStatus> Parents { get; set; } = [];
}

public sealed class RouteParentStatus
{
    [JsonPropertyName("parentRef")] public ParentReference ParentRef { get; set; } = new();
    [JsonPropertyName("controllerName")] public string ControllerName { get; set; } = "";
    [JsonPropertyName("conditions")] public IList<V1Condition> Conditions { get; set; } = [];
}

[KubernetesEntity(Group = GatewayApiGroup.Name, ApiVersion = GatewayApiGroup.ReferenceGrantVersion, Kind = "ReferenceGrant", PluralName = "referencegrants")]
public sealed class V1Beta1ReferenceGrant : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{GatewayApiGroup.Name}/{GatewayApiGroup.ReferenceGrantVersion}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "ReferenceGrant";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public ReferenceGrantSpec Spec { get; set; } = new();
}

public sealed class ReferenceGrantSpec
{
    [JsonPropertyName("from")] public IList<ReferenceGrantFrom> From { get; set; } = [];
    [JsonPropertyName("to")] public IList<ReferenceGrantTo> To { get; set; } = [];
}

public sealed class ReferenceGrantFrom
{
    [JsonPropertyName("group")] public string Group { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("namespace")] public string Namespace { get; set; } = "";
}

public sealed class ReferenceGrantTo
{
    [JsonPropertyName("group")] public string Group { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("name")] public string? Name { get; set; }
}

/// <summary>The kinds above by apiVersion/kind, for <c>KubernetesYaml</c>'s type map.</summary>
public static class GatewayApiTypes
{
    /// <summary>KubernetesClient's built-in kinds plus the Gateway API's (a type map replaces the default one, so both are needed).</summary>
    public static IDictionary<string, Type> WithBuiltIn => WithBuiltInMap.Value;

    public static IReadOnlyDictionary<string, Type> ByApiVersionKind { get; } = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [$"{GatewayApiGroup.Name}/{GatewayApiGroup.Version}/GatewayClass"] = typeof(V1GatewayClass),
        [$"{GatewayApiGroup.Name}/{GatewayApiGroup.Version}/Gateway"] = typeof(V1Gateway),
        [$"{GatewayApiGroup.Name}/{GatewayApiGroup.Version}/HTTPRoute"] = typeof(V1HttpRoute),
        [$"{GatewayApiGroup.Name}/{GatewayApiGroup.ReferenceGrantVersion}/ReferenceGrant"] = typeof(V1Beta1ReferenceGrant),
    };

    private static readonly Lazy<Dictionary<string, Type>> WithBuiltInMap = new(() =>
    {
        var map = typeof(V1Pod).Assembly.GetTypes()
            .Select(t => (Type: t, Entity: System.Reflection.CustomAttributeExtensions.GetCustomAttribute<KubernetesEntityAttribute>(t)))
            .Where(t => t.Entity is not null)
            .GroupBy(t => string.IsNullOrEmpty(t.Entity!.Group) ? $"{t.Entity!.ApiVersion}/{t.Entity!.Kind}" : $"{t.Entity!.Group}/{t.Entity!.ApiVersion}/{t.Entity!.Kind}")
            .ToDictionary(g => g.Key, g => g.First().Type, StringComparer.Ordinal);
        foreach (var (key, type) in ByApiVersionKind)
        {
            map[key] = type;
        }

        return map;
    });
}
