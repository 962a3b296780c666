using System.Net;
using System.Net.Sockets;
using k8s.Models;

using Strata.Controllers.Machinery;

namespace Strata.Controllers.Endpoints;

/// <summary>
/// What both endpoint controllers ask of a pod and its Service: staging/src/k8s.io/endpointslice/util/controller_utils.go
/// and pkg/api/v1/pod/util.go (FindPort).
/// </summary>
public static class PodEndpoints
{
    public const string LastChangeTriggerTime = "endpoints.kubernetes.io/last-change-trigger-time";
    public const string HeadlessLabel = "service.kubernetes.io/headless";
    public const string ClusterIPNone = "None";

    public static bool IsTerminal(V1Pod pod) => pod.Status?.Phase is "Succeeded" or "Failed";

    /// <summary>ShouldPodBeInEndpoints: not terminal, has an IP, and not terminating unless those are included.</summary>
    public static bool ShouldBeInEndpoints(V1Pod pod, bool includeTerminating) =>
        !IsTerminal(pod)
        && IPs(pod).Count > 0
        && (includeTerminating || pod.Metadata.DeletionTimestamp is null);

    /// <summary>
    /// status.podIPs, or status.podIP alone when podIPs was not written (the kubelet writes both; a client that sets
    /// only podIP still means that address).
    /// </summary>
    public static IReadOnlyList<string> IPs(V1Pod pod)
    {
        var ips = pod.Status?.PodIPs?.Select(p => p.Ip).Where(ip => !string.IsNullOrEmpty(ip)).ToList();
        if (ips is { Count: > 0 })
        {
            return ips;
        }

        return string.IsNullOrEmpty(pod.Status?.PodIP) ? [] : [pod.Status.PodIP];
    }

    public static bool IsIPv6(string ip) => IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>ShouldSetHostname: the pod names this Service as its subdomain and has a hostname.</summary>
    public static bool ShouldSetHostname(V1Pod pod, V1Service service) =>
        !string.IsNullOrEmpty(pod.Spec?.Hostname)
        && pod.Spec.Subdomain == service.Metadata.Name
        && pod.Metadata.NamespaceProperty == service.Metadata.NamespaceProperty;

    /// <summary>helper.IsServiceIPSet: has a ClusterIP that is not None (i.e. not headless).</summary>
    public static bool IsServiceIPSet(V1Service service) =>
        !string.IsNullOrEmpty(service.Spec?.ClusterIP) && service.Spec.ClusterIP != ClusterIPNone;

    /// <summary>Whether this controller makes endpoints for the Service at all: a selector, and not ExternalName.</summary>
    public static bool HasSelector(V1Service service) => service.Spec?.Selector is not null && service.Spec.Type != "ExternalName";

    /// <summary>
    /// podutil.FindPort: a numeric targetPort as is; a named one is the containerPort of that name and protocol, in
    /// the containers and then the restartable (sidecar) init containers. Null when no container has it.
    /// </summary>
    public static int? FindPort(V1Pod pod, V1ServicePort servicePort)
    {
        var target = servicePort.TargetPort?.Value;
        if (string.IsNullOrEmpty(target))
        {
            return servicePort.Port;
        }

        if (int.TryParse(target, out var number))
        {
            return number;
        }

        var protocol = servicePort.Protocol ?? "TCP";
        var containers = (pod.Spec?.Containers ?? []).Concat((pod.Spec?.InitContainers ?? []).Where(c => c.RestartPolicy == "Always"));
        foreach (var container in containers)
        {
            foreach (var port in container.Ports ?? [])
            {
                if (port.Name == target && (port.Protocol ?? "TCP") == protocol)
                {
                    return port.ContainerPort;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// podEndpointsChanged: (whether what the endpoints show of the pod changed, whether its labels or
    /// hostname/subdomain changed and so maybe its Services).
    /// </summary>
    public static (bool PodChanged, bool LabelsChanged) Changed(V1Pod old, V1Pod cur)
    {
        var labelsChanged = !SameLabels(old.Metadata.Labels, cur.Metadata.Labels)
            || old.Spec?.Hostname != cur.Spec?.Hostname || old.Spec?.Subdomain != cur.Spec?.Subdomain;
        var podChanged = old.Metadata.DeletionTimestamp != cur.Metadata.DeletionTimestamp
            || PodConditions.IsReady(old) != PodConditions.IsReady(cur)
            || !IPs(old).SequenceEqual(IPs(cur))
            || IsTerminal(old) != IsTerminal(cur)
            || old.Spec?.NodeName != cur.Spec?.NodeName;
        return (podChanged, labelsChanged);
    }

    private static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        a ??= new Dictionary<string, string>();
        b ??= new Dictionary<string, string>();
        return a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }
}
