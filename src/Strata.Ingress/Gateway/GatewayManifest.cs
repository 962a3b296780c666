using k8s;
using k8s.Models;
using Strata.Controllers.GatewayApi;

namespace Strata.Ingress.Gateway;

/// <summary>
/// A <see cref="GatewayState"/> from a multi-document YAML file (<c>strata ingress --gateway --manifest</c>, tests):
/// the Gateway API kinds plus Namespaces, Services, EndpointSlices and Secrets; other kinds are ignored. Namespaced
/// objects without a namespace are in "default"; objects without a creation time are aged in document order, and
/// without a generation have generation 1.
/// </summary>
public static class GatewayManifest
{
    /// <summary>The objects of a YAML text, with the Gateway API kinds known.</summary>
    public static List<object> Load(string yaml)
    {
        try
        {
            return KubernetesYaml.LoadAllFromString(yaml, GatewayApiTypes.WithBuiltIn);
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException($"not a Kubernetes manifest: {e.Message}", e);
        }
    }

    public static GatewayState Parse(string yaml, params object[] extra)
    {
        List<object> objects = [.. Load(yaml), .. extra];
        var created = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var i = 0;
        foreach (var o in objects.OfType<IKubernetesObject<V1ObjectMeta>>())
        {
            o.Metadata ??= new V1ObjectMeta();
            o.Metadata.CreationTimestamp ??= created.AddSeconds(i++);
            o.Metadata.Generation ??= 1;
            if (o is not (V1GatewayClass or V1Namespace))
            {
                o.Metadata.NamespaceProperty ??= "default";
            }
        }

        return new GatewayState([.. objects.OfType<V1GatewayClass>()], [.. objects.OfType<V1Gateway>()], [.. objects.OfType<V1HttpRoute>()],
            [.. objects.OfType<V1Beta1ReferenceGrant>()], [.. objects.OfType<V1Namespace>()], [.. objects.OfType<V1Service>()],
            [.. objects.OfType<V1EndpointSlice>()], [.. objects.OfType<V1Secret>()]);
    }
}
