namespace Strata.ApiServer.Resources;

/// <summary>The built-in resources Strata serves, with the short names, categories and subresources kube-apiserver gives them.</summary>
public static class BuiltinResources
{
    public static IReadOnlyList<ResourceInfo> All { get; } = WithConvertedVersions(
    [
        Core("namespaces", "Namespace", false, ["ns"], [], ["finalize", "status"]),
        Core("nodes", "Node", false, ["no"], [], ["proxy", "status"]),
        Core("pods", "Pod", true, ["po"], ["all"], ["binding", "exec", "log", "status"]),
        Core("services", "Service", true, ["svc"], ["all"], ["status"]),
        Core("endpoints", "Endpoints", true, ["ep"], [], []),
        Core("secrets", "Secret", true, [], [], []),
        Core("configmaps", "ConfigMap", true, ["cm"], [], []),
        Core("serviceaccounts", "ServiceAccount", true, ["sa"], [], ["token"]),
        Core("events", "Event", true, ["ev"], [], []),
        Apps("deployments", "Deployment", ["deploy"], ["scale", "status"]),
        Apps("replicasets", "ReplicaSet", ["rs"], ["scale", "status"]),
        Apps("daemonsets", "DaemonSet", ["ds"], ["status"]),
        new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, [], [], []),
        new("networking.k8s.io", "v1", "ingresses", "Ingress", true, ["ing"], [], ["status"]) { TracksGeneration = true },
        new("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, [], [], []) { TracksGeneration = true },
        new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, ["netpol"], [], []) { TracksGeneration = true },
        new("coordination.k8s.io", "v1", "leases", "Lease", true, [], [], []),
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, ["crd", "crds"], ["api-extensions"], ["status"])
        {
            TracksGeneration = true,
        },
    ]);

    // The storage versions first: internal callers that look a resource up by group and name get those.
    private static ResourceInfo[] WithConvertedVersions(ResourceInfo[] stored) => [.. stored, .. Conversion.VersionConversion.ServedResources(stored)];

    private static ResourceInfo Core(string resource, string kind, bool namespaced, string[] shortNames, string[] categories, string[] subresources) =>
        new("", "v1", resource, kind, namespaced, shortNames, categories, subresources);

    private static ResourceInfo Apps(string resource, string kind, string[] shortNames, string[] subresources) =>
        new("apps", "v1", resource, kind, true, shortNames, ["all"], subresources) { TracksGeneration = true };
}
