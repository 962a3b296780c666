using k8s;
using k8s.Models;

namespace Strata.Ingress.Configuration;

/// <summary>
/// A <see cref="ClusterState"/> from a multi-document YAML file instead of the API server (<c>strata ingress --manifest</c>,
/// the benchmark): Ingresses, IngressClasses, Services, EndpointSlices and Secrets; other kinds are ignored. Namespaced
/// objects without a namespace are in "default"; Ingresses without a creation time are aged in document order.
/// </summary>
public static class ManifestState
{
    public static ClusterState Parse(string yaml, params object[] extra)
    {
        List<object> objects;
        try
        {
            objects = [.. KubernetesYaml.LoadAllFromString(yaml), .. extra];
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException($"not a Kubernetes manifest: {e.Message}", e);
        }

        var created = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var ingresses = objects.OfType<V1Ingress>().ToList();
        for (var i = 0; i < ingresses.Count; i++)
        {
            ingresses[i].Metadata.CreationTimestamp ??= created.AddSeconds(i);
        }

        foreach (var o in objects.OfType<IKubernetesObject<V1ObjectMeta>>())
        {
            if (o is not V1IngressClass)
            {
                o.Metadata.NamespaceProperty ??= "default";
            }
        }

        return new ClusterState(ingresses, [.. objects.OfType<V1IngressClass>()], [.. objects.OfType<V1Service>()],
            [.. objects.OfType<V1EndpointSlice>()], [.. objects.OfType<V1Secret>()]);
    }
}
