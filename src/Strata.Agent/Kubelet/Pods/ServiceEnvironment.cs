using System.Globalization;
using k8s.Models;

namespace Strata.Agent.Kubelet.Pods;

/// <summary>
/// The Service variables the kubelet gives every container (pkg/kubelet/kubelet_pods.go getServiceEnvVarMap and
/// pkg/kubelet/envvars FromServices): for each Service with a cluster IP, <c>{NAME}_SERVICE_HOST</c>,
/// <c>{NAME}_SERVICE_PORT</c> (its first port), <c>{NAME}_SERVICE_PORT_{PORTNAME}</c> per named port, and Docker's
/// link variables <c>{NAME}_PORT</c> and <c>{NAME}_PORT_{port}_{PROTO}[_PROTO|_PORT|_ADDR]</c>. The Services are
/// the pod's namespace's when <c>enableServiceLinks</c> (true by default), and always <c>default/kubernetes</c>
/// unless the pod's namespace has a Service of that name. Pure. Upstream builds them from a Go map, so their order
/// varies; here they are ordered by Service name, each Service's variables in upstream's order.
/// </summary>
public static class ServiceEnvironment
{
    private const string MasterService = "kubernetes";

    public static IReadOnlyList<KeyValuePair<string, string>> ForPod(V1Pod pod, IEnumerable<V1Service> services)
    {
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        bool links = pod.Spec.EnableServiceLinks ?? true;
        var chosen = new SortedDictionary<string, V1Service>(StringComparer.Ordinal);
        foreach (var service in services.Where(HasClusterIp))
        {
            string name = service.Metadata.Name;
            string serviceNs = service.Metadata.NamespaceProperty ?? "default";
            if (serviceNs == "default" && name == MasterService)
            {
                chosen.TryAdd(name, service);
            }
            else if (serviceNs == ns && links)
            {
                chosen[name] = service;
            }
        }

        return [.. chosen.Values.SelectMany(Variables)];
    }

    private static bool HasClusterIp(V1Service service) =>
        service.Spec?.ClusterIP is { Length: > 0 } ip && ip != "None" && service.Spec.Ports is { Count: > 0 };

    private static IEnumerable<KeyValuePair<string, string>> Variables(V1Service service)
    {
        string prefix = VariableName(service.Metadata.Name);
        string ip = service.Spec.ClusterIP;
        var ports = service.Spec.Ports;
        yield return new(prefix + "_SERVICE_HOST", ip);
        yield return new(prefix + "_SERVICE_PORT", Number(ports[0].Port));
        foreach (var port in ports.Where(p => !string.IsNullOrEmpty(p.Name)))
        {
            yield return new($"{prefix}_SERVICE_PORT_{VariableName(port.Name)}", Number(port.Port));
        }

        for (int i = 0; i < ports.Count; i++)
        {
            string protocol = string.IsNullOrEmpty(ports[i].Protocol) ? "TCP" : ports[i].Protocol;
            string url = $"{protocol.ToLowerInvariant()}://{HostPort(ip, ports[i].Port)}";
            if (i == 0)
            {
                yield return new(prefix + "_PORT", url);
            }

            string portPrefix = $"{prefix}_PORT_{Number(ports[i].Port)}_{protocol.ToUpperInvariant()}";
            yield return new(portPrefix, url);
            yield return new(portPrefix + "_PROTO", protocol.ToLowerInvariant());
            yield return new(portPrefix + "_PORT", Number(ports[i].Port));
            yield return new(portPrefix + "_ADDR", ip);
        }
    }

    // envvars.makeEnvVariableName: upper case, '-' as '_'.
    private static string VariableName(string name) => name.Replace('-', '_').ToUpperInvariant();

    private static string Number(int port) => port.ToString(CultureInfo.InvariantCulture);

    // net.JoinHostPort: an IPv6 address in brackets.
    private static string HostPort(string ip, int port) => ip.Contains(':') ? $"[{ip}]:{Number(port)}" : $"{ip}:{Number(port)}";
}
