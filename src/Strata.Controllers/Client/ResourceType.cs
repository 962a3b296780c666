using System.Collections.Concurrent;
using System.Reflection;
using k8s.Models;

namespace Strata.Controllers.Client;

/// <summary>Where a k8s.Models type lives in the API: group, version, plural and scope.</summary>
public sealed record ResourceType(string Group, string Version, string Kind, string Plural, bool Namespaced)
{
    // Kinds the controllers touch that are cluster-scoped; every other kind is namespaced.
    private static readonly HashSet<string> ClusterScoped =
    [
        "Namespace", "Node", "PersistentVolume", "CustomResourceDefinition", "IngressClass", "ClusterRole",
        "ClusterRoleBinding", "StorageClass", "PriorityClass", "APIService", "GatewayClass",
    ];

    private static readonly ConcurrentDictionary<Type, ResourceType> Cache = new();

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The URL path of the collection: <c>/api/v1/namespaces/ns/pods</c> or <c>/apis/apps/v1/deployments</c>.</summary>
    public string CollectionPath(string? ns)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        return Namespaced && ns is not null ? $"{root}/namespaces/{Uri.EscapeDataString(ns)}/{Plural}" : $"{root}/{Plural}";
    }

    public string ObjectPath(string? ns, string name) => $"{CollectionPath(ns)}/{Uri.EscapeDataString(name)}";

    public static ResourceType Of<T>() => Of(typeof(T));

    public static ResourceType Of(Type type) => Cache.GetOrAdd(type, static t =>
    {
        var entity = t.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{t.Name} has no [KubernetesEntity] attribute", nameof(type));
        return new ResourceType(entity.Group ?? "", entity.ApiVersion, entity.Kind, entity.PluralName, !ClusterScoped.Contains(entity.Kind));
    });
}
