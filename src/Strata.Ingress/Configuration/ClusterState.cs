using k8s.Models;

namespace Strata.Ingress.Configuration;

/// <summary>The objects a route table is built from, as the informers hold them.</summary>
public sealed record ClusterState(
    IReadOnlyList<V1Ingress> Ingresses,
    IReadOnlyList<V1IngressClass> Classes,
    IReadOnlyList<V1Service> Services,
    IReadOnlyList<V1EndpointSlice> EndpointSlices,
    IReadOnlyList<V1Secret> Secrets);

/// <summary>Which Ingresses are ours: <c>--ingress-class</c> and <c>--controller-class</c> of ingress-nginx.</summary>
public sealed record IngressClassIdentity(string ClassName = IngressClassIdentity.DefaultClassName, string Controller = IngressClassIdentity.DefaultController)
{
    public const string DefaultClassName = "nginx";
    public const string DefaultController = "k8s.io/ingress-nginx";
    public const string LegacyAnnotation = "kubernetes.io/ingress.class";
    public const string DefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";

    /// <summary>
    /// ingress-nginx's class rules: <c>spec.ingressClassName</c> naming an IngressClass whose controller is ours; else the
    /// legacy annotation equal to our class name; else, with neither, an IngressClass of ours marked as the default.
    /// Anything else belongs to another controller and is ignored.
    /// </summary>
    public bool Owns(V1Ingress ingress, IReadOnlyList<V1IngressClass> classes)
    {
        if (ingress.Spec?.IngressClassName is { Length: > 0 } className)
        {
            return classes.Any(c => c.Metadata.Name == className && c.Spec?.Controller == Controller);
        }

        if (ingress.Metadata.Annotations?.TryGetValue(LegacyAnnotation, out var legacy) == true && legacy.Length > 0)
        {
            return legacy == ClassName;
        }

        return classes.Any(c => c.Spec?.Controller == Controller
            && c.Metadata.Annotations?.TryGetValue(DefaultClassAnnotation, out var isDefault) == true
            && string.Equals(isDefault, "true", StringComparison.OrdinalIgnoreCase));
    }
}
