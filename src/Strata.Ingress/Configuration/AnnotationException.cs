namespace Strata.Ingress.Configuration;

/// <summary>An annotation whose value ingress-nginx's validators would refuse; the whole Ingress is then rejected.</summary>
public sealed class AnnotationException(string annotation, string value, string reason)
    : Exception($"annotation {annotation}: value \"{value}\" is invalid: {reason}")
{
    public string Annotation { get; } = annotation;
}
