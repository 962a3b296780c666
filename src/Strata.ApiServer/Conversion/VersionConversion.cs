using System.Text.Json.Nodes;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Conversion;

/// <summary>
/// A served version that is stored as another (kube-apiserver's storage version): requests in this version are
/// converted to the storage version on the way in and back on the way out, and each carries a deprecation warning.
/// </summary>
public sealed record VersionConversion(
    string Group,
    string Version,
    string Resource,
    string StorageVersion,
    string Warning,
    Func<JsonObject, JsonObject> ToStorage,
    Func<JsonObject, JsonObject> FromStorage)
{
    /// <summary>The served versions that are converted.</summary>
    public static IReadOnlyList<VersionConversion> All { get; } =
    [
        // The seed's Ingress examples are networking.k8s.io/v1beta1, which upstream removed in 1.22: served here so that
        // they apply as written, with the deprecation warning kube-apiserver 1.19-1.21 returned
        // (staging/src/k8s.io/api/networking/v1beta1/zz_generated.prerelease-lifecycle.go).
        new("networking.k8s.io", "v1beta1", "ingresses", "v1",
            "networking.k8s.io/v1beta1 Ingress is deprecated in v1.19+, unavailable in v1.22+; use networking.k8s.io/v1 Ingress",
            IngressV1Beta1.ToV1, IngressV1Beta1.FromV1),
    ];

    public static VersionConversion? For(ResourceInfo resource) =>
        All.FirstOrDefault(c => c.Group == resource.Group && c.Version == resource.Version && c.Resource == resource.Resource);

    /// <summary>The resources these conversions serve, for the catalog (after their storage versions, which internal callers find first).</summary>
    public static IEnumerable<ResourceInfo> ServedResources(IReadOnlyList<ResourceInfo> builtin) =>
        All.Select(c => builtin.First(r => r.Group == c.Group && r.Version == c.StorageVersion && r.Resource == c.Resource) with { Version = c.Version });
}
