using System.Net;
using System.Text.RegularExpressions;

namespace Strata.Agent;

/// <summary>
/// <c>strata agent</c>'s settings (the Options pattern: bound from flags, validated before anything starts).
/// Defaults are the kubelet's and the lab's.
/// </summary>
public sealed partial class AgentOptions
{
    /// <summary>The roles that exist, and the issue that brings each one still to come.</summary>
    public static readonly IReadOnlyDictionary<string, string?> KnownRoles = new Dictionary<string, string?>
    {
        ["kubelet"] = null,
        ["flannel"] = null,
        ["proxy"] = null,
        ["lb-speaker"] = null,
    };

    public IReadOnlyList<string> Roles { get; set; } = ["kubelet"];

    public string NodeName { get; set; } = string.Empty;

    public string NodeIp { get; set; } = string.Empty;

    public string Kubeconfig { get; set; } = string.Empty;

    public string RootDir { get; set; } = "/var/lib/kubelet";

    public string PodLogsDir { get; set; } = "/var/log/pods";

    public string CniConfDir { get; set; } = "/etc/cni/net.d";

    public string CniBinDir { get; set; } = "/opt/cni/bin";

    public string CniCacheDir { get; set; } = "/var/lib/cni";

    public int Port { get; set; } = 10250;

    /// <summary>The address the kubelet server listens on (the kubelet's --address; all of the node's by default).</summary>
    public string Address { get; set; } = "0.0.0.0";

    public string ClusterDns { get; set; } = "10.233.0.3";

    public string ClusterDomain { get; set; } = "cluster.local";

    /// <summary>The proxy role's --cluster-cidr: traffic to a cluster IP from outside it is masqueraded (empty: none is).</summary>
    public string ClusterCidr { get; set; } = string.Empty;

    /// <summary>The proxy role's --proxy-mode.</summary>
    public string ProxyMode { get; set; } = "iptables";

    /// <summary>The proxy role's --masquerade-all.</summary>
    public bool MasqueradeAll { get; set; }

    /// <summary>The proxy role's --healthz-bind-address (/healthz, /livez); empty disables it.</summary>
    public string HealthzBindAddress { get; set; } = Strata.Proxy.Health.ProxyHealthServer.DefaultBindAddress;

    /// <summary>The flannel role's net-conf.json file (flanneld's --net-config-path); empty reads the ConfigMap kube-flannel/kube-flannel-cfg.</summary>
    public string NetConf { get; set; } = string.Empty;

    /// <summary>Every problem, each naming its flag; empty when the options can be used.</summary>
    public IReadOnlyList<string> Validate(bool requireKubeconfig = true)
    {
        var errors = new List<string>();
        if (Roles.Count == 0)
        {
            errors.Add("--roles: at least one role is needed (kubelet)");
        }

        foreach (var role in Roles)
        {
            if (!KnownRoles.TryGetValue(role, out var issue))
            {
                errors.Add($"--roles: unknown role \"{role}\" (known: {string.Join(", ", KnownRoles.Keys)})");
            }
            else if (issue is not null)
            {
                errors.Add($"--roles: the {role} role is not implemented yet (it comes with issue {issue})");
            }
        }

        if (Roles.Contains("proxy") && ProxyMode != "iptables")
        {
            errors.Add($"--proxy-mode: \"{ProxyMode}\" is not implemented (iptables)");
        }

        try
        {
            new Strata.Proxy.ProxySettings { HealthzBindAddress = HealthzBindAddress }.ParseHealthzBindAddress();
        }
        catch (FormatException e)
        {
            errors.Add(e.Message);
        }

        if (!string.IsNullOrEmpty(ClusterCidr) && !IsIPv4Cidr(ClusterCidr))
        {
            errors.Add($"--cluster-cidr: \"{ClusterCidr}\" is not an IPv4 CIDR");
        }

        if (string.IsNullOrEmpty(NodeName))
        {
            errors.Add("--node-name is required");
        }
        else if (NodeName.Length > 253 || !DnsSubdomain().IsMatch(NodeName))
        {
            errors.Add($"--node-name: \"{NodeName}\" is not a valid node name (a lowercase RFC 1123 subdomain)");
        }

        // The flannel role alone may take the Node's InternalIP instead.
        bool nodeIpNeeded = Roles.Any(r => r != "flannel") || !string.IsNullOrEmpty(NodeIp);
        if (nodeIpNeeded && (!IPAddress.TryParse(NodeIp, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork))
        {
            errors.Add($"--node-ip: \"{NodeIp}\" is not an IPv4 address");
        }

        if (requireKubeconfig && !File.Exists(Kubeconfig))
        {
            errors.Add(string.IsNullOrEmpty(Kubeconfig) ? "--kubeconfig is required" : $"--kubeconfig: {Kubeconfig} does not exist");
        }

        if (!IPAddress.TryParse(Address, out _))
        {
            errors.Add($"--address: \"{Address}\" is not an IP address");
        }

        if (Port is < 1 or > 65535)
        {
            errors.Add($"--port: {Port} is not a port (1-65535)");
        }

        if (!string.IsNullOrEmpty(ClusterDns) && !IPAddress.TryParse(ClusterDns, out _))
        {
            errors.Add($"--cluster-dns: \"{ClusterDns}\" is not an IP address");
        }

        if (string.IsNullOrEmpty(ClusterDomain) || !DnsSubdomain().IsMatch(ClusterDomain))
        {
            errors.Add($"--cluster-domain: \"{ClusterDomain}\" is not a DNS domain");
        }

        foreach (var (flag, path) in new[] { ("--root-dir", RootDir), ("--pod-logs-dir", PodLogsDir), ("--cni-conf-dir", CniConfDir), ("--cni-bin-dir", CniBinDir), ("--cni-cache-dir", CniCacheDir) })
        {
            if (!Path.IsPathFullyQualified(path))
            {
                errors.Add($"{flag}: \"{path}\" is not an absolute path");
            }
            else if (flag == "--root-dir" && (IsUnder(path, "/tmp") || IsUnder(path, "/run")))
            {
                errors.Add($"{flag}: \"{path}\" is under /tmp or /run, which every pod gets a tmpfs of its own over: its files there would be hidden from it");
            }
        }

        return errors;
    }

    private static bool IsIPv4Cidr(string text) =>
        text.Split('/') is [var ip, var bits] && IPAddress.TryParse(ip, out var address)
        && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && int.TryParse(bits, out var n) && n is >= 0 and <= 32;

    private static bool IsUnder(string path, string dir)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return full == dir || full.StartsWith(dir + "/", StringComparison.Ordinal);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
