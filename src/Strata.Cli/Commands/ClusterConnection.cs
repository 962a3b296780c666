using k8s;
using k8s.Exceptions;
using Strata.Controllers.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// How the long-running controllers reach the API server: the <c>--kubeconfig</c> given, else the pod's service account
/// as client-go's rest.InClusterConfig does (KUBERNETES_SERVICE_HOST/PORT and the token and CA the kubelet mounts).
/// </summary>
internal static class ClusterConnection
{
    public const string KubeconfigDescription =
        "The kubeconfig to reach the API server with; without it, the pod's service account (in-cluster: the kubernetes Service, the mounted token and CA).";

    public static bool InPod => KubernetesClientConfiguration.IsInCluster();

    /// <summary>The client, or null once the reason is printed.</summary>
    public static RemoteKubeClient? Connect(string? kubeconfig)
    {
        try
        {
            return kubeconfig is not null ? RemoteKubeClient.FromKubeconfig(kubeconfig)
                : InPod ? new RemoteKubeClient(KubernetesClientConfiguration.InClusterConfig())
                : throw new KubeConfigException("not given, and not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set and " +
                    "/var/run/secrets/kubernetes.io/serviceaccount/token present (unable to load in-cluster configuration)");
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"strata: --kubeconfig: {e.Message}");
            return null;
        }
    }
}
