using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// Validation of the network-relevant kinds as kube-apiserver's registry strategies run it
/// (<c>strategy.Validate</c> / <c>strategy.ValidateUpdate</c>): on the object after defaulting, with the
/// namespace already set from the request. Unknown kinds validate only their metadata.
/// </summary>
public static class ObjectValidator
{
    public static IReadOnlyList<FieldError> ValidateCreate(string group, string kind, JsonObject obj) =>
        (group, kind) switch
        {
            ("", "Service") => ServiceValidator.ValidateCreate(obj),
            ("", "Pod") => PodValidator.ValidateCreate(obj),
            ("", "Endpoints") => EndpointsValidator.ValidateCreate(obj),
            ("", "Namespace") => NamespaceValidator.ValidateCreate(obj),
            ("", "Node") => NodeValidator.ValidateCreate(obj),
            ("", "ConfigMap") => ConfigMapValidator.ValidateCreate(obj),
            ("", "Secret") => SecretValidator.ValidateCreate(obj),
            ("apps", "Deployment" or "ReplicaSet" or "DaemonSet") => WorkloadValidator.ValidateCreate(kind, obj),
            ("networking.k8s.io", "Ingress") => IngressValidator.ValidateCreate(obj),
            ("networking.k8s.io", "IngressClass") => IngressClassValidator.ValidateCreate(obj),
            ("networking.k8s.io", "NetworkPolicy") => NetworkPolicyValidator.ValidateCreate(obj),
            ("discovery.k8s.io", "EndpointSlice") => EndpointSliceValidator.ValidateCreate(obj),
            ("coordination.k8s.io", "Lease") => LeaseValidator.ValidateCreate(obj),
            ("apiextensions.k8s.io", "CustomResourceDefinition") => CrdValidator.ValidateCreate(obj),
            _ => MetadataValidator.ValidateCreate(obj, IsNamespaced(obj), NameRules.NameIsDnsSubdomain, kubeFinalizerNames: false),
        };

    public static IReadOnlyList<FieldError> ValidateUpdate(string group, string kind, JsonObject obj, JsonObject old) =>
        (group, kind) switch
        {
            ("", "Service") => ServiceValidator.ValidateUpdate(obj, old),
            ("", "Pod") => PodValidator.ValidateUpdate(obj, old),
            ("", "Endpoints") => EndpointsValidator.ValidateUpdate(obj, old),
            ("", "Namespace") => NamespaceValidator.ValidateUpdate(obj, old),
            ("", "Node") => NodeValidator.ValidateUpdate(obj, old),
            ("", "ConfigMap") => ConfigMapValidator.ValidateUpdate(obj, old),
            ("", "Secret") => SecretValidator.ValidateUpdate(obj, old),
            ("apps", "Deployment" or "ReplicaSet" or "DaemonSet") => WorkloadValidator.ValidateUpdate(kind, obj, old),
            ("networking.k8s.io", "Ingress") => IngressValidator.ValidateUpdate(obj, old),
            ("networking.k8s.io", "IngressClass") => IngressClassValidator.ValidateUpdate(obj, old),
            ("networking.k8s.io", "NetworkPolicy") => NetworkPolicyValidator.ValidateUpdate(obj, old),
            ("discovery.k8s.io", "EndpointSlice") => EndpointSliceValidator.ValidateUpdate(obj, old),
            ("coordination.k8s.io", "Lease") => LeaseValidator.ValidateUpdate(obj, old),
            ("apiextensions.k8s.io", "CustomResourceDefinition") => CrdValidator.ValidateUpdate(obj, old),
            _ => MetadataValidator.ValidateUpdate(obj, old, kubeFinalizerNames: false),
        };

    private static bool IsNamespaced(JsonObject obj) => obj.Obj("metadata").Str("namespace").Length > 0;
}
