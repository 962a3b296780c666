using k8s;
using k8s.Models;

namespace Strata.Controllers.Machinery;

/// <summary>client-go's MetaNamespaceKeyFunc: <c>namespace/name</c>, or <c>name</c> for cluster-scoped objects.</summary>
public static class ObjectKey
{
    public static string Of(IKubernetesObject<V1ObjectMeta> obj) => For(obj.Metadata.NamespaceProperty, obj.Metadata.Name);

    public static string For(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";

    public static (string? Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/');
        return slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
    }
}
