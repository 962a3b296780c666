using System.Text;
using k8s.Models;

namespace Strata.Agent.Kubelet.Pods;

/// <summary>
/// The pod's /etc/hosts as the kubelet writes it (pkg/kubelet/kubelet_pods.go managedHostsFileContent): the managed
/// header with the localhost lines, one line per pod IP with the hostname (and the FQDN when the pod has a
/// subdomain), then the spec.hostAliases. hostNetwork pods get the node's own file followed by the aliases. Pure.
/// </summary>
public static class HostsFile
{
    public static string ForPod(V1Pod pod, IReadOnlyList<string> podIps, string nodeHostsFile, string clusterDomain)
    {
        var text = new StringBuilder();
        if (pod.Spec.HostNetwork == true)
        {
            text.Append(nodeHostsFile);
        }
        else
        {
            text.Append("# Kubernetes-managed hosts file.\n");
            text.Append("127.0.0.1\tlocalhost\n");
            text.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
            text.Append("fe00::0\tip6-localnet\n");
            text.Append("fe00::0\tip6-mcastprefix\n");
            text.Append("fe00::1\tip6-allnodes\n");
            text.Append("fe00::2\tip6-allrouters\n");
            string hostname = Hostname(pod);
            string? domain = string.IsNullOrEmpty(pod.Spec.Subdomain)
                ? null
                : $"{pod.Spec.Subdomain}.{pod.Metadata.NamespaceProperty ?? "default"}.svc.{clusterDomain}";
            foreach (var ip in podIps)
            {
                text.Append(domain is null ? $"{ip}\t{hostname}\n" : $"{ip}\t{hostname}.{domain}\t{hostname}\n");
            }
        }

        if (pod.Spec.HostAliases is { Count: > 0 } aliases)
        {
            text.Append("\n# Entries added by HostAliases.\n");
            foreach (var alias in aliases)
            {
                text.Append(alias.Ip).Append('\t').AppendJoin('\t', alias.Hostnames ?? []).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>The pod's hostname: spec.hostname, else the pod's name truncated to 63 characters (GeneratePodHostNameAndDomain).</summary>
    public static string Hostname(V1Pod pod)
    {
        string name = string.IsNullOrEmpty(pod.Spec.Hostname) ? pod.Metadata.Name : pod.Spec.Hostname;
        return name.Length > 63 ? name[..63].TrimEnd('-', '.') : name;
    }
}
