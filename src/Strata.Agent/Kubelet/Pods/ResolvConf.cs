using System.Text;
using k8s.Models;

namespace Strata.Agent.Kubelet.Pods;

/// <summary>A resolv.conf's three parts.</summary>
public sealed record DnsSettings(IReadOnlyList<string> Nameservers, IReadOnlyList<string> Searches, IReadOnlyList<string> Options)
{
    public static DnsSettings Empty { get; } = new([], [], []);
}

/// <summary>
/// The pod's /etc/resolv.conf, as the kubelet computes it (pkg/kubelet/network/dns/dns.go GetPodDNS): ClusterFirst
/// points at the cluster DNS with the namespace's search path and ndots:5, Default copies the node's file, None
/// starts empty; spec.dnsConfig is then merged in. Pure.
/// </summary>
public static class ResolvConf
{
    public const int MaxNameservers = 3;
    public const int MaxSearches = 32;

    public static DnsSettings ForPod(V1Pod pod, DnsSettings node, string? clusterDns, string clusterDomain)
    {
        var policy = pod.Spec.DnsPolicy ?? "ClusterFirst";
        bool hostNetwork = pod.Spec.HostNetwork == true;
        bool useCluster = policy == "ClusterFirstWithHostNet" || (policy == "ClusterFirst" && !hostNetwork);
        DnsSettings settings = policy switch
        {
            "None" => DnsSettings.Empty,
            _ when useCluster && !string.IsNullOrEmpty(clusterDns) => new DnsSettings(
                [clusterDns],
                [.. ClusterSearches(pod.Metadata.NamespaceProperty ?? "default", clusterDomain), .. node.Searches],
                ["ndots:5"]),
            _ => node,
        };
        return Merge(settings, pod.Spec.DnsConfig);
    }

    /// <summary>The cluster part of the search path: &lt;ns&gt;.svc.&lt;domain&gt;, svc.&lt;domain&gt;, &lt;domain&gt;.</summary>
    public static IReadOnlyList<string> ClusterSearches(string ns, string clusterDomain) =>
        [$"{ns}.svc.{clusterDomain}", $"svc.{clusterDomain}", clusterDomain];

    /// <summary>dns.go appendDNSConfig: nameservers and searches appended without duplicates, options overridden by name.</summary>
    public static DnsSettings Merge(DnsSettings settings, V1PodDNSConfig? config)
    {
        if (config is null)
        {
            return Limit(settings);
        }

        var nameservers = settings.Nameservers.Concat(config.Nameservers ?? []).Distinct().ToList();
        var searches = settings.Searches.Concat(config.Searches ?? []).Distinct().ToList();
        var options = new List<(string Name, string? Value)>();
        foreach (var option in settings.Options)
        {
            int colon = option.IndexOf(':');
            Set(options, colon < 0 ? option : option[..colon], colon < 0 ? null : option[(colon + 1)..]);
        }

        foreach (var option in config.Options ?? [])
        {
            Set(options, option.Name, option.Value);
        }

        return Limit(new DnsSettings(nameservers, searches, [.. options.Select(o => o.Value is null ? o.Name : $"{o.Name}:{o.Value}")]));
    }

    /// <summary>Reads a resolv.conf's nameserver, search (or domain) and options lines.</summary>
    public static DnsSettings Parse(string text)
    {
        var nameservers = new List<string>();
        var searches = new List<string>();
        var options = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Split('#', ';')[0];
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                continue;
            }

            switch (fields[0])
            {
                case "nameserver":
                    nameservers.Add(fields[1]);
                    break;
                case "search":
                case "domain":
                    searches.Clear();
                    searches.AddRange(fields.Skip(1).Where(s => s != "."));
                    break;
                case "options":
                    options.AddRange(fields.Skip(1));
                    break;
            }
        }

        return new DnsSettings(nameservers, searches, options);
    }

    public static string Render(DnsSettings settings)
    {
        var text = new StringBuilder();
        foreach (var nameserver in settings.Nameservers)
        {
            text.Append("nameserver ").Append(nameserver).Append('\n');
        }

        if (settings.Searches.Count > 0)
        {
            text.Append("search ").AppendJoin(' ', settings.Searches).Append('\n');
        }

        if (settings.Options.Count > 0)
        {
            text.Append("options ").AppendJoin(' ', settings.Options).Append('\n');
        }

        return text.ToString();
    }

    private static void Set(List<(string Name, string? Value)> options, string name, string? value)
    {
        int index = options.FindIndex(o => o.Name == name);
        if (index >= 0)
        {
            options[index] = (name, value);
        }
        else
        {
            options.Add((name, value));
        }
    }

    private static DnsSettings Limit(DnsSettings settings) => settings with
    {
        Nameservers = [.. settings.Nameservers.Take(MaxNameservers)],
        Searches = [.. settings.Searches.Take(MaxSearches)],
    };
}
